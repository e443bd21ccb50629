"""Image preprocessing shared by training and the board runtime (numpy only).

Every model of the zoo starts with an input quantizer
``quantized_bits(8, 0, keep_negative=False, alpha=1)``: its grid is
``code / 256`` for integer codes ``0..255``. This module maps images onto that
grid, and it is the *only* definition of the mapping, so training, the
simulators and :mod:`fpgacnn.sw` on the board produce identical integers.

The rule, applied by :func:`to_codes` in this order:

1. **colour**: RGB -> gray is ``(299 R + 587 G + 114 B) / 1000`` (ITU-R
   BT.601); gray -> RGB repeats the channel;
2. **resize** to the model's height x width with a :class:`ResizeMethod`
   (separable, half-pixel centres; every weight is a rational number, see
   :func:`resize_weights`);
3. **scale**: ``v = x * 256 / full_scale`` where ``full_scale`` is the source
   value that would map to 1.0 (256 for 8-bit pixels, so an 8-bit pixel is its
   own code; 16 for scikit-learn's ``load_digits``; 1.0 for images in [0, 1]);
4. **round and clip**: ``code = clip(rint(v), 0, 255)`` (``rint`` rounds half
   to even) as ``uint8``;
5. **invert** (optional, for dark ink on light paper): ``code = 255 - code``.

For integer images (8-bit frames, ``load_digits``) and an integer
``full_scale`` the whole computation is exact integer arithmetic, so the codes
are identical on every machine and numpy version, ties included; other inputs
(float images, or integers so large that an intermediate could exceed 2**62)
are computed in float64.

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
_GRID_INT = 1 << INPUT_BITS
_GRAY_WEIGHTS = np.array([299, 587, 114], np.int64)  # BT.601 luma, over _GRAY_DEN
_GRAY_DEN = 1000


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
    """Return ``images`` as NHWC (dtype kept), checking the layout."""
    arr = np.asarray(images)
    ok = arr.dtype.kind in "uif" and arr.ndim in (3, 4) and 0 not in arr.shape
    if ok and arr.ndim == 3:
        arr = arr[..., None]
    if not ok or arr.shape[-1] not in (1, 3):
        raise DataShapeError(
            "images must be a non-empty numeric array of shape (N, H, W) or (N, H, W, C) "
            f"with C in {{1, 3}}; got {np.asarray(images).dtype} of shape {np.shape(images)}"
        )
    return arr


def resize_weights(n_in: int, n_out: int, method: ResizeMethod) -> tuple[np.ndarray, int]:
    """Return integer weights ``(n_out, n_in)`` and their common denominator for one axis.

    Output sample ``o`` is ``sum_i weights[o, i] * x[i] / denominator``; each
    row sums to the denominator, so a constant image stays constant.
    Half-pixel centres: output ``o`` sits at input position
    ``(o + 0.5) * n_in / n_out - 0.5``.
    """
    rows = np.arange(n_out, dtype=np.int64)
    out = np.zeros((n_out, n_in), np.int64)
    if n_in == n_out:
        return np.eye(n_out, dtype=np.int64), 1
    if method is ResizeMethod.NEAREST:
        src = np.minimum(((2 * rows + 1) * n_in) // (2 * n_out), n_in - 1)
        out[rows, src] = 1
        return out, 1
    if method is ResizeMethod.BILINEAR:
        den = 2 * n_out  # position = ((2o + 1) n_in - n_out) / (2 n_out), clamped to the image
        pos = np.clip((2 * rows + 1) * n_in - n_out, 0, (n_in - 1) * den)
        lo = pos // den
        frac = pos - lo * den
        np.add.at(out, (rows, lo), den - frac)
        np.add.at(out, (rows, np.minimum(lo + 1, n_in - 1)), frac)
        return out, den
    # AREA: output o covers [o n_in, (o + 1) n_in) and input i covers [i n_out, (i + 1) n_out)
    # in units of 1 / n_out; the overlap, divided by n_in, is the weight.
    cols = np.arange(n_in, dtype=np.int64)
    overlap = (np.minimum((rows[:, None] + 1) * n_in, (cols + 1) * n_out)
               - np.maximum(rows[:, None] * n_in, cols * n_out))
    return np.clip(overlap, 0, None), n_in


def resize_matrix(n_in: int, n_out: int, method: ResizeMethod) -> np.ndarray:
    """Return the ``(n_out, n_in)`` float64 resampling matrix (:func:`resize_weights` / den)."""
    weights, den = resize_weights(n_in, n_out, method)
    return weights / den


def _round_half_even(num: np.ndarray, den: int) -> np.ndarray:
    """Exact ``rint(num / den)`` for integer arrays and a positive integer ``den``."""
    q, r = np.divmod(num, den)
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    return q + up


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
    arr = _as_batch(images)
    _, h, w, channels = arr.shape
    to_gray = spec.color is ColorMode.GRAY and channels == 3
    rows, den_rows = resize_weights(h, spec.height, spec.resize)
    cols, den_cols = resize_weights(w, spec.width, spec.resize)
    den = (_GRAY_DEN if to_gray else 1) * den_rows * den_cols
    # The image is num / den: exact int64 for integer images (when no intermediate can
    # overflow), else float64.
    exact = (
        arr.dtype.kind in "ui"
        and float(full_scale).is_integer()
        and int(np.abs(arr).max()) * den * _GRID_INT < 2**62
    )
    num = arr.astype(np.int64) if exact else arr.astype(np.float64)
    if to_gray:
        num = np.tensordot(num, _GRAY_WEIGHTS, axes=([3], [0]))[..., None]
    elif spec.color is ColorMode.RGB and channels == 1:
        num = np.repeat(num, 3, axis=3)
    if (h, w) != (spec.height, spec.width):
        num = np.einsum("oh,nhwc->nowc", rows, num)
        num = np.einsum("pw,nowc->nopc", cols, num)
    if exact:  # v = num * 256 / (den * full_scale), rounded exactly
        values = _round_half_even(num * _GRID_INT, den * int(full_scale))
    else:
        values = np.rint(num * (_GRID / (den * float(full_scale))))
    codes = np.clip(values, 0, _CODE_MAX).astype(np.uint8)
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
    "resize_weights",
    "to_codes",
]
