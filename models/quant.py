"""Quantization settings of a zoo model (no TensorFlow needed).

Weights and biases use QKeras ``quantized_bits(bits, integer, alpha=1)``
(signed, a power-of-two grid with no per-channel scale, which is what the
hardware flow maps one to one); activations use the saturating
``quantized_relu(bits, integer)``. The input quantizer is fixed by
:mod:`fpgacnn.spec.preprocess`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from fpgacnn.spec.preprocess import INPUT_QUANTIZER

from .errors import ConfigError

_MAX_BITS = 16


@dataclass(frozen=True, kw_only=True)
class QuantConfig:
    """Bit widths of weights, biases and activations.

    ``*_bits`` is the total width including the sign (weights, biases) and
    ``*_integer`` the number of integer bits (excluding the sign), as in
    QKeras. Defaults: 4-bit weights in [-1, 0.875], 8-bit biases in [-8, 8),
    6-bit activations in [0, 3.9375].
    """

    weight_bits: int = 4
    weight_integer: int = 0
    bias_bits: int = 8
    bias_integer: int = 3
    act_bits: int = 6
    act_integer: int = 2

    def __post_init__(self) -> None:
        for kind in ("weight", "bias", "act"):
            bits, integer = getattr(self, f"{kind}_bits"), getattr(self, f"{kind}_integer")
            for name, value in ((f"{kind}_bits", bits), (f"{kind}_integer", integer)):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ConfigError(f"QuantConfig.{name} must be an int, got {value!r}")
            if not 2 <= bits <= _MAX_BITS:
                raise ConfigError(
                    f"QuantConfig.{kind}_bits must be in 2..{_MAX_BITS}, got {bits}"
                )
            # signed quantizers spend one bit on the sign
            limit = bits if kind == "act" else bits - 1
            if not 0 <= integer <= limit:
                raise ConfigError(
                    f"QuantConfig.{kind}_integer must be in 0..{limit} for "
                    f"{kind}_bits={bits}, got {integer}"
                )

    @property
    def weight_quantizer(self) -> str:
        """The QKeras kernel quantizer, as a string QKeras and hls4ml parse."""
        return f"quantized_bits({self.weight_bits},{self.weight_integer},alpha=1)"

    @property
    def bias_quantizer(self) -> str:
        """The QKeras bias quantizer."""
        return f"quantized_bits({self.bias_bits},{self.bias_integer},alpha=1)"

    @property
    def activation(self) -> str:
        """The QKeras saturating ReLU after each hidden layer."""
        return f"quantized_relu({self.act_bits},{self.act_integer})"

    def to_dict(self) -> dict[str, Any]:
        """Return the settings and the quantizer strings, JSON-ready."""
        return {
            **asdict(self),
            "input_quantizer": INPUT_QUANTIZER,
            "weight_quantizer": self.weight_quantizer,
            "bias_quantizer": self.bias_quantizer,
            "activation": self.activation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuantConfig:
        """Rebuild from :meth:`to_dict` output (extra keys are ignored)."""
        names = ("weight_bits", "weight_integer", "bias_bits", "bias_integer", "act_bits",
                 "act_integer")
        return cls(**{k: int(data[k]) for k in names if k in data})


__all__ = ["QuantConfig"]
