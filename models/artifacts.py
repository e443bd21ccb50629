"""Saving, loading and re-evaluating trained models.

A training output folder (and a shipped model under ``models/zoo/<name>/``)
holds:

- ``model.h5``: the quantized QKeras model (Keras-2 HDF5; what hls4ml reads);
- ``float_model.h5``: its float twin, when one was trained;
- ``model.json``: the model card: name, architecture, config, input spec
  (with the preprocessing rule), class names, data set and split, and the
  sha256 of every file;
- ``metrics.json``: accuracies, sparsity, bit widths, parameter and MAC
  counts, data split, training settings, library versions;
- ``history.json`` and ``training_curve.png``: the per-epoch curves.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpgacnn.spec.hashing import sha256_file
from fpgacnn.spec.preprocess import InputSpec

from ._keras import custom_objects, keras, versions
from .configs import ModelConfig, config_from_dict, config_to_dict
from .errors import UnknownModelError
from .registry import ZOO, ZooEntry, get_entry, model_names
from .training import TrainResult

log = logging.getLogger(__name__)

MODEL_FILE = "model.h5"
FLOAT_MODEL_FILE = "float_model.h5"
CARD_FILE = "model.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"
CURVE_FILE = "training_curve.png"
#: Version of the model.json layout.
CARD_FORMAT = 1




def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def plot_history(history: dict[str, dict[str, list[float]]], path: Path, *, title: str) -> None:
    """Write a PNG with loss and accuracy per epoch for each training phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for index, (phase, hist) in enumerate(history.items()):
        epochs = range(1, len(hist.get("loss", [])) + 1)
        color = f"C{index}"
        for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            ax.plot(epochs, hist.get(key, []), color=color, label=f"{phase} train")
            ax.plot(epochs, hist.get(f"val_{key}", []), "--", color=color, label=f"{phase} test")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy (test: not used for selection)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def save_run(result: TrainResult, out_dir: Path) -> Path:
    """Write ``result`` into ``out_dir`` (created if needed); return the card's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [MODEL_FILE, METRICS_FILE, HISTORY_FILE, CURVE_FILE]
    with warnings.catch_warnings():
        # HDF5 is deliberate (hls4ml reads it), and QKeras quantizers are serialised
        # through the constraints API by design: both warnings are expected noise.
        warnings.filterwarnings("ignore", message=r".*HDF5 file via `model\.save\(\)`")
        warnings.filterwarnings("ignore", message=r".*keras\.constraints\.serialize\(\)")
        result.model.save(out_dir / MODEL_FILE, save_format="h5", include_optimizer=False)
        if result.float_model is not None:
            result.float_model.save(out_dir / FLOAT_MODEL_FILE, save_format="h5",
                                    include_optimizer=False)
            files.insert(1, FLOAT_MODEL_FILE)
    history = result.metrics.get("history", {})
    metrics = {k: v for k, v in result.metrics.items() if k != "history"}
    metrics["quantization"] = result.config.quant.to_dict() if result.config.quant else None
    metrics["versions"] = versions()
    _write_json(out_dir / METRICS_FILE, metrics)
    _write_json(out_dir / HISTORY_FILE, history)
    plot_history(history, out_dir / CURVE_FILE,
                 title=f"{result.entry.name}: {metrics['accuracy']['quantized']:.2%} quantized")
    card = {
        "format": CARD_FORMAT,
        "name": result.entry.name,
        "arch": result.entry.module,
        "config": config_to_dict(result.config),
        "input": result.entry.input_spec.to_dict(),
        "classes": list(result.dataset.class_names),
        "dataset": {k: v for k, v in result.dataset.summary().items() if k != "classes"},
        "files": {name: sha256_file(out_dir / name) for name in files},
    }
    _write_json(out_dir / CARD_FILE, card)
    log.info("saved %s to %s", result.entry.name, out_dir)
    return out_dir / CARD_FILE


@dataclass(frozen=True, kw_only=True)
class SavedModel:
    """A model loaded from a training output folder or the shipped zoo."""

    directory: Path
    entry: ZooEntry
    config: ModelConfig
    input_spec: InputSpec
    card: dict[str, Any]
    metrics: dict[str, Any]
    model: keras.Model


def resolve_model_dir(model_or_dir: str | Path) -> Path:
    """Return the folder of a saved model given a zoo name or a folder path.

    Raises :class:`UnknownModelError` when it is neither a shipped zoo model
    nor a folder with ``model.json``.
    """
    text = str(model_or_dir)
    if text in ZOO:
        shipped = get_entry(text).shipped_dir
        if shipped is None:
            shipped_names = [n for n in model_names() if ZOO[n].shipped_dir is not None]
            raise UnknownModelError(
                f"no trained {text!r} model is shipped (shipped: {', '.join(shipped_names)}); "
                f"train one with: fpgacnn train {text} --out DIR"
            )
        return shipped
    path = Path(model_or_dir)
    if (path / CARD_FILE).is_file():
        return path
    raise UnknownModelError(
        f"{text!r} is neither a model of the zoo ({', '.join(model_names())}) nor a folder "
        f"with {CARD_FILE}"
    )


def load_keras_model(path: str | Path) -> keras.Model:
    """Load a Keras/QKeras model from a ``.h5`` file or a saved-model folder."""
    path = Path(path)
    if path.is_dir():
        path = resolve_model_dir(path) / MODEL_FILE
    if not path.is_file():
        raise UnknownModelError(f"no model file at {path}")
    return keras.models.load_model(path, custom_objects=custom_objects(), compile=False)


def load_run(model_or_dir: str | Path) -> SavedModel:
    """Load a saved model (zoo name or folder) with its card and metrics.

    Raises :class:`UnknownModelError` if the folder was written by another
    card format or names a model the zoo does not have.
    """
    directory = resolve_model_dir(model_or_dir)
    card = json.loads((directory / CARD_FILE).read_text())
    if card.get("format") != CARD_FORMAT:
        raise UnknownModelError(
            f"{directory / CARD_FILE} has card format {card.get('format')!r}; "
            f"this version of fpgacnn reads format {CARD_FORMAT}"
        )
    entry = get_entry(card["name"])
    metrics_path = directory / METRICS_FILE
    return SavedModel(
        directory=directory,
        entry=entry,
        config=config_from_dict(entry.config_class, card["config"]),
        input_spec=InputSpec.from_dict(card["input"]),
        card=card,
        metrics=json.loads(metrics_path.read_text()) if metrics_path.is_file() else {},
        model=load_keras_model(directory / MODEL_FILE),
    )


__all__ = [
    "CARD_FILE",
    "CURVE_FILE",
    "FLOAT_MODEL_FILE",
    "METRICS_FILE",
    "MODEL_FILE",
    "SavedModel",
    "load_keras_model",
    "load_run",
    "plot_history",
    "resolve_model_dir",
    "save_run",
]
