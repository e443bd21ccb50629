"""Session-wide fixtures of the sw tests: one simulation package (hls4ml C-sim compiled
once), and the board build trees the emulated board runs (fpgacnn.sim.board_emu).

Board trees are generated exactly as ``fpgacnn build --core-flow rtl --edge-ppc 4
--edge-max-width 640 --edge-max-height 480`` writes them (no Vivado), from a model
conversion: the sim package's ``digits`` conversion, or ``rgb``, a small 3-channel
QKeras model made here (8x8x3 unsigned 8-bit input, a 3x3 conv, ReLU, max-pool, a
dense layer; random seeded weights over each quantizer's range, like
``fpgacnn.hw.convert.examples``) converted with ``fpgacnn.hw.convert.convert``. The
Verilated cores behind the emulated DMAs are built once (the harness caches).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

#: The edge core of every emulated board tree (the sim package's, so one harness build).
EDGE_OPTIONS = {"edge_ppc": 4, "edge_max_width": 640, "edge_max_height": 480}
#: The frame path of a tree unless a test asks for another: the host-side design (gray
#: edge DMA, host crop; the build's explicit options), whose DMA channels the fault tests
#: drive; the build's default, the whole frame path in the PL, is test_sw_pynq_fabric.py's.
HOST_DESIGN = {"edge_input": "gray", "classifier_input": "host"}
#: A Zynq-7000 board and a Zynq UltraScale+ board.
BOARDS = ("pynq-z2", "kv260")


@pytest.fixture(scope="session")
def sim_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulation package of the shipped digits model (PPC 4, 640x480, with csim/)."""
    from fpgacnn.apps.sim_package import build_sim_package

    out = tmp_path_factory.mktemp("pkg") / "digits_sim"
    build_sim_package(out)
    return out


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's load_digits: (1797, 8, 8) codes 0..255 and labels."""
    from fpgacnn.apps.stream_demo import digit_codes

    return digit_codes()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """scikit-image's camera photo, 512x512 gray."""
    import skimage.data

    return skimage.data.camera()


def _rgb_model_dir(root: Path) -> Path:
    """A saved 8x8x3 QKeras model with its card (``model.h5`` + ``model.json``)."""
    from fpgacnn.models._keras import keras, qkeras
    from fpgacnn.spec.preprocess import ColorMode, InputSpec

    qb, qr = qkeras.quantized_bits, qkeras.quantized_relu
    inp = keras.Input((8, 8, 3), name="x")
    x = qkeras.QActivation(qb(8, 0, keep_negative=False, alpha=1), name="q_in")(inp)
    x = qkeras.QConv2D(4, 3, padding="valid", kernel_quantizer=qb(4, 0, alpha=1),
                       bias_quantizer=qb(6, 2, alpha=1), name="conv")(x)
    x = qkeras.QActivation(qr(4, 2), name="relu")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(5, kernel_quantizer=qb(6, 1, alpha=1), bias_quantizer=qb(6, 2, alpha=1),
                      name="fc")(x)
    model = keras.Model(inp, x, name="rgb")
    rng = np.random.default_rng(12)
    model.set_weights([rng.uniform(-1.5, 1.5, w.shape) for w in model.get_weights()])
    root.mkdir(parents=True)
    model.save(root / "model.h5", save_format="h5", include_optimizer=False)
    spec = InputSpec(height=8, width=8, color=ColorMode.RGB)
    card = {"format": 1, "name": "rgb", "input": spec.to_dict(),
            "classes": [str(k) for k in range(5)]}
    (root / "model.json").write_text(json.dumps(card, indent=1))
    return root


@pytest.fixture(scope="session")
def conversions(sim_package: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[str, Path]:
    """Model conversions with their RTL cores: ``digits`` (the sim package's) and ``rgb``."""
    from fpgacnn.hw.convert.convert import convert
    from fpgacnn.hw.convert.rtl import add_rtl

    root = tmp_path_factory.mktemp("conv")
    saved = _rgb_model_dir(root / "rgb_model")
    result = convert(saved / "model.h5", root / "rgb", verify_samples=100)
    rtl = add_rtl(result.out_dir, result.model, name="rgb")
    assert "error" not in rtl, rtl
    return {"digits": sim_package / "csim", "rgb": root / "rgb"}


@pytest.fixture(scope="session")
def board_tree(conversions: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
               ) -> Callable[..., Path]:
    """``board_tree(board, model="digits", **build_options) -> tree`` (generated once each;
    RTL flow unless ``core_flow`` says otherwise)."""
    from fpgacnn.boards.build import generate
    from fpgacnn.boards.config import BuildConfig, ClassifierInput, CoreFlow, EdgeInput

    made: dict[tuple, Path] = {}

    def make(board: str, model: str = "digits", **options: object) -> Path:
        key = (board, model, tuple(sorted(options.items())))
        if key not in made:
            opts = {**EDGE_OPTIONS, "core_flow": CoreFlow.RTL,
                    "edge_input": EdgeInput(HOST_DESIGN["edge_input"]),
                    "classifier_input": ClassifierInput(HOST_DESIGN["classifier_input"]),
                    **options}
            out = tmp_path_factory.mktemp("tree") / f"{board}_{model}"
            generate(BuildConfig(board=board, model=model, model_dir=conversions[model],
                                 out_dir=out, **opts))  # type: ignore[arg-type]
            made[key] = out
        return made[key]
    return make
