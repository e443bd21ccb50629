"""cocotb testbench for ``fcnn_cnn_requant`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_requant.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: C, IW, OW, O_SIGNED, SHIFT, seed).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.hw.convert.fixed import requantize_codes
from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
C = int(PARAMS.get("C", 1))
IW = int(PARAMS.get("IW", 16))
OW = int(PARAMS.get("OW", 8))
O_SIGNED = int(PARAMS.get("O_SIGNED", 0))
SHIFT = int(PARAMS.get("SHIFT", 0))
SEED = int(PARAMS.get("seed", 1))
XMIN, XMAX = -(1 << (IW - 1)), (1 << (IW - 1)) - 1


def requant(x: np.ndarray) -> np.ndarray:
    """saturate(round_half_to_even(x / 2^SHIFT)) into OW bits, integer arithmetic only."""
    return requantize_codes(x, SHIFT, OW, bool(O_SIGNED))


def stimulus(tb: AxisTB, count: int) -> np.ndarray:
    """``count`` beats of C elements: extremes, exact .5 ties, values around the bounds, random."""
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    special = [0, 1, -1, XMIN, XMAX, XMIN + 1, XMAX - 1]
    if SHIFT > 0:
        half = 1 << (SHIFT - 1)
        ties = [(k << SHIFT) + half for k in range(-4, 4)] + [(k << SHIFT) + d for k in (-3, 2)
                                                                for d in (half - 1, half + 1)]
        special += ties
    lim = (1 << OW) << max(SHIFT, 0) if SHIFT >= 0 else (1 << OW) >> -SHIFT
    special += [s * lim + d for s in (-1, 1) for d in (-2, -1, 0, 1, 2)]
    special = [v for v in special if XMIN <= v <= XMAX]
    vals = rng.integers(XMIN, XMAX + 1, size=count * C)
    near = rng.integers(-2 * lim - 4, 2 * lim + 4, size=count * C).clip(XMIN, XMAX)
    pick = rng.random(count * C)
    vals = np.where(pick < 0.4, near, vals)
    vals[: len(special)] = special
    vals = np.where(pick > 0.85, rng.choice(special, size=count * C), vals)
    return vals.reshape(count, C)


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def elements(dut, idle: bool, backpressure: bool) -> None:
    """Many beats (m_last pass-through) under the idle/backpressure matrix: bit-exact."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    x = stimulus(tb, 300)
    lasts = [tb.rng.getrandbits(1) for _ in range(len(x) - 1)] + [1]  # a source ends on tlast
    tb.send_beats((pack(row, IW), last) for row, last in zip(x, lasts, strict=True))
    beats = await tb.recv_beats(len(x))
    exp = requant(x)
    assert len(beats) == len(x)
    for n, ((data, last), row) in enumerate(zip(beats, exp, strict=True)):
        got = unpack(data, C, OW, signed=bool(O_SIGNED))
        if got != row.tolist():
            raise AssertionError(f"beat {n}: in {x[n].tolist()} got {got}, expected {row.tolist()}")
        if last != lasts[n]:
            raise ProtocolError(f"beat {n}: m_last={last}, s_last was {lasts[n]}")
    if not idle and not backpressure:
        span = tb.in_mon.span()
        assert span == len(tb.in_mon.cycles) - 1, f"not one beat per clock: span {span}"
