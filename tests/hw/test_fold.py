"""The folding solver (fpgacnn.hw.fold): targets, balance, refusals, hls4ml settings."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from fpgacnn.boards.board import available_boards
from fpgacnn.boards.target import board_target
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.sources import load_source
from fpgacnn.hw.fold import (
    BUDGET_FRACTION,
    check_folding,
    estimate_folding,
    hls_settings,
    solve,
    solve_stages,
)
from fpgacnn.hw.fold.hls import valid_reuse_factor
from fpgacnn.hw.fold.solver import layer_shapes
from fpgacnn.hw.rtlgen.stages import build_stages
from fpgacnn.spec.folding import FoldingError, Impl, LayerFolding, Resources, Target


@pytest.fixture(scope="module")
def digits():
    model = load_source("digits").model
    return model, build_stages(model, plan_model(model))


def test_every_board_has_its_part_resources() -> None:
    for name in available_boards():
        t = board_target(name)
        assert t.board == name and t.clock_mhz > 0
        r = t.resources
        assert 0 < r.lutram < r.lut < r.ff and r.bram36 > 0 and r.dsp > 0
    # the anchor figures of the issue (AMD DS190)
    assert board_target("pynq-z2").resources == Resources(lut=53_200, ff=106_400,
                                                          lutram=17_400, bram36=140, dsp=220)
    assert board_target("pynq-z2").part == "xc7z020clg400-1"


def _cycles(model_stages, folding) -> int:
    shapes, _ = layer_shapes(model_stages)
    by = {lf.layer: lf for lf in folding.layers}
    return max(s.cycles(by[s.layer]) for s in shapes)


def test_fastest_digits_runs_at_the_input_pixel_rate(digits) -> None:
    model, stages = digits
    t = board_target("pynq-z2")
    f = solve(model, board=t, rate=None)
    check_folding(f, stages)
    assert f.board == "pynq-z2" and f.clock_mhz == 100.0 and f.target_rate is None
    assert [lf.layer for lf in f.layers] == ["conv1", "fc1"]
    # 8x8 input, valid 3x3: 64 pixels, one per clock, is the fastest any core can take it
    assert f.estimate.cycles_per_image == _cycles(stages, f) == 64
    # the first convolution stays unrolled (cheapest at one pixel per clock)
    assert f.layers[0].impl is Impl.UNROLLED
    # fc1 (144 x 10) is folded just enough: at most 64 cycles, and no layer faster than needed
    fc1 = f.layers[1]
    assert fc1.impl is Impl.FOLDED and (144 // fc1.simd) * (10 // fc1.pe) <= 64
    assert 144 * 10 / (fc1.pe * fc1.simd) > 64 / 2
    assert f.estimate.lut <= BUDGET_FRACTION["lut"] * 53_200


def test_a_rate_folds_to_its_initiation_interval(digits) -> None:
    model, stages = digits
    t = board_target("zcu104")
    fast = solve(model, board=t, rate=None)
    slow = solve(model, board=t, rate=3000.0)
    assert slow.target_rate == 3000.0 and slow.board == "zcu104"
    ii = _cycles(stages, slow)
    assert ii <= math.floor(100e6 / 3000)
    assert slow.estimate.lut < fast.estimate.lut          # slower = smaller
    assert sum(lf.pe * lf.simd for lf in slow.layers) < sum(
        lf.pe * lf.simd for lf in fast.layers if lf.impl is Impl.FOLDED) + 144


def test_estimates_are_filled_for_a_hand_written_folding(digits) -> None:
    model, stages = digits
    t = board_target("pynq-z2")
    hand = solve(model, board=t, rate=None)
    edited = dataclasses.replace(hand, layers=(
        hand.layers[0], LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=5, simd=16,
                                     rom_style="block")))
    est = estimate_folding(stages, edited, t)
    assert est == edited                             # the structure is never changed
    assert est.layers[1].estimate.cycles_per_image == (144 // 16) * (10 // 5)


def test_refuses_a_rate_above_the_input_pixel_rate(digits) -> None:
    model, _ = digits
    with pytest.raises(FoldingError, match=re.escape(
            "rate 2e+06 images/s needs at most 50 cycles per image at 100 MHz; layer 'conv1' "
            "takes its input one pixel per clock (64 cycles per image), so the core reaches "
            "at most 1,562,500 images/s") + "$"):
        solve(model, board=board_target("pynq-z2"), rate=2e6)


@pytest.mark.parametrize("rate", [0, -5.0, math.inf, math.nan, True, "10"])
def test_refuses_a_bad_rate(digits, rate) -> None:
    model, _ = digits
    with pytest.raises(FoldingError, match=r"^rate: expected a positive finite number of "
                       r"images per second, got .*$"):
        solve(model, board=board_target("pynq-z2"), rate=rate)


def test_refuses_a_board_name_instead_of_a_target(digits) -> None:
    model, _ = digits
    with pytest.raises(FoldingError, match=r"^board: expected a Target \(fpgacnn.boards.board"
                       r"\.board_target\(name\)\), got 'pynq-z2'$"):
        solve(model, board="pynq-z2", rate=None)


def test_refuses_weights_that_fit_no_memory(digits) -> None:
    _, stages = digits
    tiny = Target(board="tiny", part="xc7z007s", clock_mhz=100.0,
                  resources=Resources(lut=100, ff=1000, lutram=50, bram36=0, dsp=0))
    with pytest.raises(FoldingError, match=re.escape(
            "layer 'fc1' needs >= 1 BRAM36 (or 90 LUTs as ROM) for its 144x10 weights of 4 bits "
            "at any folding; the board 'tiny' (xc7z007s) has a budget of 0 BRAM36 (95 % of 0) "
            "and 85 LUT (85 % of 100)") + "$"):
        solve_stages(stages, model="digits", target=tiny, rate=None)


def test_refuses_a_core_over_budget_and_names_the_layer(digits) -> None:
    _, stages = digits
    small = Target(board="small", part="xc7z007s", clock_mhz=100.0,
                   resources=Resources(lut=3500, ff=100_000, lutram=1000, bram36=50, dsp=0))
    with pytest.raises(FoldingError, match=r"^rate 1e\+06 images/s \(100 cycles per image\): "
                       r"the core needs about [\d,]+ LUT, over the budget of 2,975 LUT \(85 % "
                       r"of 3,500\) on the board 'small' \(xc7z007s\); layer '(conv1|fc1)' alone "
                       r"uses [\d,]+; the fastest that fits is [\d,]+ images/s$"):
        solve_stages(stages, model="digits", target=small, rate=1e6)


def test_check_folding_names_the_layer(digits) -> None:
    _, stages = digits
    bad = LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=3, simd=16, rom_style="block")
    f = solve_stages(stages, model="digits", target=board_target("pynq-z2"))
    with pytest.raises(FoldingError, match=r"layer 'fc1'.*pe.*10.*3"):
        check_folding(dataclasses.replace(f, layers=(f.layers[0], bad)), stages)


def test_hls_settings_carry_the_board_and_the_folding(digits) -> None:
    model, stages = digits
    t = board_target("zcu104")
    f = solve_stages(stages, model="digits", target=t, rate=3000.0)
    cfg = hls_settings(f, stages, t)
    assert cfg.part == "xczu7ev-ffvc1156-2-e" and cfg.clock_period_ns == 10.0
    assert set(cfg.layer_reuse) == {"conv1", "fc1"}
    fc1 = f.layer("fc1")
    want = math.ceil(144 * 10 / (fc1.pe * fc1.simd))
    rf = cfg.layer_reuse["fc1"]
    # ceil(n_in*n_out / (PE*SIMD)) rounded down to the largest factor hls4ml accepts
    assert rf == max(r for r in range(1, want + 1) if valid_reuse_factor(144, 10, r))
    assert rf > 1
    assert cfg.layer_strategy["fc1"].value == "Resource"
    # conv1 (9 x 16 = 144 multiplies) is small: Latency, fully parallel
    assert cfg.layer_strategy["conv1"].value == "Latency" and cfg.layer_reuse["conv1"] == 1
    again = type(cfg).from_dict(cfg.to_dict())
    assert again == cfg


def test_hls4ml_config_takes_the_settings(digits) -> None:
    from fpgacnn.hw.convert.convert import hls_view
    from fpgacnn.hw.convert.hls import hls_config

    model, stages = digits
    t = board_target("zcu104")
    cfg = hls_settings(solve_stages(stages, model="digits", target=t, rate=3000.0), stages, t)
    view = hls_view(model)
    conf = hls_config(view, plan_model(view), cfg)
    assert conf["LayerName"]["fc1"]["Strategy"] == "Resource"
    assert conf["LayerName"]["fc1"]["ReuseFactor"] == cfg.layer_reuse["fc1"]
    assert conf["LayerName"]["conv1"]["ReuseFactor"] == 1


@pytest.fixture(scope="module")
def cnv():
    from fpgacnn.apps.bench_classifier import cnv_model

    model = cnv_model(0)
    return model, build_stages(model, plan_model(model))


def test_the_solver_offers_only_foldings_the_generator_builds(cnv) -> None:
    """Every option the solver weighs passes the generator's check (a convolution's SIMD
    divides Cin -- the sliding-window unit -- or, at stride 1, is a multiple of Cin
    dividing the window), and its cycles are the generator's (rtl.json's II)."""
    from fpgacnn.hw.fold.solver import _options
    from fpgacnn.hw.rtlgen.folding import layer_cycles, streams
    from fpgacnn.spec.folding import conv_simd_error

    _, stages = cnv
    shapes, _ = layer_shapes(stages)
    by_layer = {st.layer: st for st in stages if hasattr(st, "weights")}
    seen_streamed = seen_window = 0
    for s in shapes:
        st = by_layer[s.layer]
        opts = _options(s, 10**9)
        assert opts
        for lf in opts:
            assert s.cycles(lf) == layer_cycles(st, lf), (s.layer, lf)
            if s.conv and lf.impl is Impl.FOLDED:
                assert conv_simd_error(k=s.kernel, cin=s.channels, simd=lf.simd) is None
                assert s.streams(lf) == streams(st, lf)
                seen_streamed += s.streams(lf)
                seen_window += not s.streams(lf)
    assert seen_streamed and seen_window       # both window paths are weighed
    # a SIMD that neither divides Cin nor is a multiple of it is never offered
    conv2 = shapes[1]
    assert conv2.channels == 64 and conv2.in_len % 96 == 0 and not conv2.allows(1, 96)


def test_a_streamed_convolution_costs_its_window_unit_not_whole_window_banks(cnv) -> None:
    """Same PE x SIMD of CNV's conv2 (64 channels): through the sliding-window unit (SIMD
    32 | 64) the MVU's banks are SIMD-wide memories; the whole-window path (SIMD 192, a
    multiple of 64) holds K*K*Cin*XW bits twice in registers."""
    from fpgacnn.hw.fold import resources as rm

    _, stages = cnv
    conv2 = layer_shapes(stages)[0][1]
    streamed = LayerFolding(layer=conv2.layer, impl=Impl.FOLDED, pe=4, simd=32, rom_style="block")
    whole = LayerFolding(layer=conv2.layer, impl=Impl.FOLDED, pe=4, simd=192, rom_style="block")
    assert conv2.streams(streamed) and not conv2.streams(whole)
    a, b = rm.layer_cost(conv2, streamed), rm.layer_cost(conv2, whole)
    assert b.ff - a.ff >= 2 * conv2.in_len * conv2.xw - 32 * 2 - 192 * 2
    swu = rm.swu_cost(conv2, 32)
    assert swu.bram36 > 0 or swu.lutram > 0    # the line buffer is a memory


def test_the_bram_choice_is_an_exact_knapsack() -> None:
    """_choose picks, per layer, the option of least total score with the layers' BRAM36
    within the room: the same as trying every combination (random small instances)."""
    import itertools
    import random

    from fpgacnn.hw.fold import resources as rm
    from fpgacnn.hw.fold.solver import BRAM_WEIGHT, Budget, _choose, _score

    budget = Budget.of(board_target("pynq-z2"))
    weights = {"lut": 1.0, "ff": 1.0, "bram36": BRAM_WEIGHT, "dsp": 1.0}
    rng = random.Random(5)
    for _ in range(40):
        opts = [[(None, rm.Cost(lut=rng.randrange(100, 9000), ff=rng.randrange(0, 3000),
                                bram36=rng.randrange(0, 60) / 2))
                 for _ in range(rng.randrange(1, 5))] for _ in range(rng.randrange(1, 5))]
        room = rng.randrange(0, 80) / 2
        best = None
        for combo in itertools.product(*(range(len(o)) for o in opts)):
            costs = [opts[i][j][1] for i, j in enumerate(combo)]
            if sum(c.bram36 for c in costs) <= room:
                sc = sum(_score(c, budget, weights) for c in costs)
                best = sc if best is None else min(best, sc)
        picks = _choose(opts, budget, weights, room)
        if best is None:
            assert picks is None
            continue
        costs = [opts[i][j][1] for i, j in enumerate(picks)]
        assert sum(c.bram36 for c in costs) <= room
        assert sum(_score(c, budget, weights) for c in costs) == pytest.approx(best)


def test_cnv_keeps_a_rom_in_luts_only_where_bram_has_no_room(cnv) -> None:
    """CNV at FINN's rate (3,000 images/s) on the xc7z020: the BRAM36 estimate is within
    budget, and every layer whose weight ROM the solver leaves in LUTs would overflow the
    BRAM36 budget with it in block RAM (so ROMs go to BRAM while it has room: fewer LUTs);
    at least one layer keeps its ROM in BRAM."""
    from fpgacnn.hw.fold.solver import Budget

    _, stages = cnv
    t = board_target("pynq-z2")
    f = solve_stages(stages, model="cnv", target=t, rate=3000.0)
    budget = Budget.of(t)
    assert _cycles(stages, f) <= 100e6 / 3000
    assert f.estimate.bram36 <= budget.bram36 and f.estimate.lut <= budget.lut
    folded = [lf for lf in f.layers if lf.impl is Impl.FOLDED]
    assert any(lf.rom_style == "block" for lf in folded)
    for lf in folded:
        if lf.rom_style != "distributed":
            continue
        moved = dataclasses.replace(f, layers=tuple(
            dataclasses.replace(x, rom_style="block") if x.layer == lf.layer else x
            for x in f.layers))
        assert estimate_folding(stages, moved, t).estimate.bram36 > budget.bram36, lf.layer


def test_dsps_go_where_they_save_luts_within_the_budget(cnv) -> None:
    """CNV at 3,000 images/s on the xc7z020: DSP multipliers only in layers where the
    calibration says they save LUTs (its 8-bit-input first convolution; never at 2 x 2
    bits, where yosys measured DSPs costing more), the DSPs within the budget, and each
    DSP layer's estimate lower in LUTs than the same layer with LUT multipliers. With no
    DSP budget the same rate folds with LUT multipliers only."""
    from fpgacnn.hw.fold import resources as rm
    from fpgacnn.hw.fold.solver import Budget

    _, stages = cnv
    t = board_target("pynq-z2")
    f = solve_stages(stages, model="cnv", target=t, rate=3000.0)
    shapes = {s.layer: s for s in layer_shapes(stages)[0]}
    dsp = [lf for lf in f.layers if lf.multipliers == "dsp"]
    assert [lf.layer for lf in dsp] == ["conv1"]
    assert rm.dsp_lut_saved_per_mac(8, 2) > 0 > rm.dsp_lut_saved_per_mac(2, 2)
    assert f.estimate.dsp == sum(lf.pe * lf.simd for lf in dsp) <= Budget.of(t).dsp
    for lf in dsp:
        as_lut = rm.layer_cost(shapes[lf.layer], dataclasses.replace(lf, multipliers="lut"))
        assert lf.estimate.lut < as_lut.lut and as_lut.dsp == 0
    none = dataclasses.replace(t, resources=dataclasses.replace(t.resources, dsp=0))
    g = solve_stages(stages, model="cnv", target=none, rate=3000.0)
    assert all(lf.multipliers == "lut" for lf in g.layers) and g.estimate.dsp == 0
    assert g.estimate.lut > f.estimate.lut
