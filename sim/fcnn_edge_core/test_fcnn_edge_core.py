"""pytest entry points: build ``fcnn_edge_core`` per HDL parameter set and run its cocotb tests.

The cocotb tests themselves are in ``tb_fcnn_edge_core.py``. Each parameter set
is compiled once (``sim/build/fcnn_edge_core/<params>``) and reused.
Replay a failure with the logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_edge_core``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_edge_core"
SOURCES = rtl_sources("fcnn_edge_core")
SEED = tb_seed()


def _run(params: dict[str, int], test_filter: str | None = None) -> None:
    env = {"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})}
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_edge_core",
        test_dir=HERE,
        extra_env=env,
        test_filter=test_filter,
        seed=SEED,
    )


@pytest.mark.sim
@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
def test_fcnn_edge_core(ppc: int) -> None:
    """All stimulus (frames matrix, faults, resets, registers) at a small maximum size."""
    _run({"PPC": ppc, "MAX_WIDTH": 64, "MAX_HEIGHT": 48}, test_filter=r"^(?!.*full_frame)")


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
def test_fcnn_edge_core_640x480(ppc: int) -> None:
    """Whole 640x480 real photos through the cocotb testbench (slow: minutes per PPC)."""
    _run({"PPC": ppc, "MAX_WIDTH": 640, "MAX_HEIGHT": 480}, test_filter=r"full_frame")
