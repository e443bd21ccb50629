"""``cifar10``: 3 convolutions + 2 dense layers for 32x32x3 CIFAR-10.

input -> quantizer -> 3 x (QConv2D 3x3 same -> ReLU -> MaxPool 2) -> Flatten
-> QDense -> ReLU -> QDense 10.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.preprocess import ColorMode, InputSpec

from .._keras import keras
from ..configs import ModelConfig, Padding
from ..errors import ConfigError
from ._layers import Stack

INPUT = InputSpec(height=32, width=32, color=ColorMode.RGB)


@dataclass(frozen=True, kw_only=True)
class Cifar10Config(ModelConfig):
    """``filters`` of the three convolutions, ``units`` of the hidden dense layer."""

    filters: tuple[int, ...] = (16, 32, 64)
    kernel: int = 3
    units: int = 64

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.filters) != 3:
            raise ConfigError("Cifar10Config.filters must have exactly 3 entries")


Config = Cifar10Config


def build_model(cfg: Cifar10Config = Cifar10Config()) -> keras.Model:
    """Build the CIFAR-10 CNN for ``cfg``."""
    stack = Stack(name="cifar10", input_shape=INPUT.shape, quant=cfg.quant)
    for filters in cfg.filters:
        stack.conv(filters, cfg.kernel, padding=Padding.SAME).relu().pool(2)
    return stack.flatten().dense(cfg.units).relu().dense(cfg.num_classes).build()
