"""fpgacnn.sw.image_io: BT.601 gray exactly as OpenCV, file reading/writing, no heavy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from fpgacnn.sw.image_io import (
    ImageIOError,
    fit_frame,
    gray_from_bgr,
    gray_from_rgb,
    read_gray,
    write_image,
)


def test_numpy_formula_equals_opencv_on_every_colour() -> None:
    v = np.arange(1 << 24, dtype=np.uint32)
    cube = np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], -1).astype(np.uint8)
    cube = cube.reshape(4096, 4096, 3)
    np.testing.assert_array_equal(
        gray_from_bgr(cube, use_opencv=False), cv2.cvtColor(cube, cv2.COLOR_BGR2GRAY)
    )


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_colour_photos(name: str) -> None:
    rgb = getattr(skimage.data, name)()
    expected = cv2.cvtColor(np.ascontiguousarray(rgb[:, :, ::-1]), cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(gray_from_rgb(rgb), expected)
    np.testing.assert_array_equal(gray_from_rgb(rgb, use_opencv=False), expected)


def test_gray_and_alpha_inputs() -> None:
    gray = skimage.data.camera()
    assert gray_from_bgr(gray) is gray
    np.testing.assert_array_equal(gray_from_bgr(gray[:, :, None]), gray)
    same = np.repeat(gray[:, :, None], 3, axis=2)
    np.testing.assert_array_equal(gray_from_bgr(same, use_opencv=False), gray)
    logo = skimage.data.logo()  # RGBA
    expected = cv2.cvtColor(np.ascontiguousarray(logo[:, :, [2, 1, 0, 3]]), cv2.COLOR_BGRA2GRAY)
    np.testing.assert_array_equal(gray_from_rgb(logo), expected)
    np.testing.assert_array_equal(gray_from_rgb(logo, use_opencv=False), expected)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((2, 2), np.float32), r"^expected dtype uint8, got float32$"),
        (
            np.zeros((2, 2, 2), np.uint8),
            r"^expected an image of shape \(h, w\), \(h, w, 1\), \(h, w, 3\) or \(h, w, 4\), "
            r"got \(2, 2, 2\)$",
        ),
        ([[0]], r"^expected a numpy array, got list$"),
    ],
)
def test_bad_images(image: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gray_from_bgr(image)  # type: ignore[arg-type]


def test_read_formats(tmp_path: Path) -> None:
    rgb = skimage.data.astronaut()
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    cv2.imwrite(str(tmp_path / "c.png"), bgr)
    np.testing.assert_array_equal(read_gray(tmp_path / "c.png"), gray_from_rgb(rgb))
    cv2.imwrite(str(tmp_path / "c16.png"), bgr.astype(np.uint16) * 257)  # 16-bit samples
    np.testing.assert_array_equal(read_gray(tmp_path / "c16.png"), gray_from_rgb(rgb))
    cv2.imwrite(str(tmp_path / "c.jpg"), bgr)
    decoded = cv2.imread(str(tmp_path / "c.jpg"), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(
        read_gray(tmp_path / "c.jpg"), cv2.cvtColor(decoded, cv2.COLOR_BGR2GRAY)
    )
    gray = skimage.data.coins()
    write_image(tmp_path / "g.png", gray)
    np.testing.assert_array_equal(read_gray(tmp_path / "g.png"), gray)


def test_read_and_write_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageIOError, match=r"^cannot read image '.*nope\.png': no such file$"):
        read_gray(tmp_path / "nope.png")
    (tmp_path / "t.png").write_text("text")
    with pytest.raises(ImageIOError, match=r"not an image format OpenCV can decode$"):
        read_gray(tmp_path / "t.png")
    with pytest.raises(ImageIOError, match=r"folder '.*missing' does not exist$"):
        write_image(tmp_path / "missing" / "o.png", np.zeros((2, 2), np.uint8))


def test_fit_frame_covers_and_crops() -> None:
    out = fit_frame(skimage.data.camera(), 640, 480)  # 512x512 -> 640x640 -> crop
    assert out.shape == (480, 640) and out.flags.c_contiguous
    assert fit_frame(skimage.data.coffee(), 320, 240).shape == (240, 320, 3)


def test_import_needs_no_opencv() -> None:
    """The board runtime imports image_io with numpy only; OpenCV loads on file access."""
    code = (
        "import sys; import fpgacnn.sw.image_io as m; import numpy as np; "
        "assert 'cv2' not in sys.modules; "
        "print(int(m.gray_from_bgr(np.full((1, 1, 3), 200, np.uint8), use_opencv=False)[0, 0]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "200"
