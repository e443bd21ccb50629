"""What the hardware flow accepts, and what a model costs.

:func:`check_hardware_model` raises :class:`UnsupportedLayerError` for any
model the firmware generators cannot implement; :func:`layer_report`,
:func:`count_macs` and :func:`weight_sparsity` measure a model for the
metrics file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._keras import keras, qkeras
from .errors import UnsupportedLayerError

#: Human-readable list of the supported layers (used in error messages).
SUPPORTED = (
    "QActivation (quantized_bits input quantizer, quantized_relu), QConv2D (stride 1, "
    "padding valid/same), QDense, MaxPooling2D, Flatten"
)
_LINEAR = ("linear", None)


def _qname(quantizer: Any) -> str:
    return type(quantizer).__name__ if quantizer is not None else "none"


def _activation_name(layer: keras.layers.Layer) -> str | None:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", None) if callable(act) else act


def _check_weights_layer(model: keras.Model, layer: keras.layers.Layer) -> None:
    where = f"model '{model.name}': layer '{layer.name}'"
    if isinstance(layer, qkeras.QConv2D):
        if tuple(layer.strides) != (1, 1):
            raise UnsupportedLayerError(
                f"{where} has strides {tuple(layer.strides)}; the hardware flow needs stride 1"
            )
        if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
            raise UnsupportedLayerError(
                f"{where}: dilated or grouped convolutions are not supported"
            )
        if layer.padding not in ("valid", "same"):
            raise UnsupportedLayerError(
                f"{where} has padding '{layer.padding}'; use valid or same"
            )
    if _activation_name(layer) not in _LINEAR:
        raise UnsupportedLayerError(
            f"{where} has activation '{_activation_name(layer)}'; put activations in "
            "QActivation(quantized_relu(...)) layers"
        )
    if layer.kernel_quantizer_internal is None:
        raise UnsupportedLayerError(f"{where} has no kernel_quantizer; weights must be quantized")
    if layer.use_bias and layer.bias_quantizer_internal is None:
        raise UnsupportedLayerError(f"{where} has no bias_quantizer; biases must be quantized")


def check_hardware_model(model: keras.Model) -> None:
    """Raise :class:`UnsupportedLayerError` unless the hardware flow can build ``model``.

    Accepted: one ``(H, W, C)`` input, a ``quantized_bits`` QActivation right
    after it, then a single chain of the layers in :data:`SUPPORTED` with
    quantized weights and biases and saturating ``quantized_relu``
    activations.
    """
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
        raise UnsupportedLayerError(
            f"model '{model.name}' must have exactly one image input (H, W, C)"
        )
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    first = layers[0] if layers else None
    if not (isinstance(first, qkeras.QActivation) and _qname(first.quantizer) == "quantized_bits"):
        found = f"'{first.name}' ({type(first).__name__})" if first is not None else "nothing"
        raise UnsupportedLayerError(
            f"model '{model.name}': the first layer after the input must be a QActivation "
            f"with a quantized_bits quantizer, found {found}"
        )
    for layer in layers:
        if len(layer._inbound_nodes) > 1:  # a shared layer: not a single chain
            raise UnsupportedLayerError(
                f"model '{model.name}': layer '{layer.name}' is used more than once"
            )
        if isinstance(layer, qkeras.QActivation):
            kind = _qname(layer.quantizer)
            if layer is not first and (
                kind != "quantized_relu" or getattr(layer.quantizer, "negative_slope", 0) != 0
            ):
                raise UnsupportedLayerError(
                    f"model '{model.name}': layer '{layer.name}' uses {kind}; hidden activations "
                    "must be saturating quantized_relu(bits, integer)"
                )
        elif isinstance(layer, (qkeras.QConv2D, qkeras.QDense)):
            _check_weights_layer(model, layer)
        elif isinstance(layer, keras.layers.MaxPooling2D):
            if tuple(layer.pool_size) != tuple(layer.strides) or layer.padding != "valid":
                raise UnsupportedLayerError(
                    f"model '{model.name}': layer '{layer.name}' must pool with stride = pool "
                    "size and padding valid"
                )
        elif not isinstance(layer, keras.layers.Flatten):
            raise UnsupportedLayerError(
                f"model '{model.name}': layer '{layer.name}' ({type(layer).__name__}) is not "
                f"supported by the hardware flow (supported: {SUPPORTED})"
            )


def quantized_kernel(layer: keras.layers.Layer) -> np.ndarray:
    """Return the kernel of a (Q)Conv2D / (Q)Dense layer as the hardware sees it."""
    quantizer = getattr(layer, "kernel_quantizer_internal", None)
    kernel = layer.kernel
    return np.asarray(quantizer(kernel) if quantizer is not None else kernel)


def _macs(layer: keras.layers.Layer) -> int:
    if isinstance(layer, keras.layers.Conv2D):
        _, h, w, c_out = layer.output_shape
        k_h, k_w, c_in, _ = layer.kernel.shape
        return int(h * w * c_out * k_h * k_w * c_in)
    if isinstance(layer, keras.layers.Dense):
        return int(np.prod(layer.kernel.shape))
    return 0


def layer_report(model: keras.Model) -> list[dict[str, Any]]:
    """Return per layer: name, type, output shape, parameters and multiply-accumulates."""
    report = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = layer.output_shape
        report.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": list(shape[1:]),
                "params": int(layer.count_params()),
                "macs": _macs(layer),
            }
        )
    return report


def count_macs(model: keras.Model) -> int:
    """Return the multiply-accumulates of one inference (conv and dense layers)."""
    return sum(_macs(layer) for layer in model.layers)


def weight_sparsity(model: keras.Model, *, quantized: bool = True) -> float:
    """Return the fraction of conv/dense kernel weights that are zero.

    With ``quantized`` (the default) weights are counted after quantization,
    as the hardware sees them (small weights round to zero too); without it,
    the stored float weights are counted (what pruning set to zero).
    """
    total = zeros = 0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel = quantized_kernel(layer) if quantized else np.asarray(layer.kernel)
            total += kernel.size
            zeros += int(np.count_nonzero(kernel == 0))
    return zeros / total if total else 0.0


__all__ = [
    "SUPPORTED",
    "check_hardware_model",
    "count_macs",
    "layer_report",
    "quantized_kernel",
    "weight_sparsity",
]
