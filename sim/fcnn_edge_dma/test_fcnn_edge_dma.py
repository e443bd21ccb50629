"""pytest entry: ``fcnn_edge_dma`` (edge core framed for AXI DMA) per PPC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
SEED = tb_seed()
SOURCES = rtl_sources("fcnn_edge_dma")


@pytest.mark.sim
@pytest.mark.parametrize("ppc", [1, 4])
def test_fcnn_edge_dma(ppc: int) -> None:
    params = {"PPC": ppc, "MAX_WIDTH": 32, "MAX_HEIGHT": 16}
    runner.run(
        toplevel="fcnn_edge_dma",
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_edge_dma",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
