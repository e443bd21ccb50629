"""``generate_rtl``: a QKeras model -> a self-contained folder with the classifier RTL.

Output folder (``out_dir``, e.g. ``build/convert/<model>/rtl``):

- ``fcnn_classifier.sv`` -- the generated structural top (module ``TOP``, string
  parameter ``MEM_DIR``: the folder of the weight memories, with a trailing "/");
- ``kernels/<module>/src/*.v`` -- one alkaid kernel per unrolled convolution;
- ``mem/<stage>_w.mem`` -- the ``$readmemh`` weights of every folded layer
  (:mod:`fpgacnn.hw.rtlgen.weights`); every build of the core passes
  ``MEM_DIR`` = the absolute path of this folder (Verilator ``-GMEM_DIR="..."``);
- ``lib/*.sv`` -- copies of the hand-written blocks it instantiates;
- ``filelist.f`` -- every HDL file in compile order, relative to the folder,
  with a ``// top: fcnn_classifier`` line (read by ``fpgacnn build``) and one
  ``// mem: mem/<stage>_w.mem`` line per weight memory (board builds add them);
- ``rtl.json`` -- the generator's record, written once, last: the stages, their
  types and folding, kernel latencies, the stream layouts, the folding used
  (``folding``, :class:`~fpgacnn.spec.folding.Folding` as JSON), the initiation
  interval (cycles per image, :func:`~fpgacnn.hw.rtlgen.folding.initiation_interval`),
  the generation time and the sha256 of every other file.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpgacnn.spec.folding import Folding, Impl, LayerFolding
from fpgacnn.spec.hashing import sha256_file
from fpgacnn.spec.outputs import check_replaceable

from .. import rtl_sources
from ..convert.plan import plan_model
from .emit import LABEL_BITS, STATUS_BITS, ClassifierOutputLayout, threshold_pe, write_top
from .folding import (
    check_folding,
    default_folding,
    geometry,
    initiation_interval,
    layer_cycles,
    streams,
    stride,
)
from .kernel import KernelInfo, generate_kernel
from .selfcheck import check_stages
from .stages import (
    ConvStage,
    DenseStage,
    PoolStage,
    RequantStage,
    Stage,
    ThresholdStage,
    build_stages,
    score_count,
)
from .weights import MEM_SUBDIR, mem_name, weight_words, write_mem

log = logging.getLogger(__name__)

#: Module name of the generated top.
TOP = "fcnn_classifier"

#: Hand-written blocks the generated top instantiates; their files (and what they
#: instantiate) come from their lists ``hw/rtl/<block>.f``.
LIB_BLOCKS = (
    "fcnn_cnn_window", "fcnn_cnn_swu", "fcnn_cnn_kshell", "fcnn_cnn_maxpool", "fcnn_cnn_mvu",
    "fcnn_cnn_requant", "fcnn_cnn_threshold", "fcnn_cnn_argmax", "fcnn_cnn_framer",
    "fcnn_cnn_fifo", "fcnn_cnn_gather",
)


def lib_sources() -> list[Path]:
    """The hand-written files the generated top needs, in compile order, each once."""
    out: list[Path] = []
    for block in LIB_BLOCKS:
        out += [f for f in rtl_sources(block) if f not in out]
    return out


@dataclass(frozen=True, kw_only=True)
class RtlResult:
    """Where the RTL is and the facts about it."""

    out_dir: Path
    top: str
    files: tuple[Path, ...]
    input_shape: tuple[int, int, int]
    input_bits: int             # s_axis_tdata width
    input_element_bits: int
    num_classes: int
    score_bits: int
    output_bits: int            # m_axis_tdata width
    initiation_interval: int    # cycles per image (the slowest layer, folding.initiation_interval)
    seconds: float
    info: dict[str, Any]


def _sanitize(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return s if s and not s[0].isdigit() else f"m_{s}"


def _stage_dict(st: Stage, kernels: dict[str, KernelInfo],
                fold: dict[str, LayerFolding], pe: int = 0) -> dict[str, Any]:
    d: dict[str, Any] = {"name": st.name, "layer": st.layer, "kind": type(st).__name__,
                         "in_shape": list(st.in_shape), "out_shape": list(st.out_shape),
                         "in_type": st.in_type.hls(), "out_type": st.out_type.hls()}
    if isinstance(st, (ConvStage, DenseStage)):
        lf = fold[st.layer]
        d.update(impl=lf.impl.value, pe=lf.pe, simd=lf.simd, rom_style=lf.rom_style,
                 multipliers=lf.multipliers, cycles_per_image=layer_cycles(st, lf))
        if lf.impl is Impl.FOLDED:
            d.update(accumulator=(st.accum if isinstance(st, ConvStage) else st.out_type).hls(),
                     prod_shift=st.prod_shift,
                     weight_mem=f"{MEM_SUBDIR}/{mem_name(st.name)}")
    if isinstance(st, ConvStage):
        d.update(kernel=st.kernel, pad=st.pad, stride=stride(st), relu=st.relu,
                 quantize=st.quantize)
        if fold[st.layer].impl is Impl.FOLDED:
            d.update(window="fcnn_cnn_swu" if streams(st, fold[st.layer]) else "fcnn_cnn_window")
        if st.name in kernels:
            d.update(kernel_module=kernels[st.name].module,
                     kernel_stages=kernels[st.name].latency)
    elif isinstance(st, PoolStage):
        d.update(pool=st.pool)
    elif isinstance(st, RequantStage):
        d.update(shift=st.shift)
    elif isinstance(st, ThresholdStage):
        d.update(thresholds=st.thresholds, levels=st.levels, pe=pe)
    return d


def generate_rtl(model: Any, out_dir: Path, *, name: str | None = None,
                 folding: Folding | None = None, kernel_stages: int = 2) -> RtlResult:
    """Generate the streaming classifier core for ``model`` (a QKeras model) into ``out_dir``.

    ``folding`` says, per QConv2D/QDense layer, unrolled or folded at which PE x SIMD
    (default: :func:`~fpgacnn.hw.rtlgen.folding.default_folding`); it is checked
    (:class:`~fpgacnn.spec.folding.FoldingError` naming the layer, before any work),
    used as given and recorded in ``rtl.json``. Raises
    :class:`~fpgacnn.hw.rtlgen.RtlGenError` naming the layer for anything the RTL
    backend cannot implement bit-exactly. ``out_dir`` must be missing, empty or a core
    this function wrote (it is then replaced); anything else is refused before any work.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    check_replaceable(out_dir, lambda d: (d / "rtl.json").is_file() or (d / "filelist.f")
                      .is_file(), "an RTL core")
    tag = _sanitize(name or model.name)
    plans = plan_model(model)
    stages = build_stages(model, plans)
    if folding is None:
        folding = default_folding(stages, model.name)
    check_folding(folding, stages)
    check_stages(model, plans, stages)   # before any file: the stages compute the model
    fold = {lf.layer: lf for lf in folding.layers}
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "lib").mkdir(parents=True)
    kernels: dict[str, KernelInfo] = {}
    mems: list[Path] = []
    for st in stages:
        if not isinstance(st, (ConvStage, DenseStage)):
            continue
        lf = fold[st.layer]
        t1 = time.perf_counter()
        if lf.impl is Impl.UNROLLED:
            kernels[st.name] = generate_kernel(st, f"fcnn_k_{tag}_{st.name}",
                                               out_dir / "kernels", n_stages=kernel_stages)
        else:
            (out_dir / MEM_SUBDIR).mkdir(exist_ok=True)
            words = weight_words(st.weights, lf.pe, lf.simd, st.w_width)
            mems.append(write_mem(out_dir / MEM_SUBDIR / mem_name(st.name), words,
                                  lf.pe * lf.simd * st.w_width))
        g = geometry(st)
        how = ("unrolled" if lf.impl is Impl.UNROLLED else
               f"folded PE={lf.pe} SIMD={lf.simd} ({g.in_len}x{g.n} weights)")
        log.info("%s (%s): %s, %d cycles/image, %.1f s", st.name, st.layer, how,
                 layer_cycles(st, lf), time.perf_counter() - t1)
    (out_dir / f"{TOP}.sv").write_text(write_top(TOP, stages, kernels, folding))
    lib = lib_sources()
    for f in lib:
        shutil.copy2(f, out_dir / "lib" / f.name)
    files: list[Path] = []
    seen_static: set[str] = set()
    for k in kernels.values():
        for f in k.files:
            if f.parent.name == "static":
                if f.name in seen_static:      # shared helpers: identical in every kernel
                    continue
                seen_static.add(f.name)
            files.append(f)
    files += [out_dir / "lib" / f.name for f in lib]
    files.append(out_dir / f"{TOP}.sv")
    rel = [str(f.relative_to(out_dir)) for f in files]
    mem_rel = [str(m.relative_to(out_dir)) for m in mems]
    (out_dir / "filelist.f").write_text(
        f"// fpgacnn open RTL classifier for model '{model.name}'\n// top: {TOP}\n"
        + "".join(f"// mem: {m}\n" for m in mem_rel)
        + "\n".join(rel) + "\n")

    first, last = stages[0], stages[-1]
    h, w, c = first.in_shape
    n_cls, s_bits = score_count(stages), last.out_type.width
    pads = [st.pad for st in stages if isinstance(st, ConvStage)]
    ii = initiation_interval(stages, folding)
    info = {
        "model": model.name, "top": TOP,
        "stages": [_stage_dict(s, kernels, fold, threshold_pe(stages, s, folding)
                              if isinstance(s, ThresholdStage) else 0) for s in stages],
        "input": {"shape": [h, w, c], "element_type": first.in_type.hls(),
                  "element_fraction": first.in_type.fraction,
                  "element_signed": first.in_type.signed,
                  "element_bits": first.in_type.width,
                  "tdata_bits": -(-(c * first.in_type.width) // 8) * 8},
        "output": {"classes": n_cls, "score_type": last.out_type.hls(), "score_bits": s_bits,
                   "score_fraction": last.out_type.fraction,
                   "score_signed": last.out_type.signed,
                   "label_bits": LABEL_BITS, "status_bits": STATUS_BITS,
                   "tdata_bits": ClassifierOutputLayout(n_classes=n_cls,
                                                        score_bits=s_bits).tdata_bits},
        "initiation_interval": ii, "conv_padding": pads,
        "folding": folding.to_json(), "mem_dir": MEM_SUBDIR, "mem_files": mem_rel,
        "files": rel,
    }
    dt = time.perf_counter() - t0
    info["seconds"] = round(dt, 2)
    # every file of the core but this record, with its sha256: readers check them
    info["sha256"] = {str(p.relative_to(out_dir)): sha256_file(p)
                      for p in sorted(out_dir.rglob("*")) if p.is_file()}
    (out_dir / "rtl.json").write_text(json.dumps(info, indent=2) + "\n")
    log.info("RTL for %s written to %s in %.1f s", model.name, out_dir, dt)
    return RtlResult(out_dir=out_dir, top=TOP, files=tuple(files), input_shape=(h, w, c),
                     input_bits=info["input"]["tdata_bits"], input_element_bits=first.in_type.width,
                     num_classes=n_cls, score_bits=s_bits, output_bits=info["output"]["tdata_bits"],
                     initiation_interval=ii, seconds=dt, info=info)
