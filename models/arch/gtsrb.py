"""``gtsrb``: German traffic signs, 32x32x3, 43 classes.

input -> quantizer -> 3 x (QConv2D 3x3 same -> ReLU -> MaxPool 2) -> Flatten
-> QDense -> ReLU -> QDense 43. Trained from an image folder (one sub-folder
per class, e.g. GTSRB's ``Final_Training/Images``); signs are not mirrored
during augmentation (left and right turns differ).
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
class GtsrbConfig(ModelConfig):
    """``filters`` of the three convolutions, ``units`` of the hidden dense layer."""

    num_classes: int = 43
    filters: tuple[int, ...] = (16, 32, 64)
    kernel: int = 3
    units: int = 128

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.filters) != 3:
            raise ConfigError("GtsrbConfig.filters must have exactly 3 entries")


Config = GtsrbConfig


def build_model(cfg: GtsrbConfig = GtsrbConfig()) -> keras.Model:
    """Build the traffic-sign CNN for ``cfg``."""
    stack = Stack(name="gtsrb", input_shape=INPUT.shape, quant=cfg.quant)
    for filters in cfg.filters:
        stack.conv(filters, cfg.kernel, padding=Padding.SAME).relu().pool(2)
    return stack.flatten().dense(cfg.units).relu().dense(cfg.num_classes).build()
