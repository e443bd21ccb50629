"""``fpgacnn train`` and ``fpgacnn evaluate`` through the real command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fpgacnn.cli import main
from fpgacnn.models.keras_files import MNIST_URL


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "run"
    code, out, _ = _run(
        capsys, "train", "digits", "--epochs", "3", "--float-epochs", "0", "--lr", "0.01",
        "--bits", "3", "--config", "filters=6", "--no-progress", "--out", str(out_dir),
    )
    assert code == 0
    metrics = json.loads(out)
    assert metrics["accuracy"]["quantized"] > 0.3
    assert metrics["config"]["filters"] == 6 and metrics["quantization"]["weight_bits"] == 3
    assert metrics["data"]["split"]["test_fraction"] == 0.25
    for name in ("model.h5", "model.json", "metrics.json", "history.json", "training_curve.png"):
        assert (out_dir / name).is_file(), name
    assert not (out_dir / "float_model.h5").exists()
    code, out, _ = _run(capsys, "evaluate", str(out_dir))
    assert code == 0
    report = json.loads(out)
    assert report["evaluation"]["matches_recorded"] is True
    assert report["evaluation"]["accuracy"] == metrics["accuracy"]["quantized"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "resnet"],
         "unknown model 'resnet': expected one of cifar10, cnv, digits, faces, gtsrb, mnist"),
        (["train", "digits", "--data", "imagenet"],
         "unknown data set 'imagenet': expected one of cifar10, digits, faces, mnist or the "
         "path of an image folder"),
        (["train", "gtsrb"],
         "model 'gtsrb' has no built-in data set; pass --data DIR, an image folder with one "
         "sub-folder per class (for GTSRB: Final_Training/Images)"),
        (["train", "digits", "--config", "padding=causal"],
         "DigitsConfig.padding: invalid value 'causal' (expected one of valid, same)"),
        (["train", "digits", "--bits", "1"], "QuantConfig.weight_bits must be in 2..16, got 1"),
        (["train", "digits", "--prune", "1.5"],
         "TrainConfig.prune_sparsity must be in (0, 1), got 1.5"),
        (["train", "digits", "--data", "faces"],
         "data set 'faces' has 2 classes but model 'digits' is configured for 10 (set "
         "num_classes=2)"),
        (["evaluate", "mnist"],
         "no trained 'mnist' model is shipped (shipped: digits); train one with: fpgacnn "
         "train mnist --out DIR"),
        (["evaluate", "/no/such/run"],
         "'/no/such/run' is neither a model of the zoo (cifar10, cnv, digits, faces, gtsrb, mnist) "
         "nor a folder with model.json"),
    ],
)
def test_user_errors_are_reported_cleanly(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if argv[0] == "train":
        argv = [*argv, "--epochs", "1", "--no-progress", "--out", str(tmp_path / "x")]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err == f"fpgacnn {argv[0]}: error: {message}\n"


def test_mnist_offline_names_the_file_and_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "train", "mnist", "--data-dir", str(tmp_path), "--epochs", "1",
                        "--out", str(tmp_path / "x"))
    message = (f"MNIST not found: {tmp_path / 'mnist.npz'} does not exist; download {MNIST_URL} "
               "and save it there")
    assert code == 2
    assert re.fullmatch(rf"fpgacnn train: error: {re.escape(message)}\n", err)
