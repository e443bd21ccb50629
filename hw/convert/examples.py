"""Small handmade QKeras models that exercise every layer the hardware flows support.

Used by the tests of the hls4ml conversion and of the RTL backend, and handy as
examples: valid and same convolutions, two conv layers, dense-only, signed and
unsigned inputs, bias-free layers, bit widths 2 to 8. Weights are random over
each quantizer's range (seeded), so the models are deterministic.
"""

from __future__ import annotations

import numpy as np

from fpgacnn.models._keras import keras, qkeras

QB = qkeras.quantized_bits
QR = qkeras.quantized_relu


def _randomize(model: keras.Model, seed: int) -> keras.Model:
    """Give every weight a random value spread over its quantizer's range."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-1.5, 1.5, w.shape) for w in model.get_weights()])
    return model


def conv_valid_dense() -> keras.Model:
    """8x8x1 unsigned 8-bit input, 2-bit conv weights, 3-bit ReLU, max-pool, 8-bit dense."""
    inp = keras.Input((8, 8, 1), name="x")
    x = qkeras.QActivation(QB(8, 0, keep_negative=False, alpha=1), name="q_in")(inp)
    x = qkeras.QConv2D(4, 3, padding="valid", kernel_quantizer=QB(2, 0, alpha=1),
                       bias_quantizer=QB(4, 1, alpha=1), name="conv")(x)
    x = qkeras.QActivation(QR(3, 1), name="relu")(x)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(5, kernel_quantizer=QB(8, 2, alpha=1), bias_quantizer=QB(8, 3, alpha=1),
                      name="fc")(x)
    return _randomize(keras.Model(inp, x, name="tiny_a"), 1)


def conv_same_two_layers() -> keras.Model:
    """6x6x2 signed 6-bit input, same-padded conv, bias-free valid conv, 8-bit output quantizer."""
    inp = keras.Input((6, 6, 2), name="x")
    x = qkeras.QActivation(QB(6, 2, alpha=1), name="q_in")(inp)
    x = qkeras.QConv2D(3, 3, padding="same", kernel_quantizer=QB(5, 1, alpha=1),
                       bias_quantizer=QB(6, 2, alpha=1), name="conv_a")(x)
    x = qkeras.QActivation(QR(8, 3), name="relu_a")(x)
    x = qkeras.QConv2D(2, 3, padding="valid", use_bias=False, kernel_quantizer=QB(3, 0, alpha=1),
                       name="conv_b")(x)
    x = qkeras.QActivation(QR(4, 2), name="relu_b")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(4, kernel_quantizer=QB(6, 1, alpha=1), bias_quantizer=QB(6, 2, alpha=1),
                      name="fc")(x)
    x = qkeras.QActivation(QB(8, 4, alpha=1), name="q_out")(x)
    return _randomize(keras.Model(inp, x, name="tiny_b"), 2)


def dense_only() -> keras.Model:
    """4x4x2 unsigned 4-bit input, two dense layers with a 2-bit ReLU between them."""
    inp = keras.Input((4, 4, 2), name="x")
    x = qkeras.QActivation(QR(4, 0), name="q_in")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(6, kernel_quantizer=QB(4, 0, alpha=1), bias_quantizer=QB(4, 0, alpha=1),
                      name="fc_a")(x)
    x = qkeras.QActivation(QR(2, 0), name="relu")(x)
    x = qkeras.QDense(3, kernel_quantizer=QB(7, 0, alpha=1), bias_quantizer=QB(7, 1, alpha=1),
                      name="fc_b")(x)
    return _randomize(keras.Model(inp, x, name="tiny_c"), 3)


#: name -> factory of each example model.
EXAMPLES = {"conv_valid_dense": conv_valid_dense, "conv_same_two_layers": conv_same_two_layers,
            "dense_only": dense_only}
