"""``fpgacnn package``: build a simulation deployment package (no bitstream)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgacnn.spec.edge import SUPPORTED_PPC


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fpgacnn package``."""
    from fpgacnn.apps.sim_package import CLASSIFIER_INPUTS, EDGE_INPUTS, default_package_dir

    parser.add_argument("--model", default="digits",
                        help="zoo name or saved-model folder (default: the shipped digits)")
    parser.add_argument("--out", type=Path, default=default_package_dir(),
                        help=f"package folder (default: {default_package_dir()})")
    parser.add_argument("--ppc", type=int, default=4, choices=SUPPORTED_PPC,
                        help="edge core pixels per clock (default: 4)")
    parser.add_argument("--max-width", type=int, default=640)
    parser.add_argument("--max-height", type=int, default=480)
    parser.add_argument("--no-csim", action="store_true",
                        help="skip the hls4ml conversion (no csim backend)")
    parser.add_argument("--edge-input", choices=EDGE_INPUTS, default=EDGE_INPUTS[0],
                        help="the frame path's edge input, as fpgacnn build's: colour frames "
                             "through fcnn_rgb2gray (the rtl backend simulates it), or gray "
                             f"(default: {EDGE_INPUTS[0]})")
    parser.add_argument("--classifier-input", choices=CLASSIFIER_INPUTS,
                        default=CLASSIFIER_INPUTS[0],
                        help="where the classifier's input is cut, as fpgacnn build's: by "
                             "fcnn_crop_scale from the frame stream (the rtl backend "
                             "simulates it), or on the host in numpy "
                             f"(default: {CLASSIFIER_INPUTS[0]})")


def run(args: argparse.Namespace) -> int:
    """Build the package; print its folder and build id."""
    from fpgacnn.apps.sim_package import build_sim_package

    pkg = build_sim_package(args.out, model=args.model, ppc=args.ppc,
                            max_width=args.max_width, max_height=args.max_height,
                            csim=not args.no_csim, edge_input=args.edge_input,
                            classifier_input=args.classifier_input)
    print(f"{pkg.path} (build {pkg.build_id})")
    return 0
