"""Knowledge distillation from a (float) teacher into a quantized student.

The student is trained on ``alpha * CE(labels, student) + (1 - alpha) * T^2 *
KL(softmax(teacher / T) || softmax(student / T))`` (Hinton et al., 2015); the
teacher is frozen. Evaluation and prediction use the student alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._keras import keras, tf
from .errors import ConfigError

#: ``DistillConfig.teacher`` value meaning "the float twin trained in the same run".
FLOAT_TEACHER = "float"


@dataclass(frozen=True, kw_only=True)
class DistillConfig:
    """Where the teacher comes from and how much it counts.

    ``teacher`` is :data:`FLOAT_TEACHER` (the float twin of the student's
    architecture, trained first in the same run) or the path of a saved model
    (a training output folder or a ``.h5`` file); ``alpha`` weighs the label
    loss against the teacher loss; ``temperature`` softens both distributions.
    """

    teacher: str = FLOAT_TEACHER
    alpha: float = 0.5
    temperature: float = 4.0

    def __post_init__(self) -> None:
        if not isinstance(self.teacher, str) or not self.teacher:
            raise ConfigError(
                f"DistillConfig.teacher must be a non-empty str, got {self.teacher!r}"
            )
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"DistillConfig.alpha must be in [0, 1], got {self.alpha!r}")
        if not self.temperature > 0.0:
            raise ConfigError(f"DistillConfig.temperature must be > 0, got {self.temperature!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings, JSON-ready."""
        return {"teacher": self.teacher, "alpha": self.alpha, "temperature": self.temperature}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistillConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(teacher=str(data["teacher"]), alpha=float(data["alpha"]),
                   temperature=float(data["temperature"]))


class Distiller(keras.Model):
    """Trains ``student`` against labels and a frozen ``teacher``'s soft targets.

    Compile it with an optimizer, the student's label loss (on logits) and
    metrics; ``fit`` then trains the student, ``evaluate``/``predict`` run the
    student only.
    """

    def __init__(
        self, *, student: keras.Model, teacher: keras.Model, cfg: DistillConfig, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.cfg = cfg
        self._kl = keras.losses.KLDivergence()

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Return the student's logits."""
        return self.student(inputs, training=training)

    def train_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        """One optimisation step of the student on the distillation loss."""
        x, y = data
        temp, alpha = self.cfg.temperature, self.cfg.alpha
        soft_targets = tf.nn.softmax(self.teacher(x, training=False) / temp)
        with tf.GradientTape() as tape:
            logits = self.student(x, training=True)
            label_loss = self.compiled_loss(y, logits, regularization_losses=self.student.losses)
            soft = tf.nn.softmax(logits / temp)
            teacher_loss = self._kl(soft_targets, soft) * temp**2
            loss = alpha * label_loss + (1.0 - alpha) * teacher_loss
        variables = self.student.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        self.compiled_metrics.update_state(y, logits)
        results = {m.name: m.result() for m in self.metrics}
        results.update(loss=loss, teacher_loss=teacher_loss)
        return results


__all__ = ["FLOAT_TEACHER", "DistillConfig", "Distiller"]
