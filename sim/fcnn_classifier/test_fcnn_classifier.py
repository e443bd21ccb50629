"""pytest entry: generated classifier cores, bit-exact against QKeras and hls4ml C-sim.

For each model (the shipped ``digits`` model on its whole test split, and the
handmade examples of :mod:`fpgacnn.hw.convert.examples` on random inputs on
the input grid) this module: converts it with hls4ml and compiles the C-sim,
computes QKeras's and the C-sim's score codes (and requires them equal),
generates the RTL, builds it once, and runs ``tb_fcnn_classifier`` (every
image under {idle} x {backpressure}, throughput, reset mid-image).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

HERE = Path(__file__).resolve().parent
SEED = tb_seed()
N_RANDOM = 120


def _sync_tree(src: Path, dst: Path) -> None:
    """Make ``dst`` equal to ``src``, rewriting only files whose contents changed."""
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    if dst.exists():
        for p in [p for p in dst.rglob("*") if p.is_file()]:
            if p.relative_to(dst) not in wanted:
                p.unlink()
    for rel in wanted:
        s, d = src / rel, dst / rel
        if not d.exists() or d.read_bytes() != s.read_bytes():
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)


def _source(name: str):
    """(model source, x floats on the input grid) for a zoo name or an example model."""
    from fpgacnn.hw.convert.convert import from_model
    from fpgacnn.hw.convert.examples import EXAMPLES
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.convert.sources import load_source, random_on_grid

    if name in EXAMPLES:
        model = EXAMPLES[name]()
        t_in = plan_model(model)[0].result
        x = random_on_grid(t_in, tuple(model.input_shape[1:]), N_RANDOM, seed=SEED % 1000)
        return from_model(model, calibration=x, test_x=x), x
    src = load_source(name)
    return src, src.test_x


def _prepare(name: str, work: Path) -> tuple[Path, dict]:
    """Expected codes from QKeras and C-sim, and the generated RTL; returns (rtl dir, layout)."""
    from fpgacnn.hw.convert.convert import convert
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.convert.predict import predict
    from fpgacnn.hw.rtlgen import generate_rtl

    src, x = _source(name)
    conv = convert(src, work / "hls")
    y_keras = predict(work / "hls", x, "reference")
    y_csim = predict(work / "hls", x, "csim")
    gen = generate_rtl(src.model, work / "rtl", name=name)
    out = gen.info["output"]
    scale = 2.0 ** out["score_fraction"]
    k_codes = np.round(y_keras.reshape(len(x), -1) * scale).astype(np.int64)
    c_codes = np.round(y_csim.reshape(len(x), -1) * scale).astype(np.int64)
    mismatch = int(np.sum(np.any(k_codes != c_codes, axis=1)))
    assert mismatch == 0, f"{name}: QKeras and C-sim differ on {mismatch} images"
    assert conv.bit_exact is not None and conv.bit_exact.mismatches == 0
    t_in = plan_model(src.model)[0].result
    x_codes = np.round(np.asarray(x) / t_in.lsb).astype(np.int64)
    data = work / "expected.npz"
    np.savez(data, x=x_codes, scores=k_codes, labels=np.argmax(k_codes, axis=1))
    # Keep the build's sources stable between sessions (no spurious rebuilds).
    rtl_dir = runner.BUILD_ROOT / "rtlgen" / name
    _sync_tree(work / "rtl", rtl_dir)
    layout = {
        "data": str(data), "element_bits": gen.input_element_bits, "score_bits": gen.score_bits,
        "in_bytes": gen.input_bits // 8, "out_bytes": gen.output_bits // 8,
        "ii": gen.initiation_interval, "seed": SEED,
    }
    return rtl_dir, layout


def _mem_parameters(rtl_dir: Path) -> dict[str, str]:
    """``MEM_DIR`` of the core's weight memories (their folder in the synced build tree)."""
    from fpgacnn.sim.classifier_harness import mem_dir_parameter, rtl_mem_files

    return {"MEM_DIR": mem_dir_parameter(rtl_dir / "mem")} if rtl_mem_files(rtl_dir) else {}


def _files(rtl_dir: Path) -> list[Path]:
    lines = (rtl_dir / "filelist.f").read_text().splitlines()
    return [rtl_dir / ln for ln in lines if ln and not ln.startswith("//")]


@pytest.mark.sim
@pytest.mark.parametrize("name", ["digits", "conv_valid_dense", "conv_same_two_layers",
                                  "dense_only"])
def test_fcnn_classifier(name: str, tmp_path: Path) -> None:
    rtl_dir, layout = _prepare(name, tmp_path)
    runner.run(
        toplevel="fcnn_classifier",
        sources=_files(rtl_dir),
        parameters=_mem_parameters(rtl_dir),
        test_module="tb_fcnn_classifier",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps(layout)},
        seed=SEED,
        tag=name,
    )


def _folded_helpers():
    """The zoo models with random seeded weights and the real images of
    ``tests/hw/test_rtlgen_folded.py`` (one place for both)."""
    import importlib.util

    path = HERE.parents[1] / "tests" / "hw" / "test_rtlgen_folded.py"
    spec = importlib.util.spec_from_file_location("_rtlgen_folded", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.sim
def test_fcnn_classifier_folded_zoo(tmp_path: Path) -> None:
    """mnist with random seeded weights (conv2 and the dense layers folded, weights in
    memory files read through MEM_DIR) on photo crops: every image bit-exact with QKeras
    under the matrix, throughput at rtl.json's initiation interval, reset mid-image."""
    from fpgacnn.hw.rtlgen import generate_rtl

    h = _folded_helpers()
    model = h.zoo_model("mnist")
    gen = generate_rtl(model, tmp_path / "rtl", name="mnist_folded")
    assert gen.info["mem_files"]
    x, scores = h.expected(model, h.photo_crops(8, (28, 28, 1), seed=5), gen.info)
    data = tmp_path / "expected.npz"
    np.savez(data, x=x, scores=scores, labels=np.argmax(scores, axis=1))
    rtl_dir = runner.BUILD_ROOT / "rtlgen" / "mnist_folded"
    _sync_tree(tmp_path / "rtl", rtl_dir)
    layout = {
        "data": str(data), "element_bits": gen.input_element_bits, "score_bits": gen.score_bits,
        "in_bytes": gen.input_bits // 8, "out_bytes": gen.output_bits // 8,
        "ii": gen.initiation_interval, "seed": SEED,
    }
    runner.run(
        toplevel="fcnn_classifier",
        sources=_files(rtl_dir),
        parameters=_mem_parameters(rtl_dir),
        test_module="tb_fcnn_classifier",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps(layout)},
        seed=SEED,
        tag="mnist_folded",
    )
