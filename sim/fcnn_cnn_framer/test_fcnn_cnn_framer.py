"""pytest entry points: build ``fcnn_cnn_framer`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_framer.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_framer``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_framer"
SOURCES = rtl_sources("fcnn_cnn_framer")
SEED = tb_seed()

PARAM_SETS = [
    {"DW": 8, "PIXELS": 12},
    {"DW": 24, "PIXELS": 5},
    {"DW": 1, "PIXELS": 1},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_cnn_framer(params: dict[str, int]) -> None:
    """Random framing faults under the idle x backpressure matrix, against the policy model."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_framer",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
