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

from fpgacnn.spec.errors import ArtifactError, ToolError, ToolNotFoundError, UnsupportedError

from .convert import CONVERSION_FILE

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Static files copied into every conversion folder.
STATIC_FILES = ("fcnn_axis_top.h", "fcnn_axis_top.cpp", "axis_top.tcl", "synthesize.sh")
PARAMS_FILE = "fcnn_axis_params.h"
SCRIPT = "synthesize.sh"


def axis_params(manifest: dict) -> dict[str, int]:
    """The sizes the AXI4-Stream top needs: pixels per image, channels, classes.

    An (H, W, C) input streams pixel by pixel; an (N,) vector (a dense-only model)
    is one 1x1xN pixel, one beat.
    """
    in_shape = list(manifest["input"]["shape"])
    out_shape = manifest["output"]["shape"]
    if len(in_shape) == 1:
        in_shape = [1, 1, in_shape[0]]
    if len(in_shape) != 3 or len(out_shape) != 1:
        raise UnsupportedError(
            f"the AXI4-Stream top needs an (H, W, C) or (N,) input and a flat output (class "
            f"scores), got {tuple(manifest['input']['shape'])} -> {tuple(out_shape)}")
    if out_shape[0] > 256:
        raise UnsupportedError(f"the AXI4-Stream top carries an 8-bit label, got "
                              f"{out_shape[0]} classes")
    return {"FCNN_N_PIXELS": in_shape[0] * in_shape[1], "FCNN_IN_CHANNELS": in_shape[2],
            "FCNN_N_CLASSES": out_shape[0]}


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
