"""The shipped default ``digits`` model: accuracy goal, files, packaging, README."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.models.artifacts import load_run
from fpgacnn.models.checks import check_hardware_model
from fpgacnn.models.evaluation import evaluate
from fpgacnn.models.registry import ZOO_DIR, get_entry
from fpgacnn.spec.preprocess import codes_to_input, to_codes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():  # noqa: ANN201 - SavedModel
    return load_run("digits")


def test_shipped_digits_meets_the_accuracy_goal_and_reproduces_it(shipped) -> None:  # noqa: ANN001
    assert shipped.directory == ZOO_DIR / "digits" == get_entry("digits").shipped_dir
    assert shipped.metrics["accuracy"]["quantized"] >= 0.98
    assert shipped.metrics["quantization"]["weight_bits"] == 4
    assert shipped.metrics["data"]["n_test"] == 450
    report = evaluate("digits")
    assert report["evaluation"]["matches_recorded"] is True
    assert report["evaluation"]["accuracy"] >= 0.98


def test_shipped_digits_is_hardware_ready(shipped) -> None:  # noqa: ANN001
    check_hardware_model(shipped.model)
    assert shipped.model.input_shape == (None, 8, 8, 1)
    assert shipped.card["input"]["quantizer"] == "quantized_bits(8,0,keep_negative=False,alpha=1)"
    assert shipped.card["classes"] == [str(i) for i in range(10)]
    conv = shipped.model.get_layer("conv1")
    kernel = np.asarray(conv.kernel_quantizer_internal(conv.kernel))
    assert np.array_equal(kernel * 8, np.rint(kernel * 8)) and kernel.min() >= -1


def test_board_style_frames_give_the_training_codes(shipped) -> None:  # noqa: ANN001
    # 8-bit frames showing load_digits samples at 8x size, shrunk by the shared
    # preprocessing, give exactly the codes the training data had, so the same logits.
    from sklearn.datasets import load_digits

    digits = load_digits()
    train_codes = to_codes(digits.images[:40].astype(np.uint8), shipped.input_spec,
                           full_scale=16.0)
    frames = np.kron(train_codes[..., 0], np.ones((8, 8), np.uint8))  # (40, 64, 64) pixels
    frame_codes = to_codes(frames, shipped.input_spec)
    assert np.array_equal(frame_codes, train_codes)
    logits = shipped.model.predict(codes_to_input(frame_codes), verbose=0)
    assert np.array_equal(logits, shipped.model.predict(codes_to_input(train_codes), verbose=0))
    assert np.mean(np.argmax(logits, axis=1) == digits.target[:40]) >= 0.9


def test_shipped_files_match_the_card_and_are_package_data(shipped) -> None:  # noqa: ANN001
    for name, digest in shipped.card["files"].items():
        assert hashlib.sha256((shipped.directory / name).read_bytes()).hexdigest() == digest
    # (a regex, not tomllib: the project supports Python 3.10)
    # package data of fpgacnn.models and its data packages, as paths under models/
    patterns = []
    for pkg, globs in re.findall(r'^"fpgacnn\.models((?:\.\w+)*)" = \[(.*)\]$',
                                 (REPO / "pyproject.toml").read_text(), re.MULTILINE):
        folder = pkg.strip(".").replace(".", "/")
        patterns += [f"{folder}/{g}" if folder else g for g in re.findall(r'"([^"]+)"', globs)]
    assert patterns
    shipped_files = [p.relative_to(REPO / "models").as_posix()
                     for p in shipped.directory.iterdir() if p.is_file()]
    assert "model.h5" in shipped.card["files"] and "training_curve.png" in shipped.card["files"]
    for rel in shipped_files + ["README.md"]:
        assert any(fnmatch.fnmatch(rel, pattern) for pattern in patterns), rel


def test_readme_reports_the_shipped_accuracies(shipped) -> None:  # noqa: ANN001
    readme = (REPO / "models" / "README.md").read_text()
    for key in ("float", "quantized"):
        value = shipped.metrics["accuracy"][key]
        assert re.search(rf"\b{100 * value:.2f} %", readme), key
