"""Run a batch through a converted model: QKeras, the hls4ml C simulation or the RTL core."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.engines import BackendKind, ClassifierFiles, get_backend

from .convert import CONVERSION_FILE, sha256_file, to_input_grid
from .errors import ConversionDirError, PredictInputError
from .fixed import FixedType

log = logging.getLogger(__name__)

#: Clock of a conversion folder's cores when its record names none (cycles -> seconds).
DEFAULT_CLOCK_HZ = 100_000_000


#: dtypes ``predict`` accepts: model input values (on the input quantizer's grid).
ACCEPTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def read_manifest(conv_dir: Path) -> dict[str, Any]:
    """Return the record of a conversion folder (``conversion.json``), checking the model.

    Raises :class:`ConversionDirError` for a folder that is not a conversion (a
    deployment package, an older conversion, anything else) or whose record or model
    file is damaged.
    """
    conv_dir = Path(conv_dir)
    path = conv_dir / CONVERSION_FILE
    if not path.is_file():
        if (conv_dir / "manifest.json").is_file():
            raise ConversionDirError(
                f"'{conv_dir}' is not a conversion folder: it has a manifest.json (a "
                f"deployment package, or a conversion by an older fpgacnn) but no "
                f"{CONVERSION_FILE}; run fpgacnn convert again")
        raise ConversionDirError(f"'{conv_dir}' is not a conversion folder (no {CONVERSION_FILE})")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
        manifest["model"]["file"], manifest["model"]["sha256"]  # noqa: B018 - shape check
    except (ValueError, KeyError, TypeError) as exc:
        raise ConversionDirError(f"{path} is not a valid conversion record ({exc!r}); "
                                 "run fpgacnn convert again") from None
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


def classifier_files(conv_dir: Path, manifest: dict[str, Any]) -> ClassifierFiles:
    """The engines' view of a conversion folder: its QKeras file, C-sim and RTL folders."""
    from .rtl import RTL_DIR, has_rtl

    conv_dir = Path(conv_dir)
    return ClassifierFiles(
        keras=conv_dir / manifest["model"]["file"], csim=conv_dir,
        rtl=conv_dir / RTL_DIR if has_rtl(conv_dir) else None,
        fraction=FixedType.from_dict(manifest["output"]["type"]).fraction,
        clock_hz=int(manifest.get("clock_hz", DEFAULT_CLOCK_HZ)), where=f"'{conv_dir}'")


def predict(conv_dir: Path, x: np.ndarray, backend: BackendKind | str) -> np.ndarray:
    """Outputs ``(N, *output_shape)`` (float64) of the converted model in ``conv_dir`` on ``x``.

    ``backend`` is ``reference`` (the QKeras model), ``csim`` (hls4ml's C simulation)
    or ``rtl`` (the generated core in ``DIR/rtl``, Verilated; its files are checked
    against the record first); the engines come from the backend registry
    (:func:`fpgacnn.spec.engines.get_backend`). ``x`` must be ``(N, *input_shape)``
    float32/float64 on the input grid; otherwise :class:`PredictInputError` states
    expected vs. actual.
    """
    kind = BackendKind.parse(backend)
    if kind is BackendKind.PYNQ:
        raise PredictInputError("predict runs on reference, csim or rtl, got 'pynq' "
                                "(the board classifies frames: fpgacnn stream)")
    conv_dir = Path(conv_dir)
    manifest = read_manifest(conv_dir)
    check_input(x, manifest)
    if kind is BackendKind.RTL:
        from .rtl import rtl_record

        rtl_record(conv_dir)  # refuses a missing or altered core
    xin = np.asarray(x, dtype=np.float64)
    if kind is BackendKind.RTL and len(manifest["input"]["shape"]) == 1:
        xin = xin.reshape(len(xin), 1, 1, -1)  # the core streams a vector as one 1x1xN pixel
    engine = get_backend(kind).open_classifier(classifier_files(conv_dir, manifest))
    try:
        y = engine.predict(xin)
    finally:
        engine.close()
    return np.asarray(y, np.float64).reshape((len(x), *manifest["output"]["shape"]))
