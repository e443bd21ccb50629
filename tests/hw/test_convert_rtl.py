"""`fpgacnn convert` writes the RTL core into DIR/rtl; `predict --backend rtl` runs it."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.cli import main
from fpgacnn.hw.convert.sources import load_source
from fpgacnn.models._keras import keras, qkeras

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory) -> Path:
    """The shipped digits model converted by the CLI (hls4ml C-sim + RTL)."""
    out = tmp_path_factory.mktemp("cli_rtl") / "digits"
    assert main(["convert", "digits", "--out", str(out)]) == 0
    return out


def test_convert_records_rtl(digits_dir) -> None:
    """The RTL step's own record, rtl/rtl.json; the conversion's record is not rewritten."""
    rtl = json.loads((digits_dir / "rtl" / "rtl.json").read_text())
    assert rtl["top"] == "fcnn_classifier" and rtl["initiation_interval"] == 64
    assert {"filelist.f", "fcnn_classifier.sv"} <= set(rtl["sha256"])
    assert "rtl.json" not in rtl["sha256"] and rtl["output"]["classes"] == 10
    for name in ("conversion.json", "report.json"):
        assert "rtl" not in json.loads((digits_dir / name).read_text())
    assert not (digits_dir / "manifest.json").exists()


def test_predict_rtl_equals_reference_and_csim(digits_dir, tmp_path) -> None:
    x = load_source("digits").test_x.astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = {}
    for backend in ("rtl", "reference", "csim"):
        assert main(["predict", str(digits_dir), "--backend", backend, "--input",
                     str(tmp_path / "x.npy"), "--output", str(tmp_path / f"{backend}.npy")]) == 0
        outs[backend] = np.load(tmp_path / f"{backend}.npy")
    assert outs["rtl"].shape == (len(x), 10) and outs["rtl"].dtype == np.float64
    np.testing.assert_array_equal(outs["rtl"], outs["reference"])
    np.testing.assert_array_equal(outs["rtl"], outs["csim"])


def test_predict_rtl_refuses_tampered_core(digits_dir, tmp_path, capsys) -> None:
    conv = tmp_path / "copy"
    shutil.copytree(digits_dir, conv, ignore=shutil.ignore_patterns("hls4ml_prj"))
    top = conv / "rtl" / "fcnn_classifier.sv"
    top.write_text(top.read_text() + "\n")
    np.save(tmp_path / "x.npy", np.zeros((1, 8, 8, 1)))
    assert main(["predict", str(conv), "--backend", "rtl", "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy")]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn predict: error: '{top}' is missing or does not match the sha256 in "
        f"{conv / 'rtl' / 'rtl.json'}\n")


def test_unsupported_rtl_keeps_hls4ml(tmp_path, capsys) -> None:
    """A 3x1 convolution kernel: hls4ml converts it, the RTL backend refuses it."""
    inp = keras.Input((4, 4, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(4, 0, keep_negative=False, alpha=1),
                           name="q_in")(inp)
    x = qkeras.QConv2D(2, (3, 1), kernel_quantizer=qkeras.quantized_bits(3, 0, alpha=1),
                       bias_quantizer=qkeras.quantized_bits(3, 0, alpha=1), name="conv")(x)
    x = keras.layers.Flatten(name="flat")(x)
    keras.Model(inp, x, name="non_square").save(tmp_path / "non_square.h5")
    conv = tmp_path / "conv"
    assert main(["convert", str(tmp_path / "non_square.h5"), "--out", str(conv)]) == 0
    message = "layer 'conv' (QConv2D): kernel (3, 1) is not square"
    captured = capsys.readouterr()
    assert captured.err == f"fpgacnn convert: warning: RTL core not generated: {message}\n"
    assert f"RTL core not generated (see the warning; recorded in {conv / 'rtl_refusal.json'})" \
        in captured.out
    assert json.loads((conv / "rtl_refusal.json").read_text()) == {"error": message}
    assert not (conv / "rtl").exists()
    np.save(tmp_path / "x.npy", np.zeros((1, 4, 4, 1)))
    assert main(["predict", str(conv), "--backend", "rtl", "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy")]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn predict: error: '{conv}' has no RTL core: {message}\n")


def test_no_rtl_flag(digits_dir, tmp_path, monkeypatch, capsys) -> None:
    """--no-rtl drops a stale DIR/rtl and records nothing; predict rtl then says what to do.

    The hls4ml step is stubbed (it is exercised by the other tests): only the CLI's RTL
    handling runs, on a copy of the digits conversion.
    """
    conv_mod = importlib.import_module("fpgacnn.hw.convert.convert")  # the package shadows it

    conv = tmp_path / "copy"
    shutil.copytree(digits_dir, conv, ignore=shutil.ignore_patterns("hls4ml_prj"))

    def fake_convert(source, out_dir, cfg=None, **_options):  # input_type, progress, ...
        return conv_mod.ConversionResult(out_dir=Path(out_dir), project_dir=Path(out_dir) / "p",
                                         plans=[], bit_exact=None,
                                         timings={"convert_s": 0.0, "compile_s": 0.0},
                                         hls_model=None)

    monkeypatch.setattr(conv_mod, "convert", fake_convert)
    assert main(["convert", "digits", "--out", str(conv), "--no-rtl"]) == 0
    assert "  RTL core not generated (--no-rtl)\n" in capsys.readouterr().out
    assert not (conv / "rtl").exists()
    np.save(tmp_path / "x.npy", np.zeros((1, 8, 8, 1)))
    assert main(["predict", str(conv), "--backend", "rtl", "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy")]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn predict: error: '{conv}' has no RTL core (converted with --no-rtl or by an "
        "older fpgacnn); run fpgacnn convert again without --no-rtl\n")
