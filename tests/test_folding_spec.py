"""The folding record (fpgacnn.spec.folding): round trip and every refusal, messages pinned."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from fpgacnn.spec.errors import ConfigError
from fpgacnn.spec.folding import (
    FOLDING_FILE,
    Estimate,
    Folding,
    FoldingError,
    Impl,
    LayerFolding,
    conv_cycles,
    conv_simd_error,
    conv_streams,
    dense_cycles,
    read_folding,
    write_folding,
)


def _folding(**kw) -> Folding:
    layers = (
        LayerFolding(layer="conv1", impl=Impl.UNROLLED,
                     estimate=Estimate(cycles_per_image=100, lut=900, ff=300)),
        LayerFolding(layer="conv2", impl=Impl.FOLDED, pe=4, simd=9, rom_style="block",
                     estimate=Estimate(cycles_per_image=96, lut=400, bram36=1.5, lutram=0)),
        LayerFolding(layer="fc1", impl=Impl.FOLDED, pe=2, simd=8, rom_style="distributed"),
    )
    args = dict(model="m", board="pynq-z2", clock_mhz=100.0, target_rate=None, layers=layers,
                estimate=Estimate(cycles_per_image=100, lut=1300, dsp=2))
    args.update(kw)
    return Folding(**args)


def test_round_trip_through_json_and_file(tmp_path: Path) -> None:
    f = _folding()
    assert Folding.from_json(json.loads(json.dumps(f.to_json()))) == f
    path = tmp_path / FOLDING_FILE
    write_folding(path, f)
    again = read_folding(path)
    assert again == f
    assert again.layers[1].estimate == f.layers[1].estimate
    assert again.estimate == f.estimate
    assert again.layer("fc1").pe == 2
    assert again.to_json() == f.to_json()


def test_multipliers_are_recorded_and_default_to_luts() -> None:
    """A folded layer's multipliers ("lut" | "dsp") go to JSON and back; a record without
    the key (written before DSP multipliers existed) reads as LUT multipliers."""
    f = _folding()
    d = f.to_json()
    assert [lf["multipliers"] for lf in d["layers"]] == ["lut", "lut", "lut"]
    d["layers"][2]["multipliers"] = "dsp"
    g = Folding.from_json(d)
    assert g.layer("fc1").multipliers == "dsp" and g != f
    for lf in d["layers"]:
        del lf["multipliers"]
    assert Folding.from_json(d) == f


def test_estimates_take_no_part_in_equality() -> None:
    f = _folding()
    bare = Folding.from_json({k: v for k, v in f.to_json().items() if k != "estimate"})
    assert bare == f and bare.estimate is None


def test_rate_and_board_may_be_null() -> None:
    f = _folding(board=None, target_rate=None)
    d = f.to_json()
    assert d["board"] is None and d["target_rate"] is None
    assert Folding.from_json(d) == f


def test_folding_error_is_a_config_error() -> None:
    assert issubclass(FoldingError, ConfigError)


def _bad(mutate) -> dict:
    d = copy.deepcopy(_folding().to_json())
    mutate(d)
    return d


REFUSALS = [
    (lambda d: d.update(extra=1), "folding: unknown key 'extra' (expected: schema, model, board, "
     "clock_mhz, target_rate, layers, estimate)"),
    (lambda d: d.pop("model"), "folding: missing key 'model'"),
    (lambda d: d.update(schema=2), "folding: schema: expected 1, got 2"),
    (lambda d: d.update(model=""), "folding: model: expected a non-empty string, got ''"),
    (lambda d: d.update(board=3), "folding: board: expected a non-empty string, got 3"),
    (lambda d: d.update(clock_mhz=0), "folding: clock_mhz: expected a positive finite number, "
     "got 0"),
    (lambda d: d.update(clock_mhz="100"), "folding: clock_mhz: expected a positive finite "
     "number, got '100'"),
    (lambda d: d.update(target_rate=float("inf")), "folding: target_rate: expected a positive "
     "finite number, got inf"),
    (lambda d: d.update(target_rate=-5), "folding: target_rate: expected a positive finite "
     "number, got -5"),
    (lambda d: d.update(layers=[]), "folding: layers: expected a non-empty list, got []"),
    (lambda d: d["layers"].__setitem__(0, 7), "folding: layers[0]: expected a JSON object, "
     "got 'int'"),
    (lambda d: d["layers"][1].update(speed=2), "folding: layers[1]: unknown key 'speed' "
     "(expected: layer, impl, pe, simd, rom_style, multipliers, cycles_per_image, lut, ff, "
     "lutram, bram36, dsp)"),
    (lambda d: d["layers"][1].pop("simd"), "folding: layers[1]: missing key 'simd'"),
    (lambda d: d["layers"][1].update(layer=""), "folding: layers[1].layer: expected a "
     "non-empty string, got ''"),
    (lambda d: d["layers"][1].update(impl="fast"), "folding: layers[1].impl: expected "
     "'unrolled' or 'folded', got 'fast'"),
    (lambda d: d["layers"][1].update(pe=0), "folding: layers[1].pe: expected a positive "
     "integer, got 0"),
    (lambda d: d["layers"][1].update(pe=True), "folding: layers[1].pe: expected a positive "
     "integer, got True"),
    (lambda d: d["layers"][1].update(simd=2.0), "folding: layers[1].simd: expected a positive "
     "integer, got 2.0"),
    (lambda d: d["layers"][1].update(rom_style="ultra"), "folding: layers[1].rom_style: "
     "expected 'block' or 'distributed', got 'ultra'"),
    (lambda d: d["layers"][0].update(pe=2), "folding: layers[0] ('conv1'): an unrolled layer "
     "has pe = simd = 1, got pe=2 simd=1"),
    (lambda d: d["layers"][0].update(rom_style="block"), "folding: layers[0].rom_style: "
     "expected '' for an unrolled layer, got 'block'"),
    (lambda d: d["layers"][1].update(multipliers="dsp48"), "folding: layers[1].multipliers: "
     "expected 'lut' or 'dsp', got 'dsp48'"),
    (lambda d: d["layers"][0].update(multipliers="dsp"), "folding: layers[0].multipliers: "
     "expected 'lut', got 'dsp'"),
    (lambda d: d["layers"][2].update(layer="conv2"), "folding: layers[2].layer: layer 'conv2' "
     "appears more than once"),
    (lambda d: d["layers"][1].update(lut=-1), "folding: layers[1].lut: expected a non-negative "
     "number, got -1"),
    (lambda d: d["layers"][1].update(dsp=1.5), "folding: layers[1].dsp: expected a "
     "non-negative integer, got 1.5"),
    (lambda d: d["estimate"].update(bram36="x"), "folding: estimate.bram36: expected a "
     "non-negative number, got 'x'"),
    (lambda d: d["estimate"].update(power=1), "folding: estimate: unknown key 'power' "
     "(expected: cycles_per_image, lut, ff, lutram, bram36, dsp)"),
]


@pytest.mark.parametrize("mutate,message", REFUSALS, ids=[m for _, m in REFUSALS])
def test_from_json_refuses(mutate, message: str) -> None:
    with pytest.raises(FoldingError, match="^" + re.escape(message) + "$"):
        Folding.from_json(_bad(mutate))


def test_not_an_object_is_refused() -> None:
    with pytest.raises(FoldingError, match=r"^folding: expected a JSON object, got 'list'$"):
        Folding.from_json([])


def test_read_folding_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / FOLDING_FILE
    with pytest.raises(FoldingError, match=f"^{re.escape(str(path))}: cannot read the folding "
                       "file: No such file or directory$"):
        read_folding(path)
    path.write_text("{")
    with pytest.raises(FoldingError, match=f"^{re.escape(str(path))}: invalid JSON: "
                       "Expecting property name enclosed in double quotes at line 1$"):
        read_folding(path)
    path.write_text(json.dumps(_bad(lambda d: d["layers"][2].update(pe=-3))))
    with pytest.raises(FoldingError, match=f"^{re.escape(str(path))}: layers\\[2\\]\\.pe: "
                       "expected a positive integer, got -3$"):
        read_folding(path)


CONSTRUCTOR_REFUSALS = [
    (dict(layer="x", impl="folded", rom_style="block"),
     "layer 'x' impl: expected one of 'unrolled', 'folded', got 'folded'"),
    (dict(layer="x", impl=Impl.UNROLLED, simd=3),
     "layer 'x': an unrolled layer has pe = simd = 1, got pe=1 simd=3"),
    (dict(layer="x", impl=Impl.FOLDED), "layer 'x' rom_style: expected 'block' or "
     "'distributed', got ''"),
    (dict(layer="x", impl=Impl.FOLDED, pe=0, rom_style="block"),
     "layer 'x' pe: expected a positive integer, got 0"),
    (dict(layer="", impl=Impl.FOLDED), "layer: expected a non-empty string, got ''"),
    (dict(layer="x", impl=Impl.FOLDED, rom_style="block", multipliers="DSP"),
     "layer 'x' multipliers: expected 'lut' or 'dsp', got 'DSP'"),
    (dict(layer="x", impl=Impl.UNROLLED, multipliers="dsp"),
     "layer 'x' multipliers: expected 'lut' for an unrolled layer, got 'dsp'"),
]


@pytest.mark.parametrize("kw,message", CONSTRUCTOR_REFUSALS, ids=[m for _, m in
                                                               CONSTRUCTOR_REFUSALS])
def test_layer_folding_validates_eagerly(kw, message: str) -> None:
    with pytest.raises(FoldingError, match="^" + re.escape(message) + "$"):
        LayerFolding(**kw)


def test_folding_validates_eagerly() -> None:
    lf = LayerFolding(layer="a", impl=Impl.UNROLLED)
    with pytest.raises(FoldingError, match=r"^layers: layer 'a' appears more than once$"):
        _folding(layers=(lf, lf))
    with pytest.raises(FoldingError, match=r"^layers: expected a non-empty tuple of "
                       r"LayerFolding, got \[\]$"):
        _folding(layers=[])
    with pytest.raises(FoldingError, match=r"^target_rate: expected a positive finite number, "
                       r"got 0$"):
        _folding(target_rate=0)
    with pytest.raises(FoldingError, match=r"^estimate lut: expected a non-negative number, "
                       r"got -2$"):
        Estimate(lut=-2)
    with pytest.raises(FoldingError, match=r"^the folding has no layer 'zz' \(it has: conv1, "
                       r"conv2, fc1\)$"):
        _folding().layer("zz")


def test_cycle_formulas() -> None:
    # 32x32x3 'same' 3x3 -> 64: unrolled = one padded pixel per clock
    assert conv_cycles(impl=Impl.UNROLLED, h=32, w=32, pad=1, k=3, cin=3, cout=64) == 34 * 34
    # folded: 32*32 output pixels x (27/27) x (64/8)
    assert conv_cycles(impl=Impl.FOLDED, h=32, w=32, pad=1, k=3, cin=3, cout=64, pe=8,
                       simd=27) == 32 * 32 * 8
    # never faster than the padded input arrives
    assert conv_cycles(impl=Impl.FOLDED, h=8, w=8, pad=1, k=3, cin=1, cout=4, pe=4,
                       simd=9) == 100
    # SIMD divides Cin: the sliding-window unit takes H*W pixels (padding costs no step)
    assert conv_cycles(impl=Impl.FOLDED, h=8, w=8, pad=0, k=1, cin=2, cout=4, pe=4,
                       simd=2, stride=2) == 64
    assert conv_cycles(impl=Impl.FOLDED, h=8, w=8, pad=1, k=3, cin=2, cout=4, pe=4,
                       simd=2) == 64 * 9
    assert conv_cycles(impl=Impl.FOLDED, h=30, w=30, pad=0, k=3, cin=64, cout=64, pe=16,
                       simd=64) == 28 * 28 * 9 * 4
    # stride 2, Keras 'same' on 8x8: 4x4 outputs (given, the padding is asymmetric)
    assert conv_cycles(impl=Impl.FOLDED, h=8, w=8, pad=0, k=3, cin=4, cout=8, pe=8, simd=4,
                       stride=2, out_hw=(4, 4)) == 16 * 9
    assert conv_cycles(impl=Impl.FOLDED, h=9, w=9, pad=0, k=3, cin=4, cout=8, pe=8, simd=4,
                       stride=2) == 16 * 9
    assert dense_cycles(in_len=256, c_in=16, n=10, pe=10, simd=256) == 16
    assert dense_cycles(in_len=256, c_in=16, n=10, pe=5, simd=16) == 16 * 2


def test_conv_simd_rule() -> None:
    assert conv_streams(64, 32) and conv_streams(3, 3) and not conv_streams(3, 9)
    assert conv_simd_error(k=3, cin=64, simd=16) is None        # streamed
    assert conv_simd_error(k=3, cin=3, simd=27) is None         # whole window
    assert conv_simd_error(k=3, cin=4, simd=6) == (
        "simd must divide its 4 input channels or, at stride 1, a multiple of 4 dividing its "
        "36 window elements, got 6")
    assert conv_simd_error(k=3, cin=3, simd=9, stride=2) == (
        "simd must divide its 3 input channels (stride 2), got 9")
