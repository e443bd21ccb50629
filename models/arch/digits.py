"""``digits``: the default model, for scikit-learn's 8x8 ``load_digits``.

input 8x8x1 -> input quantizer -> QConv2D 3x3 (16 filters, valid) -> quantized
ReLU -> MaxPool 2x2 -> Flatten -> QDense 10. About 1.6 k parameters and
2.9 k MACs; trains to ~98-99 % quantized test accuracy in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.preprocess import ColorMode, InputSpec

from .._keras import keras
from ..configs import ModelConfig, Padding
from ._layers import Stack

INPUT = InputSpec(height=8, width=8, color=ColorMode.GRAY)


@dataclass(frozen=True, kw_only=True)
class DigitsConfig(ModelConfig):
    """One convolution, one pooling, one dense layer.

    ``filters`` convolution outputs with a ``kernel`` x ``kernel`` window,
    ``pool`` x ``pool`` max pooling (1: none), ``num_classes`` logits.
    """

    filters: int = 16
    kernel: int = 3
    padding: Padding = Padding.VALID
    pool: int = 2


Config = DigitsConfig


def build_model(cfg: DigitsConfig = DigitsConfig()) -> keras.Model:
    """Build the digits CNN for ``cfg`` (float twin when ``cfg.quant`` is None)."""
    return (
        Stack(name="digits", input_shape=INPUT.shape, quant=cfg.quant)
        .conv(cfg.filters, cfg.kernel, padding=cfg.padding)
        .relu()
        .pool(cfg.pool)
        .flatten()
        .dense(cfg.num_classes)
        .build()
    )
