"""The ``csim`` backend: edges by the numpy golden model, classes by hls4ml's C simulation.

hls4ml's C simulation covers the classifier only: whatever the package's frame path
(``--edge-input color``, ``--classifier-input fabric``), colour-to-gray and the
classifier's crop and downscale run on the host in numpy
(:func:`~fpgacnn.spec.frames.gray_of`, :func:`~fpgacnn.spec.frames.classifier_codes`),
bit for bit what the fabric's blocks compute (the ``rtl`` backend simulates those).

Registered as the ``csim`` entry point of ``fpgacnn.backends``
(:mod:`fpgacnn.spec.engines`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from fpgacnn.spec import engines as eng
from fpgacnn.spec.errors import BackendError
from fpgacnn.spec.package import CoreSpec

log = logging.getLogger(__name__)


class CsimClassifierEngine(eng.ClassifierEngine):
    """hls4ml C-sim of ``conv_dir`` (an ``fpgacnn convert`` folder)."""

    name = "csim"

    def __init__(self, *, conv_dir: Path) -> None:
        from fpgacnn.hw.convert.fixed import FixedType
        from fpgacnn.hw.convert.hls import link_project
        from fpgacnn.hw.convert.predict import read_manifest

        if not conv_dir.is_dir():
            raise BackendError(f"the csim backend needs the conversion folder {str(conv_dir)!r}")
        self._manifest = read_manifest(conv_dir)
        out_type = FixedType.from_dict(self._manifest["output"]["type"])
        self._fraction = out_type.fraction
        self._out_shape = tuple(self._manifest["output"]["shape"])
        self._hls_model = link_project(conv_dir / self._manifest["project"]["dir"])
        log.info("linked the C simulation of %s", conv_dir)

    @property
    def fraction(self) -> int:
        """Fraction bits of the scores."""
        return self._fraction

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Raw scores of one code image."""
        from fpgacnn.spec.preprocess import codes_to_input

        y = self.predict(codes_to_input(codes[None]))
        return eng.raw_scores(y[0], self._fraction), None

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs of the C simulation on a batch of inputs."""
        from fpgacnn.hw.convert.hls import csim_predict

        return csim_predict(self._hls_model, np.asarray(x, np.float64), self._out_shape)


class CsimBackend(eng.Backend):
    """Edges by the numpy golden model, classes by the C simulation."""

    kind = eng.BackendKind.CSIM
    requires = ("hls4ml",)

    def open_edge(self, core: CoreSpec, *, clock_hz: int) -> eng.EdgeEngine:
        """The golden model (the edge core has no C simulation)."""
        return eng.GoldenEdgeEngine()

    def open_classifier(self, files: eng.ClassifierFiles) -> eng.ClassifierEngine:
        """The C simulation of ``files.csim``."""
        return CsimClassifierEngine(conv_dir=files.need("csim", "C-simulation folder"))


#: The registered ``csim`` backend.
BACKEND = CsimBackend()
