"""The inputs of a board build: the edge core's RTL and the classifier of one model.

The edge core is always packaged from ``hw/rtl``: its AXI DMA wrapper
``fcnn_edge_dma`` (the top) and the modules it instantiates. The classifier
comes from the model's firmware folder ``hw/build/<model>/`` written by
``fpgacnn convert`` (``conversion.json``, the hls4ml project and the AXI4-Stream
top) and, for the RTL flow, from ``rtl/filelist.f`` written by the open RTL
backend.

``rtl/filelist.f`` format: one HDL file per line, relative to the filelist's
folder (or absolute); blank lines and lines starting with ``//`` or ``#`` are
ignored, except a ``// top: <module>`` line naming the top module (default
``fcnn_classifier``) and ``// mem: <path>`` lines naming the weight memories the
core reads with ``$readmemh`` (added to the classifier's files, so they are copied
into the tree and added to the Vivado project, where synthesis finds them by name).
Other ``+``/``-`` options are not supported.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpgacnn.spec.cores import ClassifierOutputLayout
from fpgacnn.spec.errors import ArtifactError
from fpgacnn.spec.filelist import read_filelist as read_hdl_filelist
from fpgacnn.spec.paths import default_output

from .config import CoreFlow

#: The edge IP's top (the edge core framed for an AXI DMA, hw/rtl/fcnn_edge_dma.sv); its
#: files come from its list hw/rtl/fcnn_edge_dma.f.
EDGE_TOP = "fcnn_edge_dma"
#: The colour-to-gray block of the colour frame path (hw/rtl/fcnn_rgb2gray.sv, its list
#: hw/rtl/fcnn_rgb2gray.f), packaged as its own IP between the edge DMA and the edge IP.
RGB2GRAY_TOP = "fcnn_rgb2gray"
#: The fabric classifier input (build option ``classifier_input`` fabric): the broadcast of
#: the edge DMA's stream (hw/rtl/fcnn_axis_broadcast.sv) and the crop block behind DMA
#: framing (hw/rtl/fcnn_crop_scale_dma.sv), each packaged as its own IP.
BROADCAST_TOP = "fcnn_axis_broadcast"
CROP_TOP = "fcnn_crop_scale_dma"
#: Relative path of the RTL classifier's file list inside a model folder.
RTL_FILELIST = Path("rtl") / "filelist.f"
DEFAULT_RTL_TOP = "fcnn_classifier"
#: The record of a conversion (``fpgacnn convert``): its presence makes a folder one.
CONVERSION_FILE = "conversion.json"
#: Files of a conversion folder the HLS flow copies into the build tree.
HLS_FILES = ("conversion.json", "fcnn_axis_top.h", "fcnn_axis_top.cpp", "fcnn_axis_params.h")
#: The model card a saved model carries (fpgacnn.models.artifacts.CARD_FILE).
CARD_FILE = "model.json"
#: Build products of a conversion's C simulation, not sources: never copied or hashed.
BUILD_PRODUCT_SUFFIXES = (".so", ".o", ".dylib", ".dll")


class BuildInputError(ArtifactError):
    """A missing or inconsistent input of the board build."""


def _bytes_bits(bits: int) -> int:
    return -(-bits // 8) * 8


@dataclass(frozen=True, kw_only=True)
class ClassifierSources:
    """What the build needs to know about the model's classifier core."""

    model: str
    model_dir: Path
    flow: CoreFlow
    manifest: dict[str, Any]
    input_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    in_elem_bits: int
    score_bits: int
    score_fraction: int
    score_signed: bool
    card: Path | None = None
    rtl_files: tuple[Path, ...] = ()
    rtl_top: str = DEFAULT_RTL_TOP

    @property
    def stream_in_bits(self) -> int:
        """TDATA width of the core's input: all channels of one pixel, whole bytes."""
        return _bytes_bits(self.input_shape[2] * self.in_elem_bits)

    @property
    def stream_out_bits(self) -> int:
        """TDATA width of the core's output (spec.cores.ClassifierOutputLayout: scores,
        label, status byte, whole bytes)."""
        return ClassifierOutputLayout(n_classes=len(self.classes),
                                      score_bits=self.score_bits).tdata_bits

    @property
    def hls_project_dir(self) -> Path:
        """The hls4ml project folder of the conversion."""
        return self.model_dir / self.manifest["project"]["dir"]

    def firmware_files(self) -> list[Path]:
        """The hls4ml firmware sources (``<project>/firmware/**``, no build products), sorted."""
        fw = self.hls_project_dir / "firmware"
        return sorted(p for p in fw.rglob("*")
                      if p.is_file() and p.suffix not in BUILD_PRODUCT_SUFFIXES)


def tree_paths(files: tuple[Path, ...] | list[Path], prefix: str) -> tuple[str, ...]:
    """Tree-relative paths of ``files`` under ``prefix``, keeping their relative layout.

    Each file keeps its path relative to the deepest folder that holds all of them,
    so two kernels' same-named helpers (``kernels/a/src/binop.v``,
    ``kernels/b/src/binop.v``) stay two files instead of collapsing into one. The
    paths are distinct because the resolved files are.
    """
    paths = [Path(f).resolve() for f in files]
    if not paths:
        return ()
    root = Path(os.path.commonpath([p.parent for p in paths]))
    return tuple(f"{prefix}/{p.relative_to(root).as_posix()}" for p in paths)


def edge_sources() -> list[Path]:
    """The edge IP's HDL files in compile order, from ``hw/rtl/fcnn_edge_dma.f``."""
    from fpgacnn.hw import rtl_sources

    try:
        return rtl_sources(EDGE_TOP)
    except ArtifactError as exc:
        raise BuildInputError(f"edge core sources: {exc}") from exc


def rgb2gray_sources() -> list[Path]:
    """The colour-to-gray block's HDL files in compile order (``hw/rtl/fcnn_rgb2gray.f``)."""
    from fpgacnn.hw import rtl_sources

    try:
        return rtl_sources(RGB2GRAY_TOP)
    except ArtifactError as exc:
        raise BuildInputError(f"colour-to-gray block sources: {exc}") from exc


def frame_path_sources() -> tuple[list[Path], list[Path]]:
    """The broadcast's and the crop block's HDL files in compile order (their ``.f`` lists)."""
    from fpgacnn.hw import rtl_sources

    try:
        return rtl_sources(BROADCAST_TOP), rtl_sources(CROP_TOP)
    except ArtifactError as exc:
        raise BuildInputError(f"frame path sources: {exc}") from exc


def model_dir_for(model: str, hw_build_dir: Path | None = None) -> Path:
    """A model's firmware folder: ``model`` itself when it is a folder, else the default
    output of ``fpgacnn convert MODEL`` (``build/convert/<model>``)."""
    p = Path(model)
    if p.is_dir():
        return p.resolve()
    return default_output("convert", model) if hw_build_dir is None else Path(hw_build_dir) / model


def read_filelist(path: Path) -> tuple[list[Path], str]:
    """Parse a ``filelist.f`` (format in the module docstring); return (files, top)."""
    top = DEFAULT_RTL_TOP
    mems: list[Path] = []
    for raw in Path(path).read_text().splitlines():
        m = re.fullmatch(r"//\s*top:\s*([A-Za-z_][A-Za-z0-9_$]*)", raw.strip())
        if m:
            top = m.group(1)
        m = re.fullmatch(r"//\s*mem:\s*(\S+)", raw.strip())
        if m:
            mem = (Path(path).parent / m.group(1)).resolve()
            if not mem.is_file():
                raise BuildInputError(f"{path}: weight memory {m.group(1)} does not exist")
            mems.append(mem)
    try:
        files = read_hdl_filelist(path)
    except ArtifactError as exc:
        raise BuildInputError(str(exc)) from exc
    if not files:
        raise BuildInputError(f"{path}: lists no HDL files")
    return files + mems, top


def find_card(model: str, model_dir: Path, manifest: dict[str, Any]) -> Path:
    """The model card (``model.json``: input spec, classes) of a conversion.

    Looked for beside the conversion, then beside the model file it was
    converted from (the zoo folder or training run).
    """
    candidates = [model_dir / CARD_FILE]
    source = (manifest.get("model") or {}).get("source")
    if source:
        candidates.append(Path(source).parent / CARD_FILE)
    for c in candidates:
        if c.is_file():
            return c
    raise BuildInputError(f"no model card of model '{model}' (the package needs its input "
                      f"spec): looked for {' and '.join(str(c) for c in candidates)}")


def classifier_sources(model: str, model_dir: Path, flow: CoreFlow) -> ClassifierSources:
    """Check and read the classifier inputs of ``model`` in ``model_dir`` for ``flow``."""
    model_dir = Path(model_dir)
    manifest_path = model_dir / CONVERSION_FILE
    if not manifest_path.is_file():
        raise BuildInputError(f"no conversion of model '{model}': {manifest_path} is missing "
                          f"(run: fpgacnn convert {model} --out {model_dir})")
    try:
        man = json.loads(manifest_path.read_text())
        in_shape = tuple(int(d) for d in man["input"]["shape"])
        out_shape = tuple(int(d) for d in man["output"]["shape"])
        in_type, out_type = man["input"]["type"], man["output"]["type"]
        classes = tuple(str(c) for c in man["classes"])
        man["project"]["dir"]
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise BuildInputError(f"{manifest_path}: not a conversion manifest ({exc!r})") from None
    # a feature-map output (H, W, C) leaves flattened: its H*W*C elements are the scores
    if len(in_shape) != 3 or len(out_shape) not in (1, 3) or math.prod(out_shape) != len(classes):
        raise BuildInputError(f"{manifest_path}: the classifier core needs an (H, W, C) input and "
                          f"one score per class, got {in_shape} -> {out_shape} with "
                          f"{len(classes)} classes")
    card = find_card(model, model_dir, man)
    rtl_files: tuple[Path, ...] = ()
    rtl_top = DEFAULT_RTL_TOP
    if flow is CoreFlow.RTL:
        filelist = model_dir / RTL_FILELIST
        if not filelist.is_file():
            raise BuildInputError(
                f"the RTL flow needs {filelist}, the classifier's file list written by the "
                f"open RTL backend (run: fpgacnn convert {model} --out {model_dir}, without "
                f"--no-rtl); or build with --core-flow hls")
        files, rtl_top = read_filelist(filelist)
        rtl_files = tuple(files)
    else:
        for name in HLS_FILES:
            if not (model_dir / name).is_file():
                raise BuildInputError(f"{model_dir / name} is missing: the conversion is "
                                  f"incomplete (run: fpgacnn convert {model} --out {model_dir})")
        if not (model_dir / man["project"]["dir"] / "firmware").is_dir():
            raise BuildInputError(f"{model_dir / man['project']['dir'] / 'firmware'} is missing: "
                              f"the conversion is incomplete (run: fpgacnn convert {model} "
                              f"--out {model_dir})")
    return ClassifierSources(
        model=man.get("model", {}).get("name", model), model_dir=model_dir, flow=flow,
        manifest=man, input_shape=in_shape, classes=classes,  # type: ignore[arg-type]
        in_elem_bits=int(in_type["width"]), score_bits=int(out_type["width"]),
        score_fraction=int(out_type["width"]) - int(out_type["integer"]),
        score_signed=bool(out_type["signed"]), card=card, rtl_files=rtl_files,
        rtl_top=rtl_top,
    )
