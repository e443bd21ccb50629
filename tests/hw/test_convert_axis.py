"""The AXI4-Stream top streams images beat by beat and returns QKeras's scores and arg-max."""

from __future__ import annotations

import numpy as np
import pytest

from fpgacnn.hw.convert.axis_csim import build_axis_csim, run_axis_csim

pytestmark = pytest.mark.sim


def test_axis_top_matches_qkeras(tiny_conversions, tiny_models, on_grid) -> None:
    """Signed input elements, 2 channels per beat, signed 8-bit scores through the wrapper."""
    result = tiny_conversions["conv_same_two_layers"]
    model = tiny_models["conv_same_two_layers"]()
    x = on_grid(result.plans[0].result, (6, 6, 2), 200, 21)
    exe = build_axis_csim(result.out_dir)
    out = run_axis_csim(result.out_dir, exe, x)
    want = model.predict(x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(out.scores, want)
    np.testing.assert_array_equal(out.labels, want.argmax(axis=1))
    assert (out.last == 1).all()
    assert len(np.unique(out.labels)) > 1


def test_axis_top_framing_policy(tiny_conversions, tiny_models, on_grid) -> None:
    """Early, late and missing TLAST: the images and statuses of the framing model, each
    result equal to QKeras on the image as framed (the same policy as the RTL framer)."""
    from fpgacnn.hw.convert.axis_csim import run_axis_csim_beats
    from fpgacnn.spec.cnn_framing import FramingModel
    from fpgacnn.spec.cores import ClassifierStatus

    result = tiny_conversions["conv_same_two_layers"]
    model = tiny_models["conv_same_two_layers"]()
    p, c = 36, 2
    imgs = on_grid(result.plans[0].result, (6, 6, 2), 6, 22).reshape(6, p, c)
    # good, early (10 pixels), good, late (+2), missing tlast (ends at the count; the
    # drop that follows takes the last image up to its tlast)
    parts = [(imgs[0], p), (imgs[1][:10], 10), (imgs[2], p),
             (np.concatenate([imgs[3], imgs[4][:2]]), p + 2), (imgs[4], 0), (imgs[5], p)]
    pixels = np.concatenate([x for x, _ in parts])
    last = np.concatenate([np.eye(1, len(x), n - 1, dtype=np.uint8)[0] if n else
                           np.zeros(len(x), dtype=np.uint8) for x, n in parts])
    framed = FramingModel(pixels=p).feed(zip(range(1, len(pixels) + 1), last.tolist(),
                                             strict=True))
    padded = np.concatenate([np.zeros((1, c)), pixels])
    want_x = np.stack([padded[im.pixels] for im in framed]).reshape(-1, 6, 6, 2)
    exe = build_axis_csim(result.out_dir)
    out = run_axis_csim_beats(result.out_dir, exe, pixels, last)
    early, late, seen = (int(ClassifierStatus.TLAST_EARLY), int(ClassifierStatus.TLAST_LATE),
                         int(ClassifierStatus.FAULT_SEEN))
    assert out.status.tolist() == [im.status for im in framed] == [
        0, early | seen, seen, late | seen, late | seen]
    want = model.predict(want_x, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(out.scores, want)
    np.testing.assert_array_equal(out.labels, want.argmax(axis=1))
    assert (out.last == 1).all()


def _feature_map_model():  # noqa: ANN202 - a keras.Model
    """6x6x1 signed input, 3x3 conv to 3 channels, signed 6-bit activation, 2x2 max pool:
    the output is a 2x2x3 feature map (signed scores, the chain ends in a pooling)."""
    from fpgacnn.models._keras import keras, qkeras

    inp = keras.Input((6, 6, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(6, 0, alpha=1), name="q_in")(inp)
    x = qkeras.QConv2D(3, 3, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="conv")(x)
    x = qkeras.QActivation(qkeras.quantized_bits(6, 2, alpha=1), name="act")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    model = keras.Model(inp, x, name="fmap")
    rng = np.random.default_rng(8)
    model.set_weights([rng.uniform(-1, 1, w.shape) for w in model.get_weights()])
    return model


def test_feature_map_output_sizes_and_limits() -> None:
    """A feature map's H*W*C elements are the scores; the 8-bit label indexes 256 of them;
    ap_int is widened to the output beat."""
    from fpgacnn.hw.convert.synth import axis_params, output_notice
    from fpgacnn.spec.errors import UnsupportedError

    t8 = {"width": 8}
    params = axis_params({"input": {"shape": [8, 8, 1]},
                          "output": {"shape": [6, 6, 4], "type": t8}})
    assert params == {"FCNN_N_PIXELS": 64, "FCNN_IN_CHANNELS": 1, "FCNN_N_CLASSES": 144,
                      "AP_INT_MAX_W": 2048}  # 144 x 8 + 16 bits = 1,168
    assert axis_params({"input": {"shape": [16]}, "output": {"shape": [5], "type": t8}})[
        "AP_INT_MAX_W"] == 1024
    with pytest.raises(UnsupportedError, match=(
            r"^the AXI4-Stream top carries a 8-bit label: at most 256 scores, got 324 scores "
            r"\(the \(18, 18, 1\) output\)$")):
        axis_params({"input": {"shape": [20, 20, 1]}, "output": {"shape": [18, 18, 1],
                                                                 "type": t8}})
    with pytest.raises(UnsupportedError, match=r"^the AXI4-Stream top needs an \(H, W, C\) or "
                                               r"\(N,\) input and an \(N,\) or \(H, W, C\) output, "
                                               r"got \(8, 8, 1\) -> \(6, 4\)$"):
        axis_params({"input": {"shape": [8, 8, 1]}, "output": {"shape": [6, 4], "type": t8}})
    assert output_notice((10,), "fc") is None
    note = output_notice((6, 6, 4), "act")
    assert (note.layer, note.kind) == ("act", "feature_map_output")
    assert str(note) == ("layer 'act': the output is a (6, 6, 4) feature map: it streams out "
                         "flattened in Keras (H, W, C) order as 144 scores; the label (arg-max) "
                         "is the index of its largest element")


@pytest.mark.slow
def test_feature_map_output_in_both_flows(tmp_path) -> None:
    """A model ending in a pooled feature map: C-sim, the AXI4-Stream top and the RTL core
    all give the flattened QKeras output bit for bit (and its arg-max)."""
    import json

    from fpgacnn.hw.convert.convert import convert, from_model
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.convert.predict import predict
    from fpgacnn.hw.convert.rtl import add_rtl
    from fpgacnn.hw.convert.sources import random_on_grid

    model = _feature_map_model()
    t_in = plan_model(model)[0].result
    x = random_on_grid(t_in, (6, 6, 1), 200, seed=4)
    result = convert(from_model(model, test_x=x), tmp_path / "c")
    assert result.bit_exact.mismatches == 0
    assert [n.kind for n in result.notices] == ["feature_map_output"]
    record = json.loads((result.out_dir / "conversion.json").read_text())
    assert record["notices"][-1]["kind"] == "feature_map_output"
    assert "rtl" in add_rtl(result.out_dir, model, name="fmap")["dir"]
    want = np.asarray(model.predict(x, verbose=0), np.float64)
    assert want.shape == (200, 2, 2, 3) and (want < 0).any()
    ref = predict(result.out_dir, x, "reference")
    np.testing.assert_array_equal(ref, want)
    np.testing.assert_array_equal(predict(result.out_dir, x, "csim"), want)
    np.testing.assert_array_equal(predict(result.out_dir, x, "rtl"), want)
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    with ClassifierHarness(result.out_dir / "rtl") as core:  # the core's own arg-max
        got = core.classify(np.round(x / t_in.lsb).astype(np.int64))
    np.testing.assert_array_equal(got.scores * 2.0 ** -core.score_fraction, want.reshape(200, -1))
    np.testing.assert_array_equal(got.labels, want.reshape(200, -1).argmax(1))
    out = run_axis_csim(result.out_dir, build_axis_csim(result.out_dir), x)
    flat = want.reshape(200, -1)
    np.testing.assert_array_equal(out.scores, flat)
    np.testing.assert_array_equal(out.labels, flat.argmax(1))
    assert len(np.unique(out.labels)) > 1
