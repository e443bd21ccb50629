"""pytest entry points: build ``fcnn_cnn_requant`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_requant.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_requant``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_requant"
SOURCES = rtl_sources("fcnn_cnn_requant")
SEED = tb_seed()

PARAM_SETS = [
    {"C": 4, "IW": 12, "OW": 4, "O_SIGNED": 0, "SHIFT": 4},
    {"C": 3, "IW": 20, "OW": 8, "O_SIGNED": 1, "SHIFT": 0},
    {"C": 2, "IW": 16, "OW": 8, "O_SIGNED": 0, "SHIFT": -2},
    {"C": 2, "IW": 14, "OW": 8, "O_SIGNED": 1, "SHIFT": 9},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_cnn_requant(params: dict[str, int]) -> None:
    """Random, extreme and tie elements under the idle x backpressure matrix."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_requant",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
