"""pytest entry points: build ``fcnn_cnn_maxpool`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_maxpool.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_maxpool``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_maxpool"
SOURCES = rtl_sources("fcnn_cnn_maxpool")
SEED = tb_seed()

PARAM_SETS = [
    {"C": 16, "BW": 4, "SIGNED": 0, "W": 6, "H": 6, "P": 2},
    {"C": 3, "BW": 8, "SIGNED": 1, "W": 7, "H": 5, "P": 2},
    {"C": 2, "BW": 4, "SIGNED": 0, "W": 8, "H": 8, "P": 4},
    {"C": 2, "BW": 3, "SIGNED": 1, "W": 3, "H": 2, "P": 1},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_cnn_maxpool(params: dict[str, int]) -> None:
    """Random/extreme images under the idle x backpressure matrix, and a mid-image reset."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_maxpool",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
