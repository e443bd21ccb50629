"""Frame checks and the rule that cuts the classifier's input from a frame (numpy only).

Frames are numpy arrays as OpenCV delivers them: ``uint8`` of shape (h, w) gray,
(h, w, 1), (h, w, 3) BGR or (h, w, 4) BGRA. :func:`check_frame` refuses anything
else with a :class:`~fpgacnn.spec.errors.FrameError` before any backend sees it.

**The edge core's input** is the frame's gray image, converted as OpenCV's
``COLOR_BGR2GRAY`` (:func:`gray_from_bgr`).

**The classifier's input** (:class:`CropRule`), in this order:

1. *region*: ``center_square`` takes the centred square of side
   ``floor(fraction * min(h, w))`` (at least 1 pixel; top-left corner
   ``((h - side) // 2, (w - side) // 2)``); ``full`` takes the whole frame;
2. *channels*: a BGR(A) frame is reordered to RGB (alpha dropped), a gray frame
   stays gray;
3. then the model zoo's own rule, :func:`fpgacnn.spec.preprocess.to_codes`
   with the model's :class:`~fpgacnn.spec.preprocess.InputSpec` (BT.601 gray
   or gray -> RGB, resize with the model's method, ``full_scale`` 256 so an
   8-bit pixel is its own code, round half to even, optional ``invert``).

The result is the ``uint8`` code image the classifier core receives (the model's
input is ``code / 256``). A 640x480 frame whose centre 480x480 square shows a
``load_digits`` sample blown up 60x (each code a 60x60 block) gives exactly that
sample's training codes for the 8x8 ``digits`` model (area resize).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import FrameError
from .preprocess import InputSpec, to_codes

#: BT.601 weights (B, G, R) of OpenCV 5's COLOR_BGR2GRAY in 15-bit fixed point; sum 2**15.
BGR2GRAY_FIXED: tuple[int, int, int] = (3735, 19235, 9798)
_SHIFT = 15


def gray_from_bgr(image: np.ndarray) -> np.ndarray:
    """Return the uint8 (height, width) gray frame of a uint8 image, as cv2.COLOR_BGR2GRAY.

    The BT.601 rule in integers, ``Y = (3735 B + 19235 G + 9798 R + 16384) >> 15``
    (:data:`BGR2GRAY_FIXED`; equal to OpenCV 5's ``COLOR_BGR2GRAY`` on all 2**24
    colours). Accepts (h, w) gray (returned as is), (h, w, 1), (h, w, 3) BGR and
    (h, w, 4) BGRA (alpha ignored); :class:`FrameError` for any other dtype or shape.
    """
    if not isinstance(image, np.ndarray):
        raise FrameError(f"expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise FrameError(f"expected dtype uint8, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise FrameError(
            f"expected an image of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4), "
            f"got {tuple(image.shape)}"
        )
    if image.shape[2] == 1:
        return image[:, :, 0].copy()
    b, g, r = (image[:, :, i].astype(np.uint32) for i in range(3))
    wb, wg, wr = BGR2GRAY_FIXED
    y = (wb * b + wg * g + wr * r + (1 << (_SHIFT - 1))) >> _SHIFT
    return y.astype(np.uint8)


def gray_from_rgb(image: np.ndarray) -> np.ndarray:
    """Like :func:`gray_from_bgr` for RGB(A) channel order (scikit-image, PIL, matplotlib)."""
    if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] in (3, 4):
        image = image[:, :, [2, 1, 0]]
    return gray_from_bgr(image)



class Region(enum.Enum):
    """Which part of the frame the classifier sees."""

    CENTER_SQUARE = "center_square"
    FULL = "full"


@dataclass(frozen=True, kw_only=True)
class CropRule:
    """How the classifier's input is cut from a frame (see the module docstring)."""

    region: Region = Region.CENTER_SQUARE
    fraction: float = 1.0
    full_scale: int = 256
    invert: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.region, Region):
            raise FrameError(f"CropRule.region must be a Region, got {self.region!r}")
        if isinstance(self.fraction, bool) or not isinstance(self.fraction, (int, float)) or \
                not 0.0 < self.fraction <= 1.0:
            raise FrameError(f"CropRule.fraction must be in (0, 1], got {self.fraction!r}")
        if isinstance(self.full_scale, bool) or not isinstance(self.full_scale, int) or \
                self.full_scale < 1:
            raise FrameError(f"CropRule.full_scale must be a positive int, got "
                             f"{self.full_scale!r}")
        if not isinstance(self.invert, bool):
            raise FrameError(f"CropRule.invert must be a bool, got {self.invert!r}")

    def box(self, height: int, width: int) -> tuple[int, int, int, int]:
        """``(y0, x0, rows, cols)`` of the region in a ``height`` x ``width`` frame."""
        if self.region is Region.FULL:
            return 0, 0, height, width
        side = max(1, int(self.fraction * min(height, width)))
        return (height - side) // 2, (width - side) // 2, side, side

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored as the package's ``model.preprocessing``)."""
        return {"region": self.region.value, "fraction": float(self.fraction),
                "full_scale": self.full_scale, "invert": self.invert}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CropRule:
        """Inverse of :meth:`to_dict` (extra keys, e.g. the input spec, are ignored)."""
        try:
            region = Region(data.get("region", Region.CENTER_SQUARE.value))
        except ValueError as exc:
            raise FrameError(f"CropRule.region must be one of "
                             f"{[r.value for r in Region]}, got {data.get('region')!r}") from exc
        return cls(region=region, fraction=float(data.get("fraction", 1.0)),
                   full_scale=int(data.get("full_scale", 256)),
                   invert=bool(data.get("invert", False)))


def _choices(values: tuple[int, ...]) -> str:
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_frame(
    frame: object,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
    channels: tuple[int, ...] = (1, 3, 4),
    shape: tuple[int, ...] | None = None,
    where: str = "",
    limit: str = "the package's maximum",
) -> np.ndarray:
    """Return ``frame`` if it is a frame the caller can take, else raise :class:`FrameError`.

    The one frame validator of fpgacnn (the pipeline, the sources, the edge golden
    model and the edge harness all call it). Accepts a uint8 array of shape (h, w),
    or (h, w, c) with ``c`` in ``channels`` (``channels=()``: gray only), non-empty,
    at most ``max_width`` x ``max_height`` pixels (named ``limit`` in the message)
    and equal to ``shape`` when given. ``where`` prefixes the message
    (``"frame 3: ..."``).
    """
    pre = f"{where}: " if where else ""
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"{pre}expected a numpy array, got {type(frame).__name__}")
    if frame.dtype.kind == "f" and np.isnan(frame).any():
        raise FrameError(f"{pre}frame contains NaN ({int(np.isnan(frame).sum())} values)")
    if frame.dtype != np.uint8:
        raise FrameError(f"{pre}expected dtype uint8, got {frame.dtype}")
    if not channels:
        if frame.ndim != 2:
            raise FrameError(f"{pre}expected a 2-D gray frame (height, width), got shape "
                             f"{tuple(frame.shape)}")
    elif frame.ndim not in (2, 3):
        raise FrameError(f"{pre}expected a frame of shape (h, w) or (h, w, c), got shape "
                         f"{tuple(frame.shape)}")
    elif frame.ndim == 3 and frame.shape[2] not in channels:
        raise FrameError(f"{pre}expected {_choices(channels)} channels, got {frame.shape[2]}")
    h, w = frame.shape[:2]
    if h < 1 or w < 1:
        raise FrameError(f"{pre}expected a non-empty frame, got shape {tuple(frame.shape)}")
    if (max_width is not None and w > max_width) or (max_height is not None and h > max_height):
        raise FrameError(f"{pre}frame of {w}x{h} pixels exceeds {limit} {max_width}x{max_height}")
    if shape is not None and tuple(frame.shape) != tuple(shape):
        raise FrameError(f"{pre}expected shape {tuple(shape)} like the first frame, got "
                         f"{tuple(frame.shape)}")
    return frame


def gray_of(frame: np.ndarray) -> np.ndarray:
    """The edge core's input: the frame as uint8 (h, w) gray, C-contiguous."""
    return np.ascontiguousarray(gray_from_bgr(frame))


def classifier_codes(frame: np.ndarray, rule: CropRule, spec: InputSpec) -> np.ndarray:
    """The classifier's input codes ``(H, W, C)`` uint8 for a checked frame."""
    y0, x0, rows, cols = rule.box(frame.shape[0], frame.shape[1])
    crop = frame[y0:y0 + rows, x0:x0 + cols]
    if crop.ndim == 3:
        crop = crop[:, :, :1] if crop.shape[2] == 1 else crop[:, :, 2::-1]  # BGR(A) -> RGB
    return to_codes(crop[None], spec, full_scale=rule.full_scale, invert=rule.invert)[0]


__all__ = ["CropRule", "Region", "check_frame", "classifier_codes", "gray_of"]
