"""``mnist``: a LeNet-style 5-layer CNN (2 convolutions + 3 dense) for 28x28x1 MNIST.

input -> quantizer -> QConv2D 5x5 same -> ReLU -> MaxPool 2 -> QConv2D 5x5
valid -> ReLU -> MaxPool 2 -> Flatten -> QDense -> ReLU -> QDense -> ReLU ->
QDense 10, the layout LeCun et al. used for MNIST (LeNet-5).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.preprocess import ColorMode, InputSpec

from .._keras import keras
from ..configs import ModelConfig, Padding
from ..errors import ConfigError
from ._layers import Stack

INPUT = InputSpec(height=28, width=28, color=ColorMode.GRAY)


@dataclass(frozen=True, kw_only=True)
class MnistConfig(ModelConfig):
    """``filters`` of the two convolutions, ``kernel`` size, ``units`` of the two hidden dense."""

    filters: tuple[int, ...] = (6, 16)
    kernel: int = 5
    units: tuple[int, ...] = (120, 84)

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.filters) != 2 or len(self.units) != 2:
            raise ConfigError(
                "MnistConfig.filters and MnistConfig.units must have exactly 2 entries each"
            )


Config = MnistConfig


def build_model(cfg: MnistConfig = MnistConfig()) -> keras.Model:
    """Build the LeNet-style MNIST CNN for ``cfg``."""
    stack = Stack(name="mnist", input_shape=INPUT.shape, quant=cfg.quant)
    stack.conv(cfg.filters[0], cfg.kernel, padding=Padding.SAME).relu().pool(2)
    stack.conv(cfg.filters[1], cfg.kernel, padding=Padding.VALID).relu().pool(2)
    stack.flatten()
    for units in cfg.units:
        stack.dense(units).relu()
    return stack.dense(cfg.num_classes).build()
