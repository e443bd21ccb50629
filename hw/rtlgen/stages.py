"""The classifier as a chain of hardware stages, derived from the model and its type plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fpgacnn.spec.cores import LABEL_BITS

from ..convert.fixed import FixedType
from ..convert.plan import LayerPlan
from .errors import RtlGenError


def kif(t: FixedType) -> tuple[int, int, int]:
    """(signed, integer bits without the sign, fraction bits) of a fixed-point type."""
    return (1 if t.signed else 0, t.integer - (1 if t.signed else 0), t.fraction)


@dataclass(kw_only=True)
class Stage:
    """One block of the streaming core; ``in_*``/``out_*`` describe its streams."""

    name: str
    layer: str
    in_shape: tuple[int, int, int]     # (H, W, C) of the input stream
    out_shape: tuple[int, int, int]
    in_type: FixedType
    out_type: FixedType


@dataclass(kw_only=True)
class ConvStage(Stage):
    """A convolution (square kernel, square stride) behind a window generator.

    Unrolled: an alkaid kernel (x weights + bias, activation, requantization) per pixel;
    folded: ``fcnn_cnn_mvu`` (exact accumulator ``accum``) then ``fcnn_cnn_requant``.
    ``quantize``: a QActivation follows (round half to even + saturate into
    ``out_type``); ``relu``: that activation is a ReLU (``quantized_relu``). A signed
    ``quantized_bits`` activation quantizes without a ReLU; without an activation the
    output is the exact accumulator (``out_type == accum``).
    """

    kernel: int
    #: zero rows/columns before the image (top/left); 'same' with a stride pads
    #: ``pad_total // 2`` there and the rest after, as TensorFlow does
    pad: int
    stride: int = 1
    weights: np.ndarray            # (K*K*Cin, Cout) integer mantissas
    w_frac: int
    w_width: int
    bias: np.ndarray               # (Cout,) integer mantissas
    b_frac: int
    accum: FixedType               # the exact accumulator (the folded datapath)
    bias_acc: np.ndarray           # (Cout,) bias aligned to the accumulator scale
    prod_shift: int
    quantize: bool
    relu: bool
    kernel_info: dict[str, Any] = field(default_factory=dict)

    @property
    def out_hw(self) -> tuple[int, int]:
        """(OH, OW): output pixels per image."""
        return self.out_shape[0], self.out_shape[1]


@dataclass(kw_only=True)
class PoolStage(Stage):
    """Max pooling, stride = pool size, valid."""

    pool: int


@dataclass(kw_only=True)
class DenseStage(Stage):
    """Fully connected layer (``fcnn_cnn_mvu``, folded) with an exact accumulator."""

    weights: np.ndarray            # (IN_LEN, N) integer mantissas
    w_width: int
    bias_acc: np.ndarray           # (N,) bias aligned to the accumulator scale
    prod_shift: int


@dataclass(kw_only=True)
class RequantStage(Stage):
    """Round half to even + saturate (a QActivation after a dense layer)."""

    shift: int


@dataclass(kw_only=True)
class ThresholdStage(Stage):
    """A threshold activation (``fcnn_cnn_threshold``): ``levels[#{thresholds <= x}]``.

    After a conv/dense layer (its exact accumulator) or at the input (a threshold input
    quantizer); the table is the plan's (:class:`fpgacnn.hw.convert.threshold.Threshold`),
    as integer codes: ``thresholds`` on ``in_type``, ``levels`` on ``out_type``.
    """

    thresholds: list[int]
    levels: list[int]


def _threshold_stage(name: str, layer: str, shape: tuple[int, int, int],
                     plan: LayerPlan) -> ThresholdStage:
    thr = plan.threshold
    assert thr is not None
    t_codes, l_codes = thr.codes()
    return ThresholdStage(name=name, layer=layer, in_shape=shape, out_shape=shape,
                          in_type=thr.in_type, out_type=thr.out_type, thresholds=t_codes,
                          levels=l_codes)


def _int_mantissas(values: np.ndarray, frac: int, what: str, layer: str) -> np.ndarray:
    scaled = np.asarray(values, dtype=np.float64) * (2.0 ** frac)
    ints = np.round(scaled)
    if not np.array_equal(ints, scaled):
        raise RtlGenError(f"layer '{layer}': {what} are not on their 2^-{frac} grid")
    return ints.astype(np.int64)


def _is_relu(act: Any) -> bool:
    """Whether a QActivation is a ReLU (``quantized_relu``; ``quantized_bits`` is not)."""
    q = getattr(act, "quantizer", None)
    return type(q).__name__ == "quantized_relu" or getattr(q, "__name__", None) == "relu"


def score_count(stages: list[Stage]) -> int:
    """Scores of the core's output beat: the last stage's H*W*C elements (a feature map
    leaves flattened in Keras (H, W, C) order; class scores are a 1x1xN map)."""
    h, w, c = stages[-1].out_shape
    return h * w * c


def build_stages(model: Any, plans: list[LayerPlan]) -> list[Stage]:
    """Map the model's layers (with their planned types) onto hardware stages.

    Supported chain: input quantizer, then QConv2D [+ QActivation relu],
    MaxPooling2D, Flatten, QDense [+ QActivation]. A threshold activation (the plan's
    ``threshold``: ``binary_tanh``, ``quantized_relu_po2``, ...) becomes a
    :class:`ThresholdStage` after the layer's exact accumulator (or after the input, for
    a threshold input quantizer). The chain may end in a convolution or pooling (a
    feature-map output: :func:`score_count`). Raises :class:`RtlGenError` naming the
    layer otherwise.
    """
    layers = list(model.layers)
    by_name = {p.name: p for p in plans}
    shape = tuple(int(d) for d in model.input_shape[1:])
    if len(shape) == 1:
        shape = (1, 1, shape[0])  # a vector (dense-only model) streams as one 1x1xN pixel
    if len(shape) != 3:
        raise RtlGenError(f"model '{model.name}': input shape {shape} "
                          "is not (H, W, C) or (N,)")
    h, w, c = shape
    cur_type = plans[0].result
    stages: list[Stage] = []
    i = 1
    # The input quantizer: the stream already carries codes on its grid (a threshold
    # input quantizer still maps them onto its levels).
    n_thr = 0
    if i < len(layers) and type(layers[i]).__name__ == "QActivation":
        if by_name[layers[i].name].threshold is not None:
            stages.append(_threshold_stage(f"thr{n_thr}", layers[i].name, (h, w, c),
                                           by_name[layers[i].name]))
            cur_type = stages[-1].out_type
            n_thr += 1
        i += 1
    flat = False
    n_conv = n_pool = n_dense = 0
    while i < len(layers):
        layer = layers[i]
        cls = type(layer).__name__
        plan = by_name[layer.name]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        act = nxt if nxt is not None and type(nxt).__name__ == "QActivation" else None
        act_plan = by_name[act.name] if act is not None else None
        if cls == "QConv2D":
            if flat:
                raise RtlGenError(f"layer '{layer.name}' (QConv2D): convolution after Flatten")
            k = int(layer.kernel_size[0])
            if tuple(layer.kernel_size) != (k, k):
                raise RtlGenError(f"layer '{layer.name}' (QConv2D): kernel "
                                  f"{tuple(layer.kernel_size)} is not square")
            st = int(layer.strides[0])
            if tuple(layer.strides) != (st, st):
                raise RtlGenError(f"layer '{layer.name}' (QConv2D): strides "
                                  f"{tuple(layer.strides)} are not square")
            if layer.padding == "same" and k % 2 == 0:
                raise RtlGenError(f"layer '{layer.name}' (QConv2D): 'same' padding needs an "
                                  "odd kernel")
            if layer.padding == "same":
                # TensorFlow: out = ceil(in / stride); the padding it needs, half before
                oh, ow = -(-h // st), -(-w // st)
                pad = max((oh - 1) * st + k - h, 0) // 2
            else:
                oh, ow, pad = (h - k) // st + 1, (w - k) // st + 1, 0
            kern = np.asarray(layer.kernel_quantizer_internal(layer.kernel)).reshape(k * k * c, -1)
            cout = kern.shape[1]
            wq = _int_mantissas(kern, plan.weight.fraction, "weights", layer.name)
            if layer.use_bias:
                bq = _int_mantissas(np.asarray(layer.bias_quantizer_internal(layer.bias)),
                                    plan.bias.fraction, "biases", layer.name)
                b_frac = plan.bias.fraction
            else:
                bq, b_frac = np.zeros(cout, dtype=np.int64), 0
            thr_act = act_plan is not None and act_plan.threshold is not None
            out_t = act_plan.result if act_plan is not None and not thr_act else plan.accum
            acc = plan.accum
            stages.append(ConvStage(
                name=f"conv{n_conv}", layer=layer.name, in_shape=(h, w, c),
                out_shape=(oh, ow, cout), in_type=cur_type, out_type=out_t, kernel=k, pad=pad,
                stride=st,
                weights=wq, w_frac=plan.weight.fraction, w_width=plan.weight.width,
                bias=bq, b_frac=b_frac, accum=acc,
                bias_acc=bq << (acc.fraction - b_frac),
                prod_shift=acc.fraction - (cur_type.fraction + plan.weight.fraction),
                quantize=act is not None and not thr_act,
                relu=act is not None and not thr_act and _is_relu(act)))
            n_conv += 1
            h, w, c, cur_type = oh, ow, cout, out_t
            if thr_act:   # the exact accumulator, then the threshold activation
                stages.append(_threshold_stage(f"thr{n_thr}", act.name, (h, w, c), act_plan))
                cur_type = stages[-1].out_type
                n_thr += 1
            i += 2 if act is not None else 1
        elif cls == "MaxPooling2D":
            p = int(layer.pool_size[0])
            if tuple(layer.pool_size) != (p, p):
                raise RtlGenError(f"layer '{layer.name}' (MaxPooling2D): pool size "
                                  f"{tuple(layer.pool_size)} is not square")
            stages.append(PoolStage(name=f"pool{n_pool}", layer=layer.name, in_shape=(h, w, c),
                                    out_shape=(h // p, w // p, c), in_type=cur_type,
                                    out_type=cur_type, pool=p))
            n_pool += 1
            h, w = h // p, w // p
            i += 1
        elif cls == "Flatten":
            flat = True
            i += 1
        elif cls == "QDense":
            in_len = h * w * c
            kern = np.asarray(layer.kernel_quantizer_internal(layer.kernel))
            n = kern.shape[1]
            wq = _int_mantissas(kern, plan.weight.fraction, "weights", layer.name)
            if wq.shape[0] != in_len:
                raise RtlGenError(f"layer '{layer.name}' (QDense): {wq.shape[0]} inputs, "
                                  f"expected {in_len} (the flattened {h}x{w}x{c} input)")
            acc = plan.accum
            frac_x, frac_w = cur_type.fraction, plan.weight.fraction
            prod_shift = acc.fraction - (frac_x + frac_w)
            if layer.use_bias:
                bq = _int_mantissas(np.asarray(layer.bias_quantizer_internal(layer.bias)),
                                    plan.bias.fraction, "biases", layer.name)
                bias_acc = bq << (acc.fraction - plan.bias.fraction)
            else:
                bias_acc = np.zeros(n, dtype=np.int64)
            stages.append(DenseStage(
                name=f"dense{n_dense}", layer=layer.name, in_shape=(h, w, c),
                out_shape=(1, 1, n), in_type=cur_type, out_type=acc, weights=wq,
                w_width=plan.weight.width, bias_acc=bias_acc, prod_shift=prod_shift))
            h, w, c, cur_type = 1, 1, n, acc
            i += 1
            if act is not None and act_plan.threshold is not None:
                stages.append(_threshold_stage(f"thr{n_thr}", act.name, (1, 1, n), act_plan))
                cur_type = stages[-1].out_type
                n_thr += 1
                i += 1
            elif act is not None:
                out_t = act_plan.result
                stages.append(RequantStage(
                    name=f"act{n_dense}", layer=act.name, in_shape=(1, 1, n), out_shape=(1, 1, n),
                    in_type=acc, out_type=out_t, shift=acc.fraction - out_t.fraction))
                cur_type = out_t
                i += 1
            n_dense += 1
        else:
            raise RtlGenError(f"layer '{layer.name}' ({cls}): not supported by the RTL backend "
                              "(supported: QConv2D, QActivation, MaxPooling2D, Flatten, QDense)")
    if not stages:
        raise RtlGenError(f"model '{model.name}': no layer after the input quantizer (the RTL "
                          "core needs at least one QConv2D, MaxPooling2D or QDense)")
    if score_count(stages) > 1 << LABEL_BITS:
        raise RtlGenError(f"model '{model.name}': {score_count(stages)} scores (the output "
                          f"{stages[-1].out_shape}); the output beat's {LABEL_BITS}-bit label "
                          f"indexes at most {1 << LABEL_BITS}")
    if any(not s.in_type.signed and s.in_type.width > 32 for s in stages):
        raise RtlGenError(f"model '{model.name}': element wider than 32 bits")
    return stages
