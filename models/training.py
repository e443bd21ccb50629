"""Quantization-aware training with augmentation, pruning and distillation.

:func:`train` runs the steps of one training run on a loaded
:class:`~fpgacnn.models.data.Dataset`:

1. ``float``: train the float twin of the architecture (the float baseline,
   and the teacher for ``--distill float``);
2. ``quantized``: quantization-aware training of the QKeras model, with
   augmentation, optional magnitude pruning to a target sparsity
   (tensorflow-model-optimization, sparsity ramped up over the first 60 % of
   the steps) and optional distillation from a teacher;
3. ``measure``: test accuracies, sparsity, parameter and MAC counts.

Writing the results to disk is :func:`fpgacnn.models.artifacts.save_run`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fpgacnn.spec.preprocess import codes_to_input

from ._keras import custom_objects, keras
from .augment import AugmentConfig, augment_codes
from .checks import check_hardware_model, count_macs, layer_report, weight_sparsity
from .configs import ModelConfig, config_to_dict
from .data import Dataset
from .distill import FLOAT_TEACHER, DistillConfig, Distiller
from .errors import ConfigError, DataShapeError
from .registry import ZooEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train. ``float_epochs`` None means ``epochs``; 0 skips the float twin.

    ``prune_sparsity`` is the target fraction of zero conv/dense weights (None:
    no pruning); ``distill`` enables distillation.
    """

    epochs: int = 60
    float_epochs: int | None = None
    batch_size: int = 32
    learning_rate: float = 3e-3
    seed: int = 0
    augment: AugmentConfig = AugmentConfig()
    prune_sparsity: float | None = None
    distill: DistillConfig | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"TrainConfig.{name} must be a positive int, got {value!r}")
        if self.float_epochs is not None and (
            not isinstance(self.float_epochs, int) or self.float_epochs < 0
        ):
            raise ConfigError(
                f"TrainConfig.float_epochs must be an int >= 0 or None, got {self.float_epochs!r}"
            )
        if not self.learning_rate > 0:
            raise ConfigError(f"TrainConfig.learning_rate must be > 0, got {self.learning_rate!r}")
        if self.prune_sparsity is not None and not 0.0 < self.prune_sparsity < 1.0:
            raise ConfigError(
                f"TrainConfig.prune_sparsity must be in (0, 1), got {self.prune_sparsity!r}"
            )
        if (
            self.distill is not None
            and self.distill.teacher == FLOAT_TEACHER
            and self.float_epochs_resolved == 0
        ):
            raise ConfigError("distillation from the float twin needs float_epochs > 0")

    @property
    def float_epochs_resolved(self) -> int:
        """Epochs of the float twin."""
        return self.epochs if self.float_epochs is None else self.float_epochs

    def to_dict(self) -> dict[str, Any]:
        """Return the settings, JSON-ready."""
        out = dataclasses.asdict(self)
        out["float_epochs"] = self.float_epochs_resolved
        out["augment"] = self.augment.to_dict()
        out["distill"] = self.distill.to_dict() if self.distill else None
        del out["progress"]
        return out


@dataclass(kw_only=True)
class TrainResult:
    """The trained models and their measurements.

    ``model`` is the quantized model (pruning wrappers stripped); ``float_model``
    the float twin (None if not trained); ``metrics`` the JSON-ready metrics.
    """

    entry: ZooEntry
    config: ModelConfig
    train_config: TrainConfig
    dataset: Dataset
    model: keras.Model
    float_model: keras.Model | None
    metrics: dict[str, Any] = field(default_factory=dict)


class _Batches(keras.utils.Sequence):
    """Shuffled, augmented mini-batches of float inputs from uint8 codes."""

    def __init__(self, x: np.ndarray, y: np.ndarray, *, batch_size: int,
                 augment: AugmentConfig, seed: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size, self.augment = x, y, batch_size, augment
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(y))

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        codes = augment_codes(self.x[idx], self.augment, self.rng)
        return codes_to_input(codes), self.y[idx]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.y))


class _ProgressBar(keras.callbacks.Callback):
    """A tqdm bar over epochs showing loss and accuracies."""

    def __init__(self, epochs: int, desc: str) -> None:
        super().__init__()
        from tqdm.auto import tqdm

        self.bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=True)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items() if "acc" in k or k == "loss"})
        self.bar.update(1)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        self.bar.close()


def _prunable(model: keras.Model, sparsity: float, total_steps: int) -> keras.Model:
    """Return a clone of ``model`` with its conv/dense layers wrapped for pruning."""
    import tensorflow_model_optimization as tfmot

    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0,
        final_sparsity=sparsity,
        begin_step=0,
        end_step=max(1, int(0.6 * total_steps)),
        frequency=max(1, total_steps // 50),
    )

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        clone = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            return tfmot.sparsity.keras.prune_low_magnitude(clone, pruning_schedule=schedule)
        return clone

    with keras.utils.custom_object_scope(custom_objects()):
        return keras.models.clone_model(model, clone_function=wrap)


def _fit(model: keras.Model, data: Dataset, cfg: TrainConfig, *, epochs: int, desc: str,
         teacher: keras.Model | None = None) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train ``model`` (optionally pruned / distilled); return it (stripped) and its history."""
    batches = _Batches(data.x_train, data.y_train, batch_size=cfg.batch_size,
                       augment=cfg.augment, seed=cfg.seed)
    total_steps = epochs * len(batches)
    callbacks: list[keras.callbacks.Callback] = []
    trained = model
    if cfg.prune_sparsity is not None:
        import tensorflow_model_optimization as tfmot

        trained = _prunable(model, cfg.prune_sparsity, total_steps)
        callbacks.append(tfmot.sparsity.keras.UpdatePruningStep())
    runner = trained if teacher is None else Distiller(student=trained, teacher=teacher,
                                                       cfg=cfg.distill)
    if cfg.progress:
        callbacks.append(_ProgressBar(epochs, desc))
    schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, max(1, total_steps))
    runner.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    history = runner.fit(
        batches, epochs=epochs, verbose=0, callbacks=callbacks, shuffle=False,
        validation_data=(codes_to_input(data.x_test), data.y_test),
    )
    if trained is not model:
        import tensorflow_model_optimization as tfmot

        # strip_pruning reuses the unwrapped layer objects of the pruned clone, so its
        # result shares layers with that clone; copy the weights into the clean model.
        with keras.utils.custom_object_scope(custom_objects()):
            model.set_weights(tfmot.sparsity.keras.strip_pruning(trained).get_weights())
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return model, hist


def accuracy(model: keras.Model, codes: np.ndarray, labels: np.ndarray) -> float:
    """Return the top-1 accuracy of ``model`` on input ``codes`` (uint8 NHWC)."""
    logits = model.predict(codes_to_input(codes), batch_size=256, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def _check_data(entry: ZooEntry, cfg: ModelConfig, data: Dataset) -> None:
    expected = entry.input_spec.shape
    if tuple(data.x_train.shape[1:]) != expected or tuple(data.x_test.shape[1:]) != expected:
        raise DataShapeError(
            f"data of shape {tuple(data.x_train.shape[1:])} does not fit model '{entry.name}' "
            f"(input {expected}); load it with load_dataset(..., spec) to resize it"
        )
    if data.num_classes != cfg.num_classes:
        raise DataShapeError(
            f"data set '{data.name}' has {data.num_classes} classes but model '{entry.name}' "
            f"is configured for {cfg.num_classes} (set num_classes={data.num_classes})"
        )


def load_teacher(path: str) -> keras.Model:
    """Load a teacher model from a training output folder or a ``.h5`` file."""
    from .artifacts import load_keras_model

    return load_keras_model(path)


def train(entry: ZooEntry, cfg: ModelConfig, train_cfg: TrainConfig, data: Dataset) -> TrainResult:
    """Train model ``entry`` with config ``cfg`` on ``data``; return models and metrics.

    Raises :class:`DataShapeError` when ``data`` does not fit the model and
    :class:`ConfigError` when ``cfg`` is a float config (``quant=None``).
    """
    if cfg.quant is None:
        raise ConfigError("train() needs a quantized config (quant=None is the float twin)")
    _check_data(entry, cfg, data)
    arch = entry.arch()
    keras.utils.set_random_seed(train_cfg.seed)
    timings: dict[str, float] = {}
    histories: dict[str, dict[str, list[float]]] = {}

    float_model = None
    if train_cfg.float_epochs_resolved > 0:
        start = time.perf_counter()
        float_cfg = dataclasses.replace(train_cfg, prune_sparsity=None, distill=None)
        float_model, histories["float"] = _fit(
            arch.build_model(dataclasses.replace(cfg, quant=None)), data, float_cfg,
            epochs=train_cfg.float_epochs_resolved, desc=f"{entry.name} float",
        )
        timings["float"] = time.perf_counter() - start

    teacher = None
    if train_cfg.distill is not None:
        teacher = float_model if train_cfg.distill.teacher == FLOAT_TEACHER else load_teacher(
            train_cfg.distill.teacher)
        if tuple(teacher.input_shape[1:]) != entry.input_spec.shape:
            raise DataShapeError(
                f"teacher input {tuple(teacher.input_shape[1:])} does not fit model "
                f"'{entry.name}' (input {entry.input_spec.shape})"
            )

    start = time.perf_counter()
    model, histories["quantized"] = _fit(
        arch.build_model(cfg), data, train_cfg, epochs=train_cfg.epochs,
        desc=f"{entry.name} {cfg.quant.weight_bits}-bit", teacher=teacher,
    )
    timings["quantized"] = time.perf_counter() - start
    check_hardware_model(model)

    metrics = {
        "model": entry.name,
        "config": config_to_dict(cfg),
        "training": train_cfg.to_dict(),
        "data": data.summary(),
        "accuracy": {
            "float": accuracy(float_model, data.x_test, data.y_test) if float_model else None,
            "quantized": accuracy(model, data.x_test, data.y_test),
            "teacher": accuracy(teacher, data.x_test, data.y_test) if teacher else None,
            "split": "test",
        },
        "sparsity": {
            "target": train_cfg.prune_sparsity,
            "pruned": weight_sparsity(model, quantized=False),
            "quantized": weight_sparsity(model),
        },
        "params": int(model.count_params()),
        "macs": count_macs(model),
        "layers": layer_report(model),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "history": histories,
    }
    log.info("%s: quantized test accuracy %.4f", entry.name, metrics["accuracy"]["quantized"])
    return TrainResult(entry=entry, config=cfg, train_config=train_cfg, dataset=data,
                       model=model, float_model=float_model, metrics=metrics)


__all__ = ["TrainConfig", "TrainResult", "accuracy", "load_teacher", "train"]
