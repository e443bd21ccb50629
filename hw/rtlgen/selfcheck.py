"""The generator's self-check: its stages' integer arithmetic against the traced model.

Before :func:`~fpgacnn.hw.rtlgen.generate.generate_rtl` writes a core, :func:`check_stages`
runs what every stage tells the hardware to compute -- the integer mantissas of the
weights and biases, the product and bias alignment, padding and stride, ReLU,
round-half-to-even and saturation, pooling, threshold tables -- in numpy on random
inputs on the input grid, and compares each stage's output with the QKeras model's own
output of the same layer. A stage that would compute something the model does not (a
ReLU the model does not have, a wrong shift or padding) stops the generation with
:class:`~fpgacnn.hw.rtlgen.errors.RtlGenError` naming the layer, before any file is
written. Quantized outputs (activations, pooling) must agree exactly; a raw accumulator
(a layer without an activation, which QKeras computes in float32) to float32's precision.
The blocks that carry out those parameters are proven separately, bit for bit, by their
cocotb testbenches and by the Verilated core against QKeras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..convert.fixed import FixedType, requantize_codes
from ..convert.plan import LayerPlan
from ..convert.sources import random_on_grid
from .errors import RtlGenError
from .stages import ConvStage, DenseStage, PoolStage, RequantStage, Stage, ThresholdStage

#: Random on-grid inputs the self-check runs (the first two are the grid's ends).
N_SAMPLES = 8
#: Relative tolerance on raw accumulators (QKeras sums in float32).
ACCUM_RTOL = 2.0 ** -22


def requantize(acc: np.ndarray, shift: int, out: FixedType, *, relu: bool = False) -> np.ndarray:
    """Codes ``acc`` -> codes of ``out`` (:func:`~fpgacnn.hw.convert.fixed.requantize_codes`)."""
    return requantize_codes(acc, shift, out.width, out.signed, relu=relu)


def _matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact integer ``x @ w`` (float64 BLAS when every partial sum fits its 53 bits)."""
    bound = float(np.abs(x).max(initial=0)) * float(np.abs(w).max(initial=0)) * x.shape[-1]
    if bound < 2.0 ** 52:
        return np.rint(x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    return x.astype(np.int64) @ w.astype(np.int64)


def _conv(x: np.ndarray, st: ConvStage) -> np.ndarray:
    n, h, w, c = x.shape
    k, s = st.kernel, st.stride
    oh, ow = st.out_hw
    after_h = max((oh - 1) * s + k - h - st.pad, 0)
    after_w = max((ow - 1) * s + k - w - st.pad, 0)
    xp = np.pad(x, ((0, 0), (st.pad, after_h), (st.pad, after_w), (0, 0)))
    cols = np.empty((n, oh, ow, k * k * c), dtype=np.int64)
    for oy in range(oh):
        for ox in range(ow):
            win = xp[:, oy * s:oy * s + k, ox * s:ox * s + k, :]
            cols[:, oy, ox, :] = win.reshape(n, -1)
    acc = (_matmul(cols.reshape(-1, k * k * c), st.weights) << st.prod_shift) + st.bias_acc
    acc = acc.reshape(n, oh, ow, -1)
    if not st.quantize:
        return acc
    return requantize(acc, st.accum.fraction - st.out_type.fraction, st.out_type, relu=st.relu)


def _pool(x: np.ndarray, st: PoolStage) -> np.ndarray:
    n, h, w, c = x.shape
    p = st.pool
    oh, ow = h // p, w // p
    x = x[:, :oh * p, :ow * p, :].reshape(n, oh, p, ow, p, c)
    return x.max(axis=(2, 4))


def run_stage(x: np.ndarray, st: Stage) -> np.ndarray:
    """One stage's output codes (n, H, W, C) for input codes ``x`` (n, H, W, C)."""
    if isinstance(st, ConvStage):
        return _conv(x, st)
    if isinstance(st, PoolStage):
        return _pool(x, st)
    if isinstance(st, DenseStage):
        flat = x.reshape(x.shape[0], -1)                    # Keras (H, W, C) order
        acc = (_matmul(flat, st.weights) << st.prod_shift) + st.bias_acc
        return acc.reshape(x.shape[0], 1, 1, -1)
    if isinstance(st, RequantStage):
        return requantize(x, st.shift, st.out_type)
    if isinstance(st, ThresholdStage):
        idx = np.searchsorted(np.asarray(st.thresholds, dtype=np.int64), x, side="right")
        return np.asarray(st.levels, dtype=np.int64)[idx]
    raise RtlGenError(f"layer '{st.layer}': no self-check model for {type(st).__name__}")


def _compared_layer(model: Any, st: Stage) -> tuple[str, bool]:
    """The model layer whose output the stage's output must equal, and whether exactly."""
    if isinstance(st, ConvStage) and st.quantize:
        names = [la.name for la in model.layers]
        return names[names.index(st.layer) + 1], True      # the QActivation after it
    if isinstance(st, (DenseStage, ConvStage)):
        return st.layer, False                              # the raw accumulator
    return st.layer, True


def check_stages(model: Any, plans: list[LayerPlan], stages: list[Stage], *,
                 n: int = N_SAMPLES, seed: int = 0) -> None:
    """Run the stages in numpy on ``n`` random on-grid inputs; compare with ``model``.

    Raises :class:`RtlGenError` naming the first layer whose stage disagrees (with how
    many of the ``n`` inputs and the largest difference).
    """
    from fpgacnn.models._keras import keras

    t_in = plans[0].result
    shape = tuple(int(d) for d in model.input_shape[1:])
    x = random_on_grid(t_in, shape, n, seed=seed)
    compared = [_compared_layer(model, st) for st in stages]
    probe = keras.Model(model.inputs, [model.get_layer(name).output for name, _ in compared])
    outs = probe.predict(x, verbose=0)
    if len(compared) == 1:
        outs = [outs]
    codes = np.rint(x * 2.0 ** t_in.fraction).astype(np.int64)
    codes = codes.reshape(n, *stages[0].in_shape)
    for st, (name, exact), want in zip(stages, compared, outs, strict=True):
        codes = run_stage(codes, st)
        got = codes.astype(np.float64) * 2.0 ** -st.out_type.fraction
        want = np.asarray(want, dtype=np.float64).reshape(got.shape)
        if exact:
            bad = np.any((got != want).reshape(n, -1), axis=1)
        else:
            tol = ACCUM_RTOL * np.maximum(np.abs(want), 2.0 ** -st.out_type.fraction)
            bad = np.any((np.abs(got - want) > tol).reshape(n, -1), axis=1)
        if bad.any():
            diff = float(np.abs(got - want).max())
            raise RtlGenError(
                f"layer '{name}' ({st.name}): the generated arithmetic disagrees with the model "
                f"on {int(bad.sum())} of {n} random inputs (largest difference {diff:g}); "
                "generator self-check, please report it"
            )


__all__ = ["ACCUM_RTOL", "N_SAMPLES", "check_stages", "requantize", "run_stage"]
