"""Frames per second of each backend at 640x480, edges only and with classification.

``measure(package)`` streams composed digit frames (BGR 640x480) through every
simulation backend and reports frames/s, the mean per-stage timings and the host
overhead per frame (total minus the time the cores report for themselves: on
``rtl`` the simulated cycles at the package clock; on ``reference``/``csim`` there is
no core, so everything is host time). Wall-clock numbers: for reports, never asserted.

``measure_host(tree)`` runs the ``pynq`` backend on the emulated board of a build tree
(``fpgacnn build`` output; :mod:`fpgacnn.apps.emulate`) and reports the host CPU time
per frame, ``timings.host`` (the frame's stages minus the time spent waiting on the
hardware, ``hw_wait``), with its breakdown: check, gray, crop (per-pixel work on the
host; 0 on a ``--classifier-input fabric`` design, whose crop block cuts the image),
submit, collect, DMA set-up, result decode (the driver's own work), and the frames/s
of the stream (the emulation's speed, not the board's). The
emulated cores run inside the waits, so ``hw_wait`` is the emulation's speed, not the
board's; the host columns are what the driver costs on this machine.

``measure_rtl(package)`` gives the ``rtl`` backend's steady-state frames/s per frame size
with classification, on a package of either frame path: with the board's default one
(colour edge input, classifier input cut in the fabric) the Verilated ``fcnn_rgb2gray``
and ``fcnn_crop_scale`` run beside the edge core; with ``--edge-input gray
--classifier-input host`` the host converts and crops in numpy.
``frame_path_rates()`` gives the edge frame path's cycles per frame and latency per PPC
at 720p and 1080p from the Verilated core, and the camera rates that sustains.

``python -m fpgacnn.apps.bench_stream --tree DIR [--tree DIR2 ...] [--rtl PACKAGE ...]
[--out DIR]`` writes the tables to ``OUT/stream_report.md`` (default ``build/bench``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.sw.pipeline import Pipeline

CONFIGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("reference", {}), ("csim", {}), ("rtl", {}))


def measure(package: Path, *, n_frames: int = 20, warmup: int = 2) -> list[dict[str, Any]]:
    """One row per (backend, classify): fps, mean timings (ms), host overhead (ms)."""
    from fpgacnn.apps.stream_demo import digit_codes, digit_frame, photo

    codes, _ = digit_codes()
    bg = photo("astronaut")
    frames = [digit_frame(codes[i], bg) for i in range(n_frames)]
    rows = []
    for backend, opts in CONFIGS:
        for classify in (False, True):
            with Pipeline.open(package, backend, classify=classify,
                               **(opts if classify else {})) as pipe:
                for f in frames[:warmup]:
                    pipe.process(f)
                t0 = time.perf_counter()
                results = list(pipe.stream(frames))
                wall = time.perf_counter() - t0
            keys = sorted({k for r in results for k in r.timings})
            rows.append({
                "backend": backend, "classify": classify,
                "engines": dict(results[0].engines),
                "fps": len(results) / wall,
                "ms": {k: 1e3 * float(np.mean([r.timings.get(k, 0.0) for r in results]))
                       for k in keys},
                "host_overhead_ms": 1e3 * float(np.mean([r.host_overhead for r in results])),
                "edge_cycles": results[0].edge_cycles,
            })
    return rows


#: Frame sizes of :func:`measure_rtl` (width, height), within the default package's maxima.
RTL_SIZES: tuple[tuple[int, int], ...] = ((160, 120), (320, 240), (640, 480))


def measure_rtl(package: Path, *, sizes: tuple[tuple[int, int], ...] = RTL_SIZES,
                n_frames: int = 20, warmup: int = 2) -> list[dict[str, Any]]:
    """The ``rtl`` backend with classification on ``package``, one row per frame size:
    steady-state frames/s (streaming, after ``warmup`` frames) and the mean per-stage
    timings (ms) of colour digit frames."""
    from fpgacnn.apps.stream_demo import digit_codes, digit_frame, photo
    from fpgacnn.spec.crop_scale import crops_in_fabric
    from fpgacnn.spec.package import CoreKind, load_package

    pkg = load_package(package)
    edge = pkg.core(CoreKind.EDGE)
    assert edge is not None
    path = (("fcnn_rgb2gray" if edge.stream_in_bits == 24 * edge.ppc else "host gray") + ", "
            + ("fcnn_crop_scale" if crops_in_fabric(pkg) else "host crop"))
    codes, _ = digit_codes()
    bg = photo("astronaut")
    rows = []
    with Pipeline.open(pkg, "rtl") as pipe:
        for width, height in sizes:
            frames = [digit_frame(codes[i], bg, width=width, height=height)
                      for i in range(n_frames)]
            for f in frames[:warmup]:
                pipe.process(f)
            t0 = time.perf_counter()
            results = list(pipe.stream(frames))
            wall = time.perf_counter() - t0
            rows.append({"frame_path": path, "size": (width, height),
                         "fps": len(results) / wall,
                         "ms": {k: 1e3 * float(np.mean([r.timings.get(k, 0.0)
                                                        for r in results]))
                                for k in ("gray", "edge", "crop", "classify", "total")}})
    return rows


def rtl_markdown(rows: list[dict[str, Any]]) -> str:
    """:func:`measure_rtl` rows as a markdown table."""
    out = ["| frame path (rtl backend) | frame | frames/s | gray ms | edge ms | crop ms | "
           "classify ms | total ms |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ms = r["ms"]
        out.append(f"| {r['frame_path']} | {r['size'][0]}x{r['size'][1]} | {r['fps']:.1f} | "
                   + " | ".join(f"{ms[k]:.2f}" for k in ("gray", "edge", "crop", "classify",
                                                          "total")) + " |")
    return "\n".join(out)


#: The host breakdown's columns: Result.timings keys, in table order.
HOST_COLUMNS = ("check", "gray", "crop", "host_submit", "host_collect", "host_dma",
                "host_decode", "host")


def measure_host(tree: Path, *, n_frames: int = 20, warmup: int = 2, label: str = ""
                 ) -> dict[str, Any]:
    """Host CPU time per 640x480 colour frame of the ``pynq`` backend on the emulated
    board of build tree ``tree`` (streaming, classification on): means in ms of
    :data:`HOST_COLUMNS`, plus ``hw_wait`` and ``total``; ``label`` names the row."""
    from fpgacnn.apps.emulate import open_emulated
    from fpgacnn.apps.stream_demo import digit_codes, digit_frame, photo

    codes, _ = digit_codes()
    bg = photo("astronaut")
    frames = [digit_frame(codes[i], bg) for i in range(n_frames)]
    with open_emulated(tree, timeout_s=30) as pipe:
        for f in frames[:warmup]:
            pipe.process(f)
        t0 = time.perf_counter()
        results = list(pipe.stream(frames))
        wall = time.perf_counter() - t0
    keys = (*HOST_COLUMNS, "hw_wait", "total")
    return {"label": label, "frames": len(results), "engines": dict(results[0].engines),
            "fps": len(results) / wall,
            "ms": {k: 1e3 * float(np.mean([r.timings.get(k, 0.0) for r in results]))
                   for k in keys},
            "host_max_ms": 1e3 * max(r.timings["host"] for r in results)}


def host_markdown(rows: list[dict[str, Any]]) -> str:
    """:func:`measure_host` rows as a markdown table (ms per frame)."""
    out = ["| design | check | gray | crop | submit | collect | DMA set-up | decode | "
           "**host** | host max | waiting on hw | frames/s (emulated) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ms = r["ms"]
        cells = " | ".join(f"{ms[k]:.3f}" for k in HOST_COLUMNS[:-1])
        out.append(f"| {r['label']} | {cells} | **{ms['host']:.3f}** | "
                   f"{r['host_max_ms']:.3f} | {ms['hw_wait']:.1f} | {r['fps']:.1f} |")
    return "\n".join(out)


#: Camera modes the frame path is checked against: name, width, height, frames/s.
CAMERA_MODES = (("720p60", 1280, 720, 60), ("1080p60", 1920, 1080, 60))
#: Cycles ``fcnn_rgb2gray`` adds in front of the edge core on the colour frame path
#: (its two pipeline stages, hw/rtl/fcnn_rgb2gray.sv; per pixel, never a stall).
RGB2GRAY_LATENCY = 2


def frame_path_rates(*, ppcs: tuple[int, ...] = (1, 2, 4, 8), clock_hz: float = 100e6,
                     frames: int = 3, seed: int = 0) -> list[dict[str, Any]]:
    """The edge frame path's cycle budget per PPC, from simulation (Verilated
    ``fcnn_edge_core`` at MAX 1920x1080, random frames, no idle, no backpressure), for
    each of :data:`CAMERA_MODES`: steady-state cycles per frame, latency from the first
    pixel in to the first and to the last edge pixel out (plus
    :data:`RGB2GRAY_LATENCY` on the colour path), the frames/s that makes at
    ``clock_hz`` and whether the camera mode is sustained."""
    from fpgacnn.sim.edge_harness import EdgeHarness

    rng = np.random.default_rng(seed)
    rows = []
    for ppc in ppcs:
        h = EdgeHarness(ppc=ppc, max_width=1920, max_height=1080)
        try:
            for name, width, height, fps in CAMERA_MODES:
                imgs = [rng.integers(0, 256, (height, width), np.uint8) for _ in range(frames)]
                run = h.run(imgs)
                per_frame = run.steady_state_cycles_per_frame
                assert per_frame is not None
                rate = clock_hz / per_frame
                rows.append({
                    "ppc": ppc, "mode": name, "cycles_per_frame": per_frame,
                    "first_out": run.latency[0] + RGB2GRAY_LATENCY,
                    "last_out": run.frame_cycles[0] + RGB2GRAY_LATENCY,
                    "fps": rate, "sustains": rate >= fps, "clock_mhz": clock_hz / 1e6})
        finally:
            h.close()
    return rows


def rates_markdown(rows: list[dict[str, Any]]) -> str:
    """:func:`frame_path_rates` rows as a markdown table."""
    out = ["| PPC | mode | cycles/frame | latency first pixel in -> first / last edge pixel "
           "out (cycles) | frames/s at the clock | sustains |",
           "|---:|---|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['ppc']} | {r['mode']} | {r['cycles_per_frame']:,.0f} | "
                   f"{r['first_out']:,} / {r['last_out']:,} | {r['fps']:.1f} at "
                   f"{r['clock_mhz']:g} MHz | {'yes' if r['sustains'] else 'no'} |")
    return "\n".join(out)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    out = ["| backend | engines | classify | frames/s | edge ms | classify ms | crop ms | "
           "total ms | core time ms | host overhead ms |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ms = r["ms"]
        core = ms.get("edge_hw", 0.0) + ms.get("classify_hw", 0.0)
        eng = " + ".join(r["engines"].values())
        out.append(f"| {r['backend']} | {eng} | {'yes' if r['classify'] else 'no'} | "
                   f"{r['fps']:.1f} | {ms['edge']:.2f} | {ms.get('classify', 0):.2f} | "
                   f"{ms.get('crop', 0):.2f} | {ms['total']:.2f} | "
                   f"{core:.3f} | {r['host_overhead_ms']:.2f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write ``stream_report.md``: host time per frame of each ``--tree`` on the emulated
    board, and the frame path's cycle budget."""
    from fpgacnn.boards.config import CONFIG_FILE

    parser = argparse.ArgumentParser(prog="python -m fpgacnn.apps.bench_stream")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="a build tree of fpgacnn build (repeatable)")
    parser.add_argument("--rtl", type=Path, action="append", default=[],
                        help="a simulation package (fpgacnn package) whose rtl backend "
                             "frames/s per frame size to measure (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("build/bench"))
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--no-rates", action="store_true",
                        help="skip the frame path's cycle budget (minutes of simulation)")
    args = parser.parse_args(argv)
    if not args.tree and not args.rtl:
        parser.error("expected at least one --tree or --rtl")
    import json

    rows = []
    for tree in args.tree:
        cfg = json.loads((tree / CONFIG_FILE).read_text())
        label = (f"{cfg['board']} {cfg['model']}, edge input {cfg.get('edge_input', 'gray')}, "
                 f"classifier input {cfg.get('classifier_input', 'host')}")
        rows.append(measure_host(tree, n_frames=args.frames, label=label))
    text = ""
    if rows:
        text += ("# Host time per frame (ms, pynq backend, emulated board, 640x480 colour)\n\n"
                 + host_markdown(rows) + "\n")
    if args.rtl:
        rtl_rows = [r for pkg in args.rtl for r in measure_rtl(pkg, n_frames=args.frames)]
        text += "\n# rtl backend frames/s per frame size\n\n" + rtl_markdown(rtl_rows) + "\n"
    if not args.no_rates:
        text += "\n# Frame path cycle budget\n\n" + rates_markdown(frame_path_rates()) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stream_report.md").write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
