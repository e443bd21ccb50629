"""Re-evaluating a saved or shipped model on its data set (``fpgacnn evaluate``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .artifacts import SavedModel, load_run
from .checks import check_hardware_model
from .data import Dataset, load_dataset
from .errors import DataShapeError
from .training import accuracy

log = logging.getLogger(__name__)


def dataset_of(
    saved: SavedModel, *, data: str | None = None, data_dir: Path | None = None
) -> Dataset:
    """Return the data set and split ``saved`` was trained with (or ``data`` instead).

    The codes are preprocessed for the model's input, so ``codes_to_input``
    of ``x_test`` is exactly what the model (and the hardware) sees.
    """
    recorded = saved.card["dataset"]
    if data is None:
        data = recorded["source"] if recorded["name"] == "folder" else recorded["name"]
    split = recorded.get("split", {})
    return load_dataset(
        data,
        saved.input_spec,
        data_dir=data_dir,
        seed=int(split.get("seed", 0)),
        test_fraction=float(split.get("test_fraction", 0.25)),
    )


def evaluate(
    model_or_dir: str | Path, *, data: str | None = None, data_dir: Path | None = None
) -> dict[str, Any]:
    """Return the stored metrics of a saved model plus a fresh ``evaluation``.

    ``model_or_dir`` is a zoo name (the shipped model) or a training output
    folder. The model is checked against the hardware flow, then its test
    accuracy is measured again on ``data`` (default: the data set and split
    it was trained with). ``evaluation.matches_recorded`` is true when the
    same data reproduce the recorded quantized accuracy exactly.
    """
    saved = load_run(model_or_dir)
    check_hardware_model(saved.model)
    recorded = saved.card["dataset"]
    dataset = dataset_of(saved, data=data, data_dir=data_dir)
    outputs = int(saved.model.output_shape[-1])
    if dataset.num_classes != outputs:
        raise DataShapeError(
            f"data set '{dataset.name}' has {dataset.num_classes} classes but model "
            f"'{saved.entry.name}' has {outputs} outputs"
        )
    measured = accuracy(saved.model, dataset.x_test, dataset.y_test)
    stored = saved.metrics.get("accuracy", {}).get("quantized")
    same_data = dataset.summary() | {"classes": None} == recorded | {"classes": None}
    result = dict(saved.metrics)
    result["evaluation"] = {
        "directory": str(saved.directory),
        "data": {k: v for k, v in dataset.summary().items() if k != "classes"},
        "accuracy": measured,
        "recorded_accuracy": stored,
        "matches_recorded": bool(same_data and stored is not None and measured == stored),
    }
    log.info("%s: test accuracy %.4f (recorded %s)", saved.entry.name, measured, stored)
    return result


__all__ = ["dataset_of", "evaluate"]
