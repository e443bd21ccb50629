"""``fpgacnn demo``: the edge core's RTL on scikit-image's bundled photos, checked bit for bit.

For each photo (gray, or colour converted with ITU-R BT.601 as
:mod:`fpgacnn.sw.image_io` documents), fitted to ``--size`` (default 640x480:
scaled to cover, centre crop) or at its native size, the demo streams the frames
back to back through the Verilated ``fcnn_edge_core`` in the fast frame harness,
compares every output with the numpy golden model, and writes into ``--out``:

* ``<name>_in.png`` and ``<name>_edges.png`` for every photo;
* ``contact_sheet.png``: inputs and edge maps side by side, one photo per row;
* ``summary.json``: settings, and per photo its size, cycles (first input beat to
  last output beat), latency (first input beat to first output beat), the number of
  pixels that differ from the golden model and whether it matches.

Exit code 0 when every output matches the golden model, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fpgacnn.spec.edge import MAX_THRESHOLD, sobel_edges
from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import check_creatable
from fpgacnn.spec.paths import output_root

log = logging.getLogger(__name__)

#: Photos of ``skimage.data`` the demo uses by default (all bundled, no download).
DEFAULT_IMAGES: tuple[str, ...] = (
    "camera",
    "coins",
    "astronaut",
    "moon",
    "page",
    "text",
    "coffee",
    "rocket",
    "brick",
    "clock",
)
#: Height of one tile of the contact sheet, in pixels.
SHEET_TILE_HEIGHT = 240


@dataclass(frozen=True)
class DemoImage:
    """Result of one photo (one entry of ``summary.json``)."""

    name: str
    source_shape: tuple[int, ...]
    width: int
    height: int
    cycles: int
    latency: int
    mismatched_pixels: int
    matches_golden: bool


def load_photo(name: str) -> np.ndarray:
    """Return ``skimage.data.<name>()`` as a uint8 gray frame (BT.601 for colour photos).

    Raises :class:`~fpgacnn.spec.errors.UsageError` naming the photo when scikit-image has
    no such photo.
    """
    import skimage.data

    from fpgacnn.sw.image_io import gray_from_rgb

    loader: Callable[[], np.ndarray] | None = getattr(skimage.data, name, None)
    if loader is None or name.startswith("_") or not callable(loader):
        raise CliError(f"scikit-image has no bundled photo {name!r}")
    image = np.asarray(loader())
    if image.dtype == np.bool_:
        image = image.astype(np.uint8) * 255
    if image.dtype != np.uint8:
        raise CliError(f"skimage.data.{name}() is {image.dtype}, not an 8-bit photo")
    return np.ascontiguousarray(gray_from_rgb(image))


def parse_size(text: str) -> tuple[int, int] | None:
    """Parse ``WxH`` (e.g. ``640x480``) into (width, height); ``native`` gives None."""
    if text == "native":
        return None
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise CliError(f"--size must be WIDTHxHEIGHT (e.g. 640x480) or 'native', got {text!r}")
    return int(m.group(1)), int(m.group(2))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``demo`` subcommand's arguments to ``parser``."""
    parser.add_argument(
        "--out",
        type=Path,
        default=output_root() / "demo",
        help=f"output folder (default: {output_root() / 'demo'})",
    )
    parser.add_argument(
        "--images",
        nargs="+",
        default=list(DEFAULT_IMAGES),
        metavar="NAME",
        help="skimage.data photos to use (default: " + " ".join(DEFAULT_IMAGES) + ")",
    )
    parser.add_argument(
        "--size",
        default="640x480",
        help="frame size WIDTHxHEIGHT (photos scaled to cover, centre crop) or 'native' "
        "(default: 640x480)",
    )
    parser.add_argument("--ppc", type=int, default=1, help="pixels per clock (default: 1)")
    parser.add_argument(
        "--no-stream",
        action="store_true",
        help="skip part two (the streaming pipeline with the digits classifier)",
    )
    parser.add_argument(
        "--threshold",
        type=int,
        default=0,
        help=f"0: gradient magnitude; 1..{MAX_THRESHOLD}: binary edge map (default: 0)",
    )


def contact_sheet(rows: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Return a uint8 gray sheet: one row per (label, input, output), both scaled alike."""
    import cv2

    tiles: list[np.ndarray] = []
    th = SHEET_TILE_HEIGHT
    widths = [max(1, round(inp.shape[1] * th / inp.shape[0])) for _, inp, _ in rows]
    tw = max(widths)
    for (label, inp, out), w in zip(rows, widths, strict=True):
        row = np.full((th, 2 * tw + 8), 40, dtype=np.uint8)
        for k, img in enumerate((inp, out)):
            interp = cv2.INTER_AREA if img.shape[0] > th else cv2.INTER_NEAREST
            scaled = cv2.resize(img, (w, th), interpolation=interp)
            x0 = k * (tw + 8)
            row[:, x0 : x0 + w] = scaled
        cv2.putText(row, label, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 3, cv2.LINE_AA)
        cv2.putText(row, label, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
        tiles.append(row)
        tiles.append(np.full((8, row.shape[1]), 40, dtype=np.uint8))
    return np.vstack(tiles[:-1])


def run_demo(
    *,
    out_dir: Path,
    images: Sequence[str] = DEFAULT_IMAGES,
    size: tuple[int, int] | None = (640, 480),
    ppc: int = 1,
    threshold: int = 0,
) -> list[DemoImage]:
    """Run the demo (see the module docstring); return one :class:`DemoImage` per photo.

    ``size`` None keeps native sizes. Frames of one size go through the core in one
    back-to-back run.
    """
    from fpgacnn.sim.edge_harness import EdgeHarness, maxima_for
    from fpgacnn.sw.image_io import fit_frame, write_image

    out_dir.mkdir(parents=True, exist_ok=True)
    frames: list[tuple[str, tuple[int, ...], np.ndarray]] = []
    for name in images:
        gray = load_photo(name)
        frame = gray if size is None else fit_frame(gray, *size)
        frames.append((name, gray.shape, frame))
        log.info("%s: %dx%d -> %dx%d", name, gray.shape[1], gray.shape[0], *frame.shape[::-1])
    max_w, max_h = maxima_for(
        max(f.shape[1] for _, _, f in frames), max(f.shape[0] for _, _, f in frames)
    )
    log.info("simulating fcnn_edge_core PPC=%d (MAX %dx%d)", ppc, max_w, max_h)
    results: list[DemoImage] = []
    sheet_rows: list[tuple[str, np.ndarray, np.ndarray]] = []
    with EdgeHarness(ppc=ppc, max_width=max_w, max_height=max_h) as harness:
        run = harness.run([f for _, _, f in frames], threshold=threshold)
    for k, (name, shape, frame) in enumerate(frames):
        edges = run.frames[k]
        bad = int((edges != sobel_edges(frame, threshold)).sum())
        item = DemoImage(
            name=name,
            source_shape=tuple(int(v) for v in shape),
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            cycles=run.frame_cycles[k],
            latency=run.latency[k],
            mismatched_pixels=bad,
            matches_golden=bad == 0,
        )
        results.append(item)
        write_image(out_dir / f"{name}_in.png", frame)
        write_image(out_dir / f"{name}_edges.png", edges)
        sheet_rows.append((name, frame, edges))
        log.log(
            logging.INFO if bad == 0 else logging.ERROR,
            "%s: %dx%d, %d cycles, latency %d, %s",
            name,
            item.width,
            item.height,
            item.cycles,
            item.latency,
            "matches the golden model" if bad == 0 else f"{bad} pixels differ from the golden",
        )
    write_image(out_dir / "contact_sheet.png", contact_sheet(sheet_rows))
    summary = {
        "core": "fcnn_edge_core",
        "ppc": ppc,
        "max_width": max_w,
        "max_height": max_h,
        "threshold": threshold,
        "size": None if size is None else list(size),
        "steady_state_cycles_per_frame": run.steady_state_cycles_per_frame,
        "all_match": all(r.matches_golden for r in results),
        "images": [asdict(r) for r in results],
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("wrote %s", out_dir)
    return results


def run(args: argparse.Namespace) -> int:
    """Run the ``demo`` command; return 0 when every output matches the golden model."""
    from fpgacnn.apps.cli_edge import check_edge_options

    check_edge_options(args)
    check_creatable(args.out, "the --out folder")
    size = parse_size(args.size)
    for name in args.images:
        load_photo(name)  # fail before any simulation
    results = run_demo(
        out_dir=args.out, images=args.images, size=size, ppc=args.ppc, threshold=args.threshold
    )
    ok = sum(r.matches_golden for r in results)
    print(f"demo: {ok}/{len(results)} images match the golden model; results in {args.out}")
    if args.no_stream:
        return 0 if ok == len(results) else 1
    # Part two: the runtime pipeline (edges on the RTL + the shipped digits classifier)
    # on a short video composed from bundled photos and handwritten digits.
    from fpgacnn.apps.stream_demo import run_demo as run_stream_demo

    summary = run_stream_demo(args.out / "stream")
    print(f"demo: stream results in {args.out / 'stream'}: "
          + ", ".join(f"{k}={summary[k]}" for k in sorted(summary)
                      if isinstance(summary[k], (int, float, str)))[:400])
    return 0 if ok == len(results) else 1
