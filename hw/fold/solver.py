"""The folding solver: every layer's PE x SIMD, balanced to the bottleneck, within the board.

FINN's rule: a dataflow core is as fast as its slowest layer, so every layer is
folded just enough to meet one target initiation interval (II, cycles per image)
and no more. For a target II the solver picks, per QConv2D/QDense layer, the
cheapest implementation whose cycles per image are within it: a folded unit at
some (PE, SIMD) the generator builds (PE | N, SIMD | IN_LEN; a dense layer's SIMD
and C_IN dividing one another; a convolution's SIMD dividing Cin -- the streaming
window unit ``fcnn_cnn_swu`` -- or, at stride 1, a multiple of Cin dividing the
window: :func:`fpgacnn.spec.folding.conv_simd_error`) and its weight ROM in block
or distributed memory, or, for a convolution at stride 1, the unrolled per-pixel
kernel (one padded input pixel per clock). "Cheapest" is the resource model's
estimate (:mod:`.resources`) weighed against the budget: the fewest LUTs and FFs
(each as a share of its budget; BRAM weighs only :data:`BRAM_WEIGHT` as much, a
tie-breaker) with the core's block RAM within its budget -- a hard constraint,
met exactly by a small knapsack over the layers (:func:`_choose`), so weight ROMs go
to block RAM wherever it still has room and to LUTs where it has not (CNV at 3,000
images/s: the shallow, wide ROMs of its second convolution stay in LUTs, the rest in
BRAM). Then DSP slices replace LUT multipliers where they save the most LUTs per DSP
(:meth:`_Problem.with_dsps`: greedy, within the DSP budget; CNV's 8-bit-input first
convolution first). When the core's LUTs, LUTRAM or FFs overflow, that resource's weight
is raised and the layers are chosen again.

- ``rate`` (images/s) given: II = floor(clock / rate); the core must fit at it,
  else :class:`FoldingError` names the resource, the layer that uses most of it,
  the budget, and the fastest rate that does fit.
- ``rate`` None: the smallest II that fits (binary search over the IIs the
  layers can reach).

The budget is a documented fraction of the part (:data:`BUDGET_FRACTION`): the
rest is left for the DMA, the interconnect and the edge core of a board build.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from fpgacnn.spec.folding import (
    RESOURCE_FIELDS,
    Folding,
    FoldingError,
    Impl,
    LayerFolding,
    Resources,
    Target,
)

from . import resources as rm
from .resources import Cost, LayerShape

log = logging.getLogger(__name__)

#: Share of each part resource the classifier core may use (the rest: DMA, AXI
#: interconnect, the edge core, the build-id block and routing slack; DSP: the frame
#: path's colour-to-gray and crop blocks take up to 46 at 8 pixels per clock).
BUDGET_FRACTION = {"lut": 0.85, "ff": 0.85, "lutram": 0.85, "bram36": 0.95, "dsp": 0.75}
#: Rounds of re-weighting an overflowing resource before giving up on an II.
REWEIGHT_ROUNDS = 8
#: Weight of BRAM36 (as a share of its budget) against LUTs and FFs (1 each) in a layer's
#: score. BRAM's budget is a constraint of the choice (:func:`_choose`); within it, block
#: RAM is nearly free: a layer keeps a ROM in LUTs only where that costs at most about
#: 0.1 * 45,220 / 133 = 34 LUTs per BRAM36 on the xc7z020 (yosys: a shallow ROM in BRAM
#: saves 119-290 LUTs per BRAM36 on CNV, calibration_fold.json section ``rom``).
BRAM_WEIGHT = 0.1


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The resources the core may use on a target (``fraction`` of the part's)."""

    target: Target
    lut: float
    ff: float
    lutram: float
    bram36: float
    dsp: float

    @staticmethod
    def of(target: Target) -> Budget:
        """:data:`BUDGET_FRACTION` of ``target``'s part."""
        r = target.resources
        return Budget(target=target, **{k: BUDGET_FRACTION[k] * getattr(r, k)
                                        for k in RESOURCE_FIELDS})

    def describe(self, kind: str) -> str:
        """'45,220 LUT (85 % of 53,200)'-style text of one resource."""
        part = getattr(self.target.resources, kind)
        return (f"{math.floor(getattr(self, kind)):,} {kind.upper()} "
                f"({BUDGET_FRACTION[kind] * 100:g} % of {part:,})")

    def where(self) -> str:
        """'the board 'pynq-z2' (xc7z020clg400-1)'."""
        return f"the board '{self.target.board}' ({self.target.part})"


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _csd(weights: np.ndarray) -> int:
    a = np.abs(np.asarray(weights, dtype=np.int64))
    h = a >> 1
    c = (a + h) ^ h
    return int(np.bitwise_count(c.astype(np.uint64)).sum())


def layer_shapes(stages: list[Any]) -> tuple[list[LayerShape], dict[str, Any]]:
    """The conv/dense :class:`LayerShape` s of a core's stages, and the fixed blocks' facts."""
    from fpgacnn.hw.rtlgen.emit import swu_ram_style, swu_rows
    from fpgacnn.hw.rtlgen.folding import stride
    from fpgacnn.hw.rtlgen.stages import (
        ConvStage,
        DenseStage,
        PoolStage,
        RequantStage,
        score_count,
    )

    shapes: list[LayerShape] = []
    pools: list[tuple[int, int, int, int]] = []
    for st in stages:
        h, w, c = st.in_shape
        if isinstance(st, ConvStage):
            k, p = st.kernel, st.pad
            oh, ow = st.out_shape[0], st.out_shape[1]
            acc = getattr(st, "accum", st.out_type)
            ww = getattr(st, "w_width", None) or int(np.max(np.abs(st.weights))).bit_length() + 1
            shapes.append(LayerShape(
                layer=st.layer, conv=True, in_len=k * k * c, c_in=k * k * c,
                n=st.out_shape[2], vectors=oh * ow, in_steps=(h + 2 * p) * (w + 2 * p),
                xw=st.in_type.width, ww=ww, acc_w=acc.width,
                out_w=st.out_type.width if st.quantize else acc.width, requant=st.quantize,
                csd=_csd(st.weights),
                window_bits=(k - 1) * (w + 2 * p) * c * st.in_type.width,
                window_width=w + 2 * p, kernel=k, channels=c, height=h, width=w, pad=p,
                stride=stride(st), out_hw=(oh, ow),
                swu_words=swu_rows(st) << max(1, (w - 1).bit_length()),
                swu_style=swu_ram_style(st)))
        elif isinstance(st, DenseStage):
            nxt = stages[stages.index(st) + 1] if st is not stages[-1] else None
            rq = isinstance(nxt, RequantStage)
            shapes.append(LayerShape(
                layer=st.layer, conv=False, in_len=h * w * c, c_in=c, n=st.out_shape[2],
                vectors=1, in_steps=h * w, xw=st.in_type.width, ww=st.w_width,
                acc_w=st.out_type.width,
                out_w=nxt.out_type.width if rq else st.out_type.width, requant=rq,
                csd=0, window_bits=0, window_width=1))
        elif isinstance(st, PoolStage):
            pools.append((w, c, st.in_type.width, st.pool))
    last = stages[-1]
    return shapes, {"pools": pools, "classes": score_count(stages),
                    "score_bits": last.out_type.width}


def _options(s: LayerShape, ii: int) -> list[LayerFolding]:
    """Every implementation of layer ``s`` whose cycles per image are within ``ii``."""
    out: list[LayerFolding] = []
    if s.conv and s.stride == 1 and s.in_steps <= ii:
        out.append(LayerFolding(layer=s.layer, impl=Impl.UNROLLED))
    for pe in _divisors(s.n):
        # per PE the fewest SIMD lanes meeting II are the cheapest array; keep the
        # next two as well (a wider ROM word can pack BRAM better)
        kept = 0
        for simd in _divisors(s.in_len):
            if not s.allows(pe, simd):
                continue
            if s.fold_cycles(pe, simd) > ii:
                continue
            for rom in ("block", "distributed"):
                out.append(LayerFolding(layer=s.layer, impl=Impl.FOLDED, pe=pe, simd=simd,
                                        rom_style=rom))
            kept += 1
            if kept == 3:
                break
    return out


def _score(c: Cost, budget: Budget, weights: dict[str, float]) -> float:
    return sum(weights[k] * getattr(c, k) / max(getattr(budget, k), 1e-9)
               for k in ("lut", "ff", "bram36", "dsp"))


def _halves(bram36: float) -> int:
    """BRAM36 as a whole number of BRAM18 halves (the model counts halves)."""
    return int(math.ceil(2 * bram36 - 1e-9))


def _pareto(items: list[tuple[int, float, Any]]) -> list[tuple[int, float, Any]]:
    """The (BRAM halves, score, payload) items no other beats on both counts, by BRAM."""
    out: list[tuple[int, float, Any]] = []
    for b, sc, pay in sorted(items, key=lambda t: (t[0], t[1])):
        if not out or sc < out[-1][1]:
            out.append((b, sc, pay))
    return out


def _choose(options: list[list[tuple[LayerFolding, Cost]]], budget: Budget,
            weights: dict[str, float], bram_room: float) -> list[int] | None:
    """Per layer the index of its option: the least total score with the layers' BRAM36
    within ``bram_room`` (a multiple-choice knapsack in BRAM18 halves, solved exactly over
    the Pareto fronts of score against BRAM), or None when even the fewest BRAM36 per
    layer overflow it."""
    room = int(math.floor(2 * bram_room + 1e-9))
    front: list[tuple[int, float, tuple[int, ...]]] = [(0, 0.0, ())]
    for opts in options:
        mine = _pareto([(_halves(c.bram36), _score(c, budget, weights), j)
                        for j, (_, c) in enumerate(opts)])
        front = _pareto([(b0 + b1, s0 + s1, picks + (j,)) for b0, s0, picks in front
                         for b1, s1, j in mine if b0 + b1 <= room])
        if not front:
            return None
    return list(min(front, key=lambda t: t[1])[2])


@dataclass(frozen=True)
class _Plan:
    ii: int
    layers: tuple[LayerFolding, ...]
    costs: tuple[Cost, ...]
    total: Cost
    over: str | None          # the first resource over budget, or None


class _Problem:
    """One model on one target: shapes, fixed cost, memoised layer costs."""

    def __init__(self, stages: list[Any], budget: Budget) -> None:
        self.shapes, fixed = layer_shapes(stages)
        self.budget = budget
        self.fixed = rm.fixed_cost(self.shapes, fixed["pools"], fixed["classes"],
                                   fixed["score_bits"])
        self._cost: dict[tuple[int, LayerFolding], Cost] = {}

    def cost(self, i: int, lf: LayerFolding) -> Cost:
        key = (i, lf)
        if key not in self._cost:
            self._cost[key] = rm.layer_cost(self.shapes[i], lf)
        return self._cost[key]

    def _reachable(self, s: LayerShape) -> list[int]:
        """The cycles per image layer ``s`` can take (unrolled and every valid fold)."""
        out = [s.in_steps] if s.conv and s.stride == 1 else []
        out += [s.fold_cycles(pe, simd) for pe in _divisors(s.n)
                for simd in _divisors(s.in_len) if s.allows(pe, simd)]
        return out

    def ii_floor(self) -> int:
        return max(min(self._reachable(s)) for s in self.shapes)

    def ii_ceiling(self) -> int:
        return max(max(self._reachable(s)) for s in self.shapes)

    def candidate_iis(self) -> list[int]:
        """Every II some layer reaches exactly (the only places the choice changes)."""
        lo = self.ii_floor()
        found = {lo}
        for s in self.shapes:
            found.update(self._reachable(s))
        return sorted(v for v in found if v >= lo)

    def with_dsps(self, chosen: list[LayerFolding]) -> list[LayerFolding]:
        """``chosen`` with DSP multipliers in the folded layers where they save the most
        LUTs per DSP, while the DSP budget has room (greedy; the ROMs, so the BRAM, stay)."""
        room = self.budget.dsp - self.fixed.dsp
        gains = []
        for i, lf in enumerate(chosen):
            if lf.impl is not Impl.FOLDED or lf.multipliers == "dsp":
                continue
            alt = replace(lf, multipliers="dsp", estimate=None)
            lut, dsp = self.cost(i, lf), self.cost(i, alt)
            if lut.lut - dsp.lut > 0:
                gains.append(((lut.lut - dsp.lut) / max(dsp.dsp, 1e-9), i, alt, dsp.dsp))
        out = list(chosen)
        for _, i, alt, used in sorted(gains, key=lambda g: (-g[0], g[1])):
            if used <= room:
                out[i] = alt
                room -= used
        return out

    def plan(self, ii: int) -> _Plan:
        """The cheapest choice per layer at ``ii`` with the BRAM36 within budget
        (:func:`_choose`), re-weighted while LUTs, LUTRAM or FFs overflow."""
        weights = {"lut": 1.0, "ff": 1.0, "bram36": BRAM_WEIGHT, "dsp": 1.0}
        opts = [[(lf, self.cost(i, lf)) for lf in _options(s, ii)]
                for i, s in enumerate(self.shapes)]
        best: _Plan | None = None
        for _ in range(REWEIGHT_ROUNDS):
            picks = _choose(opts, self.budget, weights, self.budget.bram36 - self.fixed.bram36)
            if picks is None:       # BRAM overflows at any choice: the fewest per layer
                picks = [min(range(len(o)), key=lambda j, o=o: (o[j][1].bram36, _score(
                    o[j][1], self.budget, weights))) for o in opts]
            chosen = self.with_dsps([opts[i][j][0] for i, j in enumerate(picks)])
            costs = tuple(self.cost(i, lf) for i, lf in enumerate(chosen))
            total = self.fixed
            for c in costs:
                total = total + c
            total = rm.core_total(total)
            over = next((k for k in ("bram36", "lut", "lutram", "ff", "dsp")
                         if getattr(total, k) > getattr(self.budget, k)), None)
            plan = _Plan(ii, tuple(chosen), costs, total, over)
            if best is None or over is None:
                best = plan
            if over is None or over == "bram36":
                return plan if over is None else best
            weights[over if over != "lutram" else "lut"] *= 2.0
        assert best is not None
        return best


def _check_weight_storage(problem: _Problem) -> None:
    """Refuse a layer whose weights fit neither the BRAM nor the LUT budget at any folding."""
    b = problem.budget
    for s in problem.shapes:
        if s.conv:
            continue  # an unrolled convolution keeps its weights in the logic
        bits = s.in_len * s.n * s.ww
        need_bram = math.ceil(bits / (36 * 1024))
        need_lut = math.ceil(bits / rm.LUT_BITS)
        if need_bram > b.bram36 and need_lut > b.lut:
            raise FoldingError(
                f"layer '{s.layer}' needs >= {need_bram:,} BRAM36 (or {need_lut:,} LUTs as ROM) "
                f"for its {s.in_len}x{s.n} weights of {s.ww} bits at any folding; "
                f"{b.where()} has a budget of {b.describe('bram36')} and {b.describe('lut')}")


def _overflow_message(problem: _Problem, plan: _Plan, what: str) -> str:
    kind = plan.over or "lut"
    worst = max(range(len(plan.layers)), key=lambda i: getattr(plan.costs[i], kind))
    used = getattr(plan.total, kind)
    return (f"{what}: the core needs about {used:,.0f} {kind.upper()}, over the budget of "
            f"{problem.budget.describe(kind)} on {problem.budget.where()}; layer "
            f"'{plan.layers[worst].layer}' alone uses {getattr(plan.costs[worst], kind):,.0f}")


def _folding(problem: _Problem, plan: _Plan, model: str, target: Target,
             rate: float | None) -> Folding:
    layers = tuple(
        LayerFolding(layer=lf.layer, impl=lf.impl, pe=lf.pe, simd=lf.simd,
                     rom_style=lf.rom_style, multipliers=lf.multipliers,
                     estimate=plan.costs[i].estimate(problem.shapes[i].cycles(lf)))
        for i, lf in enumerate(plan.layers))
    ii = max(problem.shapes[i].cycles(lf) for i, lf in enumerate(plan.layers))
    return Folding(model=model, board=target.board, clock_mhz=target.clock_mhz,
                   target_rate=rate, layers=layers, estimate=plan.total.estimate(ii))


def _check_rate(rate: float | None) -> None:
    if rate is None:
        return
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) \
            or rate <= 0:
        raise FoldingError(f"rate: expected a positive finite number of images per second, "
                           f"got {rate!r}")


def solve_stages(stages: list[Any], *, model: str, target: Target,
                 rate: float | None = None) -> Folding:
    """:func:`solve` on a model's stages (``fpgacnn.hw.rtlgen.stages.build_stages``)."""
    _check_rate(rate)
    t0 = time.perf_counter()
    problem = _Problem(stages, Budget.of(target))
    _check_weight_storage(problem)
    clock_hz = target.clock_mhz * 1e6
    iis = problem.candidate_iis()
    slowest = problem.plan(iis[-1])
    if rate is not None:
        ii = math.floor(clock_hz / rate)
        lo = problem.ii_floor()
        if ii < lo:
            first = max(problem.shapes, key=lambda s: s.in_steps)
            raise FoldingError(
                f"rate {rate:g} images/s needs at most {ii:,} cycles per image at "
                f"{target.clock_mhz:g} MHz; layer '{first.layer}' takes its input one pixel "
                f"per clock ({lo:,} cycles per image), so the core reaches at most "
                f"{clock_hz / lo:,.0f} images/s")
        plan = problem.plan(ii)
        if plan.over is not None:
            msg = _overflow_message(problem, plan, f"rate {rate:g} images/s ({ii:,} cycles "
                                                   "per image)")
            if slowest.over is None:
                fastest = _search(problem, iis)
                msg += f"; the fastest that fits is {clock_hz / fastest.ii:,.0f} images/s"
            raise FoldingError(msg)
    else:
        if slowest.over is not None:
            raise FoldingError(_overflow_message(
                problem, slowest, f"model '{model}' does not fit even fully folded "
                f"({iis[-1]:,} cycles per image)"))
        plan = _search(problem, iis)
    folding = _folding(problem, plan, model, target, rate)
    log.info("folding of %s for %s: II %d cycles (%.0f images/s at %g MHz) in %.2f s", model,
             target.board, folding.estimate.cycles_per_image if folding.estimate else 0,
             clock_hz / plan.ii, target.clock_mhz, time.perf_counter() - t0)
    return folding


def _search(problem: _Problem, iis: list[int]) -> _Plan:
    """The plan at the smallest II of ``iis`` that fits (the largest must fit)."""
    lo, hi = 0, len(iis) - 1
    best = problem.plan(iis[hi])
    while lo < hi:
        mid = (lo + hi) // 2
        p = problem.plan(iis[mid])
        if p.over is None:
            best, hi = p, mid
        else:
            lo = mid + 1
    if best.ii != iis[lo]:
        best = problem.plan(iis[lo])
    return best


def solve(model: Any, *, board: Target, rate: float | None = None) -> Folding:
    """The folding of ``model`` (a QKeras model) for ``board`` at ``rate`` images/s.

    ``board`` is the :class:`~fpgacnn.spec.folding.Target` of a board file (its
    name, part, PL clock and resources; ``fpgacnn.boards.board.board_target``
    builds it from a board name -- the hardware layer does not read board files
    itself). ``rate`` None asks for the fastest folding that fits. Raises
    :class:`FoldingError` (one line naming the layer or resource and the budget)
    when nothing fits, and the generator's ``RtlGenError`` for a model the RTL
    backend cannot build.
    """
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.rtlgen.stages import build_stages

    if not isinstance(board, Target):
        raise FoldingError(f"board: expected a Target (fpgacnn.boards.board.board_target(name)), "
                           f"got {board!r}")
    stages = build_stages(model, plan_model(model))
    return solve_stages(stages, model=model.name, target=board, rate=rate)


def estimate_folding(stages: list[Any], folding: Folding, target: Target) -> Folding:
    """``folding`` with the resource model's estimates filled in (structure unchanged)."""
    problem = _Problem(stages, Budget.of(target))
    by = {lf.layer: lf for lf in folding.layers}
    chosen = tuple(by[s.layer] for s in problem.shapes)
    costs = tuple(problem.cost(i, lf) for i, lf in enumerate(chosen))
    total = problem.fixed
    for c in costs:
        total = total + c
    total = rm.core_total(total)
    over = next((k for k in ("bram36", "lut", "lutram", "ff", "dsp")
                 if getattr(total, k) > getattr(problem.budget, k)), None)
    ii = max(problem.shapes[i].cycles(lf) for i, lf in enumerate(chosen))
    plan = _Plan(ii, chosen, costs, total, over)
    out = _folding(problem, plan, folding.model, target, folding.target_rate)
    return Folding(model=folding.model, board=folding.board, clock_mhz=folding.clock_mhz,
                   target_rate=folding.target_rate, layers=out.layers, estimate=out.estimate)


def block_sum(stages: list[Any], layers: list[LayerFolding], target: Target) -> Cost:
    """The sum of the block models for ``layers`` (one per conv/dense layer, model order)
    before the whole-core factors: what ``fold_calibrate --block cores`` sets against
    yosys's figures of a whole generated core."""
    problem = _Problem(stages, Budget.of(target))
    by = {lf.layer: lf for lf in layers}
    total = problem.fixed
    for i, s in enumerate(problem.shapes):
        total = total + problem.cost(i, by[s.layer])
    return total


def over_budget(folding: Folding, target: Target) -> list[str]:
    """The resources over budget in ``folding``'s estimate (one text per resource)."""
    budget = Budget.of(target)
    est = folding.estimate
    if est is None:
        return []
    return [f"{getattr(est, k):,} {k.upper()} > budget {budget.describe(k)}"
            for k in ("lut", "ff", "lutram", "bram36", "dsp")
            if getattr(est, k) > getattr(budget, k)]


__all__ = ["BUDGET_FRACTION", "Budget", "Resources", "estimate_folding", "layer_shapes",
           "over_budget", "solve", "solve_stages"]
