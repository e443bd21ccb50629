"""cocotb testbench for ``fcnn_cnn_gather`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_gather.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: DW, BEATS, seed).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.sim.tb import AxisTB, ProtocolError, pack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
DW = int(PARAMS.get("DW", 8))
BEATS = int(PARAMS.get("BEATS", 4))
SEED = int(PARAMS.get("seed", 1))


def gather(beats: list[int]) -> list[int]:
    """The golden model: beat b of each group of BEATS at bits [b*DW, (b+1)*DW)."""
    return [pack(beats[g:g + BEATS], DW) for g in range(0, len(beats), BEATS)]


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def groups(dut, idle: bool, backpressure: bool) -> None:
    """Groups of BEATS beats (extremes and random) become one beat each, bit-exact."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    top = (1 << DW) - 1
    n_groups = max(8, 120 // BEATS)
    beats = [0] * BEATS + [top] * BEATS  # all zeros, all ones
    while len(beats) < n_groups * BEATS:
        beats.append(int(rng.integers(0, top, endpoint=True)))
    # s_axis_tlast is not read for framing: mark random beats, always the very last
    lasts = [tb.rng.getrandbits(1) for _ in range(len(beats) - 1)] + [1]
    tb.send_beats(zip(beats, lasts, strict=True))
    got = await tb.recv_beats(n_groups)
    want = gather(beats)
    for g, ((data, last), exp) in enumerate(zip(got, want, strict=True)):
        if data != exp:
            raise AssertionError(f"group {g}: got {data:#x}, expected {exp:#x}")
        if last != lasts[g * BEATS + BEATS - 1]:  # the tlast of the group's last beat
            raise ProtocolError(f"group {g}: m_axis_tlast={last}, its last beat's tlast was "
                                f"{lasts[g * BEATS + BEATS - 1]}")
    if not idle and not backpressure:
        span = tb.in_mon.span()
        assert span == len(tb.in_mon.cycles) - 1, f"not one beat per clock: span {span}"
