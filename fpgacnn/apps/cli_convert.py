"""``fpgacnn convert MODEL [--out DIR] [--no-rtl]``: QKeras model -> hls4ml firmware + proof.

Unless ``--no-rtl``, the open RTL core is generated into ``DIR/rtl`` as well
(:mod:`fpgacnn.hw.convert.rtl`); a model the RTL backend refuses keeps its hls4ml
conversion, and the reason is printed and recorded in ``DIR/rtl_refusal.json`` (the RTL step
writes its own record, ``DIR/rtl/rtl.json`` or the refusal, and never rewrites the
conversion's ``conversion.json``/``report.json``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

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
    parser.add_argument("--data", type=Path, default=None, metavar="X.npy",
                        help="model inputs (N, *input_shape) for a .h5/.keras model: the "
                             "calibration and verification data (default: random inputs on "
                             "the input grid); without --input-type the input type is derived "
                             "from them")
    parser.add_argument("--verify-samples", type=int, default=None, metavar="N",
                        help="samples of the C-sim check against QKeras (default 1000; 0 "
                             "skips it)")
    parser.add_argument("--no-rtl", action="store_true",
                        help="do not generate the open RTL classifier core into DIR/rtl")
    parser.add_argument("--synth", action="store_true",
                        help="also run Vitis HLS synthesis and IP export (needs vitis_hls on PATH)")


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


def run(args: argparse.Namespace) -> int:
    """Convert, compile, verify; print a one-paragraph summary; 0 when bit-exact."""
    from fpgacnn.hw.convert.convert import REPORT_FILE, convert
    from fpgacnn.hw.convert.rtl import REFUSAL_FILE, add_rtl, remove_rtl
    from fpgacnn.hw.convert.sources import load_source
    from fpgacnn.hw.convert.synth import SCRIPT, run_synthesis, vitis_hls_path

    from fpgacnn.hw.convert.canonical import input_type_from_data, parse_input_type

    input_type = parse_input_type(args.input_type) if args.input_type is not None else None
    data = _load_data(args.data) if args.data is not None else None
    if data is not None and input_type is None:
        input_type = input_type_from_data(data)
        print(f"  input type {input_type.hls()} derived from {args.data} (--input-type sets it)")
    source = load_source(args.model, data_dir=args.data_dir, input_type=input_type)
    if data is not None:
        source = _with_data(source, data, args.data)
    out = args.out if args.out is not None else default_output("convert", source.name)

    def progress(line: str) -> None:
        print(f"  {line}", flush=True)

    result = convert(source, out, input_type=input_type, verify_samples=args.verify_samples,
                     progress=progress)
    script = result.out_dir / SCRIPT
    r = result.bit_exact
    t = result.timings
    lines = [f"converted {source.name} -> {result.out_dir}",
             f"  hls4ml project {result.project_dir} (convert {t['convert_s']:.1f} s, "
             f"C-sim compile {t['compile_s']:.1f} s)"]
    if r is not None:
        acc = ""
        if r.keras_accuracy is not None:
            acc = f"; accuracy QKeras {r.keras_accuracy:.4f}, C-sim {r.csim_accuracy:.4f}"
        lines.append(f"  C-sim vs QKeras: {r.mismatches} / {r.n} mismatches{acc}")
    if args.no_rtl:
        remove_rtl(result.out_dir)
        lines.append("  RTL core not generated (--no-rtl)")
    else:
        progress("generating the RTL core")
        rtl = add_rtl(result.out_dir, result.model, name=source.name)
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
