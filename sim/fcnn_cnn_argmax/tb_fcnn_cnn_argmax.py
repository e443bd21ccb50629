"""cocotb testbench for ``fcnn_cnn_argmax`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_argmax.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: N, SW, SIGNED, seed).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
N = int(PARAMS.get("N", 10))
SW = int(PARAMS.get("SW", 16))
SIGNED = int(PARAMS.get("SIGNED", 1))
SEED = int(PARAMS.get("seed", 1))
LO, HI = (-(1 << (SW - 1)), (1 << (SW - 1)) - 1) if SIGNED else (0, (1 << SW) - 1)


def score_sets(tb: AxisTB, count: int) -> np.ndarray:
    """Score vectors: all equal (min, max, 0), ties at the top, few levels, random."""
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    out = [np.full(N, LO), np.full(N, HI), np.zeros(N, dtype=np.int64)]
    for k in range(N):                       # the maximum alone at each position, then tied
        v = np.full(N, LO)
        v[k] = HI
        out.append(v)
        v = rng.integers(LO, HI + 1, size=N)
        v[k:] = np.maximum(v[k:], v.max())
        out.append(v)
    while len(out) < count:
        levels = rng.integers(LO, HI + 1, size=3)
        out.append(rng.choice(levels, size=N) if rng.random() < 0.5
                   else rng.integers(LO, HI + 1, size=N))
    return np.array(out, dtype=np.int64)


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def scores_matrix(dut, idle: bool, backpressure: bool) -> None:
    """Label = numpy.argmax (lowest index on ties), scores passed on: bit-exact."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    s = score_sets(tb, max(200, 2 * N + 3))
    lasts = [tb.rng.getrandbits(1) for _ in range(len(s) - 1)] + [1]  # s_axis_tlast is ignored
    tb.send_beats((pack(v, SW), last) for v, last in zip(s, lasts, strict=True))
    beats = await tb.recv_beats(len(s))
    assert len(beats) == len(s)
    for n, ((data, last), v) in enumerate(zip(beats, s, strict=True)):
        label = data & 0xFF
        scores = unpack(data >> 8, N, SW, signed=bool(SIGNED))
        if label != int(np.argmax(v)) or scores != v.tolist():
            raise AssertionError(f"beat {n}: scores {v.tolist()}: got label {label} "
                                 f"scores {scores}, expected label {int(np.argmax(v))}")
        if last != 1:
            raise ProtocolError(f"beat {n}: m_last=0")
    if not idle and not backpressure:
        span = tb.in_mon.span()
        assert span == len(tb.in_mon.cycles) - 1, f"not one beat per clock: span {span}"
