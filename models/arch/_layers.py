"""A builder for chains of the layers the hardware flow supports.

:class:`Stack` offers exactly the supported layers (Conv2D with stride 1 and
valid/same padding, Dense, saturating quantized ReLU, MaxPooling2D, Flatten)
and puts the input quantizer first, so an architecture file cannot produce
anything the flow rejects. With ``quant=None`` it builds the float twin of
the same architecture (plain Keras layers, no quantizers).
"""

from __future__ import annotations

import logging

from fpgacnn.spec.preprocess import INPUT_QUANTIZER

from .._keras import keras, qkeras
from ..configs import Padding
from ..errors import UnsupportedLayerError
from ..quant import QuantConfig

log = logging.getLogger(__name__)


class Stack:
    """Accumulates layers on a single path from a ``(H, W, C)`` input.

    Layers are named ``conv1``, ``relu1``, ``pool1``, ``flatten``, ``fc1``
    ... in order; the input quantizer is ``input_quant``. Every method returns
    ``self`` so an architecture reads as one expression.
    """

    def __init__(
        self, *, name: str, input_shape: tuple[int, int, int], quant: QuantConfig | None
    ) -> None:
        self.name = name
        self.quant = quant
        self._input = keras.Input(shape=input_shape, name="input")
        self._x = self._input
        self._counts: dict[str, int] = {}
        if quant is not None:
            self._x = qkeras.QActivation(INPUT_QUANTIZER, name="input_quant")(self._x)

    def _name(self, kind: str) -> str:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        return f"{kind}{self._counts[kind]}"

    def _spatial(self) -> tuple[int, int]:
        shape = self._x.shape
        if len(shape) != 4:
            raise UnsupportedLayerError(
                f"model '{self.name}': a 2-D layer cannot follow a flattened tensor"
            )
        return int(shape[1]), int(shape[2])

    def conv(self, filters: int, kernel: int, *, padding: Padding) -> Stack:
        """Add a stride-1 ``kernel`` x ``kernel`` convolution with ``filters`` outputs."""
        if not isinstance(padding, Padding):
            raise UnsupportedLayerError(f"model '{self.name}': padding must be a Padding, "
                                        f"got {padding!r}")
        name = self._name("conv")
        h, w = self._spatial()
        if padding is Padding.VALID and (kernel > h or kernel > w):
            raise UnsupportedLayerError(
                f"model '{self.name}': {name} kernel {kernel}x{kernel} does not fit its "
                f"{h}x{w} input with padding 'valid'"
            )
        args = dict(strides=1, padding=padding.value, name=name)
        if self.quant is None:
            layer = keras.layers.Conv2D(filters, kernel, **args)
        else:
            layer = qkeras.QConv2D(
                filters,
                kernel,
                kernel_quantizer=self.quant.weight_quantizer,
                bias_quantizer=self.quant.bias_quantizer,
                **args,
            )
        self._x = layer(self._x)
        return self

    def relu(self) -> Stack:
        """Add a ReLU: saturating ``quantized_relu`` when quantized."""
        name = self._name("relu")
        if self.quant is None:
            self._x = keras.layers.ReLU(name=name)(self._x)
        else:
            self._x = qkeras.QActivation(self.quant.activation, name=name)(self._x)
        return self

    def pool(self, size: int) -> Stack:
        """Add a ``size`` x ``size`` max pooling with stride ``size`` (``size`` 1: nothing)."""
        if size == 1:
            return self
        name = self._name("pool")
        h, w = self._spatial()
        if size > h or size > w:
            raise UnsupportedLayerError(
                f"model '{self.name}': {name} pool size {size} does not fit its {h}x{w} input"
            )
        self._x = keras.layers.MaxPooling2D(pool_size=size, strides=size, name=name)(self._x)
        return self

    def flatten(self) -> Stack:
        """Flatten the feature map (once, before the dense layers)."""
        self._spatial()
        self._x = keras.layers.Flatten(name="flatten")(self._x)
        return self

    def dense(self, units: int) -> Stack:
        """Add a fully connected layer with ``units`` outputs (no activation)."""
        if len(self._x.shape) != 2:
            raise UnsupportedLayerError(
                f"model '{self.name}': a dense layer needs a flattened input; call flatten() first"
            )
        name = self._name("fc")
        if self.quant is None:
            layer = keras.layers.Dense(units, name=name)
        else:
            layer = qkeras.QDense(
                units,
                kernel_quantizer=self.quant.weight_quantizer,
                bias_quantizer=self.quant.bias_quantizer,
                name=name,
            )
        self._x = layer(self._x)
        return self

    def build(self) -> keras.Model:
        """Return the model; its outputs are the class logits (no softmax)."""
        model = keras.Model(self._input, self._x, name=self.name)
        log.debug("built %s: %d parameters", self.name, model.count_params())
        return model


__all__ = ["Stack"]
