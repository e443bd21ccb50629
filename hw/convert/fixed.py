"""Fixed-point types as hls4ml / Vitis HLS ``ap_fixed`` know them (numpy only)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgacnn.spec.errors import ConfigError


class Rounding(enum.Enum):
    """Quantization mode of an ``ap_fixed`` (what happens to dropped fraction bits)."""

    TRN = "TRN"  # truncate towards minus infinity
    RND_CONV = "RND_CONV"  # round half to even (QKeras activations)


class Overflow(enum.Enum):
    """Overflow mode of an ``ap_fixed``."""

    WRAP = "WRAP"
    SAT = "SAT"


@dataclass(frozen=True, kw_only=True)
class FixedType:
    """``ap_[u]fixed<width, integer, rounding, overflow>``.

    ``integer`` counts the sign bit for signed types, as in ``ap_fixed``;
    ``width - integer`` is the number of fraction bits (may exceed ``width``
    or be negative, as ``ap_fixed`` allows).
    """

    width: int
    integer: int
    signed: bool
    rounding: Rounding = Rounding.TRN
    overflow: Overflow = Overflow.WRAP

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ConfigError(f"FixedType.width must be >= 1, got {self.width}")

    @property
    def fraction(self) -> int:
        """Number of fraction bits."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        """The value of one least significant bit."""
        return 2.0 ** (-self.fraction)

    @property
    def min(self) -> float:
        """The smallest representable value."""
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def max(self) -> float:
        """The largest representable value."""
        top = 2.0 ** (self.integer - 1) if self.signed else 2.0**self.integer
        return top - self.lsb

    def hls(self) -> str:
        """The hls4ml precision string, e.g. ``fixed<8,1,RND_CONV,SAT>``."""
        base = "fixed" if self.signed else "ufixed"
        return f"{base}<{self.width},{self.integer},{self.rounding.value},{self.overflow.value}>"

    def __str__(self) -> str:
        return self.hls()

    def with_modes(self, rounding: Rounding, overflow: Overflow) -> FixedType:
        """The same grid with other rounding/overflow modes."""
        return FixedType(width=self.width, integer=self.integer, signed=self.signed,
                         rounding=rounding, overflow=overflow)

    def contains(self, lo: float, hi: float) -> bool:
        """Whether every value in ``[lo, hi]`` lies inside the representable range."""
        return self.min <= lo and hi <= self.max

    def on_grid(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask: which elements are exactly representable by this type."""
        scaled = np.asarray(x, dtype=np.float64) / self.lsb
        return (scaled == np.round(scaled)) & (x >= self.min) & (x <= self.max)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (with the hls4ml string for humans)."""
        return {"width": self.width, "integer": self.integer, "signed": self.signed,
                "rounding": self.rounding.value, "overflow": self.overflow.value,
                "hls": self.hls()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixedType:
        """Inverse of :meth:`to_dict`."""
        return cls(width=int(data["width"]), integer=int(data["integer"]),
                   signed=bool(data["signed"]), rounding=Rounding(data["rounding"]),
                   overflow=Overflow(data["overflow"]))


def exact_sum_type(bound: float, fraction: int, *, signed: bool = True) -> FixedType:
    """The narrowest type with ``fraction`` fraction bits holding all of ``[-bound, bound]``.

    Used for accumulators: with the fraction bits of the products and an
    integer part covering the largest possible |sum|, nothing is ever rounded
    or overflows. Outputs saturate (never reached, but never wrap either).
    """
    top = bound + 2.0 ** (-fraction)  # max must be >= bound: 2**(i-1) - lsb >= bound
    int_bits = max(1, math.ceil(math.log2(top)) + 1) if top > 0 else 1
    if not signed:
        int_bits -= 1
    width = max(1, int_bits + fraction)
    return FixedType(width=width, integer=int_bits, signed=signed, rounding=Rounding.TRN,
                     overflow=Overflow.SAT)


def requantize_codes(acc: Any, shift: int, width: int, signed: bool, *,
                     relu: bool = False) -> np.ndarray:
    """Integer codes at 2^-f -> codes of a ``width``-bit type at 2^-(f - shift): round half
    to even (``shift`` > 0; a left shift when <= 0), optional ReLU, saturate.

    The arithmetic of ``fcnn_cnn_requant`` and the MVU's in-unit requantization (AP_RND_CONV,
    AP_SAT); integer only, so it is exact for any accumulator that fits int64.
    """
    acc = np.asarray(acc, dtype=np.int64)
    if shift > 0:
        floor = acc >> shift
        rem = acc - (floor << shift)
        half = np.int64(1) << (shift - 1)
        q = floor + ((rem > half) | ((rem == half) & ((floor & 1) == 1))).astype(np.int64)
    else:
        q = acc << (-shift)
    if relu:
        q = np.maximum(q, 0)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    return np.clip(q, lo, hi)
