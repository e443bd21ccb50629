"""pytest entry points: build ``fcnn_cnn_gather`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_gather.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_gather``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_gather"
SOURCES = rtl_sources("fcnn_cnn_gather")
SEED = tb_seed()

PARAM_SETS = [
    {"DW": 32, "BEATS": 36},   # a 6x6x4 map of 8-bit elements (hls4ml's test_qconv2dbn)
    {"DW": 5, "BEATS": 3},
    {"DW": 8, "BEATS": 1},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_cnn_gather(params: dict[str, int]) -> None:
    """Groups of extreme and random beats under the idle x backpressure matrix."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_gather",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
