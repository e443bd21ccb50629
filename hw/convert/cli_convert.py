"""``fpgacnn convert MODEL [--out DIR]``: QKeras model -> hls4ml firmware + proof."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from fpgacnn.cli import CliError

log = logging.getLogger(__name__)

#: Where conversions go when ``--out`` is not given: ``hw/build/<model>/`` (git-ignored).
BUILD_DIR = Path(__file__).resolve().parent.parent / "build"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``convert`` options."""
    parser.add_argument("model", metavar="MODEL",
                        help="a zoo name (its shipped model), a training output folder, or a "
                             ".h5/.keras file")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: hw/build/<model>/)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where data sets that need files (mnist, cifar10) are looked up")
    parser.add_argument("--synth", action="store_true",
                        help="also run Vitis HLS synthesis and IP export (needs vitis_hls on PATH)")


def run(args: argparse.Namespace) -> int:
    """Convert, compile, verify; print a one-paragraph summary; 0 when bit-exact."""
    from .convert import REPORT_FILE, convert
    from .errors import ConversionError
    from .sources import load_source
    from .synth import SCRIPT, run_synthesis, vitis_hls_path

    try:
        source = load_source(args.model, data_dir=args.data_dir)
        out = args.out if args.out is not None else BUILD_DIR / source.name
        result = convert(source, out)
        script = result.out_dir / SCRIPT
    except ConversionError as exc:
        raise CliError(str(exc)) from exc
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
    lines.append(f"  report {result.out_dir / REPORT_FILE}; synthesis script {script}")
    if not args.synth:
        where = vitis_hls_path()
        lines.append("  synthesis not run (--synth); " + (
            f"vitis_hls is at {where}" if where else "vitis_hls is not on PATH"))
    print("\n".join(lines))
    if args.synth:
        try:
            ip_dir = run_synthesis(result.out_dir)
        except ConversionError as exc:
            raise CliError(str(exc)) from exc
        print(f"  IP exported to {ip_dir}")
    return 0
