"""Image files for the edge core's host side (numpy; OpenCV for files).

The gray conversion itself is the contract :func:`fpgacnn.spec.frames.gray_from_bgr`
(re-exported here). The edge core takes 8-bit gray frames. Colour is converted exactly as OpenCV's
``cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)``: ITU-R BT.601 luma
``Y = 0.299 R + 0.587 G + 0.114 B``, rounded to nearest (a gray pixel stays the
same). :func:`gray_from_bgr` calls OpenCV when it is installed; without it (the
board runtime needs only numpy) it computes the same thing in numpy with
OpenCV 5's fixed point, ``Y = (3735 B + 19235 G + 9798 R + 16384) >> 15``, which
equals OpenCV 5.0 on all 2**24 colours. (OpenCV 4.x uses 14-bit weights
1868/9617/4899 and differs from it in the last bit on about 0.3 % of colours.)

Files are read with OpenCV (imported only when a file is read or written, from
the ``[io]`` extra): every format ``cv2.imdecode`` decodes, always as 8-bit BGR
(``cv2.IMREAD_COLOR``: gray files are replicated to three equal channels, an alpha
channel is dropped, 16-bit samples are scaled to 8 bits), then converted as above.
Reading as BGR first (rather than ``cv2.IMREAD_GRAYSCALE``, which lets the JPEG
decoder make its own gray) keeps every format on the same BT.601 conversion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fpgacnn.spec import frames as _frames
from fpgacnn.spec.errors import UsageError
from fpgacnn.spec.frames import BGR2GRAY_FIXED


class ImageIOError(UsageError, OSError):
    """An image file could not be read or written (missing, undecodable, bad extension)."""


def gray_from_bgr(image: np.ndarray, *, use_opencv: bool | None = None) -> np.ndarray:
    """:func:`fpgacnn.spec.frames.gray_from_bgr`, computed by OpenCV when asked or available.

    ``use_opencv`` None uses OpenCV when it can be imported, True requires it, False
    forces the numpy formula (the same bits as OpenCV 5).
    """
    cv2 = None
    if use_opencv is None or use_opencv:
        try:
            import cv2
        except ImportError:
            if use_opencv:
                raise
    if cv2 is not None and isinstance(image, np.ndarray) and image.dtype == np.uint8 \
            and image.ndim == 3 and image.shape[2] in (3, 4):
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2GRAY)
    return _frames.gray_from_bgr(image)


def gray_from_rgb(image: np.ndarray, *, use_opencv: bool | None = None) -> np.ndarray:
    """Like :func:`gray_from_bgr` for RGB(A) channel order (scikit-image, PIL, matplotlib)."""
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] in (3, 4):
        image = image[:, :, [2, 1, 0]]
    return gray_from_bgr(image, use_opencv=use_opencv)


def _cv2():  # -> the cv2 module
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImageIOError(
            "reading and writing image files needs OpenCV: pip install 'fpgacnn[io]'"
        ) from exc
    return cv2


def read_gray(path: str | Path) -> np.ndarray:
    """Read any image file OpenCV decodes and return it as a uint8 (height, width) gray frame.

    Raises :class:`ImageIOError` when the file does not exist, is not a regular file, or
    cannot be decoded.
    """
    p = Path(path)
    if not p.exists():
        raise ImageIOError(f"cannot read image {str(p)!r}: no such file")
    if not p.is_file():
        raise ImageIOError(f"cannot read image {str(p)!r}: not a file")
    cv2 = _cv2()
    # np.fromfile + imdecode also copes with non-ASCII paths, unlike cv2.imread.
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise ImageIOError(f"cannot read image {str(p)!r}: {exc.strerror}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageIOError(f"cannot read image {str(p)!r}: not an image format OpenCV can decode")
    return gray_from_bgr(image)


def check_writable(path: str | Path) -> None:
    """Raise :class:`ImageIOError` unless OpenCV has an encoder for ``path``'s extension."""
    p = Path(path)
    cv2 = _cv2()
    if not p.suffix or not cv2.haveImageWriter(str(p)):
        raise ImageIOError(
            f"cannot write image {str(p)!r}: OpenCV cannot encode {p.suffix or 'no extension'!r}"
        )


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write a uint8 gray or BGR ``image`` to ``path``; the format follows the extension.

    The parent folder must exist. Returns the path. Raises :class:`ImageIOError` when
    OpenCV cannot encode or write it.
    """
    p = Path(path)
    cv2 = _cv2()
    if not p.parent.is_dir():
        raise ImageIOError(
            f"cannot write image {str(p)!r}: folder {str(p.parent)!r} does not exist"
        )
    try:
        ok, buf = cv2.imencode(p.suffix or ".", image)
    except cv2.error as exc:
        raise ImageIOError(
            f"cannot write image {str(p)!r}: OpenCV cannot encode {p.suffix or 'no extension'!r}"
        ) from exc
    if not ok:
        raise ImageIOError(f"cannot write image {str(p)!r}: encoding failed")
    try:
        buf.tofile(p)
    except OSError as exc:
        raise ImageIOError(f"cannot write image {str(p)!r}: {exc.strerror}") from exc
    return p


def fit_frame(gray: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale an image to cover ``width`` x ``height`` (aspect kept), then crop the centre.

    Works on gray (h, w) and colour (h, w, c) images alike. Scaling uses OpenCV's
    ``INTER_AREA`` when shrinking and ``INTER_LINEAR`` when enlarging; the result is
    C-contiguous with ``height`` rows and ``width`` columns.
    """
    cv2 = _cv2()
    h, w = gray.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = max(width, round(w * scale)), max(height, round(h * scale))
    if (nw, nh) != (w, h):
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        gray = cv2.resize(gray, (nw, nh), interpolation=interp)
    y0, x0 = (nh - height) // 2, (nw - width) // 2
    return np.ascontiguousarray(gray[y0 : y0 + height, x0 : x0 + width])


__all__ = ["BGR2GRAY_FIXED", "ImageIOError", "check_writable", "fit_frame", "gray_from_bgr",
           "gray_from_rgb", "read_gray", "write_image"]
