"""The ``csim`` classifier: the hls4ml C simulation of the package's conversion folder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import BackendError
from .base import ClassifierEngine, raw_scores

log = logging.getLogger(__name__)


class CsimClassifierEngine(ClassifierEngine):
    """hls4ml C-sim of ``conv_dir`` (an ``fpgacnn convert`` folder inside the package)."""

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
        from fpgacnn.hw.convert.hls import csim_predict
        from fpgacnn.models.preprocess import codes_to_input

        x = codes_to_input(codes[None]).astype(np.float64)
        y = csim_predict(self._hls_model, x, self._out_shape)
        return raw_scores(y[0], self._fraction), None
