"""Build a *simulation* deployment package (no bitstream) from a model and edge parameters.

What :class:`~fpgacnn.sw.pipeline.Pipeline` and ``fpgacnn stream`` use when there is
no board package: the edge core's HDL parameters (``rtl``), the QKeras model
(``reference``) and, unless ``csim=False``, an ``fpgacnn convert`` folder with the
compiled hls4ml C simulation (``csim``) and the generated open-RTL classifier core
(``csim/rtl``, the ``rtl`` backend's classifier). Building imports TensorFlow and hls4ml (the
``[models]``/``[hw]`` extras); loading the result does not.

The package records the frame path of the board it stands for, with the board build's
options and defaults (``fpgacnn build --edge-input/--classifier-input``): ``edge_input``
``color`` (the edge core's ``stream_in_bits`` is 24 * PPC: colour frames reach it through
``fcnn_rgb2gray``) or ``gray``; ``classifier_input`` ``fabric`` (the classifier core's
``params["input"]``, :data:`fpgacnn.spec.crop_scale.CLASSIFIER_INPUT_PARAM`: the crop
block cuts its input from the frame stream) or ``host``. The ``rtl`` backend simulates
what the package names (:mod:`fpgacnn.sim.engine`); the reference and csim backends
compute both on the host in numpy, bit for bit the same.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from fpgacnn.spec.cores import classifier_core_spec, edge_core_spec
from fpgacnn.spec.crop_scale import (
    CLASSIFIER_INPUT_PARAM,
    FABRIC_INPUT,
    crops_in_fabric,
    hdl_parameters,
)
from fpgacnn.spec.errors import ConfigError, UsageError
from fpgacnn.spec.frames import CropRule
from fpgacnn.spec.outputs import staged_output
from fpgacnn.spec.package import (
    CoreKind,
    ModelSpec,
    Package,
    PackageError,
    is_package_dir,
    load_package,
    write_package,
)
from fpgacnn.spec.package_check import check_package
from fpgacnn.spec.paths import default_output

log = logging.getLogger(__name__)

#: Clock the simulation packages assume for cycle -> time conversion (PYNQ-Z2 PL clock).
DEFAULT_CLOCK_HZ = 100_000_000
KERAS_FILE = "model/model.h5"
CARD_FILE = "model/model.json"
CSIM_DIR = "csim"
#: ``edge_input`` choices (the board build's ``--edge-input``); the first is the default.
EDGE_INPUTS = ("color", "gray")
#: ``classifier_input`` choices (the board build's ``--classifier-input``); first: default.
CLASSIFIER_INPUTS = (FABRIC_INPUT, "host")


def build_sim_package(
    out_dir: Path,
    *,
    model: str | Path = "digits",
    ppc: int = 4,
    max_width: int = 640,
    max_height: int = 480,
    clock_hz: int = DEFAULT_CLOCK_HZ,
    crop: CropRule | None = None,
    csim: bool = True,
    edge_input: str = EDGE_INPUTS[0],
    classifier_input: str = CLASSIFIER_INPUTS[0],
) -> Package:
    """Write a simulation package for ``model`` (zoo name or saved-model folder) to ``out_dir``.

    ``out_dir`` must not exist or be empty or hold an earlier package written by fpgacnn
    (which is replaced only once the new one is complete; anything else is refused with
    :class:`~fpgacnn.spec.errors.UsageError` before any work). The classifier input is
    cut by ``crop`` (default: :class:`CropRule` defaults, the centred square of the frame).
    ``edge_input`` and ``classifier_input``: the frame path (module docstring); a model
    whose input the crop block cannot make with ``classifier_input="fabric"`` is refused
    with :class:`~fpgacnn.spec.errors.UsageError` naming ``host``.
    """
    if edge_input not in EDGE_INPUTS:
        raise UsageError(f"edge_input must be one of {list(EDGE_INPUTS)}, got {edge_input!r}")
    if classifier_input not in CLASSIFIER_INPUTS:
        raise UsageError(f"classifier_input must be one of {list(CLASSIFIER_INPUTS)}, got "
                         f"{classifier_input!r}")
    with staged_output(Path(out_dir), is_ours=is_package_dir, what="a package") as tmp:
        pkg = _write_sim_package(model, tmp, ppc=ppc, max_width=max_width,
                                 max_height=max_height, clock_hz=clock_hz, crop=crop, csim=csim,
                                 color=edge_input == "color",
                                 fabric=classifier_input == FABRIC_INPUT)
    log.info("built simulation package %s (build %s)", out_dir, pkg.build_id)
    return load_package(out_dir)


def _write_sim_package(model: str, out_dir: Path, *, ppc: int, max_width: int,
                       max_height: int, clock_hz: int, crop: CropRule | None,
                       csim: bool, color: bool, fabric: bool) -> Package:
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.models.artifacts import CARD_FILE as ZOO_CARD
    from fpgacnn.models.artifacts import MODEL_FILE, load_run

    crop = crop or CropRule()
    saved = load_run(model)
    (out_dir / "model").mkdir()
    shutil.copyfile(saved.directory / MODEL_FILE, out_dir / KERAS_FILE)
    shutil.copyfile(saved.directory / ZOO_CARD, out_dir / CARD_FILE)
    files = {"keras": KERAS_FILE, "card": CARD_FILE}
    if csim:
        from fpgacnn.hw.convert.convert import convert
        from fpgacnn.hw.convert.rtl import add_rtl

        result = convert(model, out_dir / CSIM_DIR)
        out_type = result.plans[-1].result
        files["csim"] = CSIM_DIR
        # The open-RTL classifier core beside the C-sim (the rtl backend's classifier).
        record = add_rtl(out_dir / CSIM_DIR, saved.model, name=saved.entry.name)
        if "error" not in record:
            files["rtl"] = f"{CSIM_DIR}/rtl"
    else:
        out_type = plan_model(saved.model)[-1].result
    spec = saved.input_spec
    if fabric:
        try:
            hdl_parameters(crop, spec, in_channels=3 if color else 1, max_width=max_width,
                           max_height=max_height, ppc=ppc)
        except ConfigError as exc:
            raise UsageError(f"classifier_input fabric (the default): {exc}; use "
                             f"classifier_input 'host' (--classifier-input host) to crop on "
                             f"the host") from None
    classes = tuple(str(c) for c in saved.card["classes"])
    model_spec = ModelSpec(
        name=saved.entry.name, input_shape=spec.shape, classes=classes,
        preprocessing={**crop.to_dict(), "input": spec.to_dict()},
        scores={"bits": out_type.width, "fraction": out_type.fraction,
                "signed": out_type.signed},
        files=files,
    )
    cores = [
        edge_core_spec(ppc=ppc, max_width=max_width, max_height=max_height, color=color),
        classifier_core_spec(input_shape=spec.shape, score_bits=out_type.width,
                             n_classes=len(classes), params={
                                 CLASSIFIER_INPUT_PARAM: FABRIC_INPUT if fabric else "host"}),
    ]
    return write_package(out_dir, cores=cores, model=model_spec, clock_hz=clock_hz)


def default_package_dir() -> Path:
    """Where the default simulation package lives: ``packages/digits_sim`` under
    :func:`~fpgacnn.spec.paths.output_root` (``./build``, or ``$FPGACNN_BUILD`` when set)."""
    return default_output("packages", "digits_sim")


def default_package(*, rebuild: bool = False) -> Package:
    """The default simulation package (shipped ``digits``, PPC 4, 640x480, the default frame
    path: colour edge input, classifier input cut in the fabric), built on first use."""
    out_dir = default_package_dir()
    if not rebuild:
        try:
            pkg = load_package(out_dir)
            check_package(pkg)  # a package of an older fpgacnn is rebuilt, not refused later
            edge = pkg.core(CoreKind.EDGE)
            if edge is not None and edge.stream_in_bits == 24 * edge.ppc and \
                    crops_in_fabric(pkg):
                return pkg
            log.info("(re)building %s: it was built for another frame path", out_dir)
        except PackageError as exc:
            log.info("(re)building %s: %s", out_dir, exc)
    return build_sim_package(out_dir)
