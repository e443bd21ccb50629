"""Per-pixel convolution arithmetic generated with alkaid (pinned: alkaid==0.8.2).

Why alkaid (the successor of da4ml): it rounds half to even (``RND_CONV``,
what hls4ml uses for QKeras activations) and saturates natively, takes an
exact pipeline depth (``n_stages``), and its output was bit-exact, lint-clean
under ``verilator -Wall`` and synthesizable with yosys 0.23 in our evaluation;
da4ml 0.6 (its last release) needs a hand-written emulation of RND_CONV. The
API changes between releases, hence the exact pin.

The generated module ``<name>(clk, model_inp, model_out)`` has no valid or
enable; :mod:`fcnn_cnn_kshell` gives it backpressure. Element ``j`` of
``model_inp``/``model_out`` is packed from the least significant end at its
own minimal width; :func:`generate_kernel` returns those formats so the
structural top can align every element exactly.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..convert.fixed import FixedType
from .stages import ConvStage, kif

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class KernelInfo:
    """What the structural top needs to know about one generated kernel."""

    module: str
    files: tuple[Path, ...]
    latency: int                          # output valid `latency + 1` cycles after input
    in_formats: tuple[tuple[int, int, int], ...]    # (signed, int bits w/o sign, frac) per element
    out_formats: tuple[tuple[int, int, int], ...]


def _fmt_bits(f: tuple[int, int, int]) -> int:
    return max(0, f[0] + f[1] + f[2])


def generate_kernel(stage: ConvStage, module: str, out_dir: Path, *, n_stages: int = 2
                    ) -> KernelInfo:
    """Trace ``window @ W + b [-> [relu] -> quantize]`` for ``stage``; write its Verilog."""
    from alkaid.codegen import RTLModel
    from alkaid.trace import FVArrayInput, trace

    w = stage.weights.astype(np.float64) * 2.0 ** (-stage.w_frac)
    b = stage.bias.astype(np.float64) * 2.0 ** (-stage.b_frac)
    x = FVArrayInput(w.shape[0])
    y = x.quantize(*kif(stage.in_type)) @ w + b
    out: FixedType = stage.out_type
    if stage.quantize:  # the activation: [ReLU,] round half to even, saturate
        k, i, f = kif(out)
        y = (y.relu() if stage.relu else y).quantize(k, i, f, "SAT", "RND_CONV")
    comb = trace(x, y)
    kdir = out_dir / module
    rtl = RTLModel(comb, str(kdir), prj_name=module, flavor="verilog", n_stages=n_stages)
    rtl.write()
    src = kdir / "src"
    # alkaid names the stage modules logic0.. in every kernel: make them unique.
    for p in sorted(src.glob("*.v")):
        text = re.sub(r"\blogic(\d+)\b", module + r"_logic\1", p.read_text())
        p.write_text(text)
        if re.fullmatch(r"logic\d+\.v", p.name):
            p.rename(src / f"{module}_{p.name}")
    files = [src / f"{module}.v"] + sorted(src.glob(f"{module}_logic*.v"))
    # lookup tables (alkaid writes them for some quantizers; their modules have unique names)
    files += sorted(src.glob(f"{module}_tables.v"))
    files += sorted((src / "static").glob("*.v"))
    ins = tuple(tuple(int(v) for v in t) for t in zip(*comb.inp_kifs, strict=True))
    outs = tuple(tuple(int(v) for v in t) for t in zip(*comb.out_kifs, strict=True))
    log.info("%s: %d -> %d elements, %d stages", module, len(ins), len(outs), rtl.latency)
    return KernelInfo(module=module, files=tuple(files), latency=int(rtl.latency),
                      in_formats=ins, out_formats=outs)


def pack_offsets(formats: tuple[tuple[int, int, int], ...]) -> list[tuple[int, int]]:
    """(offset, width) of each element in a kernel port."""
    offs, pos = [], 0
    for f in formats:
        n = _fmt_bits(f)
        offs.append((pos, n))
        pos += n
    return offs
