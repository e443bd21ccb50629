"""Benchmarks of the edge core: cycles, latency, harness speed, yosys resources.

``python -m fpgacnn.apps.bench_edge --out build/bench`` (what ``make bench`` runs)
measures, for every PPC in ``--ppc``:

* the steady-state cycles per frame of back-to-back 640x480 and 1920x1080 frames
  (real photos), against the ideal ``ceil(W/PPC) * H`` beats (overhead in percent);
* the latency from the first input beat accepted to the first output beat, against
  ``ceil(W/PPC) + 8``;
* how many 640x480 frames per second the C++ harness simulates (wall clock and
  process CPU time, best of ``speed_repeats`` runs: the machine may be shared, and
  other load only ever slows a run down);

and, for every PPC in ``--synth-ppc``, runs yosys ``synth_xilinx -family xc7`` on
the RTL (MAX_WIDTH=1920, MAX_HEIGHT=1080) for LUT/FF/CARRY4/BRAM/DSP counts and the
logic depth (:mod:`fpgacnn.apps.yosys_synth`); the same for the other blocks of the
frame path in the fabric (:data:`BLOCKS`: colour to gray, the classifier's crop and
downscale), each at its own parameters. Results go to ``report.json`` and a
markdown ``report.md`` in ``--out``, with the Vitis Vision anchor for comparison.
Every cycle count is measured in simulation; nothing here asserts on wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fpgacnn.spec.edge import SUPPORTED_PPC, sobel_edges
from fpgacnn.spec.paths import output_root

log = logging.getLogger(__name__)

#: Vitis Vision 3x3 Sobel, 1 pixel per clock, 1080p (the resource anchor).
ANCHOR = {
    "name": "Vitis Vision xf::cv::Sobel 3x3, 1 PPC, 1080p",
    "lut": 616,
    "ff": 609,
    "bram18": 3,
    "dsp": 0,
}
#: Frame sizes of the cycle measurements (width, height).
SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1920, 1080))
#: Photos streamed back to back (scikit-image, fitted to each size).
PHOTOS: tuple[str, ...] = ("camera", "astronaut", "coins")
#: The frame path's other blocks synthesized beside the edge core: (top, HDL parameters).
#: Frame maxima are the config's ``synth_max_width`` x ``synth_max_height``.
BLOCKS: tuple[tuple[str, dict[str, int]], ...] = (
    ("fcnn_axis_broadcast", {"DATA_W": 8}),
    ("fcnn_rgb2gray", {"PPC": 1}),
    ("fcnn_rgb2gray", {"PPC": 4}),
    # colour frames -> the 8x8 gray input of `digits`, 1, 4 and 8 pixels per clock
    ("fcnn_crop_scale", {"PPC": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
                         "OUT_HEIGHT": 8}),
    ("fcnn_crop_scale", {"PPC": 4, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
                         "OUT_HEIGHT": 8}),
    ("fcnn_crop_scale", {"PPC": 8, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
                         "OUT_HEIGHT": 8}),
    # colour frames -> a 32x32 RGB model input
    ("fcnn_crop_scale", {"PPC": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 3, "OUT_WIDTH": 32,
                         "OUT_HEIGHT": 32}),
    ("fcnn_crop_scale", {"PPC": 4, "IN_CHANNELS": 3, "OUT_CHANNELS": 3, "OUT_WIDTH": 32,
                         "OUT_HEIGHT": 32}),
    # the board's crop IP: DMA framing + fcnn_crop_scale
    ("fcnn_crop_scale_dma", {"PPC": 4, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "OUT_WIDTH": 8,
                             "OUT_HEIGHT": 8}),
)


@dataclass
class BenchConfig:
    """What to measure; serialised into report.json."""

    out_dir: Path
    ppcs: tuple[int, ...] = SUPPORTED_PPC
    synth_ppcs: tuple[int, ...] = (1, 4, 2, 8)
    synth_max_width: int = 1920
    synth_max_height: int = 1080
    frames: int = 3
    speed_frames: int = 10
    speed_repeats: int = 3

    def to_json(self) -> dict[str, object]:
        """JSON form (paths as strings)."""
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d


@dataclass
class CycleRow:
    """Cycle measurements of one PPC at one frame size."""

    ppc: int
    width: int
    height: int
    ideal_cycles: int
    steady_cycles: float
    overhead_pct: float
    latency: int
    latency_model: int
    bit_exact: bool


@dataclass
class SpeedRow:
    """Harness speed of one PPC on 640x480 frames."""

    ppc: int
    frames: int
    cycles_per_frame: float
    wall_fps: float
    cpu_fps: float
    mcycles_per_cpu_s: float


@dataclass
class BenchReport:
    """Everything ``report.json`` holds."""

    config: dict[str, object]
    host: dict[str, str]
    cycles: list[CycleRow] = field(default_factory=list)
    speed: list[SpeedRow] = field(default_factory=list)
    synth: list[dict[str, object]] = field(default_factory=list)
    blocks: list[dict[str, object]] = field(default_factory=list)
    synth_errors: list[str] = field(default_factory=list)
    anchor: dict[str, object] = field(default_factory=lambda: dict(ANCHOR))


def _frames(width: int, height: int, count: int) -> list:
    from fpgacnn.apps.cli_demo import load_photo
    from fpgacnn.sw.image_io import fit_frame

    return [fit_frame(load_photo(PHOTOS[k % len(PHOTOS)]), width, height) for k in range(count)]


def measure_cycles(cfg: BenchConfig, report: BenchReport) -> BenchReport:
    """Step: steady-state cycles per frame and latency for every PPC and size."""
    from fpgacnn.sim.edge_harness import EdgeHarness

    for width, height in SIZES:
        frames = _frames(width, height, cfg.frames)
        golden = [sobel_edges(f) for f in frames]
        for ppc in cfg.ppcs:
            with EdgeHarness(ppc=ppc, max_width=width, max_height=height) as h:
                res = h.run(frames)
            bpl = -(-width // ppc)
            ideal = bpl * height
            steady = res.steady_state_cycles_per_frame or float(res.frame_cycles[0])
            exact = all((o == g).all() for o, g in zip(res.frames, golden, strict=True))
            row = CycleRow(
                ppc=ppc,
                width=width,
                height=height,
                ideal_cycles=ideal,
                steady_cycles=steady,
                overhead_pct=round(100.0 * (steady - ideal) / ideal, 4),
                latency=res.latency[-1],
                latency_model=bpl + 8,
                bit_exact=exact,
            )
            report.cycles.append(row)
            log.info(
                "PPC=%d %dx%d: %.0f cycles/frame (ideal %d, +%.3f %%), latency %d (W/PPC+8 = %d)%s",
                ppc, width, height, steady, ideal, row.overhead_pct, row.latency,
                row.latency_model, "" if exact else " NOT BIT-EXACT",
            )  # fmt: skip
    return report


def measure_speed(cfg: BenchConfig, report: BenchReport) -> BenchReport:
    """Step: harness frames per second on 640x480 frames for every PPC."""
    from fpgacnn.sim.edge_harness import EdgeHarness

    width, height = SIZES[0]
    frames = _frames(width, height, cfg.speed_frames)
    for ppc in cfg.ppcs:
        wall = cpu = float("inf")
        with EdgeHarness(ppc=ppc, max_width=width, max_height=height) as h:
            h.run(frames[:1])  # warm up (page in the model)
            for _ in range(cfg.speed_repeats):  # best of: other load only slows a run down
                w0, c0 = time.perf_counter(), time.process_time()
                res = h.run(frames)
                wall = min(wall, time.perf_counter() - w0)
                cpu = min(cpu, time.process_time() - c0)
        row = SpeedRow(
            ppc=ppc,
            frames=len(frames),
            cycles_per_frame=res.cycles / len(frames),
            wall_fps=round(len(frames) / wall, 2),
            cpu_fps=round(len(frames) / cpu, 2),
            mcycles_per_cpu_s=round(res.cycles / cpu / 1e6, 2),
        )
        report.speed.append(row)
        log.info(
            "PPC=%d: harness %.1f frames/s (CPU time %.1f frames/s, %.1f Mcycles/s)",
            ppc, row.wall_fps, row.cpu_fps, row.mcycles_per_cpu_s,
        )  # fmt: skip
    return report


def measure_resources(cfg: BenchConfig, report: BenchReport) -> BenchReport:
    """Step: yosys synth_xilinx for every PPC of ``cfg.synth_ppcs`` (errors are recorded)."""
    from fpgacnn.apps.yosys_synth import SynthError, synthesize
    from fpgacnn.sim.edge_harness_build import TOPLEVEL, default_sources

    for ppc in cfg.synth_ppcs:
        params = {"PPC": ppc, "MAX_WIDTH": cfg.synth_max_width, "MAX_HEIGHT": cfg.synth_max_height}
        try:
            res = synthesize(
                sources=default_sources(),
                top=TOPLEVEL,
                parameters=params,
                out_dir=cfg.out_dir / "yosys" / f"ppc{ppc}",
            )
        except SynthError as exc:
            log.error("yosys PPC=%d: %s", ppc, exc)
            report.synth_errors.append(f"PPC={ppc}: {exc}")
            continue
        report.synth.append(res.to_json())
    return report


def measure_blocks(cfg: BenchConfig, report: BenchReport) -> BenchReport:
    """Step: yosys synth_xilinx for the frame path's other blocks (:data:`BLOCKS`)."""
    from fpgacnn.apps.yosys_synth import SynthError, synthesize
    from fpgacnn.hw import rtl_sources

    for top, params in BLOCKS:
        if top.startswith("fcnn_crop_scale"):
            params = {**params, "MAX_WIDTH": cfg.synth_max_width,
                      "MAX_HEIGHT": cfg.synth_max_height}
        key = "_".join(f"{k}{v}" for k, v in params.items())
        try:
            res = synthesize(sources=rtl_sources(top), top=top, parameters=params,
                             out_dir=cfg.out_dir / "yosys" / top / key)
        except SynthError as exc:
            log.error("yosys %s %s: %s", top, params, exc)
            report.synth_errors.append(f"{top} {params}: {exc}")
            continue
        report.blocks.append(res.to_json())
    return report


def _block_name(s: dict[str, object]) -> str:
    p = s["parameters"]
    if str(s["top"]).startswith("fcnn_crop_scale"):
        mode = {(1, 1): "gray", (3, 1): "BGR->gray", (3, 3): "RGB", (1, 3): "gray->RGB"}[
            (p["IN_CHANNELS"], p["OUT_CHANNELS"])]
        return (f"{s['top']} PPC {p.get('PPC', 1)} {mode} -> "
                f"{p['OUT_WIDTH']}x{p['OUT_HEIGHT']}")
    return f"{s['top']} " + ", ".join(f"{k}={v}" for k, v in p.items())


def render_markdown(report: BenchReport) -> str:
    """Return report.md's text."""
    out = ["# fcnn_edge_core benchmarks", ""]
    out.append(
        f"Host: {report.host['machine']}, Python {report.host['python']}; "
        "cycles measured in the Verilated RTL (fast C++ harness), no idle, no backpressure."
    )
    out += ["", "## Throughput and latency (cycles)", ""]
    out.append(
        "| PPC | frame | ideal cycles (ceil(W/PPC)*H) | steady-state cycles/frame | overhead "
        "| latency | W/PPC + 8 | bit-exact |"
    )
    out.append("|---:|---|---:|---:|---:|---:|---:|:---:|")
    for r in report.cycles:
        out.append(
            f"| {r.ppc} | {r.width}x{r.height} | {r.ideal_cycles:,} | {r.steady_cycles:,.0f} "
            f"| {r.overhead_pct:.3f} % | {r.latency} | {r.latency_model} "
            f"| {'yes' if r.bit_exact else '**no**'} |"
        )
    out += ["", "## Harness speed (640x480 frames)", ""]
    out.append("| PPC | cycles/frame | frames/s (wall) | frames/s (CPU time) | Mcycles/s (CPU) |")
    out.append("|---:|---:|---:|---:|---:|")
    for s in report.speed:
        out.append(
            f"| {s.ppc} | {s.cycles_per_frame:,.0f} | {s.wall_fps:.1f} | {s.cpu_fps:.1f} "
            f"| {s.mcycles_per_cpu_s:.1f} |"
        )
    cfg = report.config
    maxima = f"MAX_WIDTH={cfg['synth_max_width']}, MAX_HEIGHT={cfg['synth_max_height']}"
    out += ["", f"## Resources (yosys synth_xilinx -family xc7, out of context, {maxima})", ""]
    out.append(
        "| design | LUT (logic) | LUTRAM | FF | CARRY4 | MUXF7/F8 | BRAM18 (RAMB18E1 + 2*RAMB36E1) "
        "| DSP | logic depth |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in sorted(report.synth, key=lambda r: r["parameters"]["PPC"]):
        p = s["parameters"]
        out.append(
            f"| fcnn_edge_core PPC={p['PPC']} | {s['lut']} | {s['lutram']} | {s['ff']} "
            f"| {s['carry4']} | {s['muxf7']}/{s['muxf8']} | {s['bram18']} ({s['ramb18']} + "
            f"2*{s['ramb36']}) | {s['dsp']} | {s['logic_depth']} |"
        )
    for s in report.blocks:
        out.append(
            f"| {_block_name(s)} | {s['lut']} | {s['lutram']} | {s['ff']} | {s['carry4']} "
            f"| {s['muxf7']}/{s['muxf8']} | {s['bram18']} ({s['ramb18']} + 2*{s['ramb36']}) "
            f"| {s['dsp']} | {s['logic_depth']} |"
        )
    a = report.anchor
    out.append(
        f"| {a['name']} (anchor) | {a['lut']} | | {a['ff']} | | | {a['bram18']} | {a['dsp']} | |"
    )
    for err in report.synth_errors:
        out.append(f"\nyosys failed: {err}")
    out += [
        "",
        "Logic depth: most LUT/MUXF/CARRY4 cells on one register-to-register path of the "
        "flattened yosys netlist (a timing proxy; no open timing flow exists for 7-series).",
        "",
    ]
    return "\n".join(out)


def run_bench(cfg: BenchConfig, *, synth: bool = True, sim: bool = True) -> BenchReport:
    """Run the benchmark steps and write report.json and report.md into ``cfg.out_dir``."""
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    report = BenchReport(
        config=cfg.to_json(),
        host={"machine": platform.machine(), "python": platform.python_version()},
    )
    steps = [measure_cycles, measure_speed] if sim else []
    if synth:
        steps += [measure_resources, measure_blocks]
    for step in steps:
        log.info("bench step %s", step.__name__)
        report = step(cfg, report)
    (cfg.out_dir / "report.json").write_text(
        json.dumps(asdict(report), indent=2, default=str) + "\n"
    )
    (cfg.out_dir / "report.md").write_text(render_markdown(report))
    log.info("wrote %s", cfg.out_dir / "report.md")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns 1 if any output was not bit-exact or yosys failed."""
    p = argparse.ArgumentParser(prog="python -m fpgacnn.apps.bench_edge", description=__doc__)
    p.add_argument("--out", type=Path, default=output_root() / "bench",
                   help=f"output folder (default: {output_root() / 'bench'})")
    p.add_argument("--ppc", type=int, nargs="+", default=list(SUPPORTED_PPC))
    p.add_argument("--synth-ppc", type=int, nargs="+", default=[1, 4, 2, 8])
    p.add_argument("--no-synth", action="store_true", help="skip the yosys runs")
    p.add_argument("--no-sim", action="store_true", help="skip the simulations")
    p.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    args = p.parse_args(argv)
    for v in [*args.ppc, *args.synth_ppc]:
        if v not in SUPPORTED_PPC:
            p.error(f"PPC must be one of {SUPPORTED_PPC}, got {v}")
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    cfg = BenchConfig(out_dir=args.out, ppcs=tuple(args.ppc), synth_ppcs=tuple(args.synth_ppc))
    report = run_bench(cfg, synth=not args.no_synth, sim=not args.no_sim)
    print((cfg.out_dir / "report.md").read_text())
    ok = all(r.bit_exact for r in report.cycles) and not report.synth_errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
