"""hls4ml project generation and C simulation (every call goes through the shim)."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.errors import ToolError, UnsupportedLayerError

from ._hls4ml_shim import keras2_for_hls4ml
from .config import ConvertConfig
from .fixed import FixedType
from .hls_threshold import register as register_threshold
from .hls_threshold import threshold_view
from .plan import LayerPlan, plan_model

log = logging.getLogger(__name__)

#: Name of the hls4ml project (and of its top function) inside a conversion folder.
PROJECT_NAME = "fcnn_classifier"


def hls_config(model: Any, plans: list[LayerPlan], cfg: ConvertConfig) -> dict[str, Any]:
    """Return hls4ml's per-layer config (``granularity='name'``), every type set from ``plans``.

    Threshold activations reach hls4ml as ``FcnnThreshold`` layers (:mod:`.hls_threshold`).
    """
    model = threshold_view(model, plans)
    with keras2_for_hls4ml() as hls4ml, contextlib.redirect_stdout(io.StringIO()) as out:
        register_threshold(hls4ml, cfg.backend.value)
        conf = hls4ml.utils.config_from_keras_model(model, granularity="name",
                                                    backend=cfg.backend.value)
    log.debug("hls4ml config_from_keras_model: %s", out.getvalue())
    conf["Model"]["Strategy"] = cfg.strategy.value
    conf["Model"]["ReuseFactor"] = cfg.reuse_factor
    layers = conf["LayerName"]
    for entry in layers.values():
        if "ReuseFactor" in entry:
            entry["ReuseFactor"] = cfg.reuse_factor
    for name in (*cfg.layer_strategy, *cfg.layer_reuse):
        if name not in layers:
            raise UnsupportedLayerError(f"hls4ml has no layer '{name}' to set a strategy or "
                                        f"reuse factor on (it has: {', '.join(layers)})")
    for name, strategy in cfg.layer_strategy.items():
        layers[name]["Strategy"] = strategy.value
    for name, reuse in cfg.layer_reuse.items():
        layers[name]["ReuseFactor"] = reuse
    names = {p.name for p in plans}
    for plan in plans:
        prec = layers.setdefault(plan.name, {}).setdefault("Precision", {})
        prec["result"] = plan.result.hls()
        for key in ("weight", "bias", "accum"):
            value = getattr(plan, key)
            if value is not None:
                prec[key] = value.hls()
        # hls4ml splits a layer's built-in (linear) activation into "<name>_linear"
        for extra, entry in layers.items():
            if extra not in names and extra.startswith(plan.name + "_"):
                entry.setdefault("Precision", {})["result"] = plan.result.hls()
    return conf


def _precision_key(p: Any) -> tuple[int, int, bool, str, str]:
    return (int(p.width), int(p.integer), bool(p.signed),
            getattr(p.rounding_mode, "name", str(p.rounding_mode)),
            getattr(p.saturation_mode, "name", str(p.saturation_mode)))


def _plan_key(t: FixedType) -> tuple[int, int, bool, str, str]:
    return (t.width, t.integer, t.signed, t.rounding.value, t.overflow.value)


def audit_types(hls_model: Any, plans: list[LayerPlan]) -> dict[str, str]:
    """Check every hls4ml layer output has the planned type; return ``{layer: type}``.

    Layers hls4ml inserts (e.g. zero padding for ``same`` convolutions) must
    keep their input's type. Any other type means hls4ml fell back to its
    default somewhere, which raises :class:`UnsupportedLayerError`.
    """
    by_name = {p.name: p for p in plans}
    found: dict[str, str] = {}
    for layer in hls_model.get_layers():
        prec = layer.get_output_variable().type.precision
        found[layer.name] = str(prec)
        plan = by_name.get(layer.name)
        if plan is not None:
            want = _plan_key(plan.result)
        else:
            inp = layer.get_input_variable()
            if inp is None:
                raise UnsupportedLayerError(f"hls4ml layer '{layer.name}' has no planned type")
            want = _precision_key(inp.type.precision)
        if _precision_key(prec) != want:
            raise UnsupportedLayerError(
                f"hls4ml layer '{layer.name}' ({layer.class_name}) got type {prec}, "
                f"expected {plan.result.hls() if plan else 'its input type'}"
            )
    return found


def build_project(model: Any, conf: dict[str, Any], cfg: ConvertConfig, project_dir: Path, *,
                  plans: list[LayerPlan] | None = None) -> Any:
    """Convert ``model`` with ``conf`` into an hls4ml project in ``project_dir``; write it.

    ``plans`` (default: planned again) supply the tables of threshold activations.
    """
    model = threshold_view(model, plans if plans is not None else plan_model(model))
    with keras2_for_hls4ml() as hls4ml, contextlib.redirect_stdout(io.StringIO()) as out:
        register_threshold(hls4ml, cfg.backend.value)
        hls_model = hls4ml.converters.convert_from_keras_model(
            model, hls_config=conf, output_dir=str(project_dir), project_name=PROJECT_NAME,
            backend=cfg.backend.value, io_type=cfg.io_type.value, part=cfg.part,
            clock_period=cfg.clock_period_ns,
        )
        hls_model.write()
    log.debug("hls4ml convert: %s", out.getvalue())
    return hls_model


def compile_csim(hls_model: Any) -> None:
    """Compile the C simulation library of ``hls_model`` and load it.

    A compiler failure raises :class:`~fpgacnn.spec.errors.ToolError` in one line naming
    the log (``compile.log`` in the project folder) that holds the compiler's output.
    """
    with keras2_for_hls4ml(), contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            hls_model.compile()
        except Exception as exc:  # hls4ml raises a bare Exception when build_lib.sh fails
            if "compile" not in str(exc):
                raise
            log_file = Path(hls_model.config.get_output_dir()) / "compile.log"
            log_file.write_text(out.getvalue())
            raise ToolError(f"the C++ compiler could not build hls4ml's C simulation "
                            f"({exc}); its output is in {log_file}") from None
    log.debug("hls4ml compile: %s", out.getvalue())


def link_project(project_dir: Path) -> Any:
    """Reopen an hls4ml project written earlier, ready for ``predict``.

    The C-sim library that :func:`compile_csim` built is loaded when there is
    exactly one in ``firmware/`` (hls4ml's linked model has no public way to
    load it, hence the private attribute); otherwise it is compiled again.
    """
    import ctypes

    with keras2_for_hls4ml() as hls4ml, contextlib.redirect_stdout(io.StringIO()):
        hls_model = hls4ml.converters.link_existing_project(str(project_dir))
        libs = sorted(Path(project_dir, "firmware").glob(f"{PROJECT_NAME}-*.so"))
        if len(libs) == 1:
            hls_model._top_function_lib = ctypes.cdll.LoadLibrary(str(libs[0]))
        else:
            hls_model.compile()
    return hls_model


def csim_predict(hls_model: Any, x: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Run the batch ``x`` through the C simulation; return outputs shaped ``(N, *out_shape)``."""
    with keras2_for_hls4ml():
        y = hls_model.predict(np.ascontiguousarray(x, dtype=np.float64))
    return np.asarray(y, dtype=np.float64).reshape((x.shape[0], *out_shape))
