"""pytest entry: ``fcnn_cnn_window`` per parameter set (valid/same padding, K 1..5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
SEED = tb_seed()

PARAMS = [
    {"C": 1, "BW": 8, "W": 8, "H": 8, "K": 3, "PAD": 0},
    {"C": 2, "BW": 4, "W": 6, "H": 5, "K": 3, "PAD": 1},
    {"C": 3, "BW": 4, "W": 7, "H": 6, "K": 5, "PAD": 2},
    {"C": 2, "BW": 3, "W": 4, "H": 3, "K": 1, "PAD": 0},
    {"C": 1, "BW": 4, "W": 5, "H": 4, "K": 2, "PAD": 0},
]


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: "_".join(f"{k}{v}" for k, v in p.items()))
def test_fcnn_cnn_window(params: dict[str, int]) -> None:
    runner.run(
        toplevel="fcnn_cnn_window",
        sources=rtl_sources("fcnn_cnn_window"),
        parameters=params,
        test_module="tb_fcnn_cnn_window",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
