"""``fpgacnn evaluate``: print the metrics of a saved or shipped model.

Only argument parsing happens at import time; TensorFlow is imported when the
command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fpgacnn.models.errors import ModelZooError
from fpgacnn.models.registry import DEFAULT_MODEL
from fpgacnn.spec.errors import UsageError as CliError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``evaluate`` options to ``parser``."""
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL, metavar="MODEL_OR_DIR",
                        help="a zoo name (its shipped model) or a training output folder "
                        f"(default {DEFAULT_MODEL})")
    parser.add_argument("--data", metavar="NAME_OR_DIR",
                        help="evaluate on this data set instead of the one it was trained on")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="where mnist.npz / cifar-10-batches-py are (default: Keras cache)")


def run(args: argparse.Namespace) -> int:
    """Re-measure the model's test accuracy and print its metrics JSON; return 0."""
    try:
        from fpgacnn.models.evaluation import evaluate

        metrics = evaluate(args.model, data=args.data, data_dir=args.data_dir)
    except ModelZooError as exc:
        raise CliError(str(exc)) from exc
    json.dump(metrics, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


__all__ = ["add_arguments", "run"]
