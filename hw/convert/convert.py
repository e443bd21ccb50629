"""``convert``: QKeras model -> hls4ml project + C simulation, proven bit-exact.

The build is a list of named steps on one state: load, plan the types, check
them against calibration data, write the hls4ml project, compile the C
simulation, verify it against QKeras, write the manifest and report.
Generating the project never runs a vendor tool; :mod:`.synth` does that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import platform
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.errors import (
    ConfigError,
    UnsupportedLayerError,
    UsageError,
    VerificationError,
)
from fpgacnn.spec.hashing import sha256_file
from fpgacnn.spec.outputs import check_replaceable

from .calibration import check_ranges, observe_ranges
from .canonical import (
    MAX_ACCURACY_DELTA,
    CanonicalModel,
    Notice,
    accuracy_delta,
    canonicalize,
)
from .config import ConvertConfig
from .fixed import FixedType
from .hls import PROJECT_NAME, audit_types, build_project, compile_csim, csim_predict, hls_config
from .plan import LayerPlan, plan_model

log = logging.getLogger(__name__)

#: File names inside a conversion folder.
MODEL_FILE = "model.h5"
#: The conversion's own record (its plan, types, files); the deployment package's
#: ``manifest.json`` is another thing (fpgacnn.spec.package).
CONVERSION_FILE = "conversion.json"
REPORT_FILE = "report.json"
CONFIG_FILE = "convert_config.json"
PROJECT_DIR = "hls4ml_prj"


@dataclass(frozen=True, kw_only=True)
class ModelSource:
    """A model with what its conversion needs: name, classes and data to check it on.

    ``calibration`` is model input (floats on the input grid) used for the
    range check; ``test_x``/``test_y`` the data of the bit-exactness check
    (``test_y`` may be None: then no accuracies are reported).
    """

    model: Any
    name: str
    classes: tuple[str, ...]
    calibration: np.ndarray | None = None
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None
    file: Path | None = None


@dataclass(frozen=True, kw_only=True)
class BitExactReport:
    """QKeras vs. C simulation on one batch."""

    n: int
    mismatches: int
    max_abs_diff: float
    off_grid_inputs: int
    keras_accuracy: float | None
    csim_accuracy: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass(kw_only=True)
class ConversionResult:
    """What :func:`convert` made: the folder, the types, the checks and the live hls4ml model."""

    out_dir: Path
    project_dir: Path
    plans: list[LayerPlan]
    bit_exact: BitExactReport | None
    timings: dict[str, float]
    hls_model: Any = field(repr=False)
    #: The canonical model both flows convert (:mod:`.canonical`) and what changed.
    model: Any = field(default=None, repr=False)
    notices: tuple[Notice, ...] = ()




def load_keras_file(path: Path) -> Any:
    """Load a saved QKeras model (``.h5`` or ``.keras``) without compiling it."""
    from fpgacnn.models._keras import custom_objects, keras

    if not path.is_file():
        raise UsageError(f"model file {str(path)!r} does not exist")
    try:
        return keras.models.load_model(str(path), custom_objects=custom_objects(), compile=False)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        custom = re.match(r"Unknown layer: '([^']+)'", first)
        if custom:
            raise UnsupportedLayerError(
                f"model file {str(path)!r} has a custom layer '{custom.group(1)}' (not a Keras "
                "or QKeras layer): fpgacnn converts Keras/QKeras layers only; replace it") from None
        raise UsageError(f"cannot read model file {str(path)!r}: expected a saved Keras model "
                         f"(.h5 or .keras), got {first}") from None


def versions() -> dict[str, str]:
    """Versions of the tools a conversion depends on."""
    from fpgacnn import __version__
    from fpgacnn.models._keras import keras, qkeras, tf

    from ._hls4ml_shim import hls4ml_version

    return {"fpgacnn": __version__, "hls4ml": hls4ml_version(), "tensorflow": tf.__version__,
            "tf_keras": keras.__version__, "qkeras": getattr(qkeras, "__version__", "unknown"),
            "numpy": np.__version__, "python": platform.python_version()}


def to_input_grid(x: np.ndarray, t: FixedType) -> tuple[np.ndarray, int]:
    """Return ``x`` rounded onto ``t``'s grid (clipped to its range) and how many values moved."""
    x = np.asarray(x, dtype=np.float64)
    q = np.clip(np.round(x / t.lsb) * t.lsb, t.min, t.max)
    return q, int(np.count_nonzero(q != x))


#: Samples per C-sim call of :func:`verify` (one progress line each).
VERIFY_CHUNK = 100


def verify(model: Any, hls_model: Any, x: np.ndarray, y: np.ndarray | None,
           input_type: FixedType, *, progress: Callable[[str], None] | None = None
           ) -> BitExactReport:
    """Compare QKeras and the C simulation on ``x`` (moved onto the input grid first).

    The C simulation runs :data:`VERIFY_CHUNK` samples at a time; ``progress`` gets
    a line after each (samples done, seconds, an estimate of what is left).
    """
    xq, moved = to_input_grid(x, input_type)
    if moved:
        log.warning("%d input values were not on the input grid %s and were rounded", moved,
                    input_type.hls())
    keras_out = np.asarray(model.predict(xq, batch_size=256, verbose=0), dtype=np.float64)
    parts = []
    t0 = time.perf_counter()
    for i in range(0, len(xq), VERIFY_CHUNK):
        parts.append(csim_predict(hls_model, xq[i:i + VERIFY_CHUNK], keras_out.shape[1:]))
        done = min(len(xq), i + VERIFY_CHUNK)
        if progress is not None and len(xq) > VERIFY_CHUNK:
            spent = time.perf_counter() - t0
            progress(f"C-sim check: {done} / {len(xq)} samples in {spent:.0f} s (about "
                     f"{spent / done * (len(xq) - done):.0f} s left)")
    csim_out = np.concatenate(parts) if parts else np.zeros((0, *keras_out.shape[1:]))
    diff = np.abs(keras_out - csim_out).reshape(len(xq), -1)
    mism = int(np.count_nonzero(diff.max(axis=1) > 0))
    acc_k = acc_c = None
    if y is not None:
        acc_k = float(np.mean(keras_out.reshape(len(xq), -1).argmax(1) == y))
        acc_c = float(np.mean(csim_out.reshape(len(xq), -1).argmax(1) == y))
    return BitExactReport(n=len(xq), mismatches=mism, max_abs_diff=float(diff.max(initial=0.0)),
                          off_grid_inputs=moved, keras_accuracy=acc_k, csim_accuracy=acc_c)


def _apply_overrides(plans: list[LayerPlan], cfg: ConvertConfig) -> list[LayerPlan]:
    names = {p.name for p in plans}
    for key in cfg.result_overrides:
        if key not in names:
            raise ConfigError(f"ConvertConfig.result_overrides names unknown layer {key!r}")
    out = []
    for p in plans:
        t = cfg.result_overrides.get(p.name)
        out.append(p if t is None else dataclasses.replace(p, result=t))
    return out


#: Layer names hls4ml reserves for itself.
_RESERVED_NAMES = ("input", "output")


def hls_view(model: Any) -> Any:
    """``model`` itself, or a weight-sharing-free clone whose input layer is renamed.

    hls4ml refuses a layer named ``input``, the name the model zoo gives its
    input; the clone (same layers, same weights) names it ``input_1`` instead.
    """
    from fpgacnn.models._keras import custom_objects, keras

    if model.layers[0].name not in _RESERVED_NAMES:
        return model
    inp = keras.Input(shape=model.input_shape[1:], name=model.layers[0].name + "_1")
    with keras.utils.custom_object_scope(custom_objects()):
        clone = keras.models.clone_model(model, input_tensors=inp)
    clone.set_weights(model.get_weights())
    return clone


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


#: Seconds between "still working" lines of a long step (:func:`heartbeat`).
HEARTBEAT_S = 60.0


@contextlib.contextmanager
def heartbeat(say: Callable[[str], None], what: str, every: float = HEARTBEAT_S
              ) -> Iterator[None]:
    """Say ``what`` is still running every ``every`` seconds until the block ends."""
    done = threading.Event()
    t0 = time.perf_counter()

    def beat() -> None:
        while not done.wait(every):
            say(f"... still {what} ({time.perf_counter() - t0:.0f} s)")

    thread = threading.Thread(target=beat, name="fpgacnn-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


#: Samples of the test data the C simulation is checked on by default (``verify_samples``).
DEFAULT_VERIFY_SAMPLES = 1000


def canonical_source(source: ModelSource, *, input_type: FixedType | None = None,
                     float_weights: FixedType | None = None
                     ) -> tuple[ModelSource, CanonicalModel]:
    """``source`` with its model in canonical form (:func:`.canonical.canonicalize`)."""
    extra = {} if float_weights is None else {"float_weights": float_weights}
    canon = canonicalize(source.model, input_type=input_type, **extra)
    if not canon.changed:
        return source, canon
    return ModelSource(**{**source.__dict__, "model": canon.model}), canon


def convert(source: ModelSource | Any, out_dir: Path, cfg: ConvertConfig | None = None, *,
            input_type: FixedType | None = None, float_weights: FixedType | None = None,
            verify_samples: int | None = None,
            progress: Callable[[str], None] | None = None) -> ConversionResult:
    """Convert a model into an hls4ml project under ``out_dir`` and prove it.

    ``source`` is a :class:`ModelSource`, or anything
    :func:`fpgacnn.hw.convert.sources.load_source` resolves: a zoo name (the
    shipped model, checked on its test split), a training output folder, a
    ``.h5``/``.keras`` file or a Keras model (checked on random on-grid inputs).
    The model is first put in canonical form (:mod:`.canonical`: inference no-ops
    dropped, a final softmax taken off, weights made explicit fixed-point); the
    notices are in the result, in ``conversion.json``, and ``model.h5`` is the
    canonical model (the ``reference`` backend then gives the same scores).
    ``input_type`` is the input's type for a model without an input quantizer;
    ``float_weights`` the type of a float Dense/Conv2D's weights (default
    :data:`.canonical.DEFAULT_FLOAT_WEIGHTS`).
    ``verify_samples`` caps the samples of the C-sim check (default
    :data:`DEFAULT_VERIFY_SAMPLES`; 0 skips it). ``progress`` receives one line
    per step (the CLI prints them).

    Raises :class:`UnsupportedLayerError` for layers/quantizers the flow cannot
    implement, :class:`RangeOverflowError` when calibration data exceed a
    layer's type, :class:`VerificationError` when the C simulation differs from
    QKeras on the test data. ``out_dir`` is created; an hls4ml project already
    in it is replaced. Writes ``model.h5``, ``convert_config.json``,
    ``conversion.json``, ``report.json``, ``hls4ml_prj/``, the AXI4-Stream top
    ``fcnn_axis_top.{h,cpp}`` and the Vitis HLS script ``synthesize.sh``.
    """
    cfg = cfg if cfg is not None else ConvertConfig()
    say = progress if progress is not None else (lambda line: log.info("%s", line))
    if not isinstance(source, ModelSource):
        from .sources import load_source

        source = load_source(source, input_type=input_type)
    out_dir = Path(out_dir).resolve()
    # never overwrite a folder fpgacnn did not write (checked before any work)
    check_replaceable(out_dir, lambda d: (d / CONVERSION_FILE).is_file(), "a conversion")
    original = source.model
    source, canon = canonical_source(source, input_type=input_type,
                                     float_weights=float_weights)
    for notice in canon.notices:
        say(f"note: {notice}")
    approx = None
    if canon.approximate:
        data = source.test_x if source.test_x is not None else source.calibration
        if data is None:
            raise UsageError(f"layers {', '.join(canon.approximate)} are rewritten "
                             "approximately (rounded onto fixed-point grids); give data "
                             "(--data) to measure the accuracy change")
        approx = {"layers": list(canon.approximate),
                  **accuracy_delta(original, canon.model, data, source.test_y)}
        say(f"approximate rewrite of {', '.join(canon.approximate)} (not bit-exact with the "
            f"original): {approx['label_changes']} of {approx['n']} labels change (accuracy "
            f"delta {approx['delta']:.2%})")
        if approx["delta"] > MAX_ACCURACY_DELTA:
            raise VerificationError(
                f"rounding {', '.join(canon.approximate)} onto fixed-point grids changes the "
                f"accuracy by {approx['delta']:.2%} on {approx['n']} samples (limit "
                f"{MAX_ACCURACY_DELTA:.0%}); use QConv2DBatchnorm, quantized_bits(alpha=1) "
                "weights or a wider --float-weights")
    model = hls_view(source.model)
    n_verify = DEFAULT_VERIFY_SAMPLES if verify_samples is None else int(verify_samples)
    if n_verify < 0:
        raise UsageError(f"--verify-samples: expected a count >= 0, got {n_verify}")
    timings: dict[str, float] = {}
    plans = _apply_overrides(plan_model(model), cfg)
    from .synth import axis_params, output_notice  # the AXI4-Stream top's limits, first

    axis_params({"input": {"shape": list(model.input_shape[1:])},
                 "output": {"shape": list(model.output_shape[1:]),
                            "type": plans[-1].result.to_dict()}})
    notices = canon.notices
    out_note = output_notice(tuple(model.output_shape[1:]), model.layers[-1].name)
    if out_note is not None:
        say(f"note: {out_note}")
        notices = (*notices, out_note)
    ranges = None
    if source.calibration is not None:
        ranges = observe_ranges(model, source.calibration)
        check_ranges(plans, ranges)
    out_dir.mkdir(parents=True, exist_ok=True)
    project_dir = out_dir / PROJECT_DIR
    if project_dir.exists():
        shutil.rmtree(project_dir)
    model_file = out_dir / MODEL_FILE
    if source.file is not None and source.file.suffix == ".h5" and not canon.changed:
        shutil.copyfile(source.file, model_file)
    else:
        source.model.save(str(model_file))
    _dump(out_dir / CONFIG_FILE, cfg.to_dict())

    say(f"planned {len(plans)} layers: " + ", ".join(
        f"{p.name} {p.result.hls()}" for p in plans[1:]))
    say("writing the hls4ml project")
    t0 = time.perf_counter()
    conf = hls_config(model, plans, cfg)
    with heartbeat(say, "writing the hls4ml project"):
        hls_model = build_project(model, conf, cfg, project_dir, plans=plans)
    timings["convert_s"] = time.perf_counter() - t0
    say(f"hls4ml project written in {time.perf_counter() - t0:.1f} s; compiling the C "
        "simulation (about a minute)")
    t0 = time.perf_counter()
    with heartbeat(say, "compiling the C simulation"):
        compile_csim(hls_model)
    timings["compile_s"] = time.perf_counter() - t0
    hls_types = audit_types(hls_model, plans)
    log.info("converted %s in %.1f s, compiled C-sim in %.1f s", source.name,
             timings["convert_s"], timings["compile_s"])

    report = None
    if source.test_x is not None and n_verify > 0:
        say(f"C simulation compiled in {timings['compile_s']:.1f} s; checking it against "
            f"QKeras on {min(n_verify, len(source.test_x))} samples")
        t0 = time.perf_counter()
        test_y = None if source.test_y is None else source.test_y[:n_verify]
        report = verify(model, hls_model, source.test_x[:n_verify], test_y, plans[0].result,
                        progress=say)
        timings["verify_s"] = time.perf_counter() - t0
    in_shape = [int(d) for d in model.input_shape[1:]]
    out_shape = [int(d) for d in model.output_shape[1:]]
    manifest = {
        "model": {"name": source.name, "file": MODEL_FILE, "sha256": sha256_file(model_file),
                  "source": str(source.file) if source.file else None},
        "versions": versions(),
        "config": cfg.to_dict(),
        "hls4ml_config": conf,
        "project": {"dir": PROJECT_DIR, "name": PROJECT_NAME, "top": PROJECT_NAME},
        "layers": [p.to_dict() for p in plans],
        "hls_types": hls_types,
        "input": {"shape": in_shape, "type": plans[0].result.to_dict(), "dtype": "float64"},
        "output": {"shape": out_shape, "type": plans[-1].result.to_dict()},
        "classes": list(source.classes),
        "notices": [n.to_dict() for n in notices],
        "approximate": approx,
    }
    _dump(out_dir / CONVERSION_FILE, manifest)
    _dump(out_dir / REPORT_FILE, {
        "model": source.name,
        "timings": timings,
        "calibration": None if ranges is None else {
            "n": int(len(source.calibration)), "ranges": [r.to_dict() for r in ranges]},
        "bit_exact": None if report is None else report.to_dict(),
    })
    from .synth import write_synthesis_script  # the AXI4-Stream top and the Vitis HLS script

    write_synthesis_script(out_dir)
    if report is not None and report.mismatches:
        raise VerificationError(
            f"C simulation differs from QKeras on {report.mismatches} of {report.n} samples "
            f"(max |diff| {report.max_abs_diff:g}); see {out_dir / REPORT_FILE}"
        )
    return ConversionResult(out_dir=out_dir, project_dir=project_dir, plans=plans,
                            bit_exact=report, timings=timings, hls_model=hls_model,
                            model=source.model, notices=notices)


def from_model(model: Any, *, name: str | None = None, classes: Sequence[str] | None = None,
               calibration: np.ndarray | None = None, test_x: np.ndarray | None = None,
               test_y: np.ndarray | None = None) -> ModelSource:
    """A :class:`ModelSource` for an in-memory model (classes default to ``"0".."K-1"``)."""
    n_out = int(np.prod(model.output_shape[1:]))
    return ModelSource(model=model, name=name or model.name,
                       classes=tuple(classes) if classes else tuple(str(i) for i in range(n_out)),
                       calibration=calibration, test_x=test_x, test_y=test_y)
