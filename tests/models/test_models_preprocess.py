"""The TF-free preprocessing: the input grid rule, colour, resizing, errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction

import cv2
import numpy as np
import pytest
from sklearn.datasets import load_digits

from fpgacnn.models.errors import ConfigError, DataShapeError
from fpgacnn.spec.preprocess import (
    ColorMode,
    InputSpec,
    ResizeMethod,
    codes_to_input,
    input_to_codes,
    preprocess,
    resize_matrix,
    to_codes,
)

GRAY8 = InputSpec(height=8, width=8)


def test_light_modules_do_not_import_tensorflow() -> None:
    # The board runtime imports these; TensorFlow is not on the board.
    code = (
        "import sys, json\n"
        "import fpgacnn.spec.preprocess, fpgacnn.models.augment, fpgacnn.models.registry\n"
        "import fpgacnn.models.quant, fpgacnn.models.configs, fpgacnn.models.data\n"
        "import fpgacnn.apps.cli_train, fpgacnn.apps.cli_evaluate\n"
        "heavy = [m for m in ('tensorflow', 'tf_keras', 'keras', 'qkeras') if m in sys.modules]\n"
        "print(json.dumps(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_digits_rule_is_sixteen_times_the_pixel_saturated() -> None:
    images = load_digits().images  # pixels 0..16
    codes = to_codes(images, GRAY8, full_scale=16.0)
    assert codes.dtype == np.uint8 and codes.shape == (len(images), 8, 8, 1)
    assert np.array_equal(codes[..., 0], np.minimum(images * 16, 255).astype(np.uint8))


def test_uint8_pixels_are_their_own_codes_and_inputs_are_code_over_256() -> None:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(5, 8, 8), dtype=np.uint8)
    codes = to_codes(pixels, GRAY8)
    assert np.array_equal(codes[..., 0], pixels)
    x = preprocess(pixels, GRAY8)
    assert x.dtype == np.float32
    assert np.array_equal(x * 256, pixels[..., None].astype(np.float32))
    assert np.array_equal(input_to_codes(codes_to_input(codes)), codes)


def test_rounding_is_half_to_even_and_clipped() -> None:
    values = np.array([[[0.5, 1.5, 2.5, -3.0, 300.0, 255.5, 254.5, 7.0]]])
    codes = to_codes(values, InputSpec(height=1, width=8))
    assert codes[0, 0, :, 0].tolist() == [0, 2, 2, 0, 255, 255, 254, 7]


def test_invert_maps_dark_ink_on_paper_to_bright_ink() -> None:
    pixels = np.array([[[0, 10, 255]]], np.uint8)
    codes = to_codes(pixels, InputSpec(height=1, width=3), invert=True)
    assert codes[0, 0, :, 0].tolist() == [255, 245, 0]


def test_rgb_to_gray_uses_bt601_and_gray_to_rgb_repeats() -> None:
    rgb = np.zeros((1, 1, 3, 3), np.uint8)
    rgb[0, 0, 0] = (255, 0, 0)
    rgb[0, 0, 1] = (0, 255, 0)
    rgb[0, 0, 2] = (10, 20, 30)
    gray = to_codes(rgb, InputSpec(height=1, width=3))
    expected = [round(0.299 * 255), round(0.587 * 255), round(0.299 * 10 + 0.587 * 20 + 0.114 * 30)]
    assert gray[0, 0, :, 0].tolist() == expected
    back = to_codes(gray, InputSpec(height=1, width=3, color=ColorMode.RGB))
    assert back.shape == (1, 1, 3, 3)
    assert np.array_equal(back, np.repeat(gray, 3, axis=3))


@pytest.mark.parametrize("method", list(ResizeMethod))
@pytest.mark.parametrize("sizes", [(28, 8), (8, 28), (25, 25), (32, 7)])
def test_resize_rows_sum_to_one(method: ResizeMethod, sizes: tuple[int, int]) -> None:
    matrix = resize_matrix(*sizes, method)
    assert matrix.shape == (sizes[1], sizes[0])
    assert np.allclose(matrix.sum(axis=1), 1.0)
    assert np.all(matrix >= 0)


def test_bilinear_matches_opencv_inter_linear() -> None:
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 255, size=(28, 20))
    ours = resize_matrix(28, 9, ResizeMethod.BILINEAR) @ image @ resize_matrix(
        20, 13, ResizeMethod.BILINEAR).T
    theirs = cv2.resize(image, (13, 9), interpolation=cv2.INTER_LINEAR)
    assert np.allclose(ours, theirs, atol=1e-9)


def test_area_downscale_is_the_exact_block_mean_rounded_half_to_even() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(1, 32, 24), dtype=np.uint8)
    codes = to_codes(image, InputSpec(height=8, width=8, resize=ResizeMethod.AREA))
    blocks = image[0].astype(int).reshape(8, 4, 8, 3).sum(axis=(1, 3))
    # Fraction rounding is exact and half to even: an independent reference
    expected = [[round(Fraction(int(b), 12)) for b in row] for row in blocks]
    assert codes[0, :, :, 0].tolist() == expected
    assert any(Fraction(int(b), 12).denominator == 2 for b in blocks.ravel())  # ties occur


def test_integer_images_resolve_ties_exactly() -> None:
    pairs = np.array([[[1, 2]], [[2, 3]], [[5, 6]]], np.uint8)  # means 1.5, 2.5, 5.5
    codes = to_codes(pairs, InputSpec(height=1, width=1, resize=ResizeMethod.AREA))
    assert codes[:, 0, 0, 0].tolist() == [2, 2, 6]


def test_rgb_to_gray_after_resize_is_exact_for_frames() -> None:
    rng = np.random.default_rng(4)
    frame = rng.integers(0, 256, size=(1, 48, 64, 3), dtype=np.uint8)
    spec = InputSpec(height=8, width=8, resize=ResizeMethod.AREA)
    codes = to_codes(frame, spec)
    luma = frame[0].astype(int) @ np.array([299, 587, 114])
    blocks = luma.reshape(8, 6, 8, 8).sum(axis=(1, 3))
    expected = [[min(255, round(Fraction(int(b), 48 * 1000))) for b in row] for row in blocks]
    assert codes[0, :, :, 0].tolist() == expected


def test_nearest_picks_pixel_centres() -> None:
    image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4)
    codes = to_codes(image, InputSpec(height=2, width=2, resize=ResizeMethod.NEAREST))
    assert codes[0, :, :, 0].tolist() == [[5, 7], [13, 15]]


def test_spec_round_trips_through_its_dict() -> None:
    spec = InputSpec(height=32, width=30, color=ColorMode.RGB, resize=ResizeMethod.BILINEAR)
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["quantizer"] == "quantized_bits(8,0,keep_negative=False,alpha=1)"
    assert InputSpec.from_dict(data) == spec
    assert spec.shape == (32, 30, 3)


def test_bad_images_are_rejected_with_their_shape() -> None:
    bad = np.zeros((2, 8, 8, 2))
    message = ("images must be a non-empty numeric array of shape (N, H, W) or (N, H, W, C) "
               "with C in {1, 3}; got float64 of shape (2, 8, 8, 2)")
    with pytest.raises(DataShapeError, match=rf"^{re.escape(message)}$"):
        to_codes(bad, GRAY8)
    with pytest.raises(DataShapeError, match=r"^images must be .* got <U1 of shape \(1, 1, 1\)$"):
        to_codes(np.array([[["a"]]]), GRAY8)


def test_off_grid_inputs_and_bad_codes_are_rejected() -> None:
    with pytest.raises(DataShapeError, match=r"^input values are not on the 8-bit input grid "
                       r"\(k / 256, 0 <= k <= 255\)$"):
        input_to_codes(np.array([0.5, 0.3]))
    with pytest.raises(DataShapeError, match=r"^codes must be uint8, got int64$"):
        codes_to_input(np.array([1, 2]))


def test_invalid_spec_and_scale() -> None:
    with pytest.raises(ConfigError, match=r"^InputSpec.height must be a positive int, got 0$"):
        InputSpec(height=0, width=8)
    with pytest.raises(ConfigError, match=r"^InputSpec.color must be a ColorMode, got 'gray'$"):
        InputSpec(height=8, width=8, color="gray")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^full_scale must be > 0, got 0$"):
        to_codes(np.zeros((1, 8, 8)), GRAY8, full_scale=0)
