"""Folded classifier cores: weight memories, the folding record, every zoo model and CNV bit-exact.

The expected scores are QKeras's (score codes = QKeras output * 2**score_fraction, as in
``sim/fcnn_classifier``); the inputs are real images on the input grid: the digits and
faces data sets, and crops of scikit-image's photographs (28x28 gray, 32x32 RGB) for the
models whose data sets are not offline. Weights are random (seeded) on each quantizer's
grid, sparse enough that activations neither all saturate nor all vanish; biases too.
The cycles per image measured with images back to back must equal the
``initiation_interval`` of ``rtl.json`` (the folding contract's formula).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.rtlgen import generate_rtl
from fpgacnn.hw.rtlgen.folding import (
    check_folding,
    default_folding,
    initiation_interval,
    layer_cycles,
    mac_stages,
)
from fpgacnn.hw.rtlgen.stages import build_stages
from fpgacnn.hw.rtlgen.weights import (
    read_mem,
    unfold_weights,
    weight_fields,
    weight_words,
    write_mem,
)
from fpgacnn.models._keras import keras, qkeras
from fpgacnn.spec.folding import Folding, FoldingError, Impl, LayerFolding

MATRIX = [(0.0, 0.0, 1), (0.3, 0.0, 2), (0.0, 0.3, 3), (0.3, 0.3, 4)]


# --- the weight memory layout (the MVU contract) ----------------------------------------


@pytest.mark.parametrize(("in_len", "n", "pe", "simd", "ww"),
                         [(6, 4, 2, 3, 4), (12, 6, 3, 4, 2), (8, 5, 5, 1, 3), (9, 1, 1, 9, 8)])
def test_weight_words_follow_the_contract(tmp_path: Path, in_len: int, n: int, pe: int,
                                          simd: int, ww: int) -> None:
    """Word a = nf*(IN_LEN/SIMD) + sf holds w[sf*SIMD + s][nf*PE + p] at [(p*SIMD + s)*WW
    +: WW] -- checked field by field against the contract's loops, and through a file."""
    rng = np.random.default_rng(in_len * n)
    w = rng.integers(-(1 << (ww - 1)), 1 << (ww - 1), size=(in_len, n))
    words = weight_words(w, pe, simd, ww)
    sf_n = in_len // simd
    assert len(words) == (n // pe) * sf_n
    mask = (1 << ww) - 1
    for nf in range(n // pe):
        for sf in range(sf_n):
            for p in range(pe):
                for s in range(simd):
                    field = (words[nf * sf_n + sf] >> ((p * simd + s) * ww)) & mask
                    assert field == int(w[sf * simd + s, nf * pe + p]) & mask
    assert all(v < 1 << (pe * simd * ww) for v in words)
    mem = write_mem(tmp_path / "x_w.mem", words, pe * simd * ww)
    lines = mem.read_text().splitlines()
    assert len(lines) == len(words) and {len(ln) for ln in lines} == {-(-pe * simd * ww // 4)}
    np.testing.assert_array_equal(unfold_weights(read_mem(mem), in_len, n, pe, simd, ww), w)
    assert weight_fields(w, pe, simd).shape == (len(words), pe * simd)


def test_weight_words_small_example() -> None:
    # w[i][n]: IN_LEN=2, N=2; PE=1, SIMD=2: word 0 = (w[0][0], w[1][0]), word 1 = (w[0][1], ...)
    w = np.array([[1, 2], [-1, 4]])
    assert weight_words(w, 1, 2, 4) == [0xF1, 0x42]
    # PE=2, SIMD=1: word 0 = (w[0][0], w[0][1]), word 1 = (w[1][0], w[1][1])
    assert weight_words(w, 2, 1, 4) == [0x21, 0x4F]


def test_weight_words_refuse_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"^weights outside the 2-bit range \[-2, 1\]: -2..2$"):
        weight_words(np.array([[2], [-2]]), 1, 1, 2)


# --- models ---------------------------------------------------------------------------


def randomize(model: keras.Model, seed: int) -> keras.Model:
    """Random weights and biases on the quantizers' grids (in place; returns ``model``).

    Each kernel keeps about 12 non-zero weights per output (uniform over the grid), so the
    sums stay in the range of the activations that follow.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not isinstance(layer, (qkeras.QConv2D, qkeras.QDense)):
            continue
        kernel = np.asarray(layer.kernel)
        fan_in = int(np.prod(kernel.shape[:-1]))
        bits = int(layer.kernel_quantizer_internal.bits)
        step = 2.0 ** -(bits - 1 - int(layer.kernel_quantizer_internal.integer))
        grid = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=kernel.shape) * step
        keep = rng.random(kernel.shape) < min(1.0, 12.0 / fan_in)
        weights = [np.where(keep, grid, 0.0).astype(np.float32)]
        if layer.use_bias:
            weights.append((rng.integers(-8, 9, size=kernel.shape[-1]) / 16).astype(np.float32))
        layer.set_weights(weights)
    return model


def zoo_model(name: str, seed: int = 11) -> keras.Model:
    from fpgacnn.models.registry import get_entry

    entry = get_entry(name)
    return randomize(entry.arch().build_model(entry.config_class()), seed)


def photo_crops(n: int, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """``n`` uint8 crops of scikit-image's photographs, ``shape`` (H, W, C), each a random
    2x2-subsampled window of a random photo (gray photos for C = 1, RGB for C = 3)."""
    import skimage.data as data

    h, w, c = shape
    names = ("camera", "coins", "moon", "brick", "text") if c == 1 else \
        ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry")
    photos = [np.asarray(getattr(data, nm)()) for nm in names]
    rng = np.random.default_rng(seed)
    out = np.zeros((n, h, w, c), dtype=np.uint8)
    for k in range(n):
        img = photos[k % len(photos)]
        y = rng.integers(0, img.shape[0] - 2 * h + 1)
        x = rng.integers(0, img.shape[1] - 2 * w + 1)
        crop = img[y:y + 2 * h:2, x:x + 2 * w:2]
        out[k] = crop.reshape(h, w, c)
    return out


def real_images(name: str, n: int, shape: tuple[int, int, int]) -> np.ndarray:
    """uint8 codes: the model's own data set where it is offline, else photo crops."""
    if name in ("digits", "faces"):
        from fpgacnn.models.data import load_dataset
        from fpgacnn.models.registry import get_entry

        return load_dataset(name, get_entry(name).input_spec).x_test[:n]
    return photo_crops(n, shape, seed=len(name))


def expected(model: keras.Model, codes: np.ndarray, info: dict) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """(input codes as int64, QKeras score codes) for uint8 image codes."""
    from fpgacnn.spec.preprocess import codes_to_input

    t_in = plan_model(model)[0].result
    x = codes_to_input(codes)
    y = np.asarray(model.predict(x, batch_size=64, verbose=0), dtype=np.float64)
    scale = 2.0 ** info["output"]["score_fraction"]
    scores = np.round(y.reshape(len(x), -1) * scale).astype(np.int64)
    assert np.array_equal(scores / scale, y.reshape(len(x), -1)), "QKeras output off the grid"
    x_codes = np.round(np.asarray(x, dtype=np.float64) / t_in.lsb).astype(np.int64)
    assert np.array_equal(x_codes * t_in.lsb, x), "inputs off the input grid"
    return x_codes, scores


# --- the folding record ---------------------------------------------------------------


def _stages(model):
    return build_stages(model, plan_model(model))


def test_default_folding_keeps_the_old_budget_of_digits_and_faces() -> None:
    """First conv unrolled; the rest folded within the first layer's pixel rate."""
    for name, ii in (("digits", 64), ("faces", 625)):
        stages = _stages(zoo_model(name))
        fold = default_folding(stages, name)
        assert fold.layers[0].impl is Impl.UNROLLED
        assert all(lf.impl is Impl.FOLDED for lf in fold.layers[1:])
        check_folding(fold, stages)
        assert initiation_interval(stages, fold) == ii


def test_every_zoo_model_and_cnv_fold_by_default() -> None:
    for name in ("mnist", "cifar10", "gtsrb", "cnv"):
        stages = _stages(zoo_model(name))
        fold = default_folding(stages, name)
        check_folding(fold, stages)
        macs = mac_stages(stages)
        assert [lf.layer for lf in fold.layers] == [s.layer for s in macs]
        ii = initiation_interval(stages, fold)
        assert ii == max(layer_cycles(s, lf) for s, lf in zip(macs, fold.layers, strict=True))


def _fold(model, **changes) -> tuple[list, Folding]:
    stages = _stages(model)
    fold = default_folding(stages, model.name)
    layers = [changes.get(lf.layer, lf) for lf in fold.layers]
    return stages, Folding(model=fold.model, board=None, clock_mhz=100.0, target_rate=None,
                           layers=tuple(layers))


@pytest.mark.parametrize(("change", "message"), [
    ({"fc1": LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=3, simd=16, rom_style="block")},
     "folding of layer 'fc1' (QDense): pe must divide its 10 outputs, got 3"),
    ({"fc1": LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=1, simd=7, rom_style="block")},
     "folding of layer 'fc1' (QDense): simd must divide its 144 inputs per vector, got 7"),
    ({"fc1": LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=1, simd=24, rom_style="block")},
     "folding of layer 'fc1' (QDense): simd must divide or be a multiple of the 16 elements "
     "per input beat, got 24"),
    ({"fc1": LayerFolding(layer="fc1", impl=Impl.UNROLLED)},
     "folding of layer 'fc1' (QDense): impl 'unrolled' is for convolutions only, expected "
     "'folded'"),
    ({"conv1": LayerFolding(layer="conv1", impl=Impl.FOLDED, pe=16, simd=2,
                            rom_style="block")},
     "folding of layer 'conv1' (QConv2D): simd must divide its 9 inputs per vector, got 2"),
    ({"fc1": LayerFolding(layer="fc9", impl=Impl.FOLDED, pe=1, simd=16, rom_style="block")},
     "folding: layer 'fc1' has no entry (expected one per QConv2D/QDense layer: conv1, fc1)"),
])
def test_bad_folding_is_refused_naming_the_layer(tmp_path: Path, change: dict,
                                                 message: str) -> None:
    model = zoo_model("digits")
    _, fold = _fold(model, **change)
    with pytest.raises(FoldingError, match="^" + re.escape(message) + "$"):
        generate_rtl(model, tmp_path / "rtl", folding=fold)
    assert not (tmp_path / "rtl").exists()


def test_conv_simd_must_suit_the_window() -> None:
    """A folded convolution's SIMD divides its input channels (the sliding-window unit's
    beats) or is a multiple of them (the whole window per beat); 6 for 4 channels is
    neither, though it divides the 36 window elements."""
    model = signed_act_model()
    stages, fold = _fold(model, conv2=LayerFolding(layer="conv2", impl=Impl.FOLDED, pe=1,
                                                   simd=6, rom_style="block"))
    with pytest.raises(FoldingError, match="^" + re.escape(
            "folding of layer 'conv2' (QConv2D): simd must divide its 4 input channels or, at "
            "stride 1, a multiple of 4 dividing its 36 window elements, got 6") + "$"):
        check_folding(fold, stages)
    for simd in (1, 2, 4, 12, 36):
        check_folding(_fold(model, conv2=LayerFolding(layer="conv2", impl=Impl.FOLDED, pe=1,
                                                      simd=simd, rom_style="block"))[1], stages)


@pytest.mark.sim
def test_streamed_convolutions_bit_exact_at_their_rate(tmp_path: Path) -> None:
    """Both convolutions through the sliding-window unit (conv1: one channel, SIMD 1;
    conv2: 4 channels at SIMD 2, two beats per pixel), conv2 the slowest layer (its
    windows start at the image's third row: the next image's rows must be in on time): bit-exact
    with QKeras, images back to back at the initiation interval, and under stalls."""
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = signed_act_model()
    _, fold = _fold(model, **{
        "conv1": LayerFolding(layer="conv1", impl=Impl.FOLDED, pe=2, simd=1,
                              rom_style="distributed"),
        "conv2": LayerFolding(layer="conv2", impl=Impl.FOLDED, pe=2, simd=2,
                              rom_style="block")})
    gen = generate_rtl(model, tmp_path / "rtl", folding=fold)
    assert {s["layer"]: s.get("window") for s in gen.info["stages"]
            if s["kind"] == "ConvStage"} == {"conv1": "fcnn_cnn_swu", "conv2": "fcnn_cnn_swu"}
    # conv1: 6x6 windows x (9/1) x (4/2) = 648; conv2: 4x4 windows x (36/2) x (6/2) = 864
    assert gen.initiation_interval == 16 * 18 * 3
    x, scores = expected(model, photo_crops(12, (8, 8, 1), seed=5), gen.info)
    with ClassifierHarness(gen.out_dir) as h:
        stats = _check(h, x, scores)
        assert set(np.diff(stats.result).tolist()) == {gen.initiation_interval}
        for idle, backpressure, seed in MATRIX[1:]:
            _check(h, x[:6], scores[:6], idle=idle, backpressure=backpressure, seed=seed)


@pytest.mark.sim
def test_dsp_multipliers_are_bit_exact(tmp_path: Path) -> None:
    """Folded layers with their products in DSP slices (``multipliers = "dsp"``:
    ``USE_DSP = 1``) -- an SWU-fed convolution with signed 4-bit activations and the dense
    layer -- give QKeras's scores bit for bit, at the rate and under stalls; the generated
    top passes USE_DSP to exactly those units and rtl.json records it."""
    import re

    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = signed_act_model()
    _, fold = _fold(model, **{
        "conv1": LayerFolding(layer="conv1", impl=Impl.FOLDED, pe=2, simd=1,
                              rom_style="distributed"),
        "conv2": LayerFolding(layer="conv2", impl=Impl.FOLDED, pe=2, simd=2,
                              rom_style="block", multipliers="dsp")})
    dense = fold.layers[-1].layer
    fold = dataclasses.replace(fold, layers=tuple(
        dataclasses.replace(lf, multipliers="dsp") if lf.layer == dense else lf
        for lf in fold.layers))
    gen = generate_rtl(model, tmp_path / "rtl", folding=fold)
    top = (gen.out_dir / "fcnn_classifier.sv").read_text()
    dsp_units = re.findall(r"\.USE_DSP\(1\)[^;]*?\) (u_\w+_mvu) \(", top, re.S)
    assert dsp_units == ["u_conv1_mvu", "u_dense0_mvu"]
    assert {s["layer"]: s.get("multipliers") for s in gen.info["stages"]
            if "multipliers" in s} == {"conv1": "lut", "conv2": "dsp", dense: "dsp"}
    x, scores = expected(model, photo_crops(12, (8, 8, 1), seed=6), gen.info)
    with ClassifierHarness(gen.out_dir) as h:
        stats = _check(h, x, scores)
        assert set(np.diff(stats.result).tolist()) == {gen.initiation_interval}
        for idle, backpressure, seed in MATRIX[1:3]:
            _check(h, x[:6], scores[:6], idle=idle, backpressure=backpressure, seed=seed)


def test_folding_order_and_extra_layers_are_refused() -> None:
    model = zoo_model("digits")
    stages, fold = _fold(model)
    swapped = Folding(model="digits", board=None, clock_mhz=100.0, target_rate=None,
                      layers=fold.layers[::-1])
    with pytest.raises(FoldingError, match=r"^folding: layers in order fc1, conv1, expected the "
                                           r"model's order conv1, fc1$"):
        check_folding(swapped, stages)
    extra = Folding(model="digits", board=None, clock_mhz=100.0, target_rate=None,
                    layers=(*fold.layers, LayerFolding(layer="fc7", impl=Impl.FOLDED,
                                                       rom_style="block")))
    with pytest.raises(FoldingError, match=r"^folding: layer 'fc7' is not a QConv2D/QDense "
                                           r"layer of the model \(expected conv1, fc1\)$"):
        check_folding(extra, stages)


def test_given_folding_is_used_and_recorded(tmp_path: Path) -> None:
    """A folded first convolution: no alkaid kernel, its weights in a memory, the record."""
    model = zoo_model("digits")
    conv = LayerFolding(layer="conv1", impl=Impl.FOLDED, pe=4, simd=3, rom_style="distributed")
    stages, fold = _fold(model, conv1=conv)
    res = generate_rtl(model, tmp_path / "rtl", folding=fold)
    assert Folding.from_json(res.info["folding"]) == fold
    # conv: 36 windows x (9/3) x (16/4) = 432 > 64 padded pixels
    assert res.initiation_interval == res.info["initiation_interval"] == 432
    assert not (tmp_path / "rtl" / "kernels").exists()
    assert res.info["mem_files"] == ["mem/conv0_w.mem", "mem/dense0_w.mem"]
    top = (tmp_path / "rtl" / "fcnn_classifier.sv").read_text()
    assert '.ROM_STYLE("distributed")' in top and '.WEIGHT_FILE({MEM_DIR, "conv0_w.mem"})' in top
    words = read_mem(tmp_path / "rtl" / "mem" / "conv0_w.mem")
    np.testing.assert_array_equal(unfold_weights(words, 9, 16, 4, 3, 4), stages[0].weights)
    st = {s["name"]: s for s in res.info["stages"]}["conv0"]
    assert (st["impl"], st["pe"], st["simd"], st["cycles_per_image"]) == ("folded", 4, 3, 432)


def test_add_rtl_passes_the_folding(tmp_path: Path) -> None:
    from fpgacnn.hw.convert import rtl as rtl_step

    model = zoo_model("digits")
    conv = LayerFolding(layer="conv1", impl=Impl.FOLDED, pe=16, simd=9, rom_style="block")
    _, fold = _fold(model, conv1=conv)
    rec = rtl_step.add_rtl(tmp_path, model, name="digits", folding=fold)
    assert rec["initiation_interval"] == 64
    info = json.loads((tmp_path / "rtl" / "rtl.json").read_text())
    assert Folding.from_json(info["folding"]) == fold


# --- simulation: every zoo model and CNV, bit-exact, at the contract's rate ------------


def _core(tmp_path_factory, name: str, n: int, model=None):
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = model if model is not None else zoo_model(name)
    gen = generate_rtl(model, tmp_path_factory.mktemp(name) / "rtl", name=name)
    codes = real_images(name, n, tuple(model.input_shape[1:]))
    x, scores = expected(model, codes, gen.info)
    return ClassifierHarness(gen.out_dir), x, scores


ZOO_IMAGES = {"faces": 60, "mnist": 40, "cifar10": 24, "gtsrb": 24}


@pytest.fixture(scope="module")
def zoo_cores(tmp_path_factory):
    return {name: _core(tmp_path_factory, name, n) for name, n in ZOO_IMAGES.items()}


def _check(h, x, scores, **kw) -> None:
    got, labels, stats = h.classify(x, **kw)
    bad = np.flatnonzero(np.any(got != scores, axis=1))
    assert bad.size == 0, f"{bad.size}/{len(x)} images differ; first {bad[0]}: " \
                          f"{got[bad[0]].tolist()} != {scores[bad[0]].tolist()}"
    np.testing.assert_array_equal(labels, np.argmax(scores, axis=1))
    return stats


@pytest.mark.sim
@pytest.mark.parametrize("name", list(ZOO_IMAGES))
def test_zoo_model_bit_exact_at_its_initiation_interval(zoo_cores, name: str) -> None:
    h, x, scores = zoo_cores[name]
    assert len(np.unique(scores, axis=0)) > len(x) // 2, "degenerate scores"
    stats = _check(h, x, scores)
    spacing = set(np.diff(stats.result).tolist())
    assert spacing == {h.initiation_interval}, (name, spacing, h.initiation_interval)


@pytest.mark.sim
@pytest.mark.parametrize(("idle", "backpressure", "seed"), MATRIX[1:])
@pytest.mark.parametrize("name", ["faces", "mnist", "cifar10"])
def test_zoo_model_bit_exact_under_stalls(zoo_cores, name: str, idle: float,
                                          backpressure: float, seed: int) -> None:
    h, x, scores = zoo_cores[name]
    _check(h, x[:12], scores[:12], idle=idle, backpressure=backpressure, seed=seed)


@pytest.fixture(scope="module")
def cnv_core(tmp_path_factory):
    return _core(tmp_path_factory, "cnv", 6)


@pytest.mark.sim
def test_cnv_bit_exact_at_its_initiation_interval(cnv_core) -> None:
    """FINN's CNV at 2-bit weights and activations: two photo crops, back to back."""
    h, x, scores = cnv_core
    stats = _check(h, x[:2], scores[:2])
    assert set(np.diff(stats.result).tolist()) == {h.initiation_interval}


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize(("idle", "backpressure", "seed"), MATRIX)
def test_cnv_bit_exact_matrix(cnv_core, idle: float, backpressure: float, seed: int) -> None:
    h, x, scores = cnv_core
    _check(h, x, scores, idle=idle, backpressure=backpressure, seed=seed)


# --- issue 15: a signed quantized_bits activation after a convolution ------------------


def signed_act_model() -> keras.Model:
    """conv -> signed quantized_bits activation (no ReLU) -> conv -> signed -> dense."""
    inp = keras.Input((8, 8, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(4, 3, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="conv1")(x)
    x = qkeras.QActivation(qkeras.quantized_bits(4, 1, keep_negative=True, alpha=1),
                           name="act1")(x)
    x = qkeras.QConv2D(6, 3, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="conv2")(x)
    x = qkeras.QActivation(qkeras.quantized_bits(5, 1, keep_negative=True, alpha=1),
                           name="act2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(5, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="fc")(x)
    return randomize(keras.Model(inp, x, name="signed_act"), seed=3)


@pytest.mark.sim
@pytest.mark.parametrize("conv1", ["unrolled", "folded"])
def test_signed_activation_after_conv_is_not_a_relu(tmp_path: Path, conv1: str) -> None:
    """RTL == QKeras, with negative activations present after both convolutions (the old
    generator applied a ReLU there). conv2 is folded; conv1 both ways."""
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = signed_act_model()
    change = {} if conv1 == "unrolled" else {"conv1": LayerFolding(
        layer="conv1", impl=Impl.FOLDED, pe=2, simd=9, rom_style="distributed")}
    _, fold = _fold(model, **change)
    codes = photo_crops(150, (8, 8, 1), seed=4)
    for act in ("act1", "act2"):
        sub = keras.Model(model.input, model.get_layer(act).output)
        from fpgacnn.spec.preprocess import codes_to_input

        assert np.mean(np.asarray(sub.predict(codes_to_input(codes), verbose=0)) < 0) > 0.1
    gen = generate_rtl(model, tmp_path / "rtl", folding=fold)
    stage = {s["layer"]: s for s in gen.info["stages"]}
    assert (stage["conv1"]["relu"], stage["conv1"]["quantize"]) == (False, True)
    x, scores = expected(model, codes, gen.info)
    with ClassifierHarness(gen.out_dir) as h:
        _check(h, x, scores)


def test_board_build_takes_the_weight_memories(tmp_path: Path) -> None:
    """``fpgacnn build`` reads filelist.f: the ``// mem:`` files join the classifier's
    files (copied into the tree, added to the Vivado project)."""
    from fpgacnn.boards.sources import read_filelist

    res = generate_rtl(zoo_model("mnist"), tmp_path / "rtl")
    files, top = read_filelist(tmp_path / "rtl" / "filelist.f")
    assert top == "fcnn_classifier"
    mems = [f for f in files if f.suffix == ".mem"]
    assert [f"mem/{f.name}" for f in mems] == res.info["mem_files"]
    assert len(mems) == 4 and all(f.is_file() for f in mems)
    assert files[: -len(mems)] == [f.resolve() for f in res.files]


@pytest.mark.parametrize(("name", "blocks", "window"), [
    ("mnist", ("in_fifo", "window", "win_fifo", "mvu"), "fcnn_cnn_window"),
    ("cifar10", ("swu", "mvu"), "fcnn_cnn_swu"),
])
def test_folded_core_lint_clean(tmp_path: Path, name: str, blocks: tuple[str, ...],
                                window: str) -> None:
    """Cores with a folded convolution, verilator -Wall clean: mnist's conv2 (SIMD 30, a
    multiple of its 6 channels: input FIFO, whole window, window queue) and cifar10's
    (SIMD divides the channels: the sliding-window unit)."""
    import subprocess

    from fpgacnn.sim.classifier_harness import rtl_sources
    from fpgacnn.sim.verilator_env import verilator_environ

    res = generate_rtl(zoo_model(name), tmp_path / "rtl")
    top = (tmp_path / "rtl" / "fcnn_classifier.sv").read_text()
    assert all(f"u_conv1_{b}" in top for b in blocks)
    assert "fcnn_cnn_requant" not in top       # requantized inside the MVUs
    assert {s["window"] for s in res.info["stages"] if s.get("impl") == "folded"
            and s["kind"] == "ConvStage"} == {window}
    env = verilator_environ()
    exe = str(Path(env["VERILATOR_ROOT"]) / "bin" / "verilator")
    proc = subprocess.run([exe, "--lint-only", "-Wall", "-Wno-DECLFILENAME", "--top-module",
                           "fcnn_classifier", f'-GMEM_DIR="{res.out_dir / "mem"}/"',
                           *map(str, rtl_sources(res.out_dir))],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "%Warning" not in proc.stderr, proc.stderr[-3000:]


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("first", ["unrolled", "folded", "solver"])
def test_cnv_at_finns_rate(tmp_path: Path, first: str) -> None:
    """CNV folded for >= 3,000 images/s at 100 MHz (every layer after the first at the
    fewest multipliers within 33,000 cycles, every convolution after the first through the
    sliding-window unit; the first unrolled, or folded at PE 16 x SIMD 3 as FINN folds it:
    the folding of the yosys figures in hw/rtl/fcnn_cnn_swu.md; measured: II 32,768 =
    3,052 images/s; or, 'solver', the benchmark's CNV -- dense random weights -- in the
    folding ``fpgacnn.hw.fold`` picks for the PYNQ-Z2 at 3,000 images/s, ROMs in BRAM and
    LUTs, conv1's products in DSPs: the core of the README's benchmark row): bit-exact on photo crops, simulated
    spacing = initiation_interval."""
    from fpgacnn.apps.bench_classifier import cnv_model
    from fpgacnn.hw.rtlgen.folding import fold_layer
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = cnv_model(0) if first == "solver" else zoo_model("cnv")
    stages = _stages(model)
    first_fold = default_folding(stages, "cnv").layers[0]
    if first == "folded":
        first_fold = LayerFolding(layer=first_fold.layer, impl=Impl.FOLDED, pe=16, simd=3,
                                  rom_style="block")
    fold = Folding(model="cnv", board=None, clock_mhz=100.0, target_rate=3000.0,
                   layers=(first_fold, *(fold_layer(st, 33_000)
                                         for st in mac_stages(stages)[1:])))
    if first == "solver":
        from fpgacnn.boards.target import board_target
        from fpgacnn.hw.fold import solve_stages

        fold = solve_stages(stages, model="cnv", target=board_target("pynq-z2"), rate=3000.0)
        assert {lf.rom_style for lf in fold.layers} == {"block", "distributed"}
        assert {lf.multipliers for lf in fold.layers} == {"lut", "dsp"}
    gen = generate_rtl(model, tmp_path / "rtl", folding=fold)
    assert gen.initiation_interval <= 100e6 / 3000
    assert {s.get("window") for s in gen.info["stages"][1:] if s["kind"] == "ConvStage"
            and s["impl"] == "folded"} == {"fcnn_cnn_swu"}
    x, scores = expected(model, photo_crops(3, (32, 32, 3), seed=3), gen.info)
    with ClassifierHarness(gen.out_dir) as h:
        stats = _check(h, x, scores)
    assert set(np.diff(stats.result).tolist()) == {gen.initiation_interval}


def strided_model(size: int) -> keras.Model:
    """conv 3x3 stride 2 'same' -> ReLU -> conv 3x3 stride 2 'valid' -> dense, on a
    ``size`` x ``size`` image: at an even size TensorFlow pads the strided 'same'
    convolution only after the image (pad_total 1: 0 before, 1 after), at an odd size on
    both sides."""
    inp = keras.Input((size, size, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(4, 3, strides=2, padding="same",
                       kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="conv1")(x)
    x = qkeras.QActivation(qkeras.quantized_relu(4, 1), name="act1")(x)
    x = qkeras.QConv2D(6, 3, strides=2, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="conv2")(x)
    x = qkeras.QActivation(qkeras.quantized_bits(5, 1, keep_negative=True, alpha=1),
                           name="act2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(5, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="fc")(x)
    return randomize(keras.Model(inp, x, name=f"strided{size}"), seed=7)


@pytest.mark.sim
@pytest.mark.parametrize("size", [10, pytest.param(11, marks=pytest.mark.slow)])
def test_strided_convolutions_bit_exact(tmp_path: Path, size: int) -> None:
    """Strided convolutions ('same' with TensorFlow's asymmetric padding, and 'valid')
    through the sliding-window unit: the stages carry Keras's output sizes, RTL == QKeras."""
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    model = strided_model(size)
    st = {s.layer: s for s in build_stages(model, plan_model(model))}
    out1 = -(-size // 2)
    assert (st["conv1"].stride, st["conv1"].pad, st["conv1"].out_hw) == \
        (2, ((out1 - 1) * 2 + 3 - size) // 2, tuple(model.get_layer("conv1").output_shape[1:3]))
    assert st["conv2"].out_hw == tuple(model.get_layer("conv2").output_shape[1:3])
    gen = generate_rtl(model, tmp_path / "rtl")
    assert {s["layer"]: s.get("window") for s in gen.info["stages"]
            if s["kind"] == "ConvStage"} == {"conv1": "fcnn_cnn_swu", "conv2": "fcnn_cnn_swu"}
    x, scores = expected(model, photo_crops(12, (size, size, 1), seed=size), gen.info)
    with ClassifierHarness(gen.out_dir) as h:
        _check(h, x, scores)
        _check(h, x[:6], scores[:6], idle=0.3, backpressure=0.5, seed=2)
