"""Quantizers written as strings (``QActivation("quantized_relu(4, 0)")``) in canonicalize."""

from __future__ import annotations

import numpy as np

from fpgacnn.hw.convert.canonical import canonicalize
from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.hw.convert.sources import random_on_grid
from fpgacnn.models._keras import keras, qkeras


def test_float_relu_then_string_quantizer_merges() -> None:
    """A float relu inside QDense, then ``QActivation("quantized_relu(4, 0)")`` as a string:
    the relu merges (it used to raise ImportError from a QKeras module without the helper)."""
    x = x_in = keras.Input((6,))
    x = qkeras.QActivation("quantized_bits(6, 2, alpha=1)", name="q_in")(x)
    x = qkeras.QDense(4, activation="relu", kernel_quantizer="quantized_bits(4, 0, alpha=1)",
                      bias_quantizer="quantized_bits(4, 0, alpha=1)", name="dense")(x)
    x = qkeras.QActivation("quantized_relu(4, 0)", name="act")(x)
    model = keras.Model(x_in, x)
    canon = canonicalize(model)
    assert [n.kind for n in canon.notices].count("relu_merged") == 1
    t_in = FixedType(width=6, integer=3, signed=True)  # quantized_bits(6, 2) with its sign
    xs = random_on_grid(t_in, (6,), 64, seed=3)
    np.testing.assert_array_equal(canon.model.predict(xs, verbose=0),
                                  model.predict(xs, verbose=0))

