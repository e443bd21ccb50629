"""The host-runtime demo: digits on photos, streamed through the pipeline as a video.

:func:`run_demo` composes a short video from scikit-image's bundled photos and
scikit-learn's handwritten digits (each frame: a photo, with a digit blown up to
fill the centre square the classifier sees), writes it losslessly (FFV1), streams
it back through :class:`~fpgacnn.sw.pipeline.Pipeline` on the ``rtl`` backend, checks
every edge map against the numpy golden model, and writes an annotated video, a PNG
contact sheet and ``summary.json``. On the default package (the board's default frame
path) every block is Verilated RTL, as in the fabric: the colour frame goes through
``fcnn_rgb2gray`` into the edge core and through ``fcnn_crop_scale`` into the open-RTL
classifier core; the host converts and crops nothing.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fpgacnn.spec.errors import ToolError

if TYPE_CHECKING:
    from fpgacnn.spec.package import Package

log = logging.getLogger(__name__)

#: scikit-image photos used as backgrounds.
PHOTOS = ("camera", "coins", "astronaut", "coffee", "rocket", "page")
FRAME_SIZE = (640, 480)


def digit_codes() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``load_digits`` as (N, 8, 8) uint8 codes ``min(16 p, 255)``, labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return np.minimum(d.images.astype(np.int64) * 16, 255).astype(np.uint8), d.target


def digit_frame(codes: np.ndarray, background: np.ndarray, *, width: int = 640,
                height: int = 480) -> np.ndarray:
    """A frame (like ``background``: gray or BGR, ``width`` x ``height``) showing ``codes``.

    The 8x8 codes fill the centred ``height`` x ``height`` square, each code a block of
    ``height // 8`` pixels; with ``height`` a multiple of 8 the default crop rule gives
    back exactly ``codes`` (area resize).
    """
    from fpgacnn.sw.image_io import fit_frame

    frame = fit_frame(background, width, height).copy()
    block = height // 8
    side = 8 * block
    y0, x0 = (height - side) // 2, (width - side) // 2
    big = np.kron(codes, np.ones((block, block), np.uint8))
    frame[y0:y0 + side, x0:x0 + side] = big if frame.ndim == 2 else big[:, :, None]
    return frame


def photo(name: str) -> np.ndarray:
    """A bundled scikit-image photo as gray or BGR uint8."""
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.ndim == 3:
        img = np.ascontiguousarray(img[:, :, 2::-1])  # RGB -> BGR
    return img.astype(np.uint8)


def compose_video(path: Path, *, n_frames: int = 12, fps: float = 4.0, seed: int = 0
                  ) -> list[int]:
    """Write a lossless BGR video (FFV1) of digit frames; return the true digit per frame."""
    import cv2

    codes, labels = digit_codes()
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(codes), size=n_frames, replace=False)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, FRAME_SIZE)
    if not writer.isOpened():
        raise ToolError(f"OpenCV cannot write FFV1 video to {path}")
    try:
        for i, k in enumerate(picks):
            bg = photo(PHOTOS[i % len(PHOTOS)])
            if bg.ndim == 2:
                bg = cv2.cvtColor(bg, cv2.COLOR_GRAY2BGR)
            writer.write(digit_frame(codes[k], bg))
    finally:
        writer.release()
    return [int(labels[k]) for k in picks]


def _frame_path_note(package: Package) -> str:
    """What the rtl backend simulates for ``package`` (the summary's ``note``)."""
    from fpgacnn.spec.crop_scale import crops_in_fabric
    from fpgacnn.spec.package import CoreKind

    edge = package.core(CoreKind.EDGE)
    color = edge is not None and edge.stream_in_bits == 24 * edge.ppc
    return ("edges: " + ("Verilated fcnn_rgb2gray -> " if color else "host gray -> ")
            + "Verilated fcnn_edge_core; classifier: "
            + ("Verilated fcnn_crop_scale -> " if crops_in_fabric(package) else "host crop -> ")
            + "Verilated open-RTL fcnn_classifier (generated from the shipped digits model)")


def run_demo(out_dir: Path, *, package: Path | None = None, n_frames: int = 12) -> dict[str, Any]:
    """Run the demo into ``out_dir``; return the summary (also written as summary.json).

    ``package`` defaults to the default simulation package (built on first use, ~1 min).
    Writes ``input.mkv``, ``annotated.mp4``, ``contact_sheet.png``, ``summary.json``.
    """
    import cv2

    from fpgacnn.apps.draw import annotate, contact_sheet
    from fpgacnn.apps.sim_package import default_package
    from fpgacnn.spec.edge import sobel_edges
    from fpgacnn.spec.frames import CropRule, gray_of
    from fpgacnn.sw.pipeline import Pipeline
    from fpgacnn.sw.sources import VideoFileSource

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pkg = package if package is not None else default_package().path
    truth = compose_video(out_dir / "input.mkv", n_frames=n_frames)
    results, annotated = [], []
    writer = cv2.VideoWriter(str(out_dir / "annotated.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             4.0, FRAME_SIZE)
    try:
        with Pipeline.open(pkg, "rtl") as pipe, \
                VideoFileSource(out_dir / "input.mkv") as src:
            crop = CropRule.from_dict(pipe.package.manifest.model.preprocessing)
            build_id = pipe.package.build_id
            t0 = time.perf_counter()  # streaming only: opening links the C-sim, builds nothing
            for frame in src:
                r = pipe.process(frame)
                golden = np.array_equal(r.edges, sobel_edges(gray_of(frame), pipe.threshold))
                results.append((r, golden))
                im = annotate(frame, r, crop=crop, truth=str(truth[r.index]))
                writer.write(im)
                annotated.append(im)
            wall = time.perf_counter() - t0
    finally:
        writer.release()
    cv2.imwrite(str(out_dir / "contact_sheet.png"), contact_sheet(annotated))
    labels = [r.label for r, _ in results]
    summary = {
        "package": str(pkg), "build_id": build_id, "backend": "rtl",
        "engines": dict(results[0][0].engines),
        "note": _frame_path_note(pipe.package),
        "frames": len(results), "frame_size": list(FRAME_SIZE),
        "labels": labels, "truth": truth,
        "accuracy": float(np.mean(np.array(labels) == np.array(truth))),
        "edges_match_golden": all(g for _, g in results),
        "edge_cycles_per_frame": results[0][0].edge_cycles,
        "frames_per_second_host": len(results) / wall,
        "mean_timings_s": {k: float(np.mean([r.timings.get(k, 0.0) for r, _ in results]))
                           for k in results[0][0].timings},
        "files": ["input.mkv", "annotated.mp4", "contact_sheet.png", "summary.json"],
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("demo: %d frames, accuracy %.2f, edges match golden: %s", len(results),
             summary["accuracy"], summary["edges_match_golden"])
    return summary
