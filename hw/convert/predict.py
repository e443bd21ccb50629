"""Run a batch through a converted model: QKeras, the hls4ml C simulation or the RTL core."""

from __future__ import annotations

import enum
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from .convert import MANIFEST_FILE, sha256_file, to_input_grid
from .errors import ConversionDirError, PredictInputError
from .fixed import FixedType

log = logging.getLogger(__name__)


class PredictBackend(enum.Enum):
    """What computes the outputs.

    ``KERAS`` the QKeras model, ``CSIM`` the hls4ml C simulation, ``RTL`` the generated
    classifier core (``DIR/rtl``) simulated by :class:`fpgacnn.sim.classifier_harness.
    ClassifierHarness` (built on first use, cached).
    """

    KERAS = "keras"
    CSIM = "csim"
    RTL = "rtl"


#: dtypes ``predict`` accepts: model input values (on the input quantizer's grid).
ACCEPTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def read_manifest(conv_dir: Path) -> dict[str, Any]:
    """Return the manifest of a conversion folder, checking the model file's sha256."""
    conv_dir = Path(conv_dir)
    path = conv_dir / MANIFEST_FILE
    if not path.is_file():
        raise ConversionDirError(f"'{conv_dir}' is not a conversion folder (no {MANIFEST_FILE})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    model_file = conv_dir / manifest["model"]["file"]
    if not model_file.is_file() or sha256_file(model_file) != manifest["model"]["sha256"]:
        raise ConversionDirError(
            f"'{model_file}' is missing or does not match the sha256 in {path}")
    return manifest


def check_input(x: np.ndarray, manifest: dict[str, Any]) -> None:
    """Raise :class:`PredictInputError` unless ``x`` is a batch the model accepts."""
    shape = tuple(manifest["input"]["shape"])
    expected = "(N, " + ", ".join(str(d) for d in shape) + ")"
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != shape:
        raise PredictInputError(f"input shape: expected {expected}, got {tuple(x.shape)}")
    if x.dtype not in ACCEPTED_DTYPES:
        raise PredictInputError(f"input dtype: expected float32 or float64, got {x.dtype}")
    t = FixedType.from_dict(manifest["input"]["type"])
    _, moved = to_input_grid(x, t)
    if moved:
        raise PredictInputError(
            f"input values: expected values on the input grid {t.hls()} "
            f"(multiples of {t.lsb:g} in [{t.min:g}, {t.max:g}]), got {moved} values off it")


def _rtl_predict(conv_dir: Path, manifest: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Scores of the RTL core as values: codes * 2**-score_fraction."""
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    from .rtl import rtl_record

    rtl_dir = rtl_record(conv_dir, manifest)
    with ClassifierHarness(rtl_dir) as harness:
        codes = np.round(x * 2.0 ** harness.info["input"]["element_fraction"]).astype(np.int64)
        scores = harness.classify(codes).scores
        return scores.astype(np.float64) * 2.0 ** -harness.score_fraction


def predict(conv_dir: Path, x: np.ndarray, backend: PredictBackend) -> np.ndarray:
    """Outputs ``(N, *output_shape)`` (float64) of the converted model in ``conv_dir`` on ``x``.

    ``x`` must be ``(N, *input_shape)`` float32/float64 on the input grid;
    otherwise :class:`PredictInputError` states expected vs. actual.
    """
    conv_dir = Path(conv_dir)
    manifest = read_manifest(conv_dir)
    check_input(x, manifest)
    x = np.asarray(x, dtype=np.float64)
    out_shape = tuple(manifest["output"]["shape"])
    if backend is PredictBackend.KERAS:
        from .convert import load_keras_file

        model = load_keras_file(conv_dir / manifest["model"]["file"])
        y = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float64)
    elif backend is PredictBackend.CSIM:
        from .hls import csim_predict, link_project

        hls_model = link_project(conv_dir / manifest["project"]["dir"])
        y = csim_predict(hls_model, x, out_shape)
    elif backend is PredictBackend.RTL:
        y = _rtl_predict(conv_dir, manifest, x)
    else:  # pragma: no cover - exhaustive over the Enum
        raise ValueError(f"unknown backend {backend!r}")
    return y.reshape((len(x), *out_shape))
