"""The folding of a generated core: per layer unrolled or folded (PE x SIMD), checked, timed.

The record itself (:class:`~fpgacnn.spec.folding.Folding`) lives in the contracts
layer; this module ties it to the stages of a model:

- :func:`check_folding` -- every QConv2D/QDense layer exactly once, in model order,
  PE and SIMD dividing what they fold (``FoldingError`` naming the layer);
- :func:`layer_cycles` / :func:`initiation_interval` -- cycles per image of a layer
  and of the core, the formula the solver's model and ``rtl.json`` share:
  unrolled conv ``(H+2P)*(W+2P)`` (one padded input pixel per clock); folded conv
  ``max(H*W, OH*OW * (K*K*Cin/SIMD) * (Cout/PE))`` when SIMD divides Cin (the window
  streams through ``fcnn_cnn_swu``), ``max((H+2P)*(W+2P), ...)`` when SIMD is a
  multiple of Cin (the whole window per beat, ``fcnn_cnn_window``); dense
  ``max(IN_LEN/C_IN, (IN_LEN/SIMD) * (N/PE))``; the core: the largest;
- :func:`default_folding` -- what :func:`~fpgacnn.hw.rtlgen.generate_rtl` uses when
  given none (before or without the solver): the first convolution unrolled (at stride 1), every
  other layer folded at the fewest multipliers (PE*SIMD) that keep it within the
  core's budget (:func:`default_budget`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgacnn.spec.folding import (
    Folding,
    FoldingError,
    Impl,
    LayerFolding,
    conv_cycles,
    conv_simd_error,
    conv_streams,
    dense_cycles,
)

from .stages import ConvStage, DenseStage, Stage

#: Default folding: at most about this many multipliers per layer. A model whose input
#: pixel rate would need more is given a longer cycle budget (a slower, smaller core).
DEFAULT_MAX_PARALLEL = 256
#: Default ROM style of a folded layer's weights.
DEFAULT_ROM_STYLE = "block"


@dataclass(frozen=True, kw_only=True)
class MacGeometry:
    """What a conv/dense stage multiplies: IN_LEN x N per vector, VECTORS per image."""

    in_len: int      # elements per vector (K*K*Cin, or the flattened input)
    c_in: int        # elements per input beat (IN_LEN for a window, the pixel's channels)
    n: int           # outputs per vector
    vectors: int     # vectors per image (OH*OW, or 1)
    in_steps: int    # input stream steps per image (padded pixels for a conv, beats)


def mac_stages(stages: list[Stage]) -> list[Stage]:
    """The conv and dense stages (one per QConv2D/QDense layer), in model order."""
    return [s for s in stages if isinstance(s, (ConvStage, DenseStage))]


def geometry(st: Stage) -> MacGeometry:
    """The :class:`MacGeometry` of a conv or dense stage."""
    h, w, c = st.in_shape
    if isinstance(st, ConvStage):
        k, p = st.kernel, st.pad
        oh, ow = st.out_hw
        return MacGeometry(in_len=k * k * c, c_in=k * k * c, n=st.out_shape[2],
                           vectors=oh * ow, in_steps=(h + 2 * p) * (w + 2 * p))
    if isinstance(st, DenseStage):
        return MacGeometry(in_len=h * w * c, c_in=c, n=st.out_shape[2], vectors=1,
                           in_steps=h * w)
    raise TypeError(f"{type(st).__name__} is not a conv or dense stage")


def stride(st: ConvStage) -> int:
    """The stride of a convolution stage (1 for a stage that carries none)."""
    return int(getattr(st, "stride", 1))


def streams(st: Stage, lf: LayerFolding) -> bool:
    """Whether ``st`` is a folded convolution whose window streams through the sliding-window
    unit ``fcnn_cnn_swu`` at ``lf.simd`` (SIMD divides Cin; else the whole-window
    ``fcnn_cnn_window``)."""
    return (isinstance(st, ConvStage) and lf.impl is Impl.FOLDED
            and conv_streams(st.in_shape[2], lf.simd))


def _cycles(st: Stage, impl: Impl, pe: int, simd: int) -> int:
    """The contract's formula (:func:`fpgacnn.spec.folding.conv_cycles` / ``dense_cycles``)."""
    h, w, c = st.in_shape
    if isinstance(st, ConvStage):
        return conv_cycles(impl=impl, h=h, w=w, pad=st.pad, k=st.kernel, cin=c,
                           cout=st.out_shape[2], pe=pe, simd=simd, stride=stride(st),
                           out_hw=st.out_hw)
    g = geometry(st)
    return dense_cycles(in_len=g.in_len, c_in=g.c_in, n=g.n, pe=pe, simd=simd)


def layer_cycles(st: Stage, lf: LayerFolding) -> int:
    """Cycles per image of the layer of ``st`` folded as ``lf`` (module docstring)."""
    return _cycles(st, lf.impl, lf.pe, lf.simd)


def initiation_interval(stages: list[Stage], folding: Folding) -> int:
    """Cycles per image of the core: the slowest layer's (``rtl.json``'s
    ``initiation_interval``)."""
    by_layer = {lf.layer: lf for lf in folding.layers}
    return max(layer_cycles(st, by_layer[st.layer]) for st in mac_stages(stages))


def _valid(st: Stage, g: MacGeometry, pe: int, simd: int) -> bool:
    if isinstance(st, ConvStage):
        return (g.n % pe == 0 and g.in_len % simd == 0
                and conv_simd_error(k=st.kernel, cin=st.in_shape[2], simd=simd,
                                    stride=stride(st)) is None)
    return (g.n % pe == 0 and g.in_len % simd == 0
            and (simd % g.c_in == 0 or g.c_in % simd == 0))


def check_folding(folding: Folding, stages: list[Stage]) -> None:
    """Raise :class:`FoldingError` (one line, naming the layer) unless ``folding`` fits.

    Every QConv2D/QDense layer of the model is folded exactly once, in model order;
    PE divides the outputs, SIMD the vector (and SIMD and the beat's elements divide
    one another; for a convolution SIMD divides Cin, or at stride 1 is a multiple of it:
    :func:`~fpgacnn.spec.folding.conv_simd_error`); unrolled only for stride-1
    convolutions, with PE = SIMD = 1.
    """
    macs = mac_stages(stages)
    want = [s.layer for s in macs]
    got = [lf.layer for lf in folding.layers]
    for name in got:
        if got.count(name) > 1:
            raise FoldingError(f"folding: layer '{name}' appears {got.count(name)} times, "
                               "expected once")
    missing = [n for n in want if n not in got]
    if missing:
        raise FoldingError(f"folding: layer '{missing[0]}' has no entry (expected one per "
                           f"QConv2D/QDense layer: {', '.join(want)})")
    extra = [n for n in got if n not in want]
    if extra:
        raise FoldingError(f"folding: layer '{extra[0]}' is not a QConv2D/QDense layer of "
                           f"the model (expected {', '.join(want)})")
    if got != want:
        raise FoldingError(f"folding: layers in order {', '.join(got)}, expected the model's "
                           f"order {', '.join(want)}")
    by_layer = {lf.layer: lf for lf in folding.layers}
    for st in macs:
        lf = by_layer[st.layer]
        g = geometry(st)
        kind = "QConv2D" if isinstance(st, ConvStage) else "QDense"
        where = f"folding of layer '{st.layer}' ({kind})"
        if lf.impl is Impl.UNROLLED:
            if not isinstance(st, ConvStage):
                raise FoldingError(f"{where}: impl 'unrolled' is for convolutions only, "
                                   "expected 'folded'")
            if (lf.pe, lf.simd) != (1, 1):
                raise FoldingError(f"{where}: an unrolled layer has pe = simd = 1, got "
                                   f"pe={lf.pe} simd={lf.simd}")
            if stride(st) != 1:
                raise FoldingError(f"{where}: impl 'unrolled' is for stride 1 only, expected "
                                   f"'folded' at stride {stride(st)}")
            continue
        if lf.pe < 1 or g.n % lf.pe:
            raise FoldingError(f"{where}: pe must divide its {g.n} outputs, got {lf.pe}")
        if lf.simd < 1 or g.in_len % lf.simd:
            raise FoldingError(f"{where}: simd must divide its {g.in_len} inputs per "
                               f"vector, got {lf.simd}")
        if isinstance(st, ConvStage):
            why = conv_simd_error(k=st.kernel, cin=st.in_shape[2], simd=lf.simd,
                                  stride=stride(st))
            if why is not None:
                raise FoldingError(f"{where}: {why}")
        elif lf.simd % g.c_in and g.c_in % lf.simd:
            raise FoldingError(f"{where}: simd must divide or be a multiple of the {g.c_in} "
                               f"elements per input beat, got {lf.simd}")
        if lf.rom_style not in ("block", "distributed"):
            raise FoldingError(f"{where}: rom_style must be 'block' or 'distributed', got "
                               f"{lf.rom_style!r}")


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def default_budget(stages: list[Stage]) -> int:
    """Cycles per image the default folding aims at.

    The first layer's input rate (its padded pixels: the unrolled first convolution,
    or a first dense layer's beats), unless a layer would then need more than
    :data:`DEFAULT_MAX_PARALLEL` multipliers; then what that many give its heaviest layer.
    """
    macs = mac_stages(stages)
    budget = geometry(macs[0]).in_steps
    for st in macs[1:] if isinstance(macs[0], ConvStage) else macs:
        g = geometry(st)
        budget = max(budget, -(-g.vectors * g.in_len * g.n // DEFAULT_MAX_PARALLEL))
    return budget


def fold_layer(st: Stage, budget: int, *, rom_style: str = DEFAULT_ROM_STYLE) -> LayerFolding:
    """The folded :class:`LayerFolding` of ``st`` with the fewest multipliers (PE*SIMD) whose
    cycles per image fit ``budget`` (ties: the larger SIMD); a convolution streams its
    window through the sliding-window unit (SIMD divides Cin) whenever that fits, the
    whole window per beat (SIMD a multiple of Cin: K*K*Cin*XW bits of registers three
    times) only when nothing streamed fits. If nothing fits: fully parallel (a strided
    convolution: SIMD = Cin, PE = Cout)."""
    g = geometry(st)
    best: tuple[int, int, int, int] | None = None
    for pe in _divisors(g.n):
        for simd in _divisors(g.in_len):
            if not _valid(st, g, pe, simd) or _cycles(st, Impl.FOLDED, pe, simd) > budget:
                continue
            whole = isinstance(st, ConvStage) and not conv_streams(st.in_shape[2], simd)
            cand = (int(whole), pe * simd, -simd, pe)
            if best is None or cand < best:
                best = cand
    if best is None:
        pe, simd = g.n, g.in_len
        if isinstance(st, ConvStage) and stride(st) != 1:
            simd = st.in_shape[2]
    else:
        pe, simd = best[3], -best[2]
    return LayerFolding(layer=st.layer, impl=Impl.FOLDED, pe=pe, simd=simd,
                        rom_style=rom_style)


def default_folding(stages: list[Stage], model: str, *, clock_mhz: float = 100.0) -> Folding:
    """The built-in folding (module docstring)."""
    macs = mac_stages(stages)
    budget = default_budget(stages)
    layers = []
    for i, st in enumerate(macs):
        if i == 0 and isinstance(st, ConvStage) and stride(st) == 1:
            layers.append(LayerFolding(layer=st.layer, impl=Impl.UNROLLED, pe=1, simd=1,
                                       rom_style=""))
        else:
            layers.append(fold_layer(st, budget))
    return Folding(model=model, board=None, clock_mhz=clock_mhz, target_rate=None,
                   layers=tuple(layers))
