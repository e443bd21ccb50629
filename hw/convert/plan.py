"""Per-layer fixed-point plan of a QKeras model: check support, derive every type.

The plan is the contract between QKeras and the firmware: each supported
layer's output type is derived from its quantizers (activations, weights,
biases) or, for convolutions and dense layers, computed from the quantized
weights so that the accumulator can hold the largest possible sum exactly
(no rounding, no overflow). Anything the flow cannot implement bit-exactly is
refused with the layer's name and class instead of falling back to a default
type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import UnsupportedLayerError
from .fixed import FixedType, Overflow, Rounding, exact_sum_type
from .threshold import (
    THRESHOLD_QUANTIZERS,
    Threshold,
    derive_threshold,
    input_threshold_type,
    is_threshold_quantizer,
)

log = logging.getLogger(__name__)

#: Keras layer classes the flow implements (others are refused).
SUPPORTED_LAYERS: tuple[str, ...] = (
    "InputLayer", "QActivation", "QConv2D", "QDense", "MaxPooling2D", "Flatten",
)


@dataclass(frozen=True, kw_only=True)
class LayerPlan:
    """Types of one layer: its output (``result``) and, for conv/dense, weights and accumulator."""

    name: str
    class_name: str
    result: FixedType
    weight: FixedType | None = None
    bias: FixedType | None = None
    accum: FixedType | None = None
    #: A QActivation whose quantizer is a threshold activation (:mod:`.threshold`): its
    #: thresholds on the input's grid and its levels (``result`` holds them exactly).
    threshold: Threshold | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"name": self.name, "class": self.class_name,
                               "result": self.result.to_dict()}
        for key in ("weight", "bias", "accum", "threshold"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.to_dict()
        return out


#: What to change for layer classes the flow does not implement (the refusal says it).
LAYER_HINTS: dict[str, str] = {
    "Dense": "use QDense with kernel_quantizer and bias_quantizer "
             "(e.g. quantized_bits(8, 0, alpha=1))",
    "Conv2D": "use QConv2D with kernel_quantizer and bias_quantizer "
              "(e.g. quantized_bits(8, 0, alpha=1))",
    "Activation": "use QActivation with a quantizer (e.g. quantized_relu(8, 0))",
    "ReLU": "use QActivation(quantized_relu(bits, integer))",
    "BatchNormalization": "put it right after a QConv2D or QDense (it is folded there)",
    "QBatchNormalization": "put it right after a QConv2D or QDense (it is folded there)",
    "AveragePooling2D": "use MaxPooling2D",
    "GlobalAveragePooling2D": "use MaxPooling2D and Flatten",
    "DepthwiseConv2D": "use QConv2D",
    "QDepthwiseConv2D": "use QConv2D",
    "SeparableConv2D": "use QConv2D",
    "QSeparableConv2D": "use QConv2D",
}


def _unsupported(layer: Any, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(
        f"layer '{layer.name}' ({type(layer).__name__}): {why}"
    )


def quantizer_type(layer: Any, quantizer: Any, role: str, *, activation: bool) -> FixedType:
    """The fixed-point type of a QKeras quantizer, or :class:`UnsupportedLayerError`.

    Supported: ``quantized_bits`` with ``alpha`` None or 1 (weights may be
    symmetric; activations may not) and ``quantized_relu`` without slope,
    upper bound or sigmoid. Activation types round half to even and
    saturate, as QKeras does. (The activations of :data:`.threshold.THRESHOLD_QUANTIZERS`
    are planned by :func:`.threshold.derive_threshold` instead.)
    """
    if quantizer is None:
        raise _unsupported(layer, f"{role} is not quantized (the firmware needs a QKeras "
                                  "quantizer, not float)")
    qname = getattr(quantizer, "__name__", None) or type(quantizer).__name__
    rnd, ovf = (Rounding.RND_CONV, Overflow.SAT) if activation else (Rounding.TRN, Overflow.WRAP)
    if getattr(quantizer, "use_stochastic_rounding", False):
        raise _unsupported(layer, f"{role} {qname} uses stochastic rounding")
    if qname == "quantized_bits":
        alpha = quantizer.alpha
        if alpha is not None and not (isinstance(alpha, (int, float)) and float(alpha) == 1.0):
            raise _unsupported(layer, f"{role} {qname} has alpha={alpha!r}; only alpha=1 "
                                      "(no scale) is supported")
        if activation and quantizer.symmetric:
            raise _unsupported(layer, f"{role} {qname} is symmetric")
        bits, integer = int(quantizer.bits), int(quantizer.integer)
        if quantizer.keep_negative:
            return FixedType(width=bits, integer=integer + 1, signed=True, rounding=rnd,
                             overflow=ovf)
        return FixedType(width=bits, integer=integer, signed=False, rounding=rnd, overflow=ovf)
    if qname == "quantized_relu" and activation:
        if (quantizer.negative_slope or quantizer.relu_upper_bound is not None
                or quantizer.use_sigmoid):
            raise _unsupported(layer, f"{role} {qname} with negative_slope, relu_upper_bound "
                                      "or use_sigmoid is not supported")
        return FixedType(width=int(quantizer.bits), integer=int(quantizer.integer), signed=False,
                         rounding=rnd, overflow=ovf)
    raise _unsupported(layer, f"{role} {qname} is not supported (use quantized_bits"
                              + (", quantized_relu, " + ", ".join(THRESHOLD_QUANTIZERS) + ")"
                                 if activation else ")"))


def _check_linear_activation(layer: Any) -> None:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None) or type(act).__name__
    if act is not None and name != "linear":
        raise _unsupported(layer, f"built-in activation '{name}' is not supported; put a "
                                  "QActivation after the layer")


def _mac_plan(layer: Any, in_type: FixedType) -> LayerPlan:
    """Weights, bias and an exact accumulator for a QConv2D/QDense."""
    _check_linear_activation(layer)
    cls = type(layer).__name__
    if cls == "QConv2D":
        if tuple(layer.dilation_rate) != (1, 1):
            raise _unsupported(layer, f"dilation_rate {tuple(layer.dilation_rate)} is not "
                                      "supported; use dilation_rate=1")
        if getattr(layer, "groups", 1) != 1:
            raise _unsupported(layer, "grouped convolution is not supported")
    w_type = quantizer_type(layer, layer.kernel_quantizer_internal, "kernel_quantizer",
                            activation=False)
    kernel = np.asarray(layer.kernel_quantizer_internal(layer.kernel), dtype=np.float64)
    kernel = kernel.reshape(-1, kernel.shape[-1])  # (fan_in, units)
    lo, hi = in_type.min, in_type.max
    low = np.minimum(kernel * lo, kernel * hi).sum(axis=0)
    high = np.maximum(kernel * lo, kernel * hi).sum(axis=0)
    frac = in_type.fraction + w_type.fraction
    b_type = None
    if layer.use_bias:
        b_type = quantizer_type(layer, layer.bias_quantizer_internal, "bias_quantizer",
                                activation=False)
        bias = np.asarray(layer.bias_quantizer_internal(layer.bias), dtype=np.float64)
        low, high = low + bias, high + bias
        frac = max(frac, b_type.fraction)
    bound = float(max(np.abs(low).max(), np.abs(high).max()))
    accum = exact_sum_type(bound, frac)
    log.debug("%s: |sum| <= %g -> accumulator %s", layer.name, bound, accum)
    return LayerPlan(name=layer.name, class_name=cls, result=accum, weight=w_type, bias=b_type,
                     accum=accum)


def _input_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if type(layer).__name__ == "InputLayer"]


def plan_model(model: Any, *, input_type: FixedType | None = None) -> list[LayerPlan]:
    """Return one :class:`LayerPlan` per layer of ``model`` in order, or raise.

    ``model`` must be a single chain from one input to one output. The input
    type is that of the input quantizer (a ``QActivation`` right after the
    input) unless ``input_type`` is given; a threshold input quantizer
    (``quantized_relu_po2``, ``binary_tanh``, ...) gives the narrowest type holding all its
    levels (:func:`.threshold.input_threshold_type`), and the inputs on that grid are
    quantized by its thresholds. Strided convolutions are planned
    like any other (both flows implement them). Raises
    :class:`UnsupportedLayerError` naming the first offending layer. Models as their
    authors write them go through :func:`fpgacnn.hw.convert.canonical.canonicalize` first.
    """
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedLayerError(
            f"model '{model.name}' has {len(model.inputs)} inputs and {len(model.outputs)} "
            "outputs; exactly one of each is supported"
        )
    for layer in model.layers:
        cls = type(layer).__name__
        if cls not in SUPPORTED_LAYERS:
            hint = LAYER_HINTS.get(cls, "a layer fpgacnn does not implement (custom layers "
                                        "are not converted)")
            raise _unsupported(layer, f"layer class not supported: {hint} (supported: "
                                      + ", ".join(SUPPORTED_LAYERS) + ")")
    layers = list(model.layers)
    if not layers or type(layers[0]).__name__ != "InputLayer":
        raise UnsupportedLayerError(f"model '{model.name}' must start with an InputLayer")
    for prev, layer in zip(layers, layers[1:], strict=False):
        inbound = [node.inbound_layers for node in layer._inbound_nodes]
        ok = len(inbound) == 1 and (inbound[0] is prev or inbound[0] == [prev])
        if not ok:
            raise _unsupported(layer, "the model is not a single chain of layers")
    if input_type is None:
        first = layers[1] if len(layers) > 1 else None
        if first is None or type(first).__name__ != "QActivation":
            raise UnsupportedLayerError(
                f"model '{model.name}' has no input quantizer (a QActivation right after the "
                "input): give the input's type with --input-type (API: input_type=)"
            )
        if is_threshold_quantizer(first.quantizer):
            input_type = input_threshold_type(first, first.quantizer)
        else:
            q = quantizer_type(first, first.quantizer, "quantizer", activation=True)
            input_type = q.with_modes(Rounding.TRN, Overflow.WRAP)
    plans = [LayerPlan(name=layers[0].name, class_name="InputLayer", result=input_type)]
    current = input_type
    for layer in layers[1:]:
        cls = type(layer).__name__
        if cls == "QActivation" and is_threshold_quantizer(layer.quantizer):
            thr = derive_threshold(layer, layer.quantizer, current)
            plan = LayerPlan(name=layer.name, class_name=cls, result=thr.out_type, threshold=thr)
        elif cls == "QActivation":
            plan = LayerPlan(name=layer.name, class_name=cls,
                             result=quantizer_type(layer, layer.quantizer, "quantizer",
                                                   activation=True))
        elif cls in ("QConv2D", "QDense"):
            plan = _mac_plan(layer, current)
        elif cls == "MaxPooling2D":
            if layer.padding != "valid" or tuple(layer.strides) != tuple(layer.pool_size):
                raise _unsupported(layer, "only padding 'valid' with strides equal to "
                                          "pool_size is supported")
            plan = LayerPlan(name=layer.name, class_name=cls, result=current, accum=current)
        else:  # Flatten
            plan = LayerPlan(name=layer.name, class_name=cls, result=current)
        plans.append(plan)
        current = plan.result
    return plans


def model_size(model: Any, plans: list[LayerPlan]) -> dict[str, int]:
    """What a model asks of the hardware: weights, weight bits and multiply-accumulates per image.

    ``model`` is the planned (canonical) model; the counts are what the conversion
    prints before generating anything long.
    """
    by_name = {p.name: p for p in plans}
    weights = bits = macs = 0
    for layer in model.layers:
        plan = by_name.get(layer.name)
        if plan is None or plan.weight is None:
            continue
        n = int(np.prod(layer.kernel.shape))
        weights += n
        bits += n * plan.weight.width
        out_pixels = int(np.prod(layer.output_shape[1:-1])) if len(layer.output_shape) > 2 else 1
        macs += n * out_pixels
    return {"weights": weights, "weight_bits": bits, "macs_per_image": macs}
