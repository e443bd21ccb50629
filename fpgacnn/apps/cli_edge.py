"""``fpgacnn edge``: run the edge-detection core on one image file.

Reads any image OpenCV decodes; colour is converted to gray with ITU-R BT.601
luma, ``Y = 0.299 R + 0.587 G + 0.114 B`` rounded to nearest, exactly as
``cv2.COLOR_BGR2GRAY`` (:mod:`fpgacnn.sw.image_io`). The gray frame goes through

* ``--backend rtl`` (default): the Verilated RTL of ``fcnn_edge_core`` in the fast
  frame harness (:mod:`fpgacnn.sim.edge_harness`), built on first use for the
  chosen ``--ppc`` and the smallest standard maximum size that holds the image;
  its output is also checked against the reference model;
* ``--backend reference``: the numpy golden model (:mod:`fpgacnn.spec.edge`).

The edge map is written to ``--out`` (format from the extension, parent folders
created) and one summary line is printed. Exit codes: 0 done, 1 the RTL output
differs from the reference model, 2 a usage error (unreadable image, bad option).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from fpgacnn.spec.edge import (
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    MAX_THRESHOLD,
    SUPPORTED_PPC,
    sobel_edges,
)
from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import ensure_dir
from fpgacnn.sw.image_io import ImageIOError, check_writable, read_gray, write_image

log = logging.getLogger(__name__)

BACKENDS = ("rtl", "reference")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``edge`` subcommand's arguments to ``parser``."""
    parser.add_argument(
        "image",
        type=Path,
        metavar="IMAGE",
        help="input image, any format OpenCV reads; colour is converted to gray with "
        "ITU-R BT.601 (Y = 0.299 R + 0.587 G + 0.114 B, rounded; exactly "
        "cv2.COLOR_BGR2GRAY)",
    )
    parser.add_argument(
        "--backend",
        default="rtl",
        choices=BACKENDS,
        help="rtl: the Verilated core in the C++ harness, checked against the reference; "
        "reference: the numpy golden model (default: rtl)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="OUT.png",
        help="output edge map (format from the extension; folders are created)",
    )
    parser.add_argument(
        "--ppc",
        type=int,
        default=1,
        metavar="N",
        help="pixels per clock of the RTL core: 1, 2, 4 or 8 (default: 1)",
    )
    parser.add_argument(
        "--threshold",
        type=int,
        default=0,
        metavar="T",
        help=f"0: gradient magnitude min(255, |Gx|+|Gy|); 1..{MAX_THRESHOLD}: binary edge "
        "map, 255 where |Gx|+|Gy| >= T (default: 0)",
    )


def check_edge_options(args: argparse.Namespace) -> None:
    """``--ppc`` and ``--threshold`` against the edge core's limits (``edge`` and ``demo``)."""
    if args.ppc not in SUPPORTED_PPC:
        choices = ", ".join(str(p) for p in SUPPORTED_PPC)
        raise CliError(f"--ppc must be one of {choices}, got {args.ppc}")
    if not 0 <= args.threshold <= MAX_THRESHOLD:
        raise CliError(f"--threshold must be in 0..{MAX_THRESHOLD}, got {args.threshold}")


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit code (see the module docstring)."""
    check_edge_options(args)
    try:
        check_writable(args.out)
        ensure_dir(args.out.parent, "the folder of --out")
        gray = read_gray(args.image)
    except ImageIOError as exc:
        raise CliError(str(exc)) from exc
    h, w = gray.shape
    log.info("%s: %dx%d gray, backend %s", args.image, w, h, args.backend)
    reference = sobel_edges(gray, args.threshold)
    if args.backend == "reference":
        edges, detail, exit_code = reference, "reference model", 0
    else:
        edges, detail, exit_code = _run_rtl(gray, args.ppc, args.threshold, reference)
    try:
        write_image(args.out, edges)
    except ImageIOError as exc:
        raise CliError(str(exc)) from exc
    print(f"{args.image}: {w}x{h}, {detail} -> {args.out}")
    return exit_code


def _run_rtl(
    gray: np.ndarray, ppc: int, threshold: int, reference: np.ndarray
) -> tuple[np.ndarray, str, int]:
    """Run the RTL harness; return (edges, summary detail, exit code)."""
    from fpgacnn.sim.edge_harness import EdgeHarness, maxima_for
    from fpgacnn.sim.edge_harness_build import HarnessBuildError, HarnessParams, is_built

    h, w = gray.shape
    # refused before any build: no core can be elaborated for a larger frame
    if w > MAX_FRAME_WIDTH or h > MAX_FRAME_HEIGHT:
        raise CliError(f"frame of {w}x{h} pixels exceeds the core's maximum "
                       f"{MAX_FRAME_WIDTH}x{MAX_FRAME_HEIGHT}")
    max_w, max_h = maxima_for(w, h)
    params = HarnessParams(ppc=ppc, max_width=max_w, max_height=max_h)
    if not is_built(params):
        print(
            f"fpgacnn edge: building the RTL simulation ({params.key}, first use; "
            "about half a minute)",
            file=sys.stderr,
        )
    try:
        with EdgeHarness(ppc=ppc, max_width=max_w, max_height=max_h) as harness:
            result = harness.run([gray], threshold=threshold)
    except HarnessBuildError as exc:
        raise CliError(f"cannot build the RTL simulation: {exc}") from exc
    edges = result.frames[0]
    mismatches = int((edges != reference).sum())
    check = "bit-exact with the reference model"
    if mismatches:
        check = f"{mismatches} pixels differ from the reference model"
        print(f"fpgacnn edge: error: RTL output: {check}", file=sys.stderr)
    detail = (
        f"rtl PPC={ppc}: {result.frame_cycles[0]} cycles, "
        f"latency {result.latency[0]} cycles, {check}"
    )
    return edges, detail, 1 if mismatches else 0
