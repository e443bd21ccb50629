"""Where a model to convert comes from: a zoo name, a saved run folder, a file, or memory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .canonical import canonicalize
from .convert import ModelSource, from_model, load_keras_file
from .fixed import FixedType
from .plan import plan_model

log = logging.getLogger(__name__)

#: Random on-grid inputs used when a bare model file comes without a data set.
RANDOM_SAMPLES = 1000


def random_on_grid(t: FixedType, shape: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    """``n`` uniformly random inputs of ``shape`` on ``t``'s grid (both range ends included)."""
    rng = np.random.default_rng(seed)
    lo, hi = round(t.min / t.lsb), round(t.max / t.lsb)
    codes = rng.integers(lo, hi + 1, size=(n, *shape))
    codes[0], codes[min(1, n - 1)] = lo, hi
    return codes * t.lsb


def _from_run(model_or_dir: str | Path, data_dir: Path | None) -> ModelSource:
    from fpgacnn.models.artifacts import MODEL_FILE, load_run
    from fpgacnn.models.data import load_dataset
    from fpgacnn.spec.preprocess import codes_to_input

    saved = load_run(model_or_dir)
    recorded = saved.card["dataset"]
    data = recorded["source"] if recorded["name"] == "folder" else recorded["name"]
    split = recorded.get("split", {})
    dataset = load_dataset(data, saved.input_spec, data_dir=data_dir,
                           seed=int(split.get("seed", 0)),
                           test_fraction=float(split.get("test_fraction", 0.25)))
    log.info("%s: calibrating on %d training images, verifying on %d test images",
             saved.entry.name, len(dataset.y_train), len(dataset.y_test))
    return ModelSource(
        model=saved.model, name=saved.entry.name, classes=tuple(saved.card["classes"]),
        calibration=codes_to_input(dataset.x_train), test_x=codes_to_input(dataset.x_test),
        test_y=dataset.y_test, file=saved.directory / MODEL_FILE,
    )


def load_source(model: Any, *, data_dir: Path | None = None,
                input_type: FixedType | None = None) -> ModelSource:
    """Resolve ``model`` into a :class:`ModelSource`.

    - a zoo name (the shipped model) or a training output folder: its data
      set and split; calibration on the training images, bit-exactness on
      the test images, accuracies reported;
    - a ``.h5``/``.keras`` file or an in-memory Keras model: 1000 random
      inputs on the input quantizer's grid for both (no accuracies); a model
      without an input quantizer needs ``input_type`` (:mod:`.canonical`).
    """
    if not isinstance(model, (str, Path)):
        src = from_model(model)
        return _with_random_data(src, input_type)
    path = Path(model)
    if path.suffix in (".h5", ".keras"):
        loaded = load_keras_file(path)
        src = from_model(loaded, name=path.stem if path.stem != "model" else path.parent.name)
        return _with_random_data(ModelSource(**{**src.__dict__, "file": path.resolve()}),
                                 input_type)
    return _from_run(model, data_dir)


def _with_random_data(src: ModelSource, input_type: FixedType | None = None) -> ModelSource:
    t_in = plan_model(canonicalize(src.model, input_type=input_type).model)[0].result
    x = random_on_grid(t_in, tuple(int(d) for d in src.model.input_shape[1:]), RANDOM_SAMPLES)
    return ModelSource(**{**src.__dict__, "calibration": x, "test_x": x})
