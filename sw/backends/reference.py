"""The ``reference`` backend: the numpy edge golden model and the QKeras model (TensorFlow)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .base import ClassifierEngine, EdgeOutput, SyncEdgeEngine, raw_scores

log = logging.getLogger(__name__)


class NumpyEdgeEngine(SyncEdgeEngine):
    """The edge core's golden model (``fpgacnn.sim.golden.edge``; numpy)."""

    name = "numpy"

    def compute(self, gray: np.ndarray, threshold: int) -> EdgeOutput:
        """Edge map of one frame by the golden model."""
        from fpgacnn.sim.golden.edge import sobel_edges

        return EdgeOutput(edges=sobel_edges(gray, threshold), hw_seconds=None)


class KerasClassifierEngine(ClassifierEngine):
    """The QKeras model of the package (``model.files["keras"]``), called directly."""

    name = "keras"

    def __init__(self, *, model_file: Path, fraction: int) -> None:
        from fpgacnn.models.artifacts import load_keras_model

        self._model = load_keras_model(model_file)
        self._fraction = fraction
        log.info("loaded %s", model_file)

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Raw scores of one code image."""
        from fpgacnn.models.preprocess import codes_to_input

        y = self._model(codes_to_input(codes[None]), training=False)
        return raw_scores(np.asarray(y), self._fraction), None
