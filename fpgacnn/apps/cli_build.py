"""``fpgacnn build --board NAME --model MODEL --out DIR [--core-flow rtl|hls] [--run]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgacnn.boards.board import BoardError, available_boards
from fpgacnn.boards.build import RUN_STEPS, BuildError, generate, run_steps
from fpgacnn.boards.config import BuildConfig, CoreFlow
from fpgacnn.boards.finalize import PackageBuildError
from fpgacnn.boards.sources import BuildInputError, model_dir_for
from fpgacnn.spec.edge import (
    DEFAULT_MAX_HEIGHT,
    DEFAULT_MAX_WIDTH,
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    SUPPORTED_PPC,
)
from fpgacnn.spec.errors import UsageError as CliError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``fpgacnn build``."""
    parser.add_argument("--board", required=True, metavar="NAME",
                        help=f"target board: {', '.join(available_boards())}")
    parser.add_argument("--model", required=True, metavar="MODEL",
                        help="model name (its firmware in hw/build/<model>/, written by "
                             "fpgacnn convert) or a model firmware folder")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="output folder of the build tree (e.g. boards/build/<board>)")
    parser.add_argument("--core-flow", choices=[f.value for f in CoreFlow],
                        default=CoreFlow.HLS.value,
                        help="classifier from hls4ml via Vitis HLS (hls, default) or from "
                             "the open RTL backend (rtl)")
    parser.add_argument("--edge-ppc", type=int, default=1, choices=SUPPORTED_PPC,
                        help="edge core pixels per clock (default 1)")
    parser.add_argument("--edge-max-width", type=int, default=DEFAULT_MAX_WIDTH, metavar="PX",
                        help=f"largest edge frame width, 1..{MAX_FRAME_WIDTH} "
                             f"(default {DEFAULT_MAX_WIDTH})")
    parser.add_argument("--edge-max-height", type=int, default=DEFAULT_MAX_HEIGHT, metavar="PX",
                        help=f"largest edge frame height, 1..{MAX_FRAME_HEIGHT} "
                             f"(default {DEFAULT_MAX_HEIGHT})")
    parser.add_argument("--jobs", type=int, default=2, help="Vivado run jobs (default 2)")
    parser.add_argument("--templates", type=Path, default=None, metavar="DIR",
                        help="folder of templates overriding the shipped ones (hook blocks)")
    parser.add_argument("--run", action="store_true",
                        help="run Vitis HLS / Vivado in batch mode (must be on PATH) and "
                             "finish the deployment package")


def run(args: argparse.Namespace) -> int:
    """Generate the build tree; with ``--run`` also run the vendor tools."""
    model_dir = model_dir_for(args.model)
    model = model_dir.name if Path(args.model).is_dir() else args.model
    try:
        cfg = BuildConfig(
            board=args.board, model=model, model_dir=model_dir, out_dir=args.out.resolve(),
            core_flow=CoreFlow(args.core_flow), edge_ppc=args.edge_ppc,
            edge_max_width=args.edge_max_width, edge_max_height=args.edge_max_height,
            jobs=args.jobs, template_dir=args.templates)
        state = generate(cfg)
        print(f"wrote the {cfg.board} build tree ({len(state.written)} files, hardware id "
              f"{state.design.hw_id}) to {cfg.out_dir}")
        if args.run:
            state = run_steps(cfg, RUN_STEPS, state)
            print(f"built {cfg.out_dir / 'package'}")
        else:
            print(f"  build it on a machine with Vivado: {cfg.out_dir / 'build.sh'}")
    except (BoardError, BuildInputError, BuildError, PackageBuildError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return 0
