"""``faces``: face / non-face on scikit-image's ``lfw_subset`` (25x25x1, 2 classes).

input -> quantizer -> 2 x (QConv2D 3x3 valid -> ReLU -> MaxPool 2) -> Flatten
-> QDense 2. Class 0 is non-face, class 1 face.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.preprocess import ColorMode, InputSpec

from .._keras import keras
from ..configs import ModelConfig, Padding
from ._layers import Stack

INPUT = InputSpec(height=25, width=25, color=ColorMode.GRAY)


@dataclass(frozen=True, kw_only=True)
class FacesConfig(ModelConfig):
    """``filters`` of the convolutions (one conv + pool block per entry)."""

    num_classes: int = 2
    filters: tuple[int, ...] = (8, 16)
    kernel: int = 3


Config = FacesConfig


def build_model(cfg: FacesConfig = FacesConfig()) -> keras.Model:
    """Build the face-detection CNN for ``cfg``."""
    stack = Stack(name="faces", input_shape=INPUT.shape, quant=cfg.quant)
    for filters in cfg.filters:
        stack.conv(filters, cfg.kernel, padding=Padding.VALID).relu().pool(2)
    return stack.flatten().dense(cfg.num_classes).build()
