"""cocotb testbench for ``fcnn_cnn_threshold`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_threshold.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: C, IW, I_SIGNED, OW, N, the threshold
and level codes, seed); the sizes are read from the DUT.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
I_SIGNED = int(PARAMS.get("I_SIGNED", 1))
THRESHOLDS = np.asarray(PARAMS["thresholds"], dtype=np.int64)
LEVELS = np.asarray(PARAMS["levels"], dtype=np.int64)
SEED = int(PARAMS.get("seed", 1))


def golden(x: np.ndarray) -> np.ndarray:
    """``LEVELS[k]``, ``k`` = the number of thresholds <= x (numpy, integer codes)."""
    return LEVELS[np.searchsorted(THRESHOLDS, np.asarray(x, np.int64), side="right")]


def stimulus(rng: np.random.Generator, count: int, c: int, iw: int) -> np.ndarray:
    """``count`` beats of ``c`` elements: every threshold and its neighbours, the input's
    extremes, values between the thresholds, and uniform random codes."""
    lo, hi = (-(1 << (iw - 1)), (1 << (iw - 1)) - 1) if I_SIGNED else (0, (1 << iw) - 1)
    special = [lo, hi, 0, lo + 1, hi - 1] + [int(t) + d for t in THRESHOLDS for d in (-1, 0, 1)]
    special = np.clip(np.asarray(special, dtype=np.int64), lo, hi)
    span = [int(THRESHOLDS.min()) - 4, int(THRESHOLDS.max()) + 4]
    near = rng.integers(max(lo, span[0]), min(hi, span[1]), size=count * c, endpoint=True)
    uniform = rng.integers(lo, hi, size=count * c, endpoint=True)
    pick = rng.random(count * c)
    vals = np.where(pick < 0.5, near, uniform)
    vals = np.where(pick > 0.8, rng.choice(special, size=count * c), vals)
    vals[: len(special)] = special[: count * c]
    return vals.reshape(count, c)


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def elements(dut, idle: bool, backpressure: bool) -> None:
    """Many beats (m_last pass-through) under the idle/backpressure matrix: bit-exact."""
    c = int(dut.C.value)
    iw = len(dut.s_axis_tdata) // c
    ow = len(dut.m_axis_tdata) // c
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    x = stimulus(np.random.default_rng(tb.rng.getrandbits(32)), 300, c, iw)
    lasts = [tb.rng.getrandbits(1) for _ in range(len(x) - 1)] + [1]  # a source ends on tlast
    tb.send_beats((pack(row, iw), last) for row, last in zip(x, lasts, strict=True))
    beats = await tb.recv_beats(len(x))
    exp = golden(x)
    assert len(beats) == len(x)
    for n, ((data, last), row) in enumerate(zip(beats, exp, strict=True)):
        got = unpack(data, c, ow, signed=False)
        want = [int(v) & ((1 << ow) - 1) for v in row]
        if got != want:
            raise AssertionError(f"beat {n}: in {x[n].tolist()} got {got}, expected {want}")
        if last != lasts[n]:
            raise ProtocolError(f"beat {n}: m_last={last}, s_last was {lasts[n]}")
    if not idle and not backpressure:
        # PE = C: one beat per clock; folded: one beat per C/PE + 2 clocks
        groups = c // int(dut.PE.value)
        per_beat = 1 if groups == 1 else groups + 2
        span = tb.in_mon.span()
        assert span == per_beat * (len(tb.in_mon.cycles) - 1), \
            f"not one beat per {per_beat} clocks: span {span} for {len(tb.in_mon.cycles)} beats"
