"""hls4ml settings from the same folding: part, clock, strategy, per-layer reuse factor.

A folded layer computes ``PE*SIMD`` multiplies per clock; hls4ml's equivalent is
its reuse factor (each multiplier used ``ReuseFactor`` times per output vector):
``ceil(n_in * n_out / (PE * SIMD))``, with ``n_in``/``n_out`` as hls4ml counts
them (dense: inputs x outputs; io_stream convolution: K*K*Cin x Cout per output
pixel). hls4ml accepts only some values (:func:`valid_reuse_factor`, its own
rule); the largest valid one not above the wanted one is taken, so the hls4ml
layer is at least as parallel as the folded one. Layers with at most
:data:`LATENCY_MAX_MULTS` multiplies, or a reuse factor of 1 (an unrolled
convolution, a fully parallel layer), keep hls4ml's Latency strategy; the
others get Resource with their reuse factor.
"""

from __future__ import annotations

import math
from typing import Any

from fpgacnn.spec.folding import Folding, Impl, Target

from ..convert.config import ConvertConfig, Strategy
from .resources import LayerShape
from .solver import layer_shapes

#: Layers with at most this many multiplies per vector stay fully parallel (Latency).
LATENCY_MAX_MULTS = 1024


def valid_reuse_factor(n_in: int, n_out: int, rf: int) -> bool:
    """hls4ml's own validity rule for a dense-like layer's reuse factor."""
    from ..convert._hls4ml_shim import keras2_for_hls4ml

    with keras2_for_hls4ml():
        from hls4ml.backends.fpga.fpga_backend import FPGABackend

        return bool(FPGABackend._validate_reuse_factor(None, n_in, n_out, rf))


def reuse_factor(n_in: int, n_out: int, pe: int, simd: int) -> int:
    """The largest hls4ml-valid reuse factor not above ``ceil(n_in*n_out/(pe*simd))``."""
    want = max(1, math.ceil(n_in * n_out / (pe * simd)))
    for rf in range(want, 0, -1):
        if valid_reuse_factor(n_in, n_out, rf):
            return rf
    return 1


def layer_hls(shape: LayerShape, impl: Impl, pe: int, simd: int) -> tuple[Strategy, int]:
    """(strategy, reuse factor) of one layer (module docstring)."""
    n_in, n_out = shape.in_len, shape.n
    if impl is Impl.UNROLLED or n_in * n_out <= LATENCY_MAX_MULTS:
        return Strategy.LATENCY, 1
    rf = reuse_factor(n_in, n_out, pe, simd)
    return (Strategy.LATENCY, 1) if rf == 1 else (Strategy.RESOURCE, rf)


def hls_settings(folding: Folding, stages: list[Any], target: Target,
                 base: ConvertConfig | None = None) -> ConvertConfig:
    """``base`` (default :class:`ConvertConfig`) with the target's part and clock and the
    folding's per-layer strategy and reuse factor."""
    base = base if base is not None else ConvertConfig()
    shapes, _ = layer_shapes(stages)
    by = {lf.layer: lf for lf in folding.layers}
    strategy: dict[str, Strategy] = {}
    reuse: dict[str, int] = {}
    for s in shapes:
        lf = by[s.layer]
        strategy[s.layer], reuse[s.layer] = layer_hls(s, lf.impl, lf.pe, lf.simd)
    return ConvertConfig(backend=base.backend, io_type=base.io_type, strategy=base.strategy,
                         reuse_factor=base.reuse_factor, part=target.part,
                         clock_period_ns=round(1000.0 / target.clock_mhz, 6),
                         layer_strategy=strategy, layer_reuse=reuse,
                         result_overrides=base.result_overrides)
