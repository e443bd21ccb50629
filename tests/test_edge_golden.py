"""The edge core's numpy golden model agrees with OpenCV on real photos; its edges are pinned."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fpgacnn.apps.cli_demo import load_photo
from fpgacnn.spec.edge import (
    MAX_THRESHOLD,
    SUPPORTED_PPC,
    EdgeConfigError,
    pack_frame,
    sobel_edges,
    sobel_magnitude,
    unpack_frame,
)
from fpgacnn.spec.errors import FrameError
from fpgacnn.sw.image_io import gray_from_rgb

#: scikit-image's bundled photos (gray, or colour converted with BT.601).
PHOTOS = ["camera", "coins", "astronaut", "moon", "page", "text", "coffee", "brick", "clock"]


def opencv_magnitude(img: np.ndarray) -> np.ndarray:
    """|Gx| + |Gy| from OpenCV's 3x3 Sobel with replicated borders (int32)."""
    gx = cv2.Sobel(img, cv2.CV_16S, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(img, cv2.CV_16S, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    return np.abs(gx.astype(np.int32)) + np.abs(gy.astype(np.int32))


@pytest.fixture(scope="module", params=PHOTOS)
def photo(request: pytest.FixtureRequest) -> np.ndarray:
    return load_photo(request.param)


def test_magnitude_matches_opencv(photo: np.ndarray) -> None:
    mag = sobel_magnitude(photo)
    assert mag.dtype == np.int32
    np.testing.assert_array_equal(mag, opencv_magnitude(photo))


@pytest.mark.parametrize("threshold", [0, 1, 60, 128, 255, 256, 1000, MAX_THRESHOLD])
def test_edges_match_opencv(photo: np.ndarray, threshold: int) -> None:
    mag = opencv_magnitude(photo)
    if threshold:
        expected = np.where(mag >= threshold, 255, 0).astype(np.uint8)
    else:
        expected = cv2.convertScaleAbs(np.minimum(mag, 255))
    out = sobel_edges(photo, threshold)
    assert out.dtype == np.uint8 and out.shape == photo.shape
    np.testing.assert_array_equal(out, expected)


def test_photos_have_edges_and_flat_areas(photo: np.ndarray) -> None:
    """Real content: both saturated edges and near-flat regions occur (not a trivial test)."""
    out = sobel_edges(photo)
    assert (out == 255).any() and (out < 16).any()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (2, 2), (3, 3), (4, 5), (9, 17)])
def test_small_and_odd_sizes_match_opencv(shape: tuple[int, int]) -> None:
    crop = load_photo("camera")[200 : 200 + shape[0], 300 : 300 + shape[1]].copy()
    np.testing.assert_array_equal(sobel_magnitude(crop), opencv_magnitude(crop))


def test_strongest_edge_is_a_bright_corner() -> None:
    """|Gx| + |Gy| peaks at 1530 (not 2040: the kernels share their corner taps)."""
    img = np.zeros((5, 5), dtype=np.uint8)
    img[:2, :] = 255
    img[:, :2] = 255
    mag = sobel_magnitude(img)
    np.testing.assert_array_equal(mag, opencv_magnitude(img))
    assert mag.max() == 1530
    assert sobel_edges(img, 1530).max() == 255
    assert sobel_edges(img, 1531).max() == 0


def test_color_photo_uses_bt601_like_opencv() -> None:
    import skimage.data

    rgb = skimage.data.astronaut()
    expected = cv2.cvtColor(np.ascontiguousarray(rgb[:, :, ::-1]), cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(load_photo("astronaut"), expected)
    np.testing.assert_array_equal(gray_from_rgb(rgb, use_opencv=False), expected)


# -- stream layout -------------------------------------------------------------------------


@pytest.mark.parametrize("ppc", SUPPORTED_PPC)
@pytest.mark.parametrize("width", [1, 3, 8, 13, 383])
def test_pack_unpack_round_trip(ppc: int, width: int) -> None:
    frame = load_photo("coins")[:6, :width].copy()
    beats = pack_frame(frame, ppc)
    assert beats.shape == (6, -(-width // ppc))
    assert beats.dtype == np.uint64
    np.testing.assert_array_equal(unpack_frame(beats, width, ppc), frame)


def test_pack_layout_pixel0_in_low_byte() -> None:
    frame = np.arange(1, 11, dtype=np.uint8).reshape(1, 10)
    beats = pack_frame(frame, 4)
    assert [int(b) for b in beats[0]] == [0x04030201, 0x08070605, 0x0A09]
    beats8 = pack_frame(np.full((1, 8), 0xFF, dtype=np.uint8), 8)
    assert int(beats8[0, 0]) == 2**64 - 1


def test_unpack_ignores_lanes_past_width() -> None:
    beats = np.array([[0xFFFF_FF00_0201]], dtype=np.uint64)
    np.testing.assert_array_equal(unpack_frame(beats, 2, 8), [[1, 2]])


# -- input validation --------------------------------------------------------------------

NOT_2D = r"^expected a 2-D gray frame \(height, width\), got shape "


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ([[1, 2]], r"^expected a numpy array, got list$"),
        (np.zeros((2, 2, 1), np.uint8), NOT_2D + r"\(2, 2, 1\)$"),
        (np.zeros(4, np.uint8), NOT_2D + r"\(4,\)$"),
        (np.zeros((2, 2), np.int16), r"^expected dtype uint8, got int16$"),
        (np.zeros((2, 2), np.float32), r"^expected dtype uint8, got float32$"),
        (np.zeros((0, 2), np.uint8), r"^expected a non-empty frame, got shape \(0, 2\)$"),
    ],
)  # fmt: skip
def test_bad_frames_are_rejected(frame: object, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        sobel_edges(frame)  # type: ignore[arg-type]
    with pytest.raises(FrameError, match=message):
        pack_frame(frame, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        (-1, r"^expected threshold in 0\.\.4095, got -1$"),
        (4096, r"^expected threshold in 0\.\.4095, got 4096$"),
        (1.5, r"^expected an integer threshold, got float$"),
        (True, r"^expected an integer threshold, got bool$"),
        ("8", r"^expected an integer threshold, got str$"),
    ],
)
def test_bad_thresholds_are_rejected(threshold: object, message: str) -> None:
    with pytest.raises(EdgeConfigError, match=message):
        sobel_edges(np.zeros((3, 3), np.uint8), threshold)  # type: ignore[arg-type]


def test_numpy_integer_threshold_is_accepted() -> None:
    img = load_photo("coins")
    np.testing.assert_array_equal(sobel_edges(img, np.uint16(100)), sobel_edges(img, 100))


@pytest.mark.parametrize("ppc", [0, 3, 16])
def test_bad_ppc_is_rejected(ppc: int) -> None:
    msg = rf"^expected ppc in \(1, 2, 4, 8\), got {ppc}$"
    with pytest.raises(EdgeConfigError, match=msg):
        pack_frame(np.zeros((2, 2), np.uint8), ppc)
    with pytest.raises(EdgeConfigError, match=msg):
        unpack_frame(np.zeros((2, 1), np.uint64), 2, ppc)


def test_unpack_rejects_wrong_beat_count() -> None:
    with pytest.raises(
        EdgeConfigError, match=r"^expected beats of shape \(height, 3\), got \(2, 2\)$"
    ):
        unpack_frame(np.zeros((2, 2), np.uint64), 5, 2)
