"""``fpgacnn predict DIR --backend reference|csim|rtl --input X.npy --output Y.npy``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fpgacnn.spec.errors import UsageError as CliError

BACKENDS = ("reference", "csim", "rtl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``predict`` options."""
    parser.add_argument("dir", metavar="DIR", type=Path,
                        help="a conversion folder written by fpgacnn convert")
    parser.add_argument("--backend", choices=BACKENDS, default="csim",
                        help="reference: the QKeras model; csim: the hls4ml C simulation; rtl: the "
                             "generated RTL core in DIR/rtl (Verilator harness, cached build)")
    parser.add_argument("--input", type=Path, required=True, metavar="X.npy",
                        help="a batch (N, H, W, C) of float32/float64 inputs on the input grid")
    parser.add_argument("--output", type=Path, required=True, metavar="Y.npy",
                        help="where to write the outputs (N, ...) as float64")


def run(args: argparse.Namespace) -> int:
    """Load the batch, run the backend, write the outputs; 0 on success."""
    from fpgacnn.hw.convert.predict import predict

    if not args.input.is_file():
        raise CliError(f"input file '{args.input}' does not exist")
    try:
        x = np.load(args.input, allow_pickle=False)
    except ValueError as exc:
        raise CliError(f"cannot read '{args.input}' as a .npy array: {exc}") from exc
    y = predict(args.dir, x, args.backend)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.output, y)
    print(f"{args.backend}: {len(y)} outputs {tuple(y.shape[1:])} -> {args.output}")
    return 0
