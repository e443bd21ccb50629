"""Image preprocessing shared by training and the board runtime (numpy only).

Every model of the zoo starts with an input quantizer
``quantized_bits(8, 0, keep_negative=False, alpha=1)``: its grid is
``code / 256`` for integer codes ``0..255``. This module maps images onto that
grid, and it is the *only* definition of the mapping, so training, the
simulators and :mod:`fpgacnn.sw` on the board produce identical integers.

The rule, applied by :func:`to_codes` in this order:

1. **colour**: RGB -> gray is ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601);
   gray -> RGB repeats the channel;
2. **resize** to the model's height x width with a :class:`ResizeMethod`
   (separable, half-pixel centres, computed in float64);
3. **scale**: ``v = x * 256 / full_scale`` where ``full_scale`` is the source
   value that would map to 1.0 (256 for 8-bit pixels, so an 8-bit pixel is its
   own code; 16 for scikit-learn's ``load_digits``; 1.0 for images in [0, 1]);
4. **round and clip**: ``code = clip(rint(v), 0, 255)`` (``rint`` rounds half
   to even) as ``uint8``;
5. **invert** (optional, for dark ink on light paper): ``code = 255 - code``.

The model input is then ``code / 256`` (:func:`codes_to_input`), which the
input quantizer leaves unchanged; the hardware receives ``code`` itself as
an 8-bit pixel. For example a ``load_digits`` pixel ``p`` in 0..16 becomes
``min(16 p, 255)``.

This module must not import TensorFlow (a test checks it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError, DataShapeError

#: Bits of an input code, and fractional bits of the input quantizer's grid.
INPUT_BITS = 8
#: The QKeras quantizer every zoo model has right after its input.
INPUT_QUANTIZER = "quantized_bits(8,0,keep_negative=False,alpha=1)"
_CODE_MAX = (1 << INPUT_BITS) - 1
_GRID = float(1 << INPUT_BITS)
_GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114])


class ColorMode(enum.Enum):
    """Channels a model expects: one gray channel or three RGB channels."""

    GRAY = "gray"
    RGB = "rgb"

    @property
    def channels(self) -> int:
        """The number of channels of this mode (1 or 3)."""
        return 1 if self is ColorMode.GRAY else 3


class ResizeMethod(enum.Enum):
    """How :func:`to_codes` resamples an image to the model's size."""

    #: nearest neighbour (pixel centres)
    NEAREST = "nearest"
    #: bilinear with half-pixel centres and replicated borders (like OpenCV's INTER_LINEAR)
    BILINEAR = "bilinear"
    #: mean over the covered input area (anti-aliased downscaling, like INTER_AREA)
    AREA = "area"


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """The input a model expects: size, colour mode and resampling method.

    Serialised with every saved model (:meth:`to_dict`) so the board can
    rebuild it with :meth:`from_dict`.
    """

    height: int
    width: int
    color: ColorMode = ColorMode.GRAY
    resize: ResizeMethod = ResizeMethod.AREA

    def __post_init__(self) -> None:
        for name in ("height", "width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"InputSpec.{name} must be a positive int, got {value!r}")
        if not isinstance(self.color, ColorMode):
            raise ConfigError(f"InputSpec.color must be a ColorMode, got {self.color!r}")
        if not isinstance(self.resize, ResizeMethod):
            raise ConfigError(f"InputSpec.resize must be a ResizeMethod, got {self.resize!r}")

    @property
    def shape(self) -> tuple[int, int, int]:
        """The model's input shape ``(height, width, channels)``."""
        return (self.height, self.width, self.color.channels)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description, including the quantizer and grid rule."""
        return {
            "height": self.height,
            "width": self.width,
            "channels": self.color.channels,
            "color": self.color.value,
            "resize": self.resize.value,
            "bits": INPUT_BITS,
            "quantizer": INPUT_QUANTIZER,
            "rule": "code = clip(rint(x * 256 / full_scale), 0, 255); input = code / 256",
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputSpec:
        """Rebuild a spec written by :meth:`to_dict`."""
        return cls(
            height=int(data["height"]),
            width=int(data["width"]),
            color=ColorMode(data["color"]),
            resize=ResizeMethod(data["resize"]),
        )


def _as_batch(images: np.ndarray) -> np.ndarray:
    """Return ``images`` as float64 NHWC, checking the layout."""
    arr = np.asarray(images)
    if arr.dtype.kind not in "uif" or arr.ndim not in (3, 4) or 0 in arr.shape:
        raise DataShapeError(
            "images must be a non-empty numeric array of shape (N, H, W) or (N, H, W, C) "
            f"with C in {{1, 3}}; got {arr.dtype} of shape {arr.shape}"
        )
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.shape[-1] not in (1, 3):
        raise DataShapeError(
            "images must be a non-empty numeric array of shape (N, H, W) or (N, H, W, C) "
            f"with C in {{1, 3}}; got {arr.dtype} of shape {arr.shape}"
        )
    return arr.astype(np.float64)


def _convert_color(arr: np.ndarray, color: ColorMode) -> np.ndarray:
    channels = arr.shape[-1]
    if color is ColorMode.GRAY and channels == 3:
        return np.tensordot(arr, _GRAY_WEIGHTS, axes=([3], [0]))[..., None]
    if color is ColorMode.RGB and channels == 1:
        return np.repeat(arr, 3, axis=3)
    return arr


def resize_matrix(n_in: int, n_out: int, method: ResizeMethod) -> np.ndarray:
    """Return the ``(n_out, n_in)`` float64 matrix that resamples one axis.

    Each row sums to 1, so a constant image stays constant.
    """
    if n_in == n_out:
        return np.eye(n_out)
    scale = n_in / n_out
    out = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if method is ResizeMethod.NEAREST:
        src = np.minimum(np.floor((rows + 0.5) * scale).astype(int), n_in - 1)
        out[rows, src] = 1.0
    elif method is ResizeMethod.BILINEAR:
        pos = np.clip((rows + 0.5) * scale - 0.5, 0.0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = pos - lo
        np.add.at(out, (rows, lo), 1.0 - frac)
        np.add.at(out, (rows, hi), frac)
    else:  # AREA: overlap of [i*scale, (i+1)*scale) with each input pixel
        starts, ends = rows * scale, (rows + 1) * scale
        cols = np.arange(n_in)
        overlap = np.minimum(ends[:, None], cols + 1.0) - np.maximum(starts[:, None], cols)
        out = np.clip(overlap, 0.0, None) / scale
    return out


def to_codes(
    images: np.ndarray, spec: InputSpec, *, full_scale: float = 256.0, invert: bool = False
) -> np.ndarray:
    """Map a batch of images onto the model's input grid as ``uint8`` codes.

    ``images`` is ``(N, H, W)`` or ``(N, H, W, C)`` with ``C`` 1 or 3, any
    numeric dtype; the result is ``(N, spec.height, spec.width, channels)``
    ``uint8``, computed by the rule in the module docstring.
    """
    if not full_scale > 0:
        raise ConfigError(f"full_scale must be > 0, got {full_scale!r}")
    arr = _convert_color(_as_batch(images), spec.color)
    n, h, w, _ = arr.shape
    if (h, w) != (spec.height, spec.width):
        rows = resize_matrix(h, spec.height, spec.resize)
        cols = resize_matrix(w, spec.width, spec.resize)
        arr = np.einsum("oh,nhwc,pw->nopc", rows, arr, cols)
    codes = np.clip(np.rint(arr * (_GRID / full_scale)), 0, _CODE_MAX).astype(np.uint8)
    if invert:
        codes = _CODE_MAX - codes
    return codes


def codes_to_input(codes: np.ndarray) -> np.ndarray:
    """Return the model input ``codes / 256`` as float32 (exact: codes have 8 bits)."""
    arr = np.asarray(codes)
    if arr.dtype != np.uint8:
        raise DataShapeError(f"codes must be uint8, got {arr.dtype}")
    return arr.astype(np.float32) / np.float32(_GRID)


def input_to_codes(x: np.ndarray) -> np.ndarray:
    """Invert :func:`codes_to_input`; fail if ``x`` is not on the input grid."""
    arr = np.asarray(x, dtype=np.float64) * _GRID
    codes = np.rint(arr)
    if np.any(codes != arr) or np.any(codes < 0) or np.any(codes > _CODE_MAX):
        raise DataShapeError(
            "input values are not on the 8-bit input grid (k / 256, 0 <= k <= 255)"
        )
    return codes.astype(np.uint8)


def preprocess(
    images: np.ndarray, spec: InputSpec, *, full_scale: float = 256.0, invert: bool = False
) -> np.ndarray:
    """Return the float32 model input for ``images``: ``codes_to_input(to_codes(...))``."""
    return codes_to_input(to_codes(images, spec, full_scale=full_scale, invert=invert))


__all__ = [
    "INPUT_BITS",
    "INPUT_QUANTIZER",
    "ColorMode",
    "InputSpec",
    "ResizeMethod",
    "codes_to_input",
    "input_to_codes",
    "preprocess",
    "resize_matrix",
    "to_codes",
]
