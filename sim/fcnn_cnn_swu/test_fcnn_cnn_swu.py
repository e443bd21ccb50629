"""pytest entry: ``fcnn_cnn_swu`` per parameter set (channels, SIMD, kernel, padding, stride,
image size, memory style); the cocotb tests are in ``tb_fcnn_cnn_swu.py``. Replay a failure
with the logged seed: ``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_swu``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
SEED = tb_seed()


def _p(c: int, simd: int, k: int, pad: int, stride: int, h: int, w: int, bw: int = 2,
       **extra: object) -> dict[str, object]:
    return {"C": c, "BW": bw, "W": w, "H": h, "K": k, "PAD": pad, "STRIDE": stride,
            "SIMD": simd, **extra}


PARAMS = [
    _p(4, 2, 3, 0, 1, 6, 7),                        # valid 3x3, two beats per pixel
    _p(3, 3, 3, 1, 1, 5, 6, bw=4),                  # 'same', SIMD = C (small first layer)
    _p(4, 1, 3, 1, 2, 8, 8, OH=4, OW=4),            # Keras 'same' stride 2: pad top/left 0..
    _p(2, 2, 5, 2, 2, 7, 9, bw=3, RAM_STYLE="distributed"),
    _p(8, 4, 1, 0, 1, 3, 4),                        # 1x1
    _p(2, 1, 3, 0, 3, 9, 10),                       # stride = K, one unread row per window
    _p(16, 8, 2, 0, 1, 2, 2, bw=1),                 # tiny image: the writer runs images ahead
    _p(4, 4, 1, 0, 2, 6, 6),                        # input-bound: one pixel per clock
]
PARAMS[2]["PAD"] = 0                                # TF 'same', even H, stride 2: pad 0 top


def _id(p: dict[str, object]) -> str:
    return "_".join(f"{k}{v}" for k, v in p.items())


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAMS, ids=_id)
def test_fcnn_cnn_swu(params: dict[str, object]) -> None:
    hdl = {k: (f'"{v}"' if isinstance(v, str) else v) for k, v in params.items()}
    runner.run(
        toplevel="fcnn_cnn_swu",
        sources=rtl_sources("fcnn_cnn_swu"),
        parameters=hdl,
        test_module="tb_fcnn_cnn_swu",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**params, "seed": SEED})},
        seed=SEED,
    )
