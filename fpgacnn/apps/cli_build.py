"""``fpgacnn build --board NAME --model MODEL --out DIR [--core-flow rtl|hls] [--run]``.

``MODEL`` is a conversion folder or a model name; a name whose conversion does not exist
yet (``build/convert/<model>/conversion.json``) is converted first, exactly as
``fpgacnn convert MODEL --out build/convert/<model>`` does (``--no-rtl`` for the hls
flow, which does not need the RTL core): a fresh clone builds in one command. Every
step prints one line.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from fpgacnn.boards.board import BoardError, available_boards, load_board
from fpgacnn.boards.build import RUN_STEPS, BuildError, generate, run_steps
from fpgacnn.boards.config import BuildConfig, ClassifierInput, CoreFlow, EdgeInput
from fpgacnn.boards.finalize import PackageBuildError
from fpgacnn.boards.sources import CONVERSION_FILE, BuildInputError, model_dir_for
from fpgacnn.spec.edge import (
    DEFAULT_MAX_HEIGHT,
    DEFAULT_MAX_WIDTH,
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    SUPPORTED_PPC,
)
from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import check_creatable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``fpgacnn build``."""
    parser.add_argument("--board", required=True, metavar="NAME",
                        help=f"target board: {', '.join(available_boards())}")
    parser.add_argument("--model", required=True, metavar="MODEL",
                        help="model name (its conversion in build/convert/<model>/; converted "
                             "first when there is none) or a conversion folder")
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
    defaults = {f.name: f.default for f in fields(BuildConfig)}
    parser.add_argument("--edge-input", choices=[e.value for e in EdgeInput],
                        default=defaults["edge_input"].value,
                        help="what the edge DMA carries: the BGR frame as it came (color, "
                             "default; fcnn_rgb2gray in the fabric) or gray pixels (gray; the "
                             "host converts colour)")
    parser.add_argument("--classifier-input", choices=[e.value for e in ClassifierInput],
                        default=defaults["classifier_input"].value,
                        help="where the classifier's image is cut from the frame: in the "
                             "fabric (fabric, default; the edge DMA's stream is broadcast to "
                             "fcnn_crop_scale, the host only moves frames) or on the host "
                             "(host; the classifier DMA sends it; for models whose input "
                             "rule the crop block does not implement)")
    parser.add_argument("--jobs", type=int, default=2, help="Vivado run jobs (default 2)")
    parser.add_argument("--templates", type=Path, default=None, metavar="DIR",
                        help="folder of templates overriding the shipped ones (hook blocks)")
    parser.add_argument("--run", action="store_true",
                        help="run Vitis HLS / Vivado in batch mode (must be on PATH) and "
                             "finish the deployment package")


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def convert_first(model: str, model_dir: Path, flow: CoreFlow) -> None:
    """Run ``fpgacnn convert MODEL --out MODEL_DIR`` (``--no-rtl`` for the hls flow), its
    progress lines included; its errors propagate (one line each, from the CLI)."""
    from fpgacnn.apps import cli_convert

    argv = [model, "--out", str(model_dir)] + (["--no-rtl"] if flow is CoreFlow.HLS else [])
    print(f"no conversion of {model} yet: converting it first (fpgacnn convert "
          f"{' '.join(argv)})", flush=True)
    parser = argparse.ArgumentParser(prog="fpgacnn convert")
    cli_convert.add_arguments(parser)
    cli_convert.run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Generate the build tree (converting the model first when it has no conversion);
    with ``--run`` also run the vendor tools."""
    model_dir = model_dir_for(args.model)
    model = model_dir.name if Path(args.model).is_dir() else args.model
    try:  # every option is checked before any work (a conversion takes minutes)
        cfg = BuildConfig(
            board=args.board, model=model, model_dir=model_dir, out_dir=args.out.resolve(),
            core_flow=CoreFlow(args.core_flow), edge_ppc=args.edge_ppc,
            edge_max_width=args.edge_max_width, edge_max_height=args.edge_max_height,
            edge_input=EdgeInput(args.edge_input),
            classifier_input=ClassifierInput(args.classifier_input), jobs=args.jobs,
            template_dir=args.templates)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not Path(args.model).is_dir() and not (model_dir / CONVERSION_FILE).is_file():
        try:
            load_board(args.board)  # a wrong board is refused before the conversion
        except BoardError as exc:
            raise CliError(str(exc)) from None
        check_creatable(args.out, "the build tree folder")  # and an --out that cannot be made
        convert_first(args.model, model_dir, cfg.core_flow)
    try:
        print(f"generating the {cfg.board} build tree in {cfg.out_dir}", flush=True)
        state = generate(cfg, progress=_say)
        print(f"wrote the {cfg.board} build tree ({len(state.written)} files, hardware id "
              f"{state.design.hw_id}) to {cfg.out_dir}")
        if args.run:
            state = run_steps(cfg, RUN_STEPS, state, progress=_say)
            print(f"built {cfg.out_dir / 'package'}")
        else:
            print(f"  build it on a machine with Vivado: {cfg.out_dir / 'build.sh'}")
    except (BoardError, BuildInputError, BuildError, PackageBuildError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return 0
