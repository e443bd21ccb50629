"""The ``reference`` backend: the numpy edge golden model and the QKeras model (TensorFlow).

Colour-to-gray and the classifier's crop and downscale are the host's numpy
(:func:`~fpgacnn.spec.frames.gray_of`, :func:`~fpgacnn.spec.frames.classifier_codes`,
the golden models of ``fcnn_rgb2gray`` and ``fcnn_crop_scale``) whatever the package's
frame path; the ``rtl`` backend simulates the fabric's blocks instead.

Registered as the ``reference`` entry point of ``fpgacnn.backends``
(:mod:`fpgacnn.spec.engines`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from fpgacnn.spec import engines as eng
from fpgacnn.spec.package import CoreSpec

log = logging.getLogger(__name__)


class KerasClassifierEngine(eng.ClassifierEngine):
    """The QKeras model file, called directly."""

    name = "keras"

    def __init__(self, *, model_file: Path, fraction: int) -> None:
        from fpgacnn.models.artifacts import load_keras_model

        self._model = load_keras_model(model_file)
        self._fraction = fraction
        log.info("loaded %s", model_file)

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Raw scores of one code image."""
        from fpgacnn.spec.preprocess import codes_to_input

        y = self._model(codes_to_input(codes[None]), training=False)
        return eng.raw_scores(np.asarray(y), self._fraction), None

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs of the QKeras model on a batch of inputs."""
        y = self._model.predict(np.asarray(x, np.float64), batch_size=256, verbose=0)
        return np.asarray(y, dtype=np.float64)


class ReferenceBackend(eng.Backend):
    """Edges by the numpy golden model, classes by the QKeras model."""

    kind = eng.BackendKind.REFERENCE
    requires = ("tensorflow", "tf_keras", "qkeras")

    def open_edge(self, core: CoreSpec, *, clock_hz: int) -> eng.EdgeEngine:
        """The golden model (no core time)."""
        return eng.GoldenEdgeEngine()

    def open_classifier(self, files: eng.ClassifierFiles) -> eng.ClassifierEngine:
        """The QKeras model of ``files.keras``."""
        return KerasClassifierEngine(model_file=files.need("keras", "Keras model"),
                                     fraction=files.fraction)


#: The registered ``reference`` backend.
BACKEND = ReferenceBackend()
