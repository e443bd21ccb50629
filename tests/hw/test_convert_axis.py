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
