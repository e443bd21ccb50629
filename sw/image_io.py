"""Image files and gray conversion for the edge core's host side (numpy; OpenCV for files).

The edge core takes 8-bit gray frames. Colour is converted exactly as OpenCV's
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

#: BT.601 weights (B, G, R) of OpenCV 5's COLOR_BGR2GRAY in 15-bit fixed point; sum 2**15.
BGR2GRAY_FIXED: tuple[int, int, int] = (3735, 19235, 9798)
_SHIFT = 15


class ImageIOError(OSError):
    """An image file could not be read or written (missing, undecodable, bad extension)."""


def gray_from_bgr(image: np.ndarray, *, use_opencv: bool | None = None) -> np.ndarray:
    """Return the uint8 (height, width) gray frame of a uint8 image, as cv2.COLOR_BGR2GRAY.

    Accepts (h, w) gray (returned as is), (h, w, 1), (h, w, 3) BGR and (h, w, 4) BGRA
    (alpha ignored). ``use_opencv`` None uses OpenCV when it can be imported, True
    requires it, False forces the numpy formula. Raises ValueError for any other dtype
    or shape.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"expected an image of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4), "
            f"got {tuple(image.shape)}"
        )
    if image.shape[2] == 1:
        return image[:, :, 0].copy()
    cv2 = None
    if use_opencv is None or use_opencv:
        try:
            import cv2
        except ImportError:
            if use_opencv:
                raise
    if cv2 is not None:
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2GRAY)
    b, g, r = (image[:, :, i].astype(np.uint32) for i in range(3))
    wb, wg, wr = BGR2GRAY_FIXED
    y = (wb * b + wg * g + wr * r + (1 << (_SHIFT - 1))) >> _SHIFT
    return y.astype(np.uint8)


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
