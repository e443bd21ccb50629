"""``fpgacnn convert MODEL [--board NAME [--rate N | --folding FILE]] [--out DIR] [--no-rtl]``.

QKeras model -> hls4ml firmware + proof (and the open RTL core).

With ``--board`` the folding solver (:mod:`fpgacnn.hw.fold`) fits the classifier to
the board's part: every QConv2D/QDense layer's PE x SIMD, balanced to one
initiation interval (the fastest that fits, or ``--rate`` images/s), written to
``DIR/folding.json`` and passed to the RTL generator; the same folding sets
hls4ml's part, clock, strategy and per-layer reuse factor. ``--folding FILE``
takes an expert-edited folding instead: it is checked against the model (a
refusal names the field or layer) and used as it is, never changed (only its
estimates are recomputed). Without ``--board`` the conversion is as before: hls4ml
for the xc7z020clg400-1 at 100 MHz, Latency strategy, reuse factor 1, and the
RTL generator's built-in folding; no ``folding.json`` is written.

Unless ``--no-rtl``, the open RTL core is generated into ``DIR/rtl`` as well
(:mod:`fpgacnn.hw.convert.rtl`); a model the RTL backend refuses keeps its hls4ml
conversion, and the reason is printed and recorded in ``DIR/rtl_refusal.json`` (the RTL step
writes its own record, ``DIR/rtl/rtl.json`` or the refusal, and never rewrites the
conversion's ``conversion.json``/``report.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.errors import UsageError
from fpgacnn.spec.folding import (
    FOLDING_FILE,
    Folding,
    FoldingError,
    Target,
    read_folding,
    write_folding,
)
from fpgacnn.spec.outputs import check_creatable
from fpgacnn.spec.paths import default_output

log = logging.getLogger(__name__)




def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``convert`` options."""
    parser.add_argument("model", metavar="MODEL",
                        help="a zoo name (its shipped model), a training output folder, or a "
                             ".h5/.keras file")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: build/convert/<model>/)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where data sets that need files (mnist, cifar10) are looked up")
    parser.add_argument("--input-type", default=None, metavar="TYPE",
                        help="fixed-point type of the model input when the model has no input "
                             "quantizer (a QActivation right after the input): fixed<W,I> or "
                             "ufixed<W,I> as in ap_fixed (I counts the sign bit), e.g. "
                             "fixed<16,6> or ufixed<8,0>")
    parser.add_argument("--float-weights", default=None, metavar="TYPE",
                        help="fixed-point type of the weights and biases of float Dense/Conv2D "
                             "layers (same syntax; default fixed<16,6>, hls4ml's default); "
                             "rounding them is measured on the data and refused above 1 %% "
                             "accuracy change")
    parser.add_argument("--data", type=Path, default=None, metavar="X.npy",
                        help="model inputs (N, *input_shape) for a .h5/.keras model: the "
                             "calibration and verification data (default: random inputs on "
                             "the input grid); without --input-type the input type is derived "
                             "from them")
    parser.add_argument("--verify-samples", type=int, default=None, metavar="N",
                        help="samples of the C-sim check against QKeras (default 1000; 0 "
                             "skips it)")
    parser.add_argument("--board", default=None, metavar="NAME",
                        help="fit the core to this board (its part, PL clock and resources, "
                             "from boards/defs/NAME.json) and write DIR/folding.json; default: "
                             "none -- hls4ml for the xc7z020clg400-1 at 100 MHz with reuse "
                             "factor 1 and the RTL generator's built-in folding")
    parser.add_argument("--rate", default=None, metavar="IMAGES_PER_SECOND",
                        help="with --board: the images per second to reach at the board's "
                             "clock (default: the fastest folding that fits)")
    parser.add_argument("--folding", type=Path, default=None, metavar="FILE",
                        help="use this folding.json (e.g. an edited DIR/folding.json) instead "
                             "of solving; checked against the model, never changed")
    parser.add_argument("--no-rtl", action="store_true",
                        help="do not generate the open RTL classifier core into DIR/rtl")
    parser.add_argument("--synth", action="store_true",
                        help="also run Vitis HLS synthesis and IP export (needs vitis_hls on PATH)")


@contextlib.contextmanager
def _rtl_progress(progress: Callable[[str], None]) -> Iterator[None]:
    """Show the RTL generator's per-layer log lines (INFO) as progress lines meanwhile."""

    class _Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            progress(record.getMessage())

    gen_log = logging.getLogger("fpgacnn.hw.rtlgen")
    handler, level, propagate = _Lines(logging.INFO), gen_log.level, gen_log.propagate
    gen_log.addHandler(handler)
    gen_log.setLevel(logging.INFO)
    gen_log.propagate = False  # the lines go to stdout once, not to stderr as well
    try:
        yield
    finally:
        gen_log.removeHandler(handler)
        gen_log.setLevel(level)
        gen_log.propagate = propagate


def _load_data(path: Path) -> np.ndarray:
    from fpgacnn.spec.errors import UsageError

    if path.suffix != ".npy" or not path.is_file():
        raise UsageError(f"--data: expected an existing .npy file of model inputs, got "
                         f"{str(path)!r}")
    try:
        x = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise UsageError(f"--data: cannot read {str(path)!r} as a numpy array ({exc})") from None
    if x.dtype.kind not in "fiu" or x.ndim < 2 or len(x) == 0:
        raise UsageError(f"--data: expected a numeric batch (N, *input_shape) with N >= 1, got "
                         f"{x.dtype} {x.shape}")
    return x.astype(np.float64)


def _with_data(source, data: np.ndarray, path: Path):  # noqa: ANN001, ANN202
    from fpgacnn.hw.convert.convert import ModelSource
    from fpgacnn.spec.errors import UsageError

    shape = tuple(int(d) for d in source.model.input_shape[1:])
    if tuple(data.shape[1:]) != shape:
        raise UsageError(f"--data: expected inputs of shape (N, {', '.join(map(str, shape))}), "
                         f"got {tuple(data.shape)} in {str(path)!r}")
    return ModelSource(**{**source.__dict__, "calibration": data, "test_x": data})


def parse_rate(text: str | None) -> float | None:
    """``--rate``'s value as images/s (None when not given); UsageError unless > 0, finite."""
    if text is None:
        return None
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate <= 0:
        raise UsageError(f"--rate: expected a positive finite number of images per second, "
                         f"got {text!r}")
    return rate


@dataclass
class FoldPlan:
    """What ``--board``/``--rate``/``--folding`` resolved to (before any work)."""

    target: Target | None = None
    rate: float | None = None
    folding_file: Folding | None = None
    folding_path: Path | None = None


def resolve_fold_options(args: argparse.Namespace) -> FoldPlan:
    """Check ``--board``, ``--rate`` and ``--folding`` (one-line refusals, nothing written)."""
    from fpgacnn.boards.target import board_target

    plan = FoldPlan(rate=parse_rate(args.rate))
    if args.folding is not None:
        if plan.rate is not None:
            raise UsageError("--rate and --folding exclude each other (the folding fixes the "
                             "rate)")
        plan.folding_path = Path(args.folding)
        f = plan.folding_file = read_folding(plan.folding_path)
        board = args.board or f.board
        if board is None:
            raise UsageError(f"--folding {plan.folding_path}: the file names no board; give "
                             "--board NAME")
        plan.target = board_target(board)
        if f.board is not None and f.board != plan.target.board:
            raise FoldingError(f"{plan.folding_path}: board: expected "
                               f"{plan.target.board!r} (--board), got {f.board!r}")
        if f.clock_mhz != plan.target.clock_mhz:
            raise FoldingError(f"{plan.folding_path}: clock_mhz: expected "
                               f"{plan.target.clock_mhz:g} (the PL clock of "
                               f"{plan.target.board!r}), got {f.clock_mhz:g}")
    elif args.board is not None:
        plan.target = board_target(args.board)
    elif plan.rate is not None:
        raise UsageError("--rate needs --board NAME (the rate is reached at the board's clock "
                         "within its part's resources)")
    return plan


def fold(plan: FoldPlan, model: Any, name: str) -> tuple[Folding, list[Any], float]:
    """The folding to use on ``model`` (the canonical model both flows convert): solved,
    or the checked file with fresh estimates; the model's stages; the seconds it took."""
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.fold import check_folding, estimate_folding, solve_stages
    from fpgacnn.hw.rtlgen.stages import build_stages

    assert plan.target is not None
    t0 = time.perf_counter()
    stages = build_stages(model, plan_model(model))
    if plan.folding_file is not None:
        try:
            check_folding(plan.folding_file, stages)
        except FoldingError as exc:
            raise FoldingError(f"{plan.folding_path}: {exc}") from None
        folding = estimate_folding(stages, plan.folding_file, plan.target)
    else:
        folding = solve_stages(stages, model=name, target=plan.target, rate=plan.rate)
    return folding, stages, time.perf_counter() - t0


def folding_lines(folding: Folding, target: Target, seconds: float, given: bool) -> list[str]:
    """The summary lines of a folding: per layer, the estimate, what is over budget."""
    from fpgacnn.hw.fold import over_budget

    how = "read and checked" if given else "solved"
    lines = [f"  folding for {target.board} ({target.part}, {target.clock_mhz:g} MHz) {how} in "
             f"{seconds:.2f} s: " + ", ".join(
                 f"{lf.layer} {lf.impl.value}" + (f" PE {lf.pe} x SIMD {lf.simd} "
                                                  f"{lf.rom_style}"
                                                  if lf.impl.value == "folded" else "")
                 for lf in folding.layers)]
    e, r = folding.estimate, target.resources
    if e is not None:
        lines.append(f"    estimate: {e.cycles_per_image:,} cycles/image "
                     f"({target.clock_mhz * 1e6 / e.cycles_per_image:,.0f} images/s), "
                     f"{e.lut:,} LUT ({100 * e.lut / r.lut:.0f} %), {e.ff:,} FF, "
                     f"{e.bram36:g} BRAM36 ({100 * e.bram36 / r.bram36:.0f} %), {e.dsp} DSP")
    for text in over_budget(folding, target):
        lines.append(f"    warning: over budget: {text}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Convert, compile, verify; print a one-paragraph summary; 0 when bit-exact."""
    from fpgacnn.hw.convert.canonical import (
        canonicalize,
        input_type_from_data,
        parse_input_type,
    )
    from fpgacnn.hw.convert.config import ConvertConfig
    from fpgacnn.hw.convert.convert import REPORT_FILE, convert, heartbeat
    from fpgacnn.hw.convert.rtl import REFUSAL_FILE, add_rtl, remove_rtl
    from fpgacnn.hw.convert.sources import load_source
    from fpgacnn.hw.convert.synth import SCRIPT, run_synthesis, vitis_hls_path
    from fpgacnn.hw.fold import hls_settings
    from fpgacnn.hw.rtlgen import RtlGenError

    fold_plan = resolve_fold_options(args)
    input_type = parse_input_type(args.input_type) if args.input_type is not None else None
    float_weights = (parse_input_type(args.float_weights, option="--float-weights")
                     if args.float_weights is not None else None)
    data = _load_data(args.data) if args.data is not None else None
    if data is not None and input_type is None:
        input_type = input_type_from_data(data)
        print(f"  input type {input_type.hls()} derived from {args.data} (--input-type sets it)")
    if args.out is not None:  # before the model is read
        check_creatable(args.out, "the --out folder")
    source = load_source(args.model, data_dir=args.data_dir, input_type=input_type)
    if data is not None:
        source = _with_data(source, data, args.data)
    out = args.out if args.out is not None else default_output("convert", source.name)
    check_creatable(out, "the --out folder")

    def progress(line: str) -> None:
        print(f"  {line}", flush=True)

    folding, fold_s, fold_note = None, 0.0, ""
    cfg = ConvertConfig()
    if fold_plan.target is not None:
        target = fold_plan.target
        progress(f"folding for {target.board}")
        try:
            canon = canonicalize(source.model, input_type=input_type,
                                 **({} if float_weights is None
                                    else {"float_weights": float_weights})).model
            folding, stages, fold_s = fold(fold_plan, canon, source.name)
            cfg = hls_settings(folding, stages, target)
        except RtlGenError as exc:
            if fold_plan.folding_file is not None:
                raise
            # the RTL backend cannot build the model: hls4ml still gets the board's part
            fold_note = f"  no folding: the RTL backend refuses the model ({exc})"
            cfg = ConvertConfig(part=target.part,
                                clock_period_ns=round(1000.0 / target.clock_mhz, 6))
    result = convert(source, out, cfg, input_type=input_type, float_weights=float_weights,
                     verify_samples=args.verify_samples, progress=progress)
    if folding is not None:
        write_folding(result.out_dir / FOLDING_FILE, folding)
    script = result.out_dir / SCRIPT
    r = result.bit_exact
    t = result.timings
    lines = [f"converted {source.name} -> {result.out_dir}",
             f"  hls4ml project {result.project_dir} for {cfg.part} at "
             f"{1000 / cfg.clock_period_ns:g} MHz (convert {t['convert_s']:.1f} s, "
             f"C-sim compile {t['compile_s']:.1f} s)"]
    if folding is not None and fold_plan.target is not None:
        lines += folding_lines(folding, fold_plan.target, fold_s,
                               fold_plan.folding_file is not None)
        lines.append(f"  folding written to {result.out_dir / FOLDING_FILE}")
    elif fold_note:
        lines.append(fold_note)
    if r is not None:
        acc = ""
        if r.keras_accuracy is not None:
            acc = f"; accuracy QKeras {r.keras_accuracy:.4f}, C-sim {r.csim_accuracy:.4f}"
        lines.append(f"  C-sim vs QKeras: {r.mismatches} / {r.n} mismatches{acc}")
    if args.no_rtl:
        remove_rtl(result.out_dir)
        lines.append("  RTL core not generated (--no-rtl)")
    else:
        from fpgacnn.hw.convert.plan import model_size

        size = model_size(result.model, result.plans)
        progress(f"generating the RTL core: {size['weights']:,} weights ({size['weight_bits']:,} "
                 f"bits), {size['macs_per_image']:,} multiply-accumulates per image")
        with _rtl_progress(progress), heartbeat(progress, "generating the RTL core"):
            rtl = add_rtl(result.out_dir, result.model, name=source.name, folding=folding)
        if "error" in rtl:
            print(f"fpgacnn convert: warning: RTL core not generated: {rtl['error']}",
                  file=sys.stderr)
            lines.append("  RTL core not generated (see the warning; recorded in "
                         f"{result.out_dir / REFUSAL_FILE})")
        else:
            lines.append(f"  RTL core {result.out_dir / rtl['dir']} ({rtl['top']}, "
                         f"{rtl['initiation_interval']} cycles/image, "
                         f"generated in {rtl['seconds']:.1f} s)")
    lines.append(f"  report {result.out_dir / REPORT_FILE}; synthesis script {script}")
    if not args.synth:
        where = vitis_hls_path()
        lines.append("  synthesis not run (--synth); " + (
            f"vitis_hls is at {where}" if where else "vitis_hls is not on PATH"))
    print("\n".join(lines))
    if args.synth:
        ip_dir = run_synthesis(result.out_dir)
        print(f"  IP exported to {ip_dir}")
    return 0
