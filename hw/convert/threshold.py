"""Threshold activations: a monotone quantizer with few levels, as comparisons on its input grid.

A QKeras activation quantizer whose outputs are not a uniform fixed-point grid
(``binary_tanh``, ``quantized_relu_po2``, ``quantized_po2``) is still a monotone
non-decreasing step function of its input. On the input's fixed-point grid (the
previous layer's exact accumulator, or the model's input type) it is therefore
exactly ``out = L_k`` with ``k`` = the number of thresholds ``T_j <= x``: output levels
``L_0 < ... < L_n`` (all exact in one fixed-point type) and thresholds ``T_1 < ... < T_n``
on the input grid (FINN's multi-threshold activation).

:func:`derive_threshold` finds them by evaluating the quantizer itself, as QKeras runs
it at inference (float32, eager, learning phase 0), on grid values and bisecting every
level transition, so the thresholds agree with QKeras's own arithmetic (e.g. ``binary_tanh``
maps 0 to -1: it rounds 0.5 half to even). It then checks the result against the quantizer
on every grid point (inputs of at most :data:`FULL_CHECK_BITS` bits) or on a sample plus
both sides of every threshold, and refuses what is not such a step function
(:class:`UnsupportedLayerError`, one line naming the layer, its class and what to change).

Both flows implement the same table: the hls4ml flow as a custom layer
(:mod:`.hls_threshold`), the RTL core as ``fcnn_cnn_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fpgacnn.spec.errors import UnsupportedLayerError

from .fixed import FixedType

#: Quantizers (class or function names) implemented as threshold activations. Each is an
#: element-wise function at inference (no scale computed from the batch).
THRESHOLD_QUANTIZERS: tuple[str, ...] = ("binary_tanh", "quantized_relu_po2", "quantized_po2")
#: Most output levels a threshold activation may have (comparators per element: one less).
MAX_LEVELS = 64
#: Widest input (bits) a threshold activation compares: every grid value and threshold is
#: then exact in a double (the hls4ml weight files) and in float64 here.
MAX_INPUT_BITS = 53
#: Widest output type (bits) of a threshold activation.
MAX_OUTPUT_BITS = 32
#: Inputs of at most this many bits are checked on every grid point; wider ones on
#: :data:`CHECK_SAMPLES` random grid points and both sides of every threshold.
FULL_CHECK_BITS = 18
CHECK_SAMPLES = 1 << 14


@dataclass(frozen=True, kw_only=True)
class Threshold:
    """A threshold activation: ``out = levels[k]``, ``k = #{j : thresholds[j] <= x}``.

    ``in_type`` is the grid the thresholds lie on (the layer's input), ``out_type`` the
    narrowest type holding every level exactly; ``thresholds`` has one entry fewer than
    ``levels``, both strictly increasing.
    """

    in_type: FixedType
    out_type: FixedType
    thresholds: tuple[float, ...]
    levels: tuple[float, ...]

    def codes(self) -> tuple[list[int], list[int]]:
        """(threshold mantissas on ``in_type``, level mantissas on ``out_type``) as integers."""
        return ([round(t / self.in_type.lsb) for t in self.thresholds],
                [round(v / self.out_type.lsb) for v in self.levels])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The activation of ``x`` (values on ``in_type``), in float64."""
        k = np.searchsorted(np.asarray(self.thresholds), np.asarray(x, np.float64), side="right")
        return np.asarray(self.levels, dtype=np.float64)[k]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"in_type": self.in_type.to_dict(), "out_type": self.out_type.to_dict(),
                "thresholds": list(self.thresholds), "levels": list(self.levels)}


def quantizer_name(quantizer: Any) -> str:
    """The QKeras name of a quantizer object or function."""
    return getattr(quantizer, "__name__", None) or type(quantizer).__name__


def is_threshold_quantizer(quantizer: Any) -> bool:
    """Whether ``quantizer`` is a threshold activation (:data:`THRESHOLD_QUANTIZERS`)."""
    return quantizer is not None and quantizer_name(quantizer) in THRESHOLD_QUANTIZERS


def levels_type(levels: np.ndarray) -> FixedType | None:
    """The narrowest ``ap_[u]fixed`` holding every value of ``levels`` exactly (None: none of
    at most :data:`MAX_OUTPUT_BITS` bits)."""
    v = np.asarray(levels, dtype=np.float64)
    frac = next((f for f in range(-32, MAX_OUTPUT_BITS + 33)
                 if np.array_equal(v * 2.0**f, np.round(v * 2.0**f))), None)
    if frac is None:
        return None
    signed = bool(v.min() < 0)
    codes = np.round(v * 2.0**frac).astype(np.int64)
    lo, hi = int(codes.min()), int(codes.max())
    bits = max(hi.bit_length(), (-lo - 1).bit_length() if lo < 0 else 0) + int(signed)
    bits = max(bits, 1)
    if bits > MAX_OUTPUT_BITS:
        return None
    return FixedType(width=bits, integer=bits - frac, signed=signed)


#: Elements per evaluation are padded to a multiple of this (:func:`_evaluate`).
PACKET_PAD = 64


def _evaluate(quantizer: Any, codes: np.ndarray, lsb: float) -> np.ndarray:
    """The quantizer on the grid values ``codes * lsb`` as QKeras sees them (float32).

    TensorFlow's vectorized and scalar ``log`` differ by an ulp, so at the grid points
    within one float32 rounding of a ``log2`` rounding boundary (``x = 2^(k+1/2)`` for a po2
    quantizer) QKeras's own output depends on where the element sits in its tensor. The
    values are evaluated in whole SIMD packets (padded to :data:`PACKET_PAD`), the path
    every element of a layer's tensor takes when its size is a multiple of the packet.
    """
    import tensorflow as tf

    x = (np.asarray(codes, dtype=np.float64) * lsb).astype(np.float32)
    n = len(x)
    pad = np.concatenate([x, np.full(-n % PACKET_PAD, x[0] if n else 0.0, np.float32)])
    return np.asarray(quantizer(tf.convert_to_tensor(pad)), dtype=np.float64)[:n]


def derive_threshold(layer: Any, quantizer: Any, in_type: FixedType) -> Threshold:
    """The :class:`Threshold` of ``quantizer`` on ``in_type``, or :class:`UnsupportedLayerError`.

    ``layer`` names the refusal. The quantizer must be deterministic at inference,
    monotone non-decreasing on ``in_type`` and have 2 to :data:`MAX_LEVELS` levels that are
    fixed-point numbers of at most :data:`MAX_OUTPUT_BITS` bits.
    """
    qname = quantizer_name(quantizer)

    def refuse(why: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(f"layer '{layer.name}' ({type(layer).__name__}): "
                                     f"quantizer {qname} {why}")

    if in_type.width > MAX_INPUT_BITS:
        raise refuse(f"follows a {in_type.width}-bit input ({in_type.hls()}); a threshold "
                     f"activation compares at most {MAX_INPUT_BITS} bits: narrow the weights or "
                     "the previous activation")
    lsb = in_type.lsb
    cmin = round(in_type.min / lsb)
    cmax = round(in_type.max / lsb)
    ends = _evaluate(quantizer, np.array([cmin, cmax]), lsb)
    found: list[tuple[int, float, float]] = []   # (threshold code, level below, level above)
    todo = [(cmin, cmax, float(ends[0]), float(ends[1]))]
    if ends[0] > ends[1]:
        raise refuse(f"is not monotone non-decreasing on {in_type.hls()}; use "
                     "quantized_relu or quantized_bits")
    while todo:
        todo = [t for t in todo if t[2] != t[3]]
        for _a, b, fa, fb in [t for t in todo if t[1] - t[0] == 1]:
            found.append((b, fa, fb))
        todo = [t for t in todo if t[1] - t[0] > 1]
        if len(found) + len(todo) >= MAX_LEVELS:
            raise refuse(f"has more than {MAX_LEVELS} output levels on {in_type.hls()}; use "
                         "fewer bits")
        if not todo:
            break
        mids = np.array([(a + b) // 2 for a, b, _, _ in todo], dtype=np.int64)
        fm = _evaluate(quantizer, mids, lsb)
        nxt = []
        for (a, b, fa, fb), m, f in zip(todo, mids.tolist(), fm.tolist(), strict=True):
            if not fa <= f <= fb:
                raise refuse(f"is not monotone non-decreasing on {in_type.hls()}; use "
                             "quantized_relu or quantized_bits")
            nxt += [(a, m, fa, f), (m, b, f, fb)]
        todo = nxt
    found.sort()
    levels = [float(ends[0])] + [fb for _, _, fb in found]
    if len(levels) < 2:
        raise refuse(f"gives the single value {levels[0]:g} on its whole input {in_type.hls()}; "
                     "remove the layer")
    out_type = levels_type(np.array(levels))
    if out_type is None:
        raise refuse(f"gives values that are not fixed-point numbers of at most "
                     f"{MAX_OUTPUT_BITS} bits ({', '.join(f'{v:g}' for v in levels[:4])}, ...)")
    thr = Threshold(in_type=in_type, out_type=out_type,
                    thresholds=tuple(float(c * lsb) for c, _, _ in found), levels=tuple(levels))
    _check(thr, quantizer, cmin, cmax, refuse)
    return thr


#: The grid :func:`input_threshold_type` finds a threshold input quantizer's levels on.
WIDE_GRID = FixedType(width=48, integer=24, signed=True)


def input_threshold_type(layer: Any, quantizer: Any) -> FixedType:
    """The model's input type when its input quantizer is a threshold activation.

    The narrowest fixed-point type holding every level of ``quantizer`` (found on
    :data:`WIDE_GRID`), e.g. ``ufixed<16,8>`` for ``quantized_relu_po2(4)`` (levels
    2^-8 .. 2^7) or ``fixed<2,2>`` for ``binary_tanh``: the quantizer's outputs pass
    unchanged and any other input on that grid is quantized by its thresholds.
    """
    return derive_threshold(layer, quantizer, WIDE_GRID).out_type


def _check(thr: Threshold, quantizer: Any, cmin: int, cmax: int, refuse: Any) -> None:
    """The table against the quantizer: every grid point, or a sample and each threshold's
    neighbours; twice, so a quantizer that is not deterministic at inference is refused."""
    lsb = thr.in_type.lsb
    if cmax - cmin < (1 << FULL_CHECK_BITS):
        codes = np.arange(cmin, cmax + 1, dtype=np.int64)
    else:
        rng = np.random.default_rng(0)
        near = [c + d for t in thr.thresholds for d in (-2, -1, 0, 1)
                for c in (round(t / lsb),) if cmin <= c + d <= cmax]
        codes = np.unique(np.concatenate([
            rng.integers(cmin, cmax, size=CHECK_SAMPLES, endpoint=True),
            np.array(near, dtype=np.int64), np.array([cmin, cmax, 0]).clip(cmin, cmax)]))
    want = thr.apply(codes * lsb)
    for _ in range(2):
        got = _evaluate(quantizer, codes, lsb)
        bad = np.flatnonzero(got != want)
        if bad.size:
            x = float(codes[bad[0]] * lsb)
            raise refuse(f"is not a deterministic monotone step function on "
                         f"{thr.in_type.hls()} (at {x:g} it gives {got[bad[0]]:g}, the steps "
                         f"{want[bad[0]]:g}); use quantized_relu or quantized_bits")

