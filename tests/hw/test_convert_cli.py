"""``fpgacnn convert`` and ``fpgacnn predict`` end to end through ``fpgacnn.cli.main``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.cli import main
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.synth import ToolNotFoundError, run_synthesis
from fpgacnn.models._keras import keras, qkeras
from fpgacnn.spec.folding import FOLDING_FILE, Folding, read_folding

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def converted(tiny_models, tmp_path_factory) -> tuple[Path, keras.Model]:
    """The dense-only model saved as .h5 and converted by the CLI (compiled once)."""
    root = tmp_path_factory.mktemp("cli")
    model = tiny_models["dense_only"]()
    model.save(root / "dense_only.h5")
    assert main(["convert", str(root / "dense_only.h5"), "--out", str(root / "conv")]) == 0
    return root / "conv", model


def test_convert_writes_folder(converted, capsys) -> None:
    conv, _ = converted
    report = json.loads((conv / "report.json").read_text())
    assert report["model"] == "dense_only"
    assert report["bit_exact"]["n"] == 1000 and report["bit_exact"]["mismatches"] == 0
    manifest = json.loads((conv / "conversion.json").read_text())
    assert manifest["input"]["shape"] == [4, 4, 2] and manifest["output"]["shape"] == [3]
    assert manifest["classes"] == ["0", "1", "2"]
    for name in ("synthesize.sh", "axis_top.tcl", "fcnn_axis_top.cpp", "fcnn_axis_params.h"):
        assert (conv / name).is_file()


def test_predict_reference_and_csim_agree(converted, on_grid, tmp_path) -> None:
    conv, model = converted
    x = on_grid(plan_model(model)[0].result, (4, 4, 2), 40, 7).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = {}
    for backend in ("reference", "csim"):
        rc = main(["predict", str(conv), "--backend", backend, "--input", str(tmp_path / "x.npy"),
                   "--output", str(tmp_path / f"{backend}.npy")])
        assert rc == 0
        outs[backend] = np.load(tmp_path / f"{backend}.npy")
    assert outs["reference"].shape == (40, 3) and outs["reference"].dtype == np.float64
    np.testing.assert_array_equal(outs["csim"], outs["reference"])
    np.testing.assert_array_equal(outs["reference"], model.predict(x, verbose=0))


@pytest.mark.parametrize(("array", "message"), [
    (np.zeros((3, 4, 4), np.float32), r"input shape: expected \(N, 4, 4, 2\), got \(3, 4, 4\)"),
    (np.zeros((3, 4, 4, 3), np.float64),
     r"input shape: expected \(N, 4, 4, 2\), got \(3, 4, 4, 3\)"),
    (np.zeros((3, 4, 4, 2), np.int64), r"input dtype: expected float32 or float64, got int64"),
    (np.full((2, 4, 4, 2), 0.01), r"input values: expected values on the input grid "
                                  r"ufixed<4,0,TRN,WRAP> \(multiples of 0.0625 in \[0, 0.9375\]\), "
                                  r"got 64 values off it"),
])
def test_predict_refuses_bad_input(converted, tmp_path, capsys, array, message) -> None:
    conv, _ = converted
    np.save(tmp_path / "x.npy", array)
    rc = main(["predict", str(conv), "--backend", "reference", "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy")])
    assert rc == 2
    assert re.fullmatch(r"fpgacnn predict: error: " + message + "\n", capsys.readouterr().err)


def test_predict_message_text(converted, tmp_path, capsys) -> None:
    conv, _ = converted
    np.save(tmp_path / "x.npy", np.zeros((3, 4, 4), np.float32))
    rc = main(["predict", str(conv), "--backend", "csim", "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy")])
    assert rc == 2
    assert capsys.readouterr().err == (
        "fpgacnn predict: error: input shape: expected (N, 4, 4, 2), got (3, 4, 4)\n")
    assert not (tmp_path / "y.npy").exists()


def test_predict_not_a_conversion(tmp_path, capsys) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 4, 4, 2)))
    rc = main(["predict", str(tmp_path), "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy")])
    assert rc == 2
    assert capsys.readouterr().err == (
        f"fpgacnn predict: error: '{tmp_path}' is not a conversion folder (no conversion.json)\n")


def test_predict_an_older_conversion_says_convert_again(tmp_path, capsys) -> None:
    # conversions by older fpgacnn wrote their record as manifest.json
    (tmp_path / "manifest.json").write_text(json.dumps({"model": {"file": "model.h5"}}))
    np.save(tmp_path / "x.npy", np.zeros((1, 4, 4, 2)))
    rc = main(["predict", str(tmp_path), "--input", str(tmp_path / "x.npy"),
               "--output", str(tmp_path / "y.npy")])
    assert rc == 2
    assert capsys.readouterr().err == (
        f"fpgacnn predict: error: '{tmp_path}' is not a conversion folder: it has a "
        "manifest.json (a deployment package, or a conversion by an older fpgacnn) but no "
        "conversion.json; run fpgacnn convert again\n")


def test_convert_refuses_unsupported_layer(tmp_path, capsys) -> None:
    inp = keras.Input((4, 4, 1), name="x")
    x = qkeras.QActivation(qkeras.quantized_bits(8, 0, alpha=1), name="q_in")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(3, activation="tanh", name="plain")(x)
    keras.Model(inp, x).save(tmp_path / "bad.h5")
    capsys.readouterr()  # tf_keras's own warning about saving HDF5 is not the command's
    rc = main(["convert", str(tmp_path / "bad.h5"), "--out", str(tmp_path / "conv")])
    assert rc == 2
    assert capsys.readouterr().err == (
        "fpgacnn convert: error: layer 'plain' (Dense): built-in activation 'tanh' is not "
        "supported; use a QKeras quantizer (e.g. activation='quantized_relu(8, 0)')\n")
    assert not (tmp_path / "conv").exists()


def test_convert_unknown_model(tmp_path, capsys) -> None:
    assert main(["convert", "no_such_model", "--out", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.startswith(
        "fpgacnn convert: error: 'no_such_model' is neither a model of the zoo")


def test_synthesis_stops_cleanly_without_vitis_hls(converted, monkeypatch) -> None:
    conv, _ = converted
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("vitis_hls") is None
    with pytest.raises(ToolNotFoundError, match=(
        rf"^vitis_hls is not on PATH: nothing was synthesized; the project and synthesize.sh "
        rf"are in {conv.resolve()} \(source <Vitis>/settings64.sh, then run "
        rf"{conv.resolve()}/synthesize.sh\)$"
    )):
        run_synthesis(conv)


def test_predict_refuses_bad_files_in_one_line(converted, tmp_path, capsys) -> None:  # noqa: ANN001
    conv, _ = converted
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    np.save(tmp_path / "empty.npy", np.zeros((0, 4, 4, 2)))
    np.save(tmp_path / "ok.npy", np.zeros((1, 4, 4, 2)))
    cases = [
        ("x.npz", "y.npy", f"--input: expected one array in a .npy file, got an .npz archive "
                           f"'{tmp_path / 'x.npz'}'"),
        ("empty.npy", "y.npy", "--input: expected a batch of at least one input, got shape "
                               "(0, 4, 4, 2)"),
        ("ok.npy", "y.txt", f"--output must be a .npy file, got '{tmp_path / 'y.txt'}'"),
    ]
    for inp, out, message in cases:
        rc = main(["predict", str(conv), "--input", str(tmp_path / inp), "--output",
                   str(tmp_path / out)])
        assert rc == 2
        assert capsys.readouterr().err == f"fpgacnn predict: error: {message}\n"


@pytest.mark.parametrize("content", [b"", b"not an HDF5 file"])
def test_convert_refuses_a_file_that_is_not_a_model(tmp_path, capsys, content) -> None:  # noqa: ANN001
    bad = tmp_path / "model.h5"
    bad.write_bytes(content)
    assert main(["convert", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fpgacnn convert: error: cannot read model file '{bad}': expected a "
                          "saved Keras model (.h5 or .keras), got ")
    assert len(err.splitlines()) == 1 and not (tmp_path / "out").exists()


# --- --board / --rate / --folding ------------------------------------------------------


def test_convert_without_board_keeps_the_default_target(converted) -> None:
    conv, _ = converted
    cfg = json.loads((conv / "convert_config.json").read_text())
    assert cfg["part"] == "xc7z020clg400-1" and cfg["clock_period_ns"] == 10.0
    assert cfg["layer_reuse"] == {} and cfg["strategy"] == "Latency"
    assert not (conv / FOLDING_FILE).exists()


@pytest.fixture(scope="module")
def board_conversion(tiny_models, tmp_path_factory) -> Path:
    """The dense-only model converted for the ZCU104 by the CLI (its own folding)."""
    root = tmp_path_factory.mktemp("cli_board")
    tiny_models["dense_only"]().save(root / "dense_only.h5")
    assert main(["convert", str(root / "dense_only.h5"), "--board", "zcu104",
                 "--out", str(root / "conv")]) == 0
    return root / "conv"


def test_convert_for_a_board_writes_its_folding_and_hls_settings(board_conversion) -> None:
    conv = board_conversion
    folding = read_folding(conv / FOLDING_FILE)
    assert folding.board == "zcu104" and folding.clock_mhz == 100.0
    assert folding.target_rate is None
    assert [lf.layer for lf in folding.layers] == ["fc_a", "fc_b"]
    assert folding.estimate is not None and folding.estimate.cycles_per_image >= 16
    cfg = json.loads((conv / "convert_config.json").read_text())
    assert cfg["part"] == "xczu7ev-ffvc1156-2-e" and cfg["clock_period_ns"] == 10.0
    assert set(cfg["layer_reuse"]) == {"fc_a", "fc_b"}
    layers = json.loads((conv / "conversion.json").read_text())["hls4ml_config"]["LayerName"]
    assert layers["fc_a"]["ReuseFactor"] == cfg["layer_reuse"]["fc_a"]
    report = json.loads((conv / "report.json").read_text())
    assert report["bit_exact"]["mismatches"] == 0
    # the RTL core is built with that folding (the generator records what it used)
    rtl = json.loads((conv / "rtl" / "rtl.json").read_text())
    assert Folding.from_json(rtl["folding"]) == folding
    assert rtl["initiation_interval"] == folding.estimate.cycles_per_image


def test_an_edited_folding_is_used_as_it_is(board_conversion, tmp_path, capsys) -> None:
    src = board_conversion
    d = json.loads((src / FOLDING_FILE).read_text())
    d["layers"][0].update(pe=3, simd=2, rom_style="distributed")   # fc_a: 32 x 6
    d.pop("estimate")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(d))
    assert main(["convert", str(src / "model.h5"), "--folding", str(edited), "--no-rtl",
                 "--out", str(tmp_path / "conv")]) == 0
    out = capsys.readouterr().out
    assert "folding for zcu104 (xczu7ev-ffvc1156-2-e, 100 MHz) read and checked" in out
    again = read_folding(tmp_path / "conv" / FOLDING_FILE)
    assert again == Folding.from_json(d)                # the structure is never changed
    assert again.layer("fc_a").estimate.cycles_per_image == (32 // 2) * (6 // 3)


def _folding_json(**layer0) -> dict:
    layers = [{"layer": "conv1", "impl": "unrolled", "pe": 1, "simd": 1, "rom_style": ""},
              {"layer": "fc1", "impl": "folded", "pe": 2, "simd": 16, "rom_style": "block"}]
    layers[1].update(layer0)
    return {"schema": 1, "model": "digits", "board": "pynq-z2", "clock_mhz": 100.0,
            "target_rate": None, "layers": layers}


@pytest.mark.parametrize(("args", "folding", "message"), [
    (["--board", "pynq-z2", "--rate", "0"], None,
     "--rate: expected a positive finite number of images per second, got '0'"),
    (["--board", "pynq-z2", "--rate", "-5"], None,
     "--rate: expected a positive finite number of images per second, got '-5'"),
    (["--board", "pynq-z2", "--rate", "inf"], None,
     "--rate: expected a positive finite number of images per second, got 'inf'"),
    (["--rate", "100"], None, "--rate needs --board NAME (the rate is reached at the board's "
                              "clock within its part's resources)"),
    (["--board", "no-such-board"], None, "unknown board 'no-such-board' (available: kv260, "
                                         "pynq-z1, pynq-z2, ultra96v2, zcu102, zcu104)"),
    (["--board", "pynq-z2", "--rate", "1e7"], None,
     "rate 1e+07 images/s needs at most 10 cycles per image at 100 MHz; layer 'conv1' takes "
     "its input one pixel per clock (64 cycles per image), so the core reaches at most "
     "1,562,500 images/s"),
    (["--rate", "100"], _folding_json(), "--rate and --folding exclude each other (the "
                                         "folding fixes the rate)"),
    ([], "{", "{f}: invalid JSON: Expecting property name enclosed in double quotes at line 1"),
    ([], _folding_json(pe=0), "{f}: layers[1].pe: expected a positive integer, got 0"),
    ([], _folding_json(layer="fc9"), "{f}: folding: layer 'fc1' has no entry (expected one per "
                                     "QConv2D/QDense layer: conv1, fc1)"),
    ([], _folding_json(pe=3), "{f}: folding of layer 'fc1' (QDense): pe must divide its 10 "
                              "outputs, got 3"),
    (["--board", "zcu104"], _folding_json(), "{f}: board: expected 'zcu104' (--board), got "
                                             "'pynq-z2'"),
])
def test_convert_refuses_bad_fold_options(tmp_path, capsys, args, folding, message) -> None:
    if folding is not None:
        path = tmp_path / "folding.json"
        path.write_text(folding if isinstance(folding, str) else json.dumps(folding))
        args = [*args, "--folding", str(path)]
        message = message.replace("{f}", str(path))
    rc = main(["convert", "digits", *args, "--out", str(tmp_path / "conv")])
    assert rc == 2
    assert capsys.readouterr().err == f"fpgacnn convert: error: {message}\n"
    assert not (tmp_path / "conv").exists()


@pytest.mark.slow
def test_digits_for_a_board_is_bit_exact_with_reuse(tmp_path) -> None:
    """hls4ml Resource strategy with the folding's reuse factor: C-sim still == QKeras."""
    assert main(["convert", "digits", "--board", "zcu104", "--rate", "3000", "--no-rtl",
                 "--out", str(tmp_path / "conv")]) == 0
    cfg = json.loads((tmp_path / "conv" / "convert_config.json").read_text())
    assert cfg["layer_strategy"]["fc1"] == "Resource" and cfg["layer_reuse"]["fc1"] > 1
    report = json.loads((tmp_path / "conv" / "report.json").read_text())
    assert report["bit_exact"]["n"] > 0 and report["bit_exact"]["mismatches"] == 0
