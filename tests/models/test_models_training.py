"""Training on real digits: QAT, augmentation, pruning, distillation, save and reload."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.models.arch.digits import DigitsConfig
from fpgacnn.models.artifacts import load_keras_model, load_run, save_run
from fpgacnn.models.augment import AugmentConfig
from fpgacnn.models.checks import check_hardware_model
from fpgacnn.models.data import Dataset, load_dataset
from fpgacnn.models.distill import DistillConfig
from fpgacnn.models.errors import ConfigError, DataShapeError
from fpgacnn.models.evaluation import evaluate
from fpgacnn.models.registry import get_entry
from fpgacnn.models.training import TrainConfig, TrainResult, train
from fpgacnn.spec.preprocess import codes_to_input

DIGITS = get_entry("digits")
SMALL = DigitsConfig(filters=8)
CHANCE = 0.1
#: tests sharing the module's `tiny_run` training stay on one xdist worker (--dist loadgroup)
TINY = pytest.mark.xdist_group(name="models_tiny_run")


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset("digits", DIGITS.input_spec)


@pytest.fixture(scope="module")
def tiny_run(digits: Dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainResult,
                                                                                    Path]:
    cfg = TrainConfig(epochs=4, float_epochs=3, learning_rate=1e-2,
                      augment=AugmentConfig(shift=1, noise=2.0))
    result = train(DIGITS, SMALL, cfg, digits)
    out = tmp_path_factory.mktemp("tiny_digits")
    save_run(result, out)
    return result, out


@TINY
def test_tiny_training_is_far_above_chance(tiny_run: tuple[TrainResult, Path]) -> None:
    result, _ = tiny_run
    acc = result.metrics["accuracy"]
    assert acc["quantized"] > 6 * CHANCE and acc["float"] > 6 * CHANCE
    assert len(result.metrics["history"]["quantized"]["val_accuracy"]) == 4
    assert len(result.metrics["history"]["float"]["loss"]) == 3
    assert result.metrics["training"]["augment"]["shift"] == 1
    assert result.metrics["data"]["n_test"] == 450
    assert result.metrics["params"] == result.model.count_params()
    check_hardware_model(result.model)


@TINY
def test_saved_model_reloads_to_identical_predictions(
    tiny_run: tuple[TrainResult, Path], digits: Dataset
) -> None:
    result, out = tiny_run
    x = codes_to_input(digits.x_test)
    saved = load_run(out)
    assert np.array_equal(saved.model.predict(x, verbose=0), result.model.predict(x, verbose=0))
    plain = load_keras_model(out / "model.h5")  # what hls4ml loads
    assert np.array_equal(plain.predict(x, verbose=0), result.model.predict(x, verbose=0))
    assert saved.config == SMALL and saved.input_spec == DIGITS.input_spec
    for name, digest in saved.card["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert (out / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["quantization"]["weight_quantizer"] == "quantized_bits(4,0,alpha=1)"
    assert metrics["macs"] == 6 * 6 * 8 * 9 + 72 * 10


@TINY
def test_evaluate_reproduces_the_recorded_accuracy(tiny_run: tuple[TrainResult, Path]) -> None:
    result, out = tiny_run
    report = evaluate(out)
    assert report["evaluation"]["accuracy"] == result.metrics["accuracy"]["quantized"]
    assert report["evaluation"]["matches_recorded"] is True


def test_pruning_reaches_the_target_sparsity(digits: Dataset) -> None:
    cfg = TrainConfig(epochs=3, float_epochs=0, learning_rate=1e-2, prune_sparsity=0.5)
    result = train(DIGITS, SMALL, cfg, digits)
    for name in ("conv1", "fc1"):
        kernel = np.asarray(result.model.get_layer(name).kernel)
        assert abs(np.mean(kernel == 0) - 0.5) < 0.02, name
    assert result.metrics["sparsity"]["pruned"] >= 0.49
    assert result.metrics["sparsity"]["quantized"] >= result.metrics["sparsity"]["pruned"]
    assert result.metrics["accuracy"]["quantized"] > 3 * CHANCE
    assert result.metrics["accuracy"]["float"] is None
    check_hardware_model(result.model)


def test_distillation_from_the_float_twin(digits: Dataset) -> None:
    cfg = TrainConfig(epochs=2, float_epochs=2, learning_rate=1e-2,
                      distill=DistillConfig(alpha=0.3))
    result = train(DIGITS, SMALL, cfg, digits)
    acc = result.metrics["accuracy"]
    assert acc["teacher"] == acc["float"] and acc["quantized"] > 3 * CHANCE
    assert "teacher_loss" in result.metrics["history"]["quantized"]
    assert result.metrics["training"]["distill"] == {"teacher": "float", "alpha": 0.3,
                                                     "temperature": 4.0}


@TINY
def test_distillation_from_a_saved_teacher(
    tiny_run: tuple[TrainResult, Path], digits: Dataset
) -> None:
    teacher, out = tiny_run
    cfg = TrainConfig(epochs=3, float_epochs=0, learning_rate=1e-2,
                      distill=DistillConfig(teacher=str(out)))
    result = train(DIGITS, SMALL, cfg, digits)
    assert result.metrics["accuracy"]["teacher"] == teacher.metrics["accuracy"]["quantized"]
    assert result.metrics["accuracy"]["quantized"] > 2 * CHANCE


@TINY
def test_data_that_does_not_fit_the_model(
    tiny_run: tuple[TrainResult, Path], digits: Dataset
) -> None:
    cfg = TrainConfig(epochs=1, float_epochs=0)
    faces = load_dataset("faces", get_entry("faces").input_spec)
    with pytest.raises(DataShapeError, match=r"^data of shape \(25, 25, 1\) does not fit model "
                       r"'digits' \(input \(8, 8, 1\)\); load it with load_dataset\(\.\.\., "
                       r"spec\) to resize it$"):
        train(DIGITS, SMALL, cfg, faces)
    with pytest.raises(DataShapeError, match=r"^data set 'digits' has 10 classes but model "
                       r"'digits' is configured for 5 \(set num_classes=10\)$"):
        train(DIGITS, dataclasses.replace(SMALL, num_classes=5), cfg, digits)
    _, out = tiny_run
    message = "data set 'faces' has 2 classes but model 'digits' has 10 outputs"
    with pytest.raises(DataShapeError, match=rf"^{re.escape(message)}$"):
        evaluate(out, data="faces")
    faces_entry = get_entry("faces")
    distill = TrainConfig(epochs=1, float_epochs=0, distill=DistillConfig(teacher=str(out)))
    with pytest.raises(DataShapeError, match=r"^teacher input \(8, 8, 1\) does not fit model "
                       r"'faces' \(input \(25, 25, 1\)\)$"):
        train(faces_entry, faces_entry.config_class(), distill, faces)


def test_training_config_errors(digits: Dataset) -> None:
    with pytest.raises(ConfigError, match=r"^TrainConfig.prune_sparsity must be in \(0, 1\), "
                       r"got 1.0$"):
        TrainConfig(prune_sparsity=1.0)
    with pytest.raises(ConfigError, match=r"^TrainConfig.epochs must be a positive int, got 0$"):
        TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match=r"^distillation from the float twin needs "
                       r"float_epochs > 0$"):
        TrainConfig(float_epochs=0, distill=DistillConfig())
    with pytest.raises(ConfigError, match=r"^DistillConfig.alpha must be in \[0, 1\], got 2$"):
        DistillConfig(alpha=2)
    with pytest.raises(ConfigError, match=r"^train\(\) needs a quantized config \(quant=None is "
                       r"the float twin\)$"):
        train(DIGITS, DigitsConfig(quant=None), TrainConfig(epochs=1), digits)
