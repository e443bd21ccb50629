"""``fpgacnn stream``: frames from a camera, video or image folder through a pipeline.

Draws the edge map and the label onto each frame (``--out`` video); ``--save-dir``
writes each frame's edge map as ``frame_NNNNNN_edges.png`` and one JSON line per
frame to ``results.jsonl`` (frame index, label, scores, timings), and a last line
``{"end": "complete" | "interrupted" | "error", "frames": N}`` that says whether
the results are whole (a run cut by Ctrl-C or an error is marked as such). Without
``--package`` the default simulation package (shipped ``digits`` model) is used,
built on first use.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

from fpgacnn.spec.edge import MAX_THRESHOLD
from fpgacnn.spec.errors import BackendError, FrameError, SourceError
from fpgacnn.spec.errors import UsageError as CliError
from fpgacnn.spec.outputs import check_writable, ensure_dir
from fpgacnn.spec.package import PackageError

log = logging.getLogger(__name__)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {text!r}")
    return w, h


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fpgacnn stream``."""
    parser.add_argument("--source", required=True,
                        help="camera:N, video:PATH or images:DIR (hdmi is refused: the board "
                        "design has no HDMI path)")
    parser.add_argument("--backend", default="rtl",
                        choices=["pynq", "rtl", "csim", "reference"],
                        help="where the cores run (default: rtl)")
    parser.add_argument("--package", type=Path, default=None,
                        help="deployment package folder (default: the simulation package of "
                             "the shipped digits model, built on first use)")
    parser.add_argument("--emulate", type=Path, default=None, metavar="BUILD_DIR",
                        help="with --backend pynq: run the board driver on the emulated board "
                             "of a tree fpgacnn build wrote (its design with simulated cores; "
                             "no board or bitstream needed)")
    parser.add_argument("--classifier-backend", choices=["rtl", "csim", "reference"],
                        default=None,
                        help="run the classifier on another engine than --backend (e.g. "
                             "--backend rtl --classifier-backend csim)")
    parser.add_argument("--no-classify", action="store_true", help="edges only")
    parser.add_argument("--threshold", type=int, default=0,
                        help=f"edge threshold (0: magnitude; 1..{MAX_THRESHOLD}: binary map)")
    parser.add_argument("--size", type=_size, default=None,
                        help="fit every frame to WIDTHxHEIGHT (scale and centre-crop)")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="deadline of every source read in seconds (default: 5)")
    parser.add_argument("--fps", type=float, default=10.0, help="frame rate of --out")
    parser.add_argument("--out", type=Path, default=None, help="annotated video (.mp4)")
    parser.add_argument("--save-dir", type=Path, default=None,
                        help="write edge PNGs and results.jsonl here")


def run(args: argparse.Namespace) -> int:
    """Stream; return 0. User errors raise :class:`fpgacnn.cli.CliError`."""
    from fpgacnn.apps.sim_package import default_package
    from fpgacnn.spec.frames import CropRule
    from fpgacnn.sw.pipeline import Pipeline
    from fpgacnn.sw.sources import open_source

    if args.max_frames is not None and args.max_frames < 1:
        raise CliError(f"--max-frames must be >= 1, got {args.max_frames}")
    if not (math.isfinite(args.fps) and 0 < args.fps <= 1000):
        raise CliError(f"--fps must be a frame rate in (0, 1000], got {args.fps:g}")
    if args.out is not None and args.out.suffix.lower() not in (".mp4", ".avi", ".mkv"):
        raise CliError(f"--out must end in .mp4, .avi or .mkv, got {str(args.out)!r}")
    if args.save_dir is not None:
        ensure_dir(args.save_dir, "the --save-dir folder")
    if args.out is not None:
        check_writable(args.out)
    options = _emulation(args)
    try:
        source = open_source(args.source, timeout_s=args.timeout)
    except (ValueError, SourceError) as exc:
        raise CliError(str(exc)) from None
    writer = jsonl = None
    n, t0 = 0, time.perf_counter()
    end = "error"  # what the last line of results.jsonl says: complete, interrupted, error
    try:
        package = options.pop("package", None) or (
            args.package if args.package is not None else default_package().path)
        with source, Pipeline.open(package, args.backend, threshold=args.threshold,
                                   classify=not args.no_classify,
                                   classifier_backend=args.classifier_backend,
                                   **options) as pipe:
            model = pipe.package.manifest.model
            crop = CropRule.from_dict(model.preprocessing) if pipe.classifies and model else None
            if args.save_dir is not None:
                jsonl = open(args.save_dir / "results.jsonl", "w")  # noqa: SIM115
            frames = _fitted(source, args.size)
            for frame, result in _zip_frames(pipe, frames, args.max_frames):
                n += 1
                if args.out is not None:
                    writer = _write_video(writer, args.out, frame, result, crop, args.fps)
                if args.save_dir is not None:
                    _save(args.save_dir, result, jsonl)
                log.info("frame %d: label %s", result.index, result.label_name)
        end = "complete"
    except KeyboardInterrupt:
        end = "interrupted"
        raise
    except (BackendError, FrameError, SourceError, PackageError) as exc:
        no_rtl = "no generated classifier RTL" in str(exc)
        hint = " (use --classifier-backend csim or --no-classify)" if no_rtl else ""
        raise CliError(f"{exc}{hint}") from None
    finally:
        if writer is not None:
            writer.release()
        if jsonl is not None:  # the mark that says whether the results are whole
            jsonl.write(json.dumps({"end": end, "frames": n}) + "\n")
            jsonl.close()
    dt = time.perf_counter() - t0
    print(f"{n} frames in {dt:.2f} s ({n / dt if dt else 0:.1f} frames/s) on {args.backend}")
    return 0


def _emulation(args: argparse.Namespace) -> dict:
    """``--emulate``: the build tree's package and the emulated board's ``pynq`` module."""
    if args.emulate is None:
        return {}
    if args.backend != "pynq":
        raise CliError(f"--emulate runs the pynq backend on an emulated board; got --backend "
                       f"{args.backend} (use --backend pynq)")
    if args.package is not None:
        raise CliError("--emulate uses the package of its build tree; drop --package")
    from fpgacnn.apps.emulate import emulated_board, emulated_package
    from fpgacnn.spec.errors import FpgacnnError

    try:
        package = emulated_package(args.emulate).path
        board = emulated_board(args.emulate)
    except (FpgacnnError, ValueError) as exc:
        raise CliError(f"--emulate {args.emulate}: {exc}") from None
    return {"package": package, "pynq": board.module()}


def _fitted(source, size):  # noqa: ANN001, ANN202 - iterator of frames
    from fpgacnn.sw.image_io import fit_frame

    for frame in source:
        yield frame if size is None else fit_frame(frame, *size)


def _zip_frames(pipe, frames, max_frames):  # noqa: ANN001, ANN202
    """Yield (frame, result) pairs from the pipelined stream."""
    kept: list = []

    def tap():  # noqa: ANN202
        for f in frames:
            kept.append(f)
            yield f

    for result in pipe.stream(tap(), max_frames=max_frames):
        yield kept.pop(0), result


def _write_video(writer, path: Path, frame, result, crop, fps: float):  # noqa: ANN001, ANN202
    import cv2

    from fpgacnn.apps.draw import annotate

    image = annotate(frame, result, crop=crop)
    if writer is None:
        fourcc = cv2.VideoWriter_fourcc(*("FFV1" if path.suffix.lower() == ".mkv" else "mp4v"))
        writer = cv2.VideoWriter(str(path), fourcc, fps, (image.shape[1], image.shape[0]))
        if not writer.isOpened():
            raise CliError(f"cannot write video {str(path)!r}")
    writer.write(image)
    return writer


def _save(save_dir: Path, result, jsonl) -> None:  # noqa: ANN001
    from fpgacnn.sw.image_io import write_image

    write_image(save_dir / f"frame_{result.index:06d}_edges.png", result.edges)
    jsonl.write(json.dumps(result.to_json()) + "\n")
