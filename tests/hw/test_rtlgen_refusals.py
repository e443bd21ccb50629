"""The RTL generator refuses what it cannot build, naming the layer (no broken output)."""

from __future__ import annotations

import json
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


def test_too_wide_dense_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RtlGenError, match=r"^layer 'fc' \(QDense\): 256x70 weights of 4 bits "
                                          r"make a 71680-bit parameter; the RTL backend "
                                          r"supports up to 65536 bits per dense layer "
                                          r"\(Verilator's literal limit\)$"):
        generate_rtl(_model(70), tmp_path / "rtl")
    assert not (tmp_path / "rtl").exists()


def test_widest_allowed_dense_generates(tmp_path: Path) -> None:
    res = generate_rtl(_model(64), tmp_path / "rtl")   # 256*64*4 = 65536 bits
    assert res.num_classes == 64 and (tmp_path / "rtl" / "filelist.f").is_file()


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

    rec = rtl_step.add_rtl(tmp_path, _model(70), name="wide")
    assert rec["error"].startswith("layer 'fc' (QDense): 256x70 weights")
    assert not (tmp_path / "rtl").exists()
    assert json.loads((tmp_path / "rtl_refusal.json").read_text()) == rec
