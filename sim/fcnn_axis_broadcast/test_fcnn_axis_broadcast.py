"""pytest entry points: build ``fcnn_axis_broadcast`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_axis_broadcast.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_axis_broadcast``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_axis_broadcast"
SOURCES = rtl_sources(TOPLEVEL)
SEED = tb_seed()


@pytest.mark.sim
@pytest.mark.parametrize("params", [{"DATA_W": 32}], ids=runner.param_key)
def test_fcnn_axis_broadcast(params: dict[str, int]) -> None:
    """Both outputs carry the input, beat for beat, under idle and independent backpressure."""
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_axis_broadcast",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
