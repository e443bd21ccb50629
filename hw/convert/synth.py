"""The Vitis HLS build of a conversion: AXI4-Stream top, synthesis script, and running it.

Writing the build files (:func:`write_synthesis_script`) is separate from
running the vendor tool (:func:`run_synthesis`), which needs ``vitis_hls`` on
PATH and refuses cleanly otherwise.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import numpy as np

from fpgacnn.spec.cores import LABEL_BITS, ClassifierOutputLayout
from fpgacnn.spec.errors import ArtifactError, ToolError, ToolNotFoundError, UnsupportedError

from .canonical import Notice
from .convert import CONVERSION_FILE

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Static files copied into every conversion folder.
STATIC_FILES = ("fcnn_axis_top.h", "fcnn_axis_top.cpp", "axis_top.tcl", "synthesize.sh")
PARAMS_FILE = "fcnn_axis_params.h"
SCRIPT = "synthesize.sh"


def axis_params(manifest: dict) -> dict[str, int]:
    """The sizes the AXI4-Stream top needs: pixels per image, channels, scores.

    An (H, W, C) input streams pixel by pixel; an (N,) vector (a dense-only model)
    is one 1x1xN pixel, one beat. The output is flat class scores, or a feature map
    whose H*W*C elements are the scores, flattened in Keras (H, W, C) order
    (:func:`output_notice`). At most ``2**LABEL_BITS`` scores: the beat's label indexes
    them. ``AP_INT_MAX_W`` (``ap_int``'s widest type, 1,024 bits unless defined)
    covers the output beat.
    """
    in_shape = list(manifest["input"]["shape"])
    out_shape = [int(d) for d in manifest["output"]["shape"]]
    if len(in_shape) == 1:
        in_shape = [1, 1, in_shape[0]]
    if len(in_shape) != 3 or len(out_shape) not in (1, 3):
        raise UnsupportedError(
            f"the AXI4-Stream top needs an (H, W, C) or (N,) input and an (N,) or (H, W, C) "
            f"output, got {tuple(manifest['input']['shape'])} -> {tuple(out_shape)}")
    n = int(np.prod(out_shape))
    if n > 1 << LABEL_BITS:
        what = "classes" if len(out_shape) == 1 else f"scores (the {tuple(out_shape)} output)"
        raise UnsupportedError(f"the AXI4-Stream top carries a {LABEL_BITS}-bit label: at most "
                               f"{1 << LABEL_BITS} scores, got {n} {what}")
    out_bits = ClassifierOutputLayout(n_classes=n, score_bits=int(
        manifest["output"]["type"]["width"])).tdata_bits
    return {"FCNN_N_PIXELS": in_shape[0] * in_shape[1], "FCNN_IN_CHANNELS": in_shape[2],
            "FCNN_N_CLASSES": n, "AP_INT_MAX_W": max(1024, -(-out_bits // 1024) * 1024)}


def output_notice(out_shape: tuple[int, ...], layer: str) -> Notice | None:
    """The note that a feature-map output ``out_shape`` leaves as flat scores (None if flat)."""
    if len(out_shape) < 2:
        return None
    n = int(np.prod(out_shape))
    return Notice(layer=layer, kind="feature_map_output",
                  text=f"the output is a {tuple(out_shape)} feature map: it streams out "
                       f"flattened in Keras (H, W, C) order as {n} scores; the label (arg-max) "
                       "is the index of its largest element")


def write_synthesis_script(conv_dir: Path) -> Path:
    """Write the AXI4-Stream top and the Vitis HLS scripts into ``conv_dir``; return the script."""
    conv_dir = Path(conv_dir)
    manifest = json.loads((conv_dir / CONVERSION_FILE).read_text())
    params = axis_params(manifest)
    lines = ["// Sizes of this model for fcnn_axis_top (written by fpgacnn convert).",
             "#ifndef FCNN_AXIS_PARAMS_H_", "#define FCNN_AXIS_PARAMS_H_"]
    lines += [f"#define {k} {v}" for k, v in params.items()]
    lines += ["#endif", ""]
    (conv_dir / PARAMS_FILE).write_text("\n".join(lines))
    for name in STATIC_FILES:
        shutil.copyfile(TEMPLATES / name, conv_dir / name)
    (conv_dir / SCRIPT).chmod(0o755)
    return conv_dir / SCRIPT


def vitis_hls_path() -> str | None:
    """Where ``vitis_hls`` is, or None when it is not on PATH."""
    return shutil.which("vitis_hls")


def run_synthesis(conv_dir: Path) -> Path:
    """Run ``synthesize.sh`` (C synthesis + IP export); return the exported IP folder.

    Raises :class:`ToolNotFoundError` when ``vitis_hls`` is not on PATH and
    :class:`ToolError` when the tool fails (its log is in the project).
    """
    conv_dir = Path(conv_dir).resolve()
    script = conv_dir / SCRIPT
    if not script.is_file():
        raise ArtifactError(f"'{conv_dir}' has no {SCRIPT}; run fpgacnn convert first")
    if vitis_hls_path() is None:
        raise ToolNotFoundError(
            f"vitis_hls is not on PATH: nothing was synthesized; the project and {SCRIPT} are "
            f"in {conv_dir} (source <Vitis>/settings64.sh, then run {script})")
    log.info("running %s", script)
    proc = subprocess.run([str(script)], cwd=conv_dir, capture_output=True, text=True)
    (conv_dir / "synthesize.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise ToolError(f"{SCRIPT} failed with exit code {proc.returncode}; see "
                              f"{conv_dir / 'synthesize.log'}")
    return conv_dir / "hls4ml_prj" / "fcnn_classifier_axis_prj" / "solution1" / "impl" / "ip"
