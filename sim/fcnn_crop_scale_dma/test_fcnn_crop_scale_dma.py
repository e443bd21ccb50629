"""pytest entry points: build ``fcnn_crop_scale_dma`` per parameter set, run its cocotb
tests (``tb_fcnn_crop_scale_dma.py``). Replay with ``FCNN_TB_SEED=<n>``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_crop_scale_dma"
SEED = tb_seed()

PARAM_SETS = [
    # gray frames, 1 pixel per beat -> digits' 8x8 input
    {"PPC": 1, "IN_CHANNELS": 1, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8, "OUT_HEIGHT": 8,
     "MAX_WIDTH": 30, "MAX_HEIGHT": 20},
    # colour frames, 4 pixels per beat (widths not multiples of 4) -> a 3-channel input
    # (the crop box at least 4 x 5 = 20 pixels wide)
    {"PPC": 4, "IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 3, "OUT_WIDTH": 5, "OUT_HEIGHT": 3,
     "MAX_WIDTH": 31, "MAX_HEIGHT": 26},
    # colour frames, 8 pixels per beat -> gray (BT.601 fused with the resize); the box at
    # least 8 x 8 = 64 pixels wide
    {"PPC": 8, "IN_CHANNELS": 3, "BGR": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 8, "OUT_HEIGHT": 8,
     "MAX_WIDTH": 100, "MAX_HEIGHT": 76},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_crop_scale_dma(params: dict[str, int]) -> None:
    """DMA framing -> PPC pixels per beat video -> crop: bit-exact under the idle x
    backpressure matrix, the package's rule at one beat per clock, a short transfer and
    resync."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=rtl_sources(TOPLEVEL),
        parameters=params,
        test_module="tb_fcnn_crop_scale_dma",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
