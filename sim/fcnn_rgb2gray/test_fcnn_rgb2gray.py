"""pytest entry points: build ``fcnn_rgb2gray`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_rgb2gray.py``. Replay a failure with the logged
seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_rgb2gray``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_rgb2gray"
SOURCES = rtl_sources(TOPLEVEL)
SEED = tb_seed()


def _run(params: dict[str, int], extra: dict[str, int] | None = None) -> None:
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_rgb2gray",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, **(extra or {}), "seed": SEED})},
        seed=SEED,
    )


@pytest.mark.sim
@pytest.mark.parametrize("params", [{"PPC": 1, "BGR": 1}, {"PPC": 4, "BGR": 0}],
                         ids=runner.param_key)
def test_fcnn_rgb2gray(params: dict[str, int]) -> None:
    """Corner and random colours, real photos, pass-through framing; idle x backpressure."""
    _run(params)


@pytest.mark.sim
@pytest.mark.slow
def test_fcnn_rgb2gray_many_colours() -> None:
    """The same tests with 2**18 random colours per matrix cell (slow: minutes)."""
    _run({"PPC": 8, "BGR": 1}, {"COLOURS": 1 << 18})
