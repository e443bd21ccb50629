"""pytest entry points: build ``fcnn_crop_scale`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_crop_scale.py``. Each parameter set is compiled once
(``sim/build/fcnn_crop_scale/<params>``). Replay a failure with the logged seed:
``FCNN_TB_SEED=<n> pytest sim/fcnn_crop_scale``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_crop_scale"
SOURCES = rtl_sources(TOPLEVEL)
SEED = tb_seed()

PARAM_SETS = [
    # colour frames -> the 8x8 gray input of `digits` (BT.601 gray fused with the resize)
    {"IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8, "OUT_HEIGHT": 8,
     "MAX_WIDTH": 64, "MAX_HEIGHT": 48},
    # colour frames (RGB byte order) -> a 3-channel model input
    {"IN_CHANNELS": 3, "BGR": 0, "OUT_CHANNELS": 3, "OUT_WIDTH": 5, "OUT_HEIGHT": 3,
     "MAX_WIDTH": 64, "MAX_HEIGHT": 48},
    # gray frames -> a gray-to-RGB model input, the smallest output
    {"IN_CHANNELS": 1, "BGR": 1, "OUT_CHANNELS": 3, "OUT_WIDTH": 2, "OUT_HEIGHT": 1,
     "MAX_WIDTH": 40, "MAX_HEIGHT": 30},
    # colour -> gray at small maxima: the area's bits (9) are fewer than 1000's (the
    # denominator S * area once truncated 1000 to 488: every code came out about twice too big)
    {"IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8, "OUT_HEIGHT": 8,
     "MAX_WIDTH": 29, "MAX_HEIGHT": 12},
]
#: PPC pixels per beat, the edge core's rate (slow: one more Verilator build each; the
#: default suite runs PPC 1, 4 and 8 through sim/fcnn_crop_scale_dma).
SLOW_PARAM_SETS = [
    # colour -> the 8x8 gray of `digits`
    {"PPC": 4, "IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8, "OUT_HEIGHT": 8,
     "MAX_WIDTH": 64, "MAX_HEIGHT": 48},
    {"PPC": 2, "IN_CHANNELS": 1, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 5, "OUT_HEIGHT": 4,
     "MAX_WIDTH": 40, "MAX_HEIGHT": 24},
    # (maxima that fit the package rule's square box of at least PPC x OUT_WIDTH pixels)
    {"PPC": 8, "IN_CHANNELS": 3, "BGR": 0, "OUT_CHANNELS": 3, "OUT_WIDTH": 5, "OUT_HEIGHT": 3,
     "MAX_WIDTH": 96, "MAX_HEIGHT": 48},
    {"PPC": 8, "IN_CHANNELS": 1, "BGR": 1, "OUT_CHANNELS": 3, "OUT_WIDTH": 2, "OUT_HEIGHT": 1,
     "MAX_WIDTH": 40, "MAX_HEIGHT": 20},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS + [pytest.param(p, marks=pytest.mark.slow)
                                                 for p in SLOW_PARAM_SETS],
                         ids=runner.param_key)
def test_fcnn_crop_scale(params: dict[str, int]) -> None:
    """Real photos and rounding ties under the idle x backpressure matrix, the package's
    crop rule, faults and resynchronisation, registers."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_crop_scale",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
