"""The RTL generator refuses what it cannot build, naming the layer (no broken output)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fpgacnn.hw.rtlgen import RtlGenError, generate_rtl
from fpgacnn.models._keras import keras, qkeras


def _model(units: int, *, act: str | None = None) -> keras.Model:
    inp = keras.Input((16, 16, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    x = qkeras.QDense(units, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="fc")(x)
    return keras.Model(inp, x, name="wide")


def _non_square() -> keras.Model:
    """A model the RTL backend refuses: a 3x1 convolution kernel."""
    inp = keras.Input((4, 4, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(4, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(2, (3, 1), kernel_quantizer=qkeras.quantized_bits(3, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(3, 0, alpha=1), name="conv")(x)
    x = keras.layers.Flatten(name="flat")(x)
    return keras.Model(inp, x, name="non_square")


NON_SQUARE = "layer 'conv' (QConv2D): kernel (3, 1) is not square"


def test_a_refused_model_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(RtlGenError, match="^" + re.escape(NON_SQUARE) + "$"):
        generate_rtl(_non_square(), tmp_path / "rtl")
    assert not (tmp_path / "rtl").exists()


def test_more_scores_than_the_label_indexes_refused(tmp_path: Path) -> None:
    """A feature-map output of 18x18x1 = 324 elements: the 8-bit label indexes 256."""
    inp = keras.Input((20, 20, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(4, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(1, 3, kernel_quantizer=qkeras.quantized_bits(3, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(3, 0, alpha=1), name="conv")(x)
    with pytest.raises(RtlGenError, match=re.escape(
            "model 'big_map': 324 scores (the output (18, 18, 1)); the output beat's 8-bit "
            "label indexes at most 256")):
        generate_rtl(keras.Model(inp, x, name="big_map"), tmp_path / "rtl")
    assert not (tmp_path / "rtl").exists()


def test_a_dense_layer_past_the_old_literal_limit_generates(tmp_path: Path) -> None:
    """256x70 4-bit weights (71,680 bits, once refused as one Verilog literal): the weights
    are in a memory file, the top carries none of them."""
    res = generate_rtl(_model(70), tmp_path / "rtl")
    assert res.num_classes == 70
    top = (tmp_path / "rtl" / "fcnn_classifier.sv").read_text()
    assert "WEIGHTS" not in top and '.WEIGHT_FILE({MEM_DIR, "dense0_w.mem"})' in top
    assert "// mem: mem/dense0_w.mem" in (tmp_path / "rtl" / "filelist.f").read_text()
    assert res.info["mem_files"] == ["mem/dense0_w.mem"]
    assert "mem/dense0_w.mem" in res.info["sha256"]


def test_a_generator_bug_is_not_recorded_as_a_refusal(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """add_rtl records only RtlGenError as "model unsupported"; a bug propagates."""
    from fpgacnn.hw.convert import rtl as rtl_step
    from fpgacnn.hw.rtlgen import generate

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ValueError("emitter bug")

    monkeypatch.setattr(generate, "write_top", broken)
    with pytest.raises(ValueError, match=r"^emitter bug$"):
        rtl_step.add_rtl(tmp_path, _model(4), name="wide")


def test_a_refusal_is_recorded(tmp_path: Path) -> None:
    from fpgacnn.hw.convert import rtl as rtl_step

    rec = rtl_step.add_rtl(tmp_path, _non_square(), name="non_square")
    assert rec["error"] == NON_SQUARE
    assert not (tmp_path / "rtl").exists()
    assert json.loads((tmp_path / "rtl_refusal.json").read_text()) == rec


def test_the_top_is_a_netlist_rendered_through_one_template() -> None:
    """The generated top is data (instances, wires) rendered by templates/top.sv.j2."""
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.rtlgen.emit import build_netlist, render
    from fpgacnn.hw.rtlgen.stages import build_stages

    model = _model(4)
    net = build_netlist("fcnn_classifier", build_stages(model, plan_model(model)), {})
    instances = [it for it in net.items if it.kind == "instance"]
    assert [it.module for it in instances] == ["fcnn_cnn_framer", "fcnn_cnn_fifo",
                                               "fcnn_cnn_mvu", "fcnn_cnn_argmax"]
    mvu = dict(instances[2].params)
    assert (mvu["IN_LEN"], mvu["C_IN"], mvu["N"]) == ("256", "1", "4")
    assert mvu["WEIGHT_FILE"] == '{MEM_DIR, "dense0_w.mem"}'
    for it in instances[2:]:  # the layers' stream ports as cocotbext-axi names them
        names = {k for k, _ in it.ports} - {"clk", "rst"}
        assert names == {f"{d}_axis_t{s}" for d in "sm" for s in ("data", "valid", "ready",
                                                                  "last")}
    assert [p.name for p in net.params] == ["MEM_DIR"]
    text = render(net)
    assert text.startswith("// Generated by fpgacnn.hw.rtlgen")
    assert 'module fcnn_classifier #(' in text and '    parameter MEM_DIR = ""\n' in text
    assert text.rstrip().endswith("`resetall")
    assert text.count("    fcnn_cnn_") == len(instances)


@pytest.mark.parametrize(("relu", "signed"), [(True, "0"), (False, "1")])
def test_a_feature_map_output_is_gathered(tmp_path: Path, relu: bool, signed: str) -> None:
    """A chain ending in a convolution: its 3x3x2 map is gathered into one beat of 18 scores
    before the arg-max, which compares them unsigned after a ReLU."""
    inp = keras.Input((5, 5, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(4, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(2, 3, kernel_quantizer=qkeras.quantized_bits(3, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(3, 0, alpha=1), name="conv")(x)
    act = qkeras.quantized_relu(6, 2) if relu else qkeras.quantized_bits(6, 2, alpha=1)
    x = qkeras.QActivation(act, name="act")(x)
    res = generate_rtl(keras.Model(inp, x, name="fmap"), tmp_path / "rtl")
    assert (res.num_classes, res.score_bits, res.output_bits) == (18, 6, 128)
    assert res.info["output"]["score_signed"] is not relu
    top = (tmp_path / "rtl" / "fcnn_classifier.sv").read_text()
    assert "fcnn_cnn_gather #(\n        .DW(12),\n        .BEATS(9)\n    ) u_gather" in top
    assert f".N(18),\n        .SW(6),\n        .SIGNED({signed})\n    ) u_argmax" in top
    assert ".s_axis_tdata(fm_data)" in top
