"""A board build as a list of named steps ``step(state, cfg) -> state``.

:data:`GENERATE_STEPS` write a self-contained tree into ``cfg.out_dir``
without any vendor tool::

    build_config.json  (the build's inputs: :class:`~fpgacnn.boards.config.BuildConfig`)
    build.sh
    scripts/  build.tcl project.tcl package_<core>.tcl block_design.tcl
              implement.tcl export.tcl  [hls_ip.tcl: Vitis HLS, hls flow]
    constraints/fcnn.xdc
    src/edge/*.sv  src/build_id/*.sv  src/rgb2gray/*.sv (colour edge input)
    src/classifier/* (rtl flow) | src/hls/ (hls flow: the conversion)
    package/   model/model.h5  model/model.json   (+ bitstream, .hwh, manifest.json)
    fcnn_<board>.ipynb  (beside the package: opens it with Pipeline.open, backend "pynq")

:data:`RUN_STEPS` run Vitis HLS (hls flow) and Vivado in batch mode (Vivado writes
``reports/summary.txt`` with the hardware id it built), then finalize the deployment
package: its ``manifest.json`` (cores, model, addresses, the hardware id and where the
build-id block reports it, sha256 of every file, build id) is the build's one record
of its outputs (:mod:`fpgacnn.boards.finalize`). Nothing else restates those facts.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from fpgacnn.spec.build_id import BUILD_ID_MAP, BUILD_ID_TOP, BUILD_ID_VLNV
from fpgacnn.spec.cores import CROP_MAP, EDGE_MAP, Access, RegisterMap
from fpgacnn.spec.errors import ToolError, ToolNotFoundError
from fpgacnn.spec.outputs import check_creatable, check_replaceable

from .board import Board, load_board
from .config import CONFIG_FILE, BuildConfig, ClassifierInput, CoreFlow, EdgeInput
from .design import (
    BROADCAST_CELL,
    BROADCAST_VLNV,
    CROP_CELL,
    CROP_VLNV,
    DMA_LENGTH_BITS,
    EDGE_VLNV,
    INTC_CELL,
    RGB2GRAY_VLNV,
    Design,
    hardware_id,
    plan,
)
from .finalize import PACKAGE_DIR, finalize_package
from .sources import (
    BROADCAST_TOP,
    CROP_TOP,
    EDGE_TOP,
    RGB2GRAY_TOP,
    BuildInputError,
    ClassifierSources,
    classifier_sources,
    edge_sources,
    frame_path_sources,
    rgb2gray_sources,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class BuildError(ToolError):
    """A board build that cannot proceed (its message says why and what to do)."""


@dataclass(kw_only=True)
class BuildState:
    """What the steps have produced so far."""

    board: Board | None = None
    edge: list[Path] = field(default_factory=list)
    build_id: list[Path] = field(default_factory=list)
    rgb2gray: list[Path] = field(default_factory=list)  # colour edge input only
    #: the broadcast's and the crop block's sources (classifier_input fabric only)
    frame_path: tuple[list[Path], list[Path]] = ([], [])
    classifier: ClassifierSources | None = None
    design: Design | None = None
    written: list[Path] = field(default_factory=list)  # files of the tree, in write order
    ran: list[str] = field(default_factory=list)  # tools that ran
    package_dir: Path | None = None


Step = Callable[[BuildState, BuildConfig], BuildState]


# --- rendering ---------------------------------------------------------------

def _tclid(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def _mhz(value: float) -> str:
    return f"{value:g}"


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: ``template_dir`` (if any) overrides the shipped templates.

    A shipped template ``X`` is also reachable as ``base/X``, so an override can
    ``{% extends "base/X" %}`` and fill only the hook blocks it needs.
    """
    shipped = jinja2.FileSystemLoader(str(TEMPLATES_DIR))
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders += [shipped, jinja2.PrefixLoader({"base": shipped})]
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False)
    env.filters.update(tclid=_tclid, mhz=_mhz, hex=lambda v: f"0x{v:08X}",
                       ns=lambda v: f"{v:.3f}")
    return env


def template_files(template_dir: Path | None = None) -> list[Path]:
    """Every template file the build may use (shipped, then overrides)."""
    files = sorted(p for p in TEMPLATES_DIR.iterdir() if p.is_file())
    if template_dir is not None:
        files += sorted(p for p in Path(template_dir).rglob("*") if p.is_file())
    return files


def _write(state: BuildState, path: Path, text: str, *, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(0o755)
    state.written.append(path)


def _copy(state: BuildState, src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    state.written.append(dst)


def notebook_from_percent(text: str) -> dict[str, Any]:
    """An nbformat-4 notebook from ``# %%`` / ``# %% [markdown]`` percent-format text."""
    cells: list[dict[str, Any]] = []
    for chunk in text.split("# %%")[1:]:
        head, _, body = chunk.partition("\n")
        lines = body.strip("\n").splitlines()
        if head.strip() == "[markdown]":
            src = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _nb_lines(src)})
        else:
            cells.append({"cell_type": "code", "metadata": {}, "execution_count": None,
                          "outputs": [], "source": _nb_lines(lines)})
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}}}


def _nb_lines(lines: list[str]) -> list[str]:
    return [ln + "\n" for ln in lines[:-1]] + lines[-1:]


# --- steps -------------------------------------------------------------------

def build_id_sources() -> list[Path]:
    """The build-id block's HDL files in compile order, from ``hw/rtl/fcnn_build_id.f``."""
    from fpgacnn.hw import rtl_sources
    from fpgacnn.spec.errors import ArtifactError

    try:
        return rtl_sources(BUILD_ID_TOP)
    except ArtifactError as exc:
        raise BuildInputError(f"build-id block sources: {exc}") from exc


def step_load_inputs(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Load the board and check the edge core, build-id block and classifier sources."""
    return replace(state, board=load_board(cfg.board), edge=edge_sources(),
                   build_id=build_id_sources(),
                   rgb2gray=rgb2gray_sources() if cfg.edge_input is EdgeInput.COLOR else [],
                   frame_path=frame_path_sources()
                   if cfg.classifier_input is ClassifierInput.FABRIC else ([], []),
                   classifier=classifier_sources(cfg.model, cfg.model_dir, cfg.core_flow))


def step_plan(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Decide the design: DMAs, stream widths, address map, hardware id."""
    assert state.board is not None and state.classifier is not None
    hw_id = hardware_id(cfg, state.board, state.edge, state.classifier,
                        template_files(cfg.template_dir), state.build_id, state.rgb2gray,
                        state.frame_path[0] + state.frame_path[1])
    return replace(state, design=plan(cfg, state.board, state.edge, state.classifier, hw_id,
                                      state.build_id, state.rgb2gray, state.frame_path))


#: IP-XACT access of each register access of the spec (a write-1-to-clear or
#: write-clears register is written, so it is read-write to IP-XACT).
IPXACT_ACCESS = {Access.RW: "read-write", Access.RO: "read-only", Access.W1C: "read-write",
                 Access.RO_WC: "read-write"}


def _tcl_text(text: str) -> str:
    """``text`` safe inside a braced Tcl word (no braces or backslashes)."""
    return text.translate(str.maketrans({"{": "(", "}": ")", "\\": "/"}))


def ipxact_registers(regmap: RegisterMap) -> list[dict[str, Any]]:
    """The registers of ``regmap`` as the packaging script declares them in the IP's
    address block (so Vivado's ``.hwh`` lists them, each 32 bits at its offset)."""
    return [{"name": r.name, "offset": r.offset, "size": 32,
             "access": IPXACT_ACCESS[r.access], "description": _tcl_text(r.doc),
             "fields": [{"name": f.name, "lsb": f.lsb, "width": f.width,
                         "access": IPXACT_ACCESS[r.access]} for f in r.fields]}
            for r in regmap]


def _package_step(top: str, files: Sequence[str], vlnv: str, clk: str, rst: str,
                  rst_low: bool, description: str, *, regmap: RegisterMap | None = None,
                  streams: bool = True,
                  stream_ifs: Sequence[str] = ("s_axis", "m_axis")) -> dict[str, Any]:
    vendor, library, name, version = vlnv.split(":")
    return {"top": top, "files": list(files), "vlnv": vlnv, "vendor": vendor,
            "library": library, "name": name, "version": version, "clk": clk, "rst": rst,
            "rst_low": rst_low, "axil": regmap is not None,
            "axil_bits": regmap.addr_bits if regmap is not None else 0, "streams": streams,
            "registers": ipxact_registers(regmap) if regmap is not None else [],
            "stream_ifs": list(stream_ifs) if streams else [],
            "description": description}


def step_write_tree(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Copy the sources and render the Tcl, constraints and build.sh into ``cfg.out_dir``."""
    d, cls = state.design, state.classifier
    assert d is not None and cls is not None
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(cfg.template_dir)
    tv = d.template_vars()
    for src, rel in zip(state.edge, d.edge_files, strict=True):
        _copy(state, src, out / rel)
    for src, rel in zip(state.build_id, d.build_id_files, strict=True):
        _copy(state, src, out / rel)
    for src, rel in zip(state.rgb2gray, d.rgb2gray_files, strict=True):
        _copy(state, src, out / rel)
    steps = ["package_edge.tcl", "package_build_id.tcl"]
    packages = {
        "package_edge.tcl": _package_step(
            EDGE_TOP, d.edge_files, EDGE_VLNV, "clk", "rst", False,
            "fpgacnn Sobel edge core framed for an AXI DMA (hw/rtl/fcnn_edge_core.md)",
            regmap=EDGE_MAP),
        "package_build_id.tcl": _package_step(
            BUILD_ID_TOP, d.build_id_files, BUILD_ID_VLNV, "clk", "rst", False,
            "fpgacnn build-id registers: the hardware id of the build (fpgacnn.spec.build_id)",
            regmap=BUILD_ID_MAP, streams=False),
    }
    if d.rgb2gray_files:
        steps.append("package_rgb2gray.tcl")
        packages["package_rgb2gray.tcl"] = _package_step(
            RGB2GRAY_TOP, d.rgb2gray_files, RGB2GRAY_VLNV, "clk", "rst", False,
            "fpgacnn colour to gray, integer BT.601 (fpgacnn.spec.frames.gray_from_bgr)")
    if d.crop is not None:
        for srcs, rels in zip(state.frame_path, (d.crop.broadcast_files, d.crop.files),
                              strict=True):
            for src, rel in zip(srcs, rels, strict=True):
                _copy(state, src, out / rel)
        steps += ["package_broadcast.tcl", "package_crop.tcl"]
        packages["package_broadcast.tcl"] = _package_step(
            BROADCAST_TOP, d.crop.broadcast_files, BROADCAST_VLNV, "clk", "rst", False,
            "fpgacnn AXI4-Stream broadcast: the frame to the edge path and the crop block",
            stream_ifs=("s_axis", "m0_axis", "m1_axis"))
        packages["package_crop.tcl"] = _package_step(
            CROP_TOP, d.crop.files, CROP_VLNV, "clk", "rst", False,
            "fpgacnn crop and downscale of the classifier input, DMA-framed "
            "(fpgacnn.spec.crop_scale)", regmap=CROP_MAP)
    hls = cfg.core_flow is CoreFlow.HLS
    if hls:
        man = cls.manifest
        hls_dir = out / "src" / "hls"
        for name in ("conversion.json", "fcnn_axis_top.h", "fcnn_axis_top.cpp",
                     "fcnn_axis_params.h"):
            _copy(state, cls.model_dir / name, hls_dir / name)
        fw = cls.hls_project_dir / "firmware"
        for f in cls.firmware_files():
            _copy(state, f, hls_dir / man["project"]["dir"] / "firmware" / f.relative_to(fw))
        _write(state, out / "scripts" / "hls_ip.tcl", env.get_template("hls_ip.tcl.j2").render(
            **tv, hls_project=man["project"]["dir"], hls_name=man["project"]["name"]))
    else:
        for src, rel in zip(cls.rtl_files, d.classifier.files, strict=True):
            _copy(state, src, out / rel)
        steps.append("package_classifier.tcl")
        packages["package_classifier.tcl"] = _package_step(
            d.classifier.top, d.classifier.files, d.classifier.vlnv, "clk", "rst", False,
            f"fpgacnn classifier of model {cfg.model} (open RTL backend)")
    for script, pvars in packages.items():
        _write(state, out / "scripts" / script,
               env.get_template("package_ip.tcl.j2").render(**tv, **pvars))
    steps += ["project.tcl", "block_design.tcl", "implement.tcl", "export.tcl"]
    names = {"bit_name": d.bitstream_name, "hwh_name": d.hwh_name}
    for script in steps[len(packages):]:
        _write(state, out / "scripts" / script, env.get_template(script + ".j2").render(
            **tv, edge_vlnv=EDGE_VLNV, build_id_vlnv=BUILD_ID_VLNV, intc_cell=INTC_CELL,
            rgb2gray_vlnv=RGB2GRAY_VLNV, crop_vlnv=CROP_VLNV, broadcast_vlnv=BROADCAST_VLNV,
            crop_cell=CROP_CELL, broadcast_cell=BROADCAST_CELL,
            dma_length_bits=DMA_LENGTH_BITS, **names))
    _write(state, out / "scripts" / "build.tcl",
           env.get_template("build.tcl.j2").render(**tv, steps=steps))
    _write(state, out / "constraints" / "fcnn.xdc", env.get_template("fcnn.xdc.j2").render(**tv))
    _write(state, out / "build.sh", env.get_template("build.sh.j2").render(**tv, hls=hls),
           executable=True)
    state.written.append(cfg.write(out))
    return state


def step_write_package_payload(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Lay out ``package/`` (the model) and the notebook beside it.

    The package's manifest is written by :func:`step_finalize_package` once the
    bitstream exists; until then nothing restates what it will say.
    """
    d, cls, board = state.design, state.classifier, state.board
    assert d is not None and cls is not None and board is not None
    out = Path(cfg.out_dir)
    pkg = out / PACKAGE_DIR
    if pkg.exists():
        shutil.rmtree(pkg)
    pkg.mkdir(parents=True)
    model_file = cls.model_dir / cls.manifest.get("model", {}).get("file", "model.h5")
    if model_file.is_file():
        _copy(state, model_file, pkg / "model" / "model.h5")
    assert cls.card is not None
    _copy(state, cls.card, pkg / "model" / "model.json")
    nb_text = environment(cfg.template_dir).get_template("notebook.py.j2").render(
        **d.template_vars(), classes=cls.classes, shape=cls.input_shape,
        package_dir=PACKAGE_DIR)
    # beside the package, not in it: Jupyter's saves and checkpoints must not alter the
    # hashed package
    _write(state, out / f"fcnn_{board.name}.ipynb",
           json.dumps(notebook_from_percent(nb_text), indent=1) + "\n")
    return replace(state, package_dir=pkg)


def _require_tools(cfg: BuildConfig) -> None:
    tools = ["vivado"] + (["vitis_hls"] if cfg.core_flow is CoreFlow.HLS else [])
    for tool in tools:
        if shutil.which(tool) is None:
            raise ToolNotFoundError(
                f"{tool} is not on PATH: nothing was run; the build tree is in {cfg.out_dir} "
                f"(source <Vivado>/settings64.sh, then run {Path(cfg.out_dir) / 'build.sh'})")


def _run(cmd: list[str], cwd: Path, log_file: Path) -> None:
    log.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    log_file.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise BuildError(f"{cmd[0]} failed with exit code {proc.returncode}; see {log_file}")


def step_run_vivado(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Run Vitis HLS (hls flow) and Vivado in batch mode on the generated tree."""
    _require_tools(cfg)
    out = Path(cfg.out_dir).resolve()
    work, reports = out / "work", out / "reports"
    work.mkdir(exist_ok=True)
    reports.mkdir(exist_ok=True)
    if cfg.core_flow is CoreFlow.HLS:
        _run(["vitis_hls", "-f", str(out / "scripts" / "hls_ip.tcl")], work,
             reports / "vitis_hls.log")
        state.ran.append("vitis_hls")
    _run(["vivado", "-mode", "batch", "-nojournal", "-nolog", "-source",
          str(out / "scripts" / "build.tcl")], work, reports / "vivado.log")
    state.ran.append("vivado")
    return state


def step_finalize_package(state: BuildState, cfg: BuildConfig) -> BuildState:
    """Write the package manifest (sha256 of every file, build id) once the bitstream exists."""
    finalize_package(Path(cfg.out_dir), design=state.design, classifier=state.classifier)
    return state


GENERATE_STEPS: tuple[tuple[str, Step], ...] = (
    ("load_inputs", step_load_inputs),
    ("plan", step_plan),
    ("write_tree", step_write_tree),
    ("write_package_payload", step_write_package_payload),
)
#: The steps that decide the design without writing anything (finalize plans again with them).
PLAN_STEPS = GENERATE_STEPS[:2]
RUN_STEPS: tuple[tuple[str, Step], ...] = (
    ("run_vivado", step_run_vivado),
    ("finalize_package", step_finalize_package),
)


def step_summary(step: Step) -> str:
    """The first line of a step's docstring (without reST markup): what it does."""
    if not step.__doc__:
        return ""
    return step.__doc__.strip().splitlines()[0].rstrip(".").replace("``", "")


def run_steps(cfg: BuildConfig, steps: Sequence[tuple[str, Step]],
              state: BuildState | None = None,
              progress: Callable[[str], None] | None = None) -> BuildState:
    """Run ``steps`` in order from ``state`` (a fresh one by default); return the final state.

    ``progress`` receives one line per step before it runs (its name and what it does).
    """
    state = state if state is not None else BuildState()
    for name, step in steps:
        log.info("step %s", name)
        if progress is not None:
            progress(f"{name}: {step_summary(step)}")
        state = step(state, cfg)
    return state


def plan_tree(cfg: BuildConfig) -> BuildState:
    """The plan of ``cfg`` (board, sources, design, hardware id); nothing is written."""
    return run_steps(cfg, PLAN_STEPS)


def is_build_tree(path: Path) -> bool:
    """Whether ``path`` is a build tree ``fpgacnn build`` wrote (its build config is there)."""
    return (Path(path) / CONFIG_FILE).is_file()


def generate(cfg: BuildConfig, progress: Callable[[str], None] | None = None) -> BuildState:
    """Write the build tree of ``cfg`` (no vendor tool runs).

    ``cfg.out_dir`` must be missing, empty or a tree fpgacnn wrote (checked first, so a
    folder of the user's is never touched). ``progress`` receives one line per step.
    """
    check_replaceable(Path(cfg.out_dir), is_build_tree, "a board build tree")
    check_creatable(Path(cfg.out_dir), "the build tree folder")
    return run_steps(cfg, GENERATE_STEPS, progress=progress)
