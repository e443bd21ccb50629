"""pytest entry points: build ``fcnn_cnn_dense`` per HDL parameter set, run its cocotb tests.

The weights and biases are random (seeded) and reach the RTL as sized Verilog
hex literals through ``runner.run(parameters=...)`` (Verilator ``-G``); the
build folder key holds a hash of them. ACC_W is the narrowest exact width.
The cocotb tests are in ``tb_fcnn_cnn_dense.py``. Replay a failure with the
logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_dense``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed, verilog_literal

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_dense"
SOURCES = rtl_sources("fcnn_cnn_dense")
SEED = tb_seed()

SHAPES = {
    "144x10_g4": {"IN_LEN": 144, "C": 16, "N": 10, "XW": 4, "X_SIGNED": 0, "WW": 4,
                  "G": 4, "PROD_SHIFT": 0, "USE_DSP": 0},
    "12x5_signed": {"IN_LEN": 12, "C": 3, "N": 5, "XW": 6, "X_SIGNED": 1, "WW": 3,
                    "G": 1, "PROD_SHIFT": 2, "USE_DSP": 0},
    "8x3_dsp": {"IN_LEN": 8, "C": 4, "N": 3, "XW": 5, "X_SIGNED": 0, "WW": 5,
                "G": 4, "PROD_SHIFT": 1, "USE_DSP": 1},
}  # fmt: skip


def layer(shape: dict[str, int], seed: int) -> tuple[dict[str, object], dict[str, object]]:
    """Random weights (output 0 all minimum, output 1 all maximum) and biases; the HDL and
    testbench parameter dicts."""
    rng = random.Random(seed)
    in_len, n, ww, xw = shape["IN_LEN"], shape["N"], shape["WW"], shape["XW"]
    wmin, wmax = -(1 << (ww - 1)), (1 << (ww - 1)) - 1
    w = [[rng.randint(wmin, wmax) for _ in range(n)] for _ in range(in_len)]
    for row in w:
        row[0] = wmin
        if n > 1:
            row[1] = wmax
    xmag = (1 << (xw - 1)) if shape["X_SIGNED"] else (1 << xw) - 1
    bmag = 50 << shape["PROD_SHIFT"]
    b = [rng.randint(-bmag, bmag) for _ in range(n)]
    bound = bmag + (in_len * xmag * max(-wmin, wmax) << shape["PROD_SHIFT"])
    acc_w = bound.bit_length() + 1
    flat_w = [v for row in w for v in row]
    hdl = {**shape, "ACC_W": acc_w, "WEIGHTS": verilog_literal(flat_w, ww),
           "BIAS": verilog_literal(b, acc_w)}
    tb = {**shape, "ACC_W": acc_w, "w": flat_w, "b": b, "seed": seed}
    return hdl, tb


@pytest.mark.sim
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fcnn_cnn_dense(name: str) -> None:
    """Extreme and random vectors under the idle x backpressure matrix; results wait for m_ready."""
    hdl, tb = layer(SHAPES[name], SEED)
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=hdl,
        test_module="tb_fcnn_cnn_dense",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps(tb)},
        seed=SEED,
    )
