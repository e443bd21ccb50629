"""pytest entry: ``fcnn_build_id`` (the build-id register block) for two ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed
from fpgacnn.spec.build_id import BUILD_ID_TOP, id_params

HERE = Path(__file__).resolve().parent
SEED = tb_seed()
SOURCES = rtl_sources(BUILD_ID_TOP)


@pytest.mark.sim
@pytest.mark.parametrize("hw_id", ["0123456789abcdef", "fedcba9876543210"])
def test_fcnn_build_id(hw_id: str) -> None:
    params = id_params(hw_id)
    runner.run(
        toplevel=BUILD_ID_TOP,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_build_id",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
