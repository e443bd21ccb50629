"""The model as it computes at inference, in the layers both flows implement.

:func:`canonicalize` takes a Keras/QKeras model as its author wrote it and returns
the inference-equivalent model that the hls4ml flow and the RTL generator both
see, with a :class:`Notice` for every change (printed by ``fpgacnn convert`` and
written to ``conversion.json``). Each rewrite is exact: the canonical model gives
the same outputs as the original on every input on the input grid, except where
a notice says otherwise (the final softmax).

- Inference no-ops go: ``Dropout`` (and its spatial/Gaussian/alpha variants),
  ``GaussianNoise``, ``ActivityRegularization``, ``Activation("linear")``.
- A final softmax (an ``Activation``/``Softmax`` layer, or the activation of the
  last ``QDense``) is taken off the hardware: the scores are the logits, the
  arg-max label is unchanged.
- An activation inside ``QConv2D``/``QDense`` becomes its own layer: a quantizer
  (``activation="quantized_relu(4)"``) an explicit ``QActivation``; a float
  ``relu`` merges into the ``QActivation`` that follows (relu then
  ``quantized_relu`` is ``quantized_relu``; relu then a signed
  ``quantized_bits(b, i)`` is ``quantized_relu(b - 1, i)``, both exact).
- Weights are made explicit fixed-point numbers: a kernel or bias quantizer that
  is not plain ``quantized_bits(alpha=1)`` (QKeras 0.9's default
  ``alpha="auto_po2"``, ``binary``, ``ternary``, ``quantized_po2``, ...) is
  evaluated once, as QKeras does at inference, and replaced by the
  ``quantized_bits(alpha=1)`` grid that holds every value it produced exactly
  (a per-channel power-of-two scale becomes wider weights; binary/ternary
  weights become 2-bit integers). Values that are not fixed-point numbers
  (``quantized_ulaw``'s log grid, a float ``alpha="auto"`` scale) cannot be
  exact: they are rounded onto the grid :data:`FOLD_EXTRA_BITS` bits finer than
  the quantizer's (biases: :data:`MAX_WEIGHT_BITS` bits) spanning their largest
  magnitude, listed in ``approximate``, and the change is measured.
- ``QConv2DBatchnorm`` becomes a ``QConv2D`` with the folded, quantized kernel and
  bias that QKeras itself computes at inference (exact when it has a bias
  quantizer).
- A model without an input quantizer gets one from ``input_type`` (the CLI's
  ``--input-type``): ``QActivation(quantized_bits)`` on that grid, which leaves
  on-grid inputs unchanged.

What cannot be made exact is refused with :class:`UnsupportedLayerError` naming
the layer, its class and what to change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgacnn.spec.errors import UnsupportedLayerError, UsageError

from .fixed import FixedType

log = logging.getLogger(__name__)

#: Layers that do nothing at inference (dropped).
NOOP_LAYERS: tuple[str, ...] = (
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
)
#: Weighted layers whose quantizers and activation are canonicalised.
MAC_LAYERS: tuple[str, ...] = ("QConv2D", "QDense", "QConv2DBatchnorm")
#: Widest weight (bits) a quantizer may need once its values are explicit fixed-point numbers.
MAX_WEIGHT_BITS = 24
#: Weights and biases of a float ``Dense``/``Conv2D`` are rounded onto this type (hls4ml's
#: default precision); ``canonicalize(float_weights=...)`` / ``--float-weights`` override it.
DEFAULT_FLOAT_WEIGHTS = FixedType(width=16, integer=6, signed=True)
#: Float layers converted with weights on :data:`DEFAULT_FLOAT_WEIGHTS` (their quantized twins).
FLOAT_MAC_LAYERS: tuple[str, ...] = ("Dense", "Conv2D")
#: Extra bits of a kernel whose values are rounded onto a fixed-point grid: a float
#: BatchNormalization folded into it, or a quantizer whose values are not fixed-point
#: numbers (``quantized_ulaw``, ``alpha="auto"``).
FOLD_EXTRA_BITS = 8
#: BatchNormalization kinds folded into the QConv2D/QDense before them.
BATCHNORM_LAYERS: tuple[str, ...] = ("BatchNormalization", "QBatchNormalization")
#: Name of the input quantizer inserted for ``input_type``.
INPUT_QUANTIZER = "input_quantizer"

_TYPE_RE = re.compile(r"^\s*(?:ap_)?(u?)fixed\s*<\s*(\d+)\s*,\s*(-?\d+)\s*>\s*$")


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One change from the model as written to the model as converted."""

    layer: str
    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"layer": self.layer, "kind": self.kind, "text": self.text}

    def __str__(self) -> str:
        return f"layer '{self.layer}': {self.text}"


@dataclass(frozen=True, kw_only=True)
class CanonicalModel:
    """The canonical model and the notices of every change (empty when it is the original)."""

    model: Any
    notices: tuple[Notice, ...]
    #: Whether ``model`` is a new model (changed, or rebuilt with an explicit InputLayer).
    changed: bool = False
    #: Layers whose rewrite is not exact (a float BatchNormalization folded by rounding,
    #: float weights or non-fixed-point quantizer values rounded onto a grid).
    approximate: tuple[str, ...] = ()


def parse_input_type(text: str, *, option: str = "--input-type") -> FixedType:
    """Parse ``fixed<W,I>`` / ``ufixed<W,I>`` (``ap_`` prefix allowed; I counts the sign bit).

    Raises :class:`UsageError` naming the expected syntax.
    """
    m = _TYPE_RE.match(str(text))
    if m is None or int(m.group(2)) < 1:
        raise UsageError(f"{option}: expected fixed<W,I> or ufixed<W,I> (ap_fixed syntax, "
                         f"e.g. fixed<16,6> or ufixed<8,0>), got {text!r}")
    return FixedType(width=int(m.group(2)), integer=int(m.group(3)), signed=not m.group(1))


def input_type_from_data(x: np.ndarray, *, max_bits: int = 16) -> FixedType:
    """The narrowest ``ap_fixed`` grid holding every value of ``x`` exactly (at most ``max_bits``).

    When ``x`` is not on any grid that narrow, the widest fraction that fits
    ``max_bits`` beside the integer part is used (values then round onto it).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise UsageError("--data: expected finite calibration inputs, got "
                         + ("an empty array" if x.size == 0 else "NaN or infinite values"))
    signed = bool(x.min() < 0)
    top = float(max(abs(x.min()), abs(x.max())))
    integer = max(0, int(np.floor(np.log2(top))) + 1) if top > 0 else 0
    frac = 0
    while frac < max_bits and not np.array_equal(x * 2.0**frac, np.round(x * 2.0**frac)):
        frac += 1
    # the largest value must stay below 2^integer by one lsb
    while top > 2.0**integer - 2.0**-frac:
        integer += 1
    frac = min(frac, max_bits - integer - int(signed))
    width = max(1, integer + int(signed) + frac)
    return FixedType(width=width, integer=integer + int(signed), signed=signed)


def _activation_name(act: Any) -> str:
    return getattr(act, "__name__", None) or type(act).__name__


def _is_quantizer(obj: Any) -> bool:
    from qkeras.quantizers import BaseQuantizer

    return isinstance(obj, BaseQuantizer)


def _plain_bits(q: Any) -> bool:
    """``quantized_bits`` with no scale: its values are its own fixed-point grid."""
    if type(q).__name__ != "quantized_bits" or getattr(q, "use_stochastic_rounding", False):
        return False
    a = q.alpha
    return a is None or (isinstance(a, (int, float)) and not isinstance(a, bool)
                         and float(a) == 1.0)


def _refuse(layer: Any, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(f"layer '{layer.name}' ({type(layer).__name__}): {why}")


def exact_grid(values: np.ndarray, *, max_bits: int = MAX_WEIGHT_BITS) -> tuple[int, int] | None:
    """``(bits, integer)`` of a signed ``quantized_bits(alpha=1)`` holding ``values`` exactly.

    None when no grid of at most ``max_bits`` bits does (values that are not
    fixed-point numbers, or too wide a range).
    """
    v = np.asarray(values, dtype=np.float64)
    frac = None
    for f in range(-8, max_bits + 1):
        s = v * 2.0**f
        if np.array_equal(s, np.round(s)):
            frac = f
            break
    if frac is None:
        return None
    lsb = 2.0**-frac
    integer = 0
    while v.size and (v.min() < -(2.0**integer) or v.max() > 2.0**integer - lsb):
        integer += 1
    bits = integer + 1 + frac
    if bits < 2:  # quantized_bits with one bit is a sign function, not a grid
        bits, frac = 2, frac + (2 - bits)
    return (bits, integer) if bits <= max_bits else None


def _grid_quantizer(layer: Any, values: np.ndarray, role: str, written: Any, *, bits: int,
                    notices: list[Notice]) -> tuple[Any, np.ndarray, bool]:
    """The ``quantized_bits(alpha=1)`` grid of ``values`` (what ``written`` gave), the values.

    Exact when ``values`` are fixed-point numbers of at most :data:`MAX_WEIGHT_BITS`
    bits. Otherwise (a log grid, a float scale) they are rounded onto the signed
    ``bits``-bit grid spanning their largest magnitude, a notice says so and the
    third element is True (the caller lists the layer as approximate).
    """
    from qkeras import quantized_bits

    grid = exact_grid(values)
    if grid is not None:
        return quantized_bits(grid[0], grid[1], keep_negative=True, alpha=1), values, False
    rounded, integer = _round_grid(np.asarray(values, dtype=np.float64), bits)
    quant = quantized_bits(bits, integer, keep_negative=True, alpha=1)
    err = float(np.abs(rounded - values).max(initial=0.0))
    notices.append(Notice(layer=layer.name, kind="weights_rounded_approx",
                          text=f"{role} {written} gives values that are not fixed-point numbers; "
                               f"rounded onto {quant} (largest change {err:.2g}; not exact: "
                               "the change is measured)"))
    return quant, rounded.astype(np.float32), True


def _eval(quantizer: Any, values: Any) -> np.ndarray:
    import tensorflow as tf

    return np.asarray(quantizer(tf.convert_to_tensor(values, dtype=tf.float32)), dtype=np.float32)


class _Op:
    """One layer of the canonical chain: a class, its config and its weights."""

    def __init__(self, cls: Any, config: dict[str, Any], weights: list[np.ndarray] | None,
                 source: Any) -> None:
        self.cls, self.config, self.weights, self.source = cls, config, weights, source
        # QConv2D/QDense: the weights as QKeras applies them, and the kernel's width
        self.q_kernel: np.ndarray | None = None
        self.q_bias: np.ndarray | None = None
        self.kernel_bits = 8
        # whether a weight was rounded (values that were not fixed-point numbers)
        self.rounded = False

    @property
    def name(self) -> str:
        return str(self.config["name"])

    @property
    def class_name(self) -> str:
        return str(self.cls.__name__)


def _same(layer: Any) -> _Op:
    return _Op(type(layer), layer.get_config(), layer.get_weights(), layer)


def _qactivation(name: str, quantizer: Any, source: Any) -> _Op:
    from qkeras import QActivation

    return _Op(QActivation, {"name": name, "activation": quantizer}, None, source)


def _mac(layer: Any, notices: list[Notice]) -> tuple[_Op, Any]:
    """The layer with linear activation and explicit fixed-point weights; its activation."""
    import qkeras

    cls = type(layer).__name__
    cfg = layer.get_config()
    act = layer.activation
    weights = layer.get_weights()
    kq, bq = layer.kernel_quantizer_internal, layer.bias_quantizer_internal
    out_cls = qkeras.QDense if cls == "QDense" else qkeras.QConv2D
    if cls == "QConv2DBatchnorm":
        if bq is None:
            raise _refuse(layer, "the folded bias is float without a bias_quantizer; give the "
                                 "layer a bias_quantizer (e.g. quantized_bits(8, 3, alpha=1))")
        kernel, bias = (np.asarray(w) for w in layer.get_folded_weights())
        q_kernel, q_bias = _eval(kq, kernel), _eval(bq, bias)
        keep = {k: cfg[k] for k in ("name", "filters", "kernel_size", "strides", "padding",
                                    "data_format", "dilation_rate", "trainable")
                if k in cfg}
        cfg = {**keep, "use_bias": True}
        weights = [q_kernel, q_bias]
        notices.append(Notice(layer=layer.name, kind="batchnorm_folded",
                              text="QConv2DBatchnorm converted as the QConv2D with the folded, "
                                   "quantized kernel and bias QKeras computes at inference"))
    else:
        q_kernel = _eval(kq, weights[0]) if kq is not None else None
        q_bias = _eval(bq, weights[1]) if (bq is not None and layer.use_bias) else None
    rounded = False
    kernel_bits = int(getattr(kq, "bits", 8) or 8)
    if cls == "QConv2DBatchnorm" or (kq is not None and not _plain_bits(kq)):
        new_kq, q_kernel, rounded = _grid_quantizer(
            layer, q_kernel, "kernel_quantizer", kq, notices=notices,
            bits=min(MAX_WEIGHT_BITS, kernel_bits + FOLD_EXTRA_BITS))
        cfg["kernel_quantizer"] = new_kq
        weights = [q_kernel, *weights[1:]]
        if cls != "QConv2DBatchnorm" and not rounded:
            notices.append(Notice(layer=layer.name, kind="exact_weights",
                                  text=f"kernel_quantizer {kq} evaluated once (as QKeras does at "
                                       f"inference): weights on the grid {new_kq}"))
    if cls == "QConv2DBatchnorm" or (bq is not None and layer.use_bias and not _plain_bits(bq)):
        new_bq, q_bias, bias_rounded = _grid_quantizer(
            layer, q_bias, "bias_quantizer", bq, bits=MAX_WEIGHT_BITS, notices=notices)
        rounded = rounded or bias_rounded
        cfg["bias_quantizer"] = new_bq
        weights = [weights[0], q_bias]
        if cls != "QConv2DBatchnorm" and not bias_rounded:
            notices.append(Notice(layer=layer.name, kind="exact_weights",
                                  text=f"bias_quantizer {bq} evaluated once: biases on the grid "
                                       f"{new_bq}"))
    cfg["activation"] = "linear"
    if cls == "QConv2DBatchnorm" and "kernel_quantizer" not in cfg:
        cfg["kernel_quantizer"] = kq
    op = _Op(out_cls, cfg, weights, layer)
    op.q_kernel, op.q_bias = q_kernel, q_bias
    op.kernel_bits = kernel_bits
    op.rounded = rounded
    return op, act


def _float_mac(layer: Any, weight_type: FixedType, notices: list[Notice]
               ) -> tuple[_Op, Any, bool]:
    """A float Dense/Conv2D as QDense/QConv2D with weights rounded onto ``weight_type``.

    Returns the op, the layer's activation and whether rounding changed a weight.
    """
    import qkeras
    from qkeras import quantized_bits

    cls = type(layer).__name__
    cfg = layer.get_config()
    keys = (("name", "units", "use_bias", "trainable") if cls == "Dense" else
            ("name", "filters", "kernel_size", "strides", "padding", "data_format",
             "dilation_rate", "use_bias", "trainable"))
    new_cfg = {k: cfg[k] for k in keys if k in cfg}
    t = weight_type
    lsb = t.lsb
    changed = False
    weights = []
    for w in layer.get_weights():
        w = np.asarray(w, dtype=np.float64)
        q = np.clip(np.round(w / lsb) * lsb, t.min, t.max)
        changed = changed or not np.array_equal(q, w)
        weights.append(q.astype(np.float32))
    quant = quantized_bits(t.width, t.integer - int(t.signed), keep_negative=t.signed, alpha=1)
    new_cfg.update(kernel_quantizer=quant, bias_quantizer=quant, activation="linear")
    op = _Op(qkeras.QDense if cls == "Dense" else qkeras.QConv2D, new_cfg, weights, layer)
    op.q_kernel = weights[0]
    op.q_bias = weights[1] if len(weights) > 1 else None
    op.kernel_bits = t.width
    note = "; rounded: the change is measured" if changed else ""
    notices.append(Notice(layer=layer.name, kind="float_weights" + ("_approx" if changed else ""),
                          text=f"float {cls} converted with weights and biases on {t.hls()} "
                               f"(--float-weights sets it){note}"))
    return op, layer.activation, changed


def _affine(bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(a, b)`` with ``bn(x) = a * x + b`` at inference (BatchNormalization kinds)."""
    import tensorflow as tf

    shape = (1, *[int(d) for d in bn.input_shape[1:]])
    zero = np.asarray(bn(tf.zeros(shape), training=False), dtype=np.float64)
    one = np.asarray(bn(tf.ones(shape), training=False), dtype=np.float64)
    b = zero.reshape(-1, shape[-1])[0]
    return one.reshape(-1, shape[-1])[0] - b, b


def _round_grid(values: np.ndarray, bits: int) -> tuple[np.ndarray, int]:
    """``values`` rounded onto the signed ``bits``-bit grid whose range holds them; its integer."""
    top = float(np.abs(values).max(initial=0.0))
    integer = max(0, int(np.floor(np.log2(top))) + 1) if top > 0 else 0
    frac = bits - 1 - integer
    lsb = 2.0**-frac
    q = np.clip(np.round(values / lsb) * lsb, -(2.0**integer), 2.0**integer - lsb)
    return q, integer


def _fold_batchnorm(bn: Any, prev: _Op, notices: list[Notice]) -> bool:
    """Fold ``bn`` into ``prev`` (a QConv2D/QDense op); return whether the fold is approximate.

    Exact when the folded weights and biases are fixed-point numbers of at most
    :data:`MAX_WEIGHT_BITS` bits (e.g. power-of-two scales); otherwise they are rounded
    onto grids :data:`FOLD_EXTRA_BITS` bits finer than the kernel's, and the caller
    measures what that changes.
    """
    from qkeras import quantized_bits

    a, b = _affine(bn)
    kernel = np.asarray(prev.q_kernel if prev.q_kernel is not None else prev.weights[0],
                        dtype=np.float64)
    bias = prev.q_bias if prev.q_bias is not None else (
        prev.weights[1] if len(prev.weights) > 1 else np.zeros(kernel.shape[-1]))
    w = kernel * a
    c = np.asarray(bias, dtype=np.float64) * a + b
    bits = min(MAX_WEIGHT_BITS, prev.kernel_bits + FOLD_EXTRA_BITS)
    gw, gc = exact_grid(w, max_bits=bits), exact_grid(c, max_bits=MAX_WEIGHT_BITS)
    approximate = gw is None or gc is None
    if gw is None:
        w, iw = _round_grid(w, bits)
        gw = (bits, iw)
    if gc is None:
        c, ic = _round_grid(c, MAX_WEIGHT_BITS)
        gc = (MAX_WEIGHT_BITS, ic)
    kq = quantized_bits(gw[0], gw[1], keep_negative=True, alpha=1)
    bq = quantized_bits(gc[0], gc[1], keep_negative=True, alpha=1)
    prev.config = {**prev.config, "use_bias": True, "kernel_quantizer": kq, "bias_quantizer": bq}
    prev.weights = [w.astype(np.float32), c.astype(np.float32)]
    prev.q_kernel, prev.q_bias = prev.weights
    how = ("rounded onto finer grids (float arithmetic: not exact; the change is measured)"
           if approximate else "exactly")
    notices.append(Notice(layer=bn.name, kind="batchnorm_folded" + ("_approx" if approximate
                                                                      else ""),
                          text=f"{type(bn).__name__} folded into '{prev.name}' {how}: "
                               f"kernel {kq}, bias {bq}"))
    return approximate


def _chain(model: Any) -> list[Any] | None:
    """The model's layers when it is one chain from one input to one output, else None.

    A ``Sequential`` model lists no ``InputLayer``; its first entry is then None.
    """
    layers = list(model.layers)
    if len(model.inputs) != 1 or len(model.outputs) != 1 or not layers:
        return None
    if type(layers[0]).__name__ != "InputLayer":
        if type(model).__name__ != "Sequential":
            return None
        return [None, *layers]
    for prev, layer in zip(layers, layers[1:], strict=False):
        inbound = [node.inbound_layers for node in layer._inbound_nodes]
        if not (len(inbound) == 1 and (inbound[0] is prev or inbound[0] == [prev])):
            return None
    return layers


def _merge_relu(ops: list[_Op | tuple[str, Any]], notices: list[Notice]) -> list[_Op]:
    """Resolve float relus (``("relu", source)``) into the QActivation after them."""
    from qkeras import quantized_relu

    out: list[_Op] = []
    i = 0
    while i < len(ops):
        op = ops[i]
        if isinstance(op, _Op):
            out.append(op)
            i += 1
            continue
        _, src = op
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        q = nxt.config.get("activation") if isinstance(nxt, _Op) and \
            nxt.class_name == "QActivation" else None
        q = _resolve_quantizer(q)
        qn = type(q).__name__ if q is not None else None
        if qn == "quantized_relu" and not q.negative_slope:
            notices.append(Notice(layer=src.name, kind="relu_merged",
                                  text=f"float relu merged into the {q} that follows (exact)"))
        elif qn == "quantized_bits" and _plain_bits(q) and not q.keep_negative:
            notices.append(Notice(layer=src.name, kind="relu_merged",
                                  text=f"float relu merged into the unsigned {q} that follows "
                                       "(exact)"))
        elif qn == "quantized_bits" and _plain_bits(q) and not q.symmetric and q.bits >= 2:
            merged = quantized_relu(int(q.bits) - 1, int(q.integer))
            nxt.config = {**nxt.config, "activation": merged}
            notices.append(Notice(layer=src.name, kind="relu_merged",
                                  text=f"float relu then {q} is {merged} (exact)"))
        else:
            raise _refuse(src, "a float relu with no quantizer after it has no fixed-point "
                               "type; add QActivation(quantized_relu(bits, integer)) after it, "
                               "or write activation='quantized_relu(bits, integer)'")
        i += 1
    return out


def _resolve_quantizer(q: Any) -> Any:
    if q is None or _is_quantizer(q):
        return q
    if isinstance(q, str):
        from qkeras.quantizers import get_quantizer

        try:
            return get_quantizer(q)
        except Exception:  # noqa: BLE001 - a non-quantizer activation string
            return None
    if isinstance(q, dict):
        from qkeras.quantizers import get_quantizer

        return get_quantizer(q)
    return None


def canonicalize(model: Any, *, input_type: FixedType | None = None,
                 float_weights: FixedType = DEFAULT_FLOAT_WEIGHTS) -> CanonicalModel:
    """Return the inference-equivalent model both flows convert, with its notices.

    A model that is not one chain of layers comes back unchanged (the plan then
    refuses it). ``input_type`` adds an input quantizer to a model without one;
    a model without one and no ``input_type`` is refused with a message naming
    ``--input-type``. A float ``Dense``/``Conv2D`` gets weights and biases on
    ``float_weights`` (rounding them is approximate: listed in ``approximate``, as
    are layers whose quantizer values are not fixed-point numbers and get rounded).
    Raises :class:`UnsupportedLayerError` for what cannot be made exact.
    """
    from fpgacnn.models._keras import custom_objects, keras

    layers = _chain(model)
    if layers is None:
        return CanonicalModel(model=model, notices=())
    notices: list[Notice] = []
    approximate: list[str] = []
    ops: list[_Op | tuple[str, Any]] = []
    body = layers[1:]
    last_weighted = max((i for i, la in enumerate(body) if type(la).__name__ not in NOOP_LAYERS),
                        default=-1)
    for i, layer in enumerate(body):
        cls = type(layer).__name__
        final = i >= last_weighted
        if cls in NOOP_LAYERS or (cls == "Activation"
                                  and _activation_name(layer.activation) == "linear"):
            notices.append(Notice(layer=layer.name, kind="dropped",
                                  text=f"{cls} does nothing at inference: dropped"))
            continue
        if (cls == "Softmax" or (cls == "Activation"
                                 and _activation_name(layer.activation) == "softmax")) and final:
            notices.append(Notice(layer=layer.name, kind="softmax",
                                  text="final softmax taken off the hardware: the scores are the "
                                       "logits; the label (arg-max) is unchanged"))
            continue
        if cls in ("ReLU", "Activation") and (
                cls == "ReLU" or _activation_name(layer.activation) == "relu"):
            if cls == "ReLU" and (layer.max_value is not None or float(layer.negative_slope)
                                  or float(layer.threshold)):
                raise _refuse(layer, "ReLU with max_value, negative_slope or threshold; use "
                                     "QActivation(quantized_relu(bits, integer))")
            ops.append(("relu", layer))
            continue
        if cls in BATCHNORM_LAYERS:
            prev = ops[-1] if ops else None
            if not (isinstance(prev, _Op) and prev.class_name in ("QConv2D", "QDense")):
                raise _refuse(layer, "only a BatchNormalization right after a QConv2D or "
                                     "QDense (with no activation between) is converted (folded "
                                     "into it); move it there or use QConv2DBatchnorm")
            if _fold_batchnorm(layer, prev, notices):
                approximate.append(layer.name)
            continue
        if cls in MAC_LAYERS or cls in FLOAT_MAC_LAYERS:
            if cls in FLOAT_MAC_LAYERS:
                op, act, rounded = _float_mac(layer, float_weights, notices)
                if rounded:
                    approximate.append(layer.name)
            else:
                op, act = _mac(layer, notices)
                if op.rounded:
                    approximate.append(layer.name)
            ops.append(op)
            if _is_quantizer(act):
                ops.append(_qactivation(f"{layer.name}_act", act, layer))
                notices.append(Notice(layer=layer.name, kind="activation_split",
                                      text=f"activation {act} becomes QActivation "
                                           f"'{layer.name}_act'"))
            else:
                name = _activation_name(act)
                if name == "relu":
                    ops.append(("relu", layer))
                elif name == "softmax" and final:
                    notices.append(Notice(
                        layer=layer.name, kind="softmax",
                        text="final softmax taken off the hardware: the scores are the "
                             "logits; the label (arg-max) is unchanged"))
                elif name != "linear":
                    raise _refuse(layer, f"built-in activation '{name}' is not supported; "
                                         "use a QKeras quantizer (e.g. "
                                         "activation='quantized_relu(8, 0)')")
            continue
        ops.append(_same(layer))
    chain = _merge_relu(ops, notices)
    first_q = chain and chain[0].class_name == "QActivation"
    if not first_q:
        if input_type is None:
            raise UnsupportedLayerError(
                f"model '{model.name}' has no input quantizer (a QActivation right after the "
                "input): give the input's fixed-point type with --input-type (API: "
                "input_type=), e.g. --input-type 'fixed<16,6>', or --data to derive it")
        from qkeras import quantized_bits

        signed = input_type.signed
        q = quantized_bits(input_type.width, input_type.integer - int(signed),
                           keep_negative=signed, alpha=1)
        chain.insert(0, _qactivation(INPUT_QUANTIZER, q, model))
        notices.append(Notice(layer=INPUT_QUANTIZER, kind="input_quantizer",
                              text=f"input quantizer {q} added for the input type "
                                   f"{input_type.hls()}"))
    if not notices and layers[0] is not None:
        return CanonicalModel(model=model, notices=())
    in_name = layers[0].name if layers[0] is not None else "input_1"
    with keras.utils.custom_object_scope(custom_objects()):
        inp = keras.Input(shape=model.input_shape[1:], name=in_name)
        x = inp
        built = []
        for op in chain:
            layer = op.cls.from_config(op.config)
            x = layer(x)
            built.append((layer, op))
        out = keras.Model(inp, x, name=model.name)
    for layer, op in built:
        if op.weights:
            layer.set_weights(op.weights)
    for n in notices:
        log.info("%s", n)
    return CanonicalModel(model=out, notices=tuple(notices), changed=True,
                          approximate=tuple(approximate))


#: Largest accepted change of accuracy (or of labels, without true labels) by approximate rewrites.
MAX_ACCURACY_DELTA = 0.01


def accuracy_delta(original: Any, canonical: Any, x: np.ndarray, y: np.ndarray | None = None
                   ) -> dict[str, Any]:
    """What the approximate rewrites change, measured on ``x`` (and labels ``y`` when given).

    Returns ``{"n", "label_changes", "delta"}`` and, with ``y``, the two accuracies:
    ``delta`` is the accuracy lost (``y`` given) or the fraction of changed labels.
    """
    a = np.asarray(original.predict(x, batch_size=256, verbose=0)).reshape(len(x), -1)
    b = np.asarray(canonical.predict(x, batch_size=256, verbose=0)).reshape(len(x), -1)
    la, lb = a.argmax(1), b.argmax(1)
    out: dict[str, Any] = {"n": int(len(x)), "label_changes": int(np.count_nonzero(la != lb))}
    if y is not None:
        acc_a, acc_b = float(np.mean(la == y)), float(np.mean(lb == y))
        out.update(accuracy_original=acc_a, accuracy_converted=acc_b, delta=acc_a - acc_b)
    else:
        out["delta"] = out["label_changes"] / max(1, len(x))
    return out
