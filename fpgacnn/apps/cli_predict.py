"""``fpgacnn predict DIR --backend reference|csim|rtl --input X.npy --output Y.npy``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import check_writable

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
    if args.output.suffix != ".npy":
        raise CliError(f"--output must be a .npy file, got '{args.output}'")
    check_writable(args.output)
    try:
        x = np.load(args.input, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CliError(f"cannot read '{args.input}' as a .npy array: {exc}") from None
    if not isinstance(x, np.ndarray):  # an .npz archive
        x.close()
        raise CliError(f"--input: expected one array in a .npy file, got an .npz archive "
                       f"'{args.input}'")
    if x.ndim >= 1 and x.shape[0] == 0:
        raise CliError(f"--input: expected a batch of at least one input, got shape "
                       f"{tuple(x.shape)}")
    y = predict(args.dir, x, args.backend)
    try:
        np.save(args.output, y)
    except OSError as exc:
        raise CliError(f"cannot write '{args.output}': {exc.strerror}") from None
    print(f"{args.backend}: {len(y)} outputs {tuple(y.shape[1:])} -> {args.output}")
    return 0
