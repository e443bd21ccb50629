"""``fpgacnn train``: train a model of the zoo and write it with its metrics.

Only argument parsing happens at import time; TensorFlow is imported when the
command runs, so ``fpgacnn --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fpgacnn.models.augment import AugmentConfig
from fpgacnn.models.errors import ModelZooError
from fpgacnn.models.quant import QuantConfig
from fpgacnn.models.registry import DEFAULT_MODEL, model_names
from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import check_creatable


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL, metavar="MODEL",
                        help=f"model of the zoo: {', '.join(model_names())} "
                        f"(default {DEFAULT_MODEL})")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="output folder (model.h5, model.json, metrics.json, curve PNG)")
    parser.add_argument("--data", metavar="NAME_OR_DIR",
                        help="data set name (digits, faces, mnist, cifar10) or an image folder "
                        "(one sub-folder per class); default: the model's own data set")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="where mnist.npz / cifar-10-batches-py are (default: Keras cache)")
    parser.add_argument("--bits", type=int, default=QuantConfig().weight_bits, metavar="N",
                        help="weight bits (default %(default)s)")
    parser.add_argument("--bias-bits", type=int, default=QuantConfig().bias_bits, metavar="N",
                        help="bias bits (default %(default)s)")
    parser.add_argument("--act-bits", type=int, default=QuantConfig().act_bits, metavar="N",
                        help="activation (quantized ReLU) bits (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=60, metavar="N",
                        help="quantization-aware training epochs (default %(default)s)")
    parser.add_argument("--float-epochs", type=int, metavar="N",
                        help="epochs of the float baseline (default: --epochs; 0 skips it)")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N")
    parser.add_argument("--lr", type=float, default=3e-3, metavar="RATE",
                        help="initial learning rate, cosine-decayed (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (split, init, batches)")
    parser.add_argument("--prune", type=float, metavar="SPARSITY",
                        help="magnitude-prune conv/dense weights to this sparsity, e.g. 0.5")
    parser.add_argument("--distill", metavar="TEACHER",
                        help="distill from a teacher: 'float' (this run's float model) or a "
                        "saved model folder / .h5 file")
    parser.add_argument("--distill-alpha", type=float, default=0.5, metavar="A",
                        help="weight of the label loss against the teacher (default %(default)s)")
    parser.add_argument("--distill-temperature", type=float, default=4.0, metavar="T")
    parser.add_argument("--no-augment", action="store_true",
                        help="disable the model's default augmentation")
    parser.add_argument("--config", type=_key_value, action="append", default=[],
                        metavar="KEY=VALUE",
                        help="set a field of the model's config, e.g. filters=8 (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, save to ``--out``, print the metrics JSON; return 0."""
    check_creatable(args.out, "the --out folder")  # before any training
    try:
        from fpgacnn.models.artifacts import save_run
        from fpgacnn.models.configs import config_with
        from fpgacnn.models.data import load_dataset
        from fpgacnn.models.distill import DistillConfig
        from fpgacnn.models.registry import get_entry
        from fpgacnn.models.training import TrainConfig, train

        entry = get_entry(args.model)
        quant = QuantConfig(weight_bits=args.bits, bias_bits=args.bias_bits,
                            act_bits=args.act_bits)
        cfg = config_with(entry.config_class(quant=quant), dict(args.config))
        distill = None
        if args.distill is not None:
            distill = DistillConfig(teacher=args.distill, alpha=args.distill_alpha,
                                    temperature=args.distill_temperature)
        train_cfg = TrainConfig(
            epochs=args.epochs,
            float_epochs=args.float_epochs,
            batch_size=args.batch_size,
            learning_rate=args.lr,
            seed=args.seed,
            augment=AugmentConfig() if args.no_augment else entry.augment,
            prune_sparsity=args.prune,
            distill=distill,
            progress=not args.no_progress,
        )
        data_name = args.data if args.data is not None else entry.dataset
        if data_name is None:
            raise CliError(
                f"model '{entry.name}' has no built-in data set; pass --data DIR, an image "
                "folder with one sub-folder per class (for GTSRB: Final_Training/Images)"
            )
        dataset = load_dataset(data_name, entry.input_spec, data_dir=args.data_dir,
                               seed=args.seed)
        result = train(entry, cfg, train_cfg, dataset)
        save_run(result, args.out)
    except ModelZooError as exc:
        raise CliError(str(exc)) from exc
    metrics = json.loads((args.out / "metrics.json").read_text())
    json.dump(metrics, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


__all__ = ["add_arguments", "run"]
