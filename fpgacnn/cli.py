"""The ``fpgacnn`` command line.

Each subcommand is a module of :mod:`fpgacnn.apps` (the top layer) that provides
``add_arguments(parser)`` and ``run(args) -> int``. Only the module of the
command being run is imported, so ``fpgacnn --help`` stays fast and the board
runtime never pulls in TensorFlow or the simulators.

Every failure the project anticipates is a :class:`~fpgacnn.spec.errors.FpgacnnError`;
it is printed as one line, ``fpgacnn COMMAND: error: <message>``, with exit status 2.
Ctrl-C prints ``fpgacnn COMMAND: interrupted`` and exits with 130.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Sequence

from . import __version__
from .spec.errors import FpgacnnError, UsageError

#: name -> (module implementing it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "edge": ("fpgacnn.apps.cli_edge", "run the edge-detection core on one image"),
    "demo": ("fpgacnn.apps.cli_demo", "run the demo on bundled images; write results under --out"),
    "train": ("fpgacnn.apps.cli_train", "train a model of the zoo (QAT, pruning, distillation)"),
    "evaluate": ("fpgacnn.apps.cli_evaluate", "print the metrics of a saved or shipped model"),
    "convert": ("fpgacnn.apps.cli_convert",
                "convert a QKeras model to hls4ml firmware; prove its C simulation bit-exact"),
    "predict": ("fpgacnn.apps.cli_predict",
                "run a batch (.npy) through a converted model: reference, csim or rtl backend"),
    "build": ("fpgacnn.apps.cli_build",
              "write a board's Vivado build tree (bitstream + deployment package); --run runs it"),
    "stream": ("fpgacnn.apps.cli_stream",
               "stream camera/video/image frames through the edge core and the classifier"),
    "package": ("fpgacnn.apps.cli_package",
                "build a simulation deployment package (model + edge core parameters)"),
}


#: Kept for subcommand modules: a :class:`~fpgacnn.spec.errors.UsageError`.
CliError = UsageError


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser with one subparser per entry of :data:`COMMANDS`.

    Only ``command``'s module is imported for its options (every module when
    ``command`` is None).
    """
    parser = argparse.ArgumentParser(
        prog="fpgacnn",
        description="FPGA-accelerated CNN inference: build, verify in simulation, stream on PYNQ.",
    )
    parser.add_argument("--version", action="version", version=f"fpgacnn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO level)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if command is not None and name != command:
            continue
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:  # an extra is missing: say which (also in --help)
            p.set_defaults(_import_error=exc)
            p.description = (f"{help_text} -- unavailable here: {exc} (install the extras: "
                             "pip install 'fpgacnn[dev]')")
            continue
        mod.add_arguments(p)
    return parser


#: tf_keras's warning for a QKeras quantizer serialized as a constraint.
_TF_KERAS_QUANTIZER_NOISE = r"The `keras\.constraints\.serialize\(\)` API should only be used"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    err = getattr(args, "_import_error", None)
    if err is not None:
        print(
            f"fpgacnn {args.command}: cannot import {args._module}: {err} "
            "(install the extras: pip install 'fpgacnn[dev]')",
            file=sys.stderr,
        )
        return 2
    mod = importlib.import_module(args._module)
    try:
        with warnings.catch_warnings():
            # tf_keras warns on every QKeras layer it serializes (QKeras passes its
            # quantizers as constraints); it is noise on a user's screen, not their fault.
            warnings.filterwarnings("ignore", message=_TF_KERAS_QUANTIZER_NOISE,
                                    category=UserWarning)
            return int(mod.run(args) or 0)
    except FpgacnnError as exc:
        print(f"fpgacnn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fpgacnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:  # an extra is missing: say which, in one line
        print(f"fpgacnn {args.command}: error: {exc.name} is not installed (install the "
              "extras: pip install 'fpgacnn[dev]')", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
