"""pytest entry points: build ``fcnn_cnn_argmax`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_argmax.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_argmax``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_argmax"
SOURCES = rtl_sources("fcnn_cnn_argmax")
SEED = tb_seed()

PARAM_SETS = [
    {"N": 10, "SW": 16},
    {"N": 7, "SW": 3},
    {"N": 1, "SW": 8},
    {"N": 9, "SW": 4, "SIGNED": 0},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS, ids=runner.param_key)
def test_fcnn_cnn_argmax(params: dict[str, int]) -> None:
    """Random, extreme and tied scores under the idle x backpressure matrix."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_argmax",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
