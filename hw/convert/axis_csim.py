"""C simulation of the AXI4-Stream top (``fcnn_axis_top``) with g++, no Vitis needed.

Builds the harness ``templates/fcnn_axis_tb.cpp`` against the hls4ml
project's firmware and ``ap_types`` and streams images through the wrapper
beat by beat, so the packing of pixels into TDATA, the score/label/status
layout of the output beat (:class:`fpgacnn.spec.cores.ClassifierOutputLayout`)
and TLAST are checked against QKeras, not just the network.
:func:`run_axis_csim_beats` streams raw beats with any TLAST pattern, to check
the top's framing against :mod:`fpgacnn.spec.cnn_framing`.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgacnn.spec.errors import ToolError

from .convert import CONVERSION_FILE
from .fixed import FixedType
from .synth import TEMPLATES

log = logging.getLogger(__name__)

HARNESS = "fcnn_axis_tb"


@dataclass(frozen=True, kw_only=True)
class AxisOutput:
    """Decoded output beats: scores ``(N, K)`` as values (K the output's elements, a
    feature map flattened in (H, W, C) order), labels, status bytes
    (:class:`~fpgacnn.spec.cores.ClassifierStatus`) and TLAST ``(N,)``."""

    scores: np.ndarray
    labels: np.ndarray
    status: np.ndarray
    last: np.ndarray


def build_axis_csim(conv_dir: Path) -> Path:
    """Compile the AXI4-Stream harness for the conversion in ``conv_dir``; return the binary."""
    conv_dir = Path(conv_dir).resolve()
    manifest = json.loads((conv_dir / CONVERSION_FILE).read_text())
    prj = conv_dir / manifest["project"]["dir"]
    fw = prj / "firmware"
    build = conv_dir / "axis_csim"
    build.mkdir(exist_ok=True)
    shutil.copyfile(TEMPLATES / f"{HARNESS}.cpp", build / f"{HARNESS}.cpp")
    exe = build / HARNESS
    cmd = ["g++", "-O1", "-std=c++14", f"-I{fw}", f"-I{fw / 'ap_types'}", f"-I{conv_dir}",
           f'-DWEIGHTS_DIR="{fw / "weights"}"', str(fw / f"{manifest['project']['name']}.cpp"),
           str(conv_dir / "fcnn_axis_top.cpp"), str(build / f"{HARNESS}.cpp"), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"compiling the AXI4-Stream harness failed:\n{proc.stderr[-2000:]}")
    return exe


def _run(conv_dir: Path, exe: Path, codes: np.ndarray, args: list[str],
         last: np.ndarray | None = None) -> AxisOutput:
    manifest = json.loads((Path(conv_dir) / CONVERSION_FILE).read_text())
    t_in = FixedType.from_dict(manifest["input"]["type"])
    t_out = FixedType.from_dict(manifest["output"]["type"])
    codes = codes & ((1 << t_in.width) - 1)  # two's complement bits of the input type
    k = int(np.prod(manifest["output"]["shape"]))  # a feature map: flattened (H, W, C)
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout, flast = Path(tmp) / "in.bin", Path(tmp) / "out.bin", Path(tmp) / "last.bin"
        codes.astype(np.uint32).tofile(fin)
        extra = []
        if last is not None:
            np.asarray(last, dtype=np.uint8).tofile(flast)
            extra = [str(flast)]
        proc = subprocess.run([str(exe), *args, str(fin), str(fout), *extra],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ToolError(f"AXI4-Stream harness failed: {proc.stderr.strip()}")
        rec = np.fromfile(fout, dtype=np.int64).reshape(-1, k + 3)
    raw = rec[:, :k]
    if t_out.signed:
        raw = np.where(raw >= 1 << (t_out.width - 1), raw - (1 << t_out.width), raw)
    return AxisOutput(scores=raw * t_out.lsb, labels=rec[:, k], status=rec[:, k + 1],
                      last=rec[:, k + 2])


def _codes(conv_dir: Path, x: np.ndarray) -> np.ndarray:
    manifest = json.loads((Path(conv_dir) / CONVERSION_FILE).read_text())
    t_in = FixedType.from_dict(manifest["input"]["type"])
    return np.round(np.asarray(x, np.float64) / t_in.lsb).astype(np.int64)


def run_axis_csim(conv_dir: Path, exe: Path, x: np.ndarray) -> AxisOutput:
    """Stream the batch ``x`` (model input values on the input grid) through ``fcnn_axis_top``."""
    return _run(conv_dir, exe, _codes(conv_dir, x), [str(len(x))])


def run_axis_csim_beats(conv_dir: Path, exe: Path, pixels: np.ndarray,
                        last: np.ndarray) -> AxisOutput:
    """Stream beats ``pixels`` (B, C) (input values on the grid) with TLAST flags ``last``
    (B,) through ``fcnn_axis_top`` as one stream; one output row per image it framed.

    The last beat must carry TLAST (the top reads until it frames an image or ends a drop).
    """
    return _run(conv_dir, exe, _codes(conv_dir, pixels), [f"-{len(pixels)}"], last)
