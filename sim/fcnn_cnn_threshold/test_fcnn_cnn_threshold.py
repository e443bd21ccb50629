"""pytest entry points: build ``fcnn_cnn_threshold`` per HDL parameter set, run its cocotb tests.

The cocotb tests are in ``tb_fcnn_cnn_threshold.py``. Each set's thresholds (strictly
increasing) and levels (any codes) are drawn from its own seed and passed both as HDL
parameters and to the testbench's golden model. One set runs in the default suite, the
other four are ``slow``. Replay a failure with the logged
seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_threshold``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed, verilog_literal

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_threshold"
SOURCES = rtl_sources("fcnn_cnn_threshold")
SEED = tb_seed()

#: (C, IW, I_SIGNED, OW, N, PE, table seed)
PARAM_SETS = [
    pytest.param((4, 12, 1, 2, 1, 4, 1), marks=pytest.mark.slow),  # binary_tanh-like
    (6, 20, 1, 11, 10, 2, 2),  # quantized_relu_po2(4,4)-like on an accumulator, folded
    pytest.param((2, 8, 0, 16, 15, 2, 3),  # an unsigned input (po2 input quantizer), one
                 marks=pytest.mark.slow),  # beat per clock
    pytest.param((1, 6, 1, 5, 63, 1, 4), marks=pytest.mark.slow),  # the most: 63 of 64 codes
    pytest.param((8, 10, 1, 3, 5, 1, 5), marks=pytest.mark.slow),  # folded to one element
]


def table(iw: int, signed: int, ow: int, n: int, seed: int) -> tuple[list[int], list[int]]:
    """``n`` strictly increasing threshold codes on the input and ``n + 1`` level codes."""
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (iw - 1)), (1 << (iw - 1)) - 1) if signed else (0, (1 << iw) - 1)
    thr = np.sort(rng.choice(np.arange(lo + 1, hi + 1), size=n, replace=False))
    levels = rng.integers(0, 1 << ow, size=n + 1)
    return [int(t) for t in thr], [int(v) for v in levels]


@pytest.mark.sim
@pytest.mark.parametrize("spec", PARAM_SETS,
                         ids=lambda s: "C{}_IW{}_S{}_OW{}_N{}_PE{}".format(*s))
def test_fcnn_cnn_threshold(spec: tuple[int, ...]) -> None:
    """Thresholds, their neighbours, extremes and random codes under the idle x backpressure
    matrix, at the block's rate (one beat per clock, or per C/PE + 2 clocks folded)."""
    c, iw, signed, ow, n, pe, tseed = spec
    thr, levels = table(iw, signed, ow, n, tseed)
    params = {"C": c, "IW": iw, "I_SIGNED": signed, "OW": ow, "N": n, "PE": pe,
              "THRESHOLDS": verilog_literal(thr, iw), "LEVELS": verilog_literal(levels, ow)}
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=params,
        test_module="tb_fcnn_cnn_threshold",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({"I_SIGNED": signed, "thresholds": thr,
                                                 "levels": levels, "seed": SEED})},
        seed=SEED,
    )
