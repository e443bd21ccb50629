"""``cnv``: FINN's CNV layout for 32x32x3 CIFAR-10 at 2-bit weights and activations.

input -> quantizer -> 2 x (QConv2D 3x3 valid 64) -> MaxPool 2 -> 2 x (QConv2D 3x3
valid 128) -> MaxPool 2 -> 2 x (QConv2D 3x3 valid 256) -> Flatten -> QDense 512
-> QDense 512 -> QDense 10, a quantized ReLU after every hidden layer: the network
FINN fits on a PYNQ-Z1/Z2 (CNV-w2a2: 2-bit weights ``quantized_bits(2, 0)``,
2-bit activations ``quantized_relu(2, 1)``; FINN folds its BatchNorm layers into
thresholds, here the convolutions carry an 8-bit bias instead). It is the anchor
of the folded classifier core's benchmark (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.preprocess import ColorMode, InputSpec

from .._keras import keras
from ..configs import ModelConfig, Padding
from ..errors import ConfigError
from ..quant import QuantConfig
from ._layers import Stack

INPUT = InputSpec(height=32, width=32, color=ColorMode.RGB)

#: CNV-w2a2's quantization.
W2A2 = QuantConfig(weight_bits=2, weight_integer=0, act_bits=2, act_integer=1)


@dataclass(frozen=True, kw_only=True)
class CnvConfig(ModelConfig):
    """``filters`` of the three pairs of 3x3 valid convolutions, ``units`` of the two
    hidden dense layers (FINN's CNV: 64, 128, 256 and 512, 512)."""

    quant: QuantConfig | None = W2A2
    filters: tuple[int, ...] = (64, 128, 256)
    units: tuple[int, ...] = (512, 512)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.filters) != 3 or len(self.units) != 2:
            raise ConfigError("CnvConfig.filters must have 3 entries and CnvConfig.units 2")


Config = CnvConfig


def build_model(cfg: CnvConfig = CnvConfig()) -> keras.Model:
    """Build the CNV network for ``cfg``."""
    stack = Stack(name="cnv", input_shape=INPUT.shape, quant=cfg.quant)
    for i, filters in enumerate(cfg.filters):
        for _ in range(2):
            stack.conv(filters, 3, padding=Padding.VALID).relu()
        if i < 2:
            stack.pool(2)
    stack.flatten()
    for units in cfg.units:
        stack.dense(units).relu()
    return stack.dense(cfg.num_classes).build()
