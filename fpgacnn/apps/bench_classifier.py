"""Benchmark of the folded classifier core per model and board (``make bench-classifier``).

``python -m fpgacnn.apps.bench_classifier --out build/bench`` measures, for each
model (``--models``) on each board (``--boards``):

* the folding the solver picks (:func:`fpgacnn.hw.fold.solve`, the fastest that
  fits the board's budget, or ``--rate``) and the solver's time;
* RTL generation time (:func:`fpgacnn.hw.rtlgen.generate_rtl` with that folding);
* cycles per image (initiation interval) and latency (first pixel in -> result),
  measured in the Verilated core (:class:`~fpgacnn.sim.classifier_harness.ClassifierHarness`,
  images back to back, no stalls), and score mismatches against QKeras;
* LUT (logic + LUTRAM) / FF / BRAM36 / DSP from yosys ``synth_xilinx -family xc7``
  (out of context) and their share of the board's part;
* images/s and latency at the board's PL clock;
* the area-time product LUT x cycles-per-image beside that of a fully unrolled
  design of the same model (every output pixel's kernel instantiated, one image
  per clock: alkaid's array API, as hls4ml's distributed-arithmetic strategy
  builds it), whose LUTs are the resource model's estimate (calibrated on alkaid
  kernels; see :mod:`fpgacnn.hw.fold.resources`), said so in the table.

Models: ``digits`` (shipped, its test split), the zoo architectures ``faces``, ``mnist``,
``cifar10``, ``gtsrb`` (random quantized weights: untrained; random on-grid
inputs) and ``cnv`` (FINN's CNV layout: conv 3x3 64-64 / pool / 128-128 / pool /
256-256, dense 512-512-10, 2-bit weights and activations, random weights).
FINN's own CNV figures (Vivado, PYNQ-Z1) are printed beside ours.

A step that fails (a model the generator refuses, a folding that does not fit,
a yosys run over ``--synth-timeout``) is recorded in the row; the rest goes on.
Results: ``classifier_report.json`` and ``classifier_report.md`` in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.errors import FpgacnnError
from fpgacnn.spec.paths import output_root

log = logging.getLogger(__name__)

#: FINN's CNV on PYNQ-Z1 (xc7z020) at 100 MHz, Vivado post-implementation figures as
#: quoted in issue 11 (FINN paper / finn-examples): 1-bit and 2-bit weights/activations.
FINN_CNV = (
    {"name": "FINN CNV w1a1 (Vivado)", "lut": 26_072, "bram36": 124, "dsp": 24,
     "images_per_s": 3_000, "accuracy": "79.2 % CIFAR-10"},
    {"name": "FINN CNV w2a2 (Vivado)", "lut": 37_302, "bram36": 140, "dsp": 32,
     "images_per_s": 3_000, "accuracy": "84.3 % CIFAR-10"},
)
#: The models the benchmark knows.
MODELS = ("digits", "faces", "mnist", "cifar10", "gtsrb", "cnv")


@dataclass
class BenchConfig:
    """What to measure; serialised into the report."""

    out_dir: Path
    models: tuple[str, ...] = ("digits", "mnist", "cifar10")
    boards: tuple[str, ...] = ("pynq-z2", "zcu104")
    rate: float | None = None
    synth: bool = True
    sim: bool = True
    generate: bool = True
    synth_timeout_s: float = 1800.0
    check_images: int = 50
    timing_images: int = 4
    seed: int = 0

    def to_json(self) -> dict[str, object]:
        """JSON form (paths as strings)."""
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d


@dataclass
class Row:
    """The measurements of one model on one board."""

    model: str
    board: str
    part: str
    clock_mhz: float
    description: str
    folding: list[dict[str, Any]] = field(default_factory=list)
    estimate: dict[str, Any] | None = None
    solver_s: float | None = None
    generation_s: float | None = None
    ii_model: int | None = None
    ii_cycles: float | None = None
    latency_cycles: int | None = None
    checked_images: int = 0
    mismatches: int | None = None
    synth: dict[str, Any] | None = None
    percent: dict[str, float] = field(default_factory=dict)
    unrolled_lut: int | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ii(self) -> float | None:
        """Cycles per image: measured, else the generator's."""
        return self.ii_cycles if self.ii_cycles is not None else self.ii_model


def _randomize(model: Any, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-1.0, 1.0, w.shape) for w in model.get_weights()])
    return model


def cnv_model(seed: int = 0) -> Any:
    """FINN's CNV layout at 2-bit weights and activations (random weights; 8-bit input)."""
    from fpgacnn.models.arch._layers import Stack
    from fpgacnn.models.configs import Padding
    from fpgacnn.models.quant import QuantConfig

    q = QuantConfig(weight_bits=2, weight_integer=0, bias_bits=8, bias_integer=3, act_bits=2,
                    act_integer=1)
    s = Stack(name="cnv", input_shape=(32, 32, 3), quant=q)
    for filters in (64, 64):
        s.conv(filters, 3, padding=Padding.VALID).relu()
    s.pool(2)
    for filters in (128, 128):
        s.conv(filters, 3, padding=Padding.VALID).relu()
    s.pool(2)
    for filters in (256, 256):
        s.conv(filters, 3, padding=Padding.VALID).relu()
    s.flatten().dense(512).relu().dense(512).relu().dense(10)
    return _randomize(s.build(), seed)


def load_model(name: str, cfg: BenchConfig) -> tuple[Any, np.ndarray, str]:
    """(model, on-grid inputs to check, description) of a benchmark model."""
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.convert.sources import load_source, random_on_grid

    if name == "digits":
        src = load_source("digits")
        return src.model, np.asarray(src.test_x), "shipped digits model, its test split"
    if name == "cnv":
        model = cnv_model(cfg.seed)
        desc = "FINN CNV layout, w2a2, random weights"
    else:
        import importlib

        arch = importlib.import_module(f"fpgacnn.models.arch.{name}")
        model = _randomize(arch.build_model(), cfg.seed)
        desc = f"zoo {name} architecture (default config), random quantized weights"
    t_in = plan_model(model)[0].result
    x = random_on_grid(t_in, tuple(model.input_shape[1:]), cfg.check_images, cfg.seed)
    return model, x, desc + ", random on-grid inputs"


def percent_of_part(synth: dict[str, Any], resources: Any) -> dict[str, float]:
    """Share (in %) of the part's LUTs, FFs, BRAM36 and DSPs a synthesis result uses."""
    return {
        "lut": round(100.0 * synth["lut_total"] / resources.lut, 2),
        "ff": round(100.0 * synth["ff"] / resources.ff, 2),
        "bram36": round(100.0 * synth["bram18"] / 2 / resources.bram36, 2),
        "dsp": round(100.0 * synth["dsp"] / resources.dsp, 2),
    }


def synth_core(rtl_dir: Path, out_dir: Path, *, timeout_s: float = 3600.0) -> Any:
    """yosys ``synth_xilinx -family xc7`` on a generated core; the parsed ``SynthResult``.

    The core's weight memory files are copied into the run folder: the top's
    ``MEM_DIR`` is "" there, so ``$readmemh`` finds them in yosys's working folder.
    """
    from fpgacnn.apps.yosys_synth import synthesize
    from fpgacnn.sim.classifier_harness import TOPLEVEL, rtl_mem_files, rtl_sources

    out_dir.mkdir(parents=True, exist_ok=True)
    for mem in rtl_mem_files(rtl_dir):
        shutil.copy2(mem, out_dir / mem.name)
    return synthesize(sources=yosys_sources(rtl_sources(rtl_dir), out_dir / "src"),
                      top=TOPLEVEL, parameters={}, out_dir=out_dir, timeout_s=timeout_s)


#: yosys 0.23 has no LUTRAM mapping for a ROM (no write port): a memory marked
#: ``rom_style = "distributed"`` fails with "no valid mapping found". Vivado builds a
#: distributed ROM from LUTs as logic, so yosys is given ``rom_style = "logic"`` (LUTs)
#: for the measurement; the generated files are not changed.
YOSYS_ROM_STYLE = ('rom_style = "distributed"', 'rom_style = "logic"')


def yosys_sources(sources: list[Path], work: Path) -> list[Path]:
    """``sources``, with every file holding a distributed ROM copied into ``work`` with
    :data:`YOSYS_ROM_STYLE` applied (the originals are never changed)."""
    out = []
    for src in sources:
        text = src.read_text()
        if YOSYS_ROM_STYLE[0] in text:
            work.mkdir(parents=True, exist_ok=True)
            dst = work / src.name
            dst.write_text(text.replace(*YOSYS_ROM_STYLE))
            out.append(dst)
        else:
            out.append(src)
    return out


def unrolled_lut(stages: list[Any]) -> int:
    """Estimated LUTs of the fully unrolled design: each convolution's per-pixel kernel
    once per output pixel, each dense layer as one constant-weight kernel."""
    from fpgacnn.hw.fold.resources import calibration
    from fpgacnn.hw.fold.solver import layer_shapes

    u = calibration()["unrolled"]["lut_per_csd_bit"]
    shapes, _ = layer_shapes(stages)
    return int(sum(u * s.csd * s.xw * s.vectors for s in shapes))


def _expected(model: Any, x: np.ndarray, info: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    from fpgacnn.hw.convert.plan import plan_model

    t_in = plan_model(model)[0].result
    y = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float64)
    scores = np.round(y.reshape(len(x), -1) * 2.0 ** info["output"]["score_fraction"])
    return np.round(x / t_in.lsb).astype(np.int64), scores.astype(np.int64)


def _first_line(exc: BaseException) -> str:
    text = next((ln for ln in str(exc).splitlines() if "%Error" in ln), str(exc))
    text = text.splitlines()[0] if text else type(exc).__name__
    return text if len(text) <= 400 else text[:400] + "..."


def measure(name: str, board: str, cfg: BenchConfig, model_cache: dict[str, Any],
            synth_cache: dict[str, Any]) -> Row:
    """Solve, generate, simulate and synthesize one model on one board (errors recorded)."""
    from fpgacnn.boards.target import board_target
    from fpgacnn.hw.convert.plan import plan_model
    from fpgacnn.hw.fold import solve_stages
    from fpgacnn.hw.rtlgen import generate_rtl
    from fpgacnn.hw.rtlgen.stages import build_stages

    target = board_target(board)
    if name not in model_cache:
        model_cache[name] = load_model(name, cfg)
    model, x, desc = model_cache[name]
    row = Row(model=name, board=board, part=target.part, clock_mhz=target.clock_mhz,
              description=desc)
    try:
        stages = build_stages(model, plan_model(model))
        row.unrolled_lut = unrolled_lut(stages)
        t0 = time.perf_counter()
        folding = solve_stages(stages, model=name, target=target, rate=cfg.rate)
        row.solver_s = round(time.perf_counter() - t0, 3)
        row.folding = [lf.to_json() for lf in folding.layers]
        row.estimate = folding.estimate.to_json() if folding.estimate else None
        if not cfg.generate:
            row.notes.append("solved only (--solve-only): no RTL generated, simulated or "
                             "synthesized")
            return row
        t0 = time.perf_counter()
        rtl_dir = cfg.out_dir / "classifier" / f"{name}_{board}" / "rtl"
        gen = generate_rtl(model, rtl_dir, name=name, folding=folding)
        row.generation_s = round(time.perf_counter() - t0, 2)
        row.ii_model = gen.initiation_interval
    except FpgacnnError as exc:
        row.error = _first_line(exc)
        log.error("%s on %s: %s", name, board, row.error)
        return row
    if cfg.sim:
        _simulate(row, model, x, gen, cfg)
    if cfg.synth:
        key = json.dumps(row.folding, sort_keys=True) + name
        if key in synth_cache:                 # same core on another board: same netlist
            row.synth = synth_cache[key]
            row.notes.append("yosys figures shared with the identical core of another board")
        else:
            try:
                row.synth = synth_cache[key] = _synth_once(gen, cfg)
            except FpgacnnError as exc:
                row.notes.append(f"yosys: {_first_line(exc)}")
                log.error("%s on %s: %s", name, board, exc)
        if row.synth is not None:
            row.percent = percent_of_part(row.synth, target.resources)
    return row


#: Beside a yosys run: the sha256 of every file of the core it synthesized.
SYNTH_SOURCES = "rtl_sha256.json"


def _synth_once(gen: Any, cfg: BenchConfig) -> dict[str, Any]:
    """yosys figures of the core ``gen``; an earlier run in the same folder on the very
    same files (:data:`SYNTH_SOURCES`) is reused instead of synthesizing again."""
    work = gen.out_dir.parent / "yosys"
    digest = gen.info["sha256"]
    done, record = work / "result.json", work / SYNTH_SOURCES
    if done.is_file() and record.is_file() and json.loads(record.read_text()) == digest:
        log.info("%s: reusing the yosys run on the same files", work)
        return json.loads(done.read_text())
    result = synth_core(gen.out_dir, work, timeout_s=cfg.synth_timeout_s).to_json()
    record.write_text(json.dumps(digest, indent=1) + "\n")
    return result


def _simulate(row: Row, model: Any, x: np.ndarray, gen: Any, cfg: BenchConfig) -> None:
    from fpgacnn.sim.classifier_harness import ClassifierHarness

    codes, scores = _expected(model, x, gen.info)
    try:
        with ClassifierHarness(gen.out_dir) as h:
            res = h.classify(codes)
            row.checked_images = len(codes)
            row.mismatches = int(np.count_nonzero(np.any(res.scores != scores, axis=1)))
            timing = h.classify(codes[: cfg.timing_images]).stats
            row.latency_cycles = int(timing.latency[0])
            row.ii_cycles = timing.initiation_interval
    except FpgacnnError as exc:
        row.notes.append(f"not simulated: {_first_line(exc)}")
        log.error("%s on %s: %s", row.model, row.board, exc)


def _fmt(v: Any, spec: str = ",") -> str:
    return "n/a" if v is None else format(v, spec)


def folding_text(folding: list[dict[str, Any]]) -> str:
    """'conv1 U, conv2 8x30 d, conv3 2x27 b dsp, ...' (U: unrolled; PExSIMD,
    b(lock)/d(istributed) ROM, ``dsp`` when the products are in DSP slices)."""
    return ", ".join(f"{f['layer']} U" if f["impl"] == "unrolled" else
                     f"{f['layer']} {f['pe']}x{f['simd']} {f['rom_style'][0]}"
                     + (" dsp" if f.get("multipliers", "lut") == "dsp" else "")
                     for f in folding)


def render_markdown(report: dict[str, Any]) -> str:
    """classifier_report.md's text."""
    out = ["# fcnn_classifier (folded open RTL core) per model and board", "",
           "Folding: the solver's fastest fit within the board budget (U = unrolled kernel, "
           "PExSIMD with the weight ROM in b(lock) RAM or d(istributed) LUTs). Cycles: "
           "Verilated RTL, images back to back, no stalls. Resources: yosys `synth_xilinx "
           "-family xc7` (out of context; distributed weight ROMs as LUT logic, as Vivado "
           "builds them: yosys 0.23 cannot map a ROM into LUTRAM), % of the board's part. "
           "Unrolled: the fully "
           "unrolled design's LUTs, *estimated* by the resource model (calibrated on alkaid "
           "kernels), at 1 cycle per image. ~: the solver's estimate (the core was not "
           "synthesized).", ""]
    out.append("| model | board | folding | solve s | gen s | LUT | FF | BRAM36 | DSP "
               "| LUT % | BRAM % | cycles/image | images/s | latency µs | mismatches "
               "| LUT x cycles | unrolled LUT (est.) | ours / unrolled |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
               "|---:|---:|---:|")
    for r in report["rows"]:
        if r["error"]:
            out.append(f"| {r['model']} | {r['board']} | refused: {r['error']} |" + " |" * 15)
            continue
        s, p, e = r["synth"], r["percent"], r["estimate"]
        ii = r["ii_cycles"] if r["ii_cycles"] is not None else r["ii_model"]
        if ii is None and e is not None:
            ii = e["cycles_per_image"]
        ips = r["clock_mhz"] * 1e6 / ii if ii else None
        lat = (None if r["latency_cycles"] is None
               else round(r["latency_cycles"] / r["clock_mhz"], 2))
        if s is not None:
            lut, ff, bram, dsp = s["lut_total"], s["ff"], s["bram18"] / 2, s["dsp"]
            res = (f"{lut:,} | {ff:,} | {bram:g} | {dsp} | {_fmt(p.get('lut'), 'g')} "
                   f"| {_fmt(p.get('bram36'), 'g')}")
        elif e is not None:          # not synthesized: the solver's estimate, marked ~
            lut = e["lut"]
            res = f"~{e['lut']:,} | ~{e['ff']:,} | ~{e['bram36']:g} | ~{e['dsp']} | | "
        else:
            lut, res = None, "n/a | n/a | n/a | n/a | n/a | n/a"
        at = round(lut * ii) if lut and ii else None
        ratio = f"{at / r['unrolled_lut']:.1f}x" if at and r["unrolled_lut"] else "n/a"
        mism = ("n/a" if r["mismatches"] is None
                else f"{r['mismatches']}/{r['checked_images']}")
        out.append(
            f"| {r['model']} | {r['board']} | {folding_text(r['folding'])} | {r['solver_s']} "
            f"| {_fmt(r['generation_s'], 'g')} | {res} | {_fmt(ii, ',g')} "
            f"| {_fmt(ips, ',.0f')} | {_fmt(lat, 'g')} | {mism} | {_fmt(at)} "
            f"| {_fmt(r['unrolled_lut'])} | {ratio} |")
    for f in report["finn_cnv"]:
        out.append(f"| {f['name']} | PYNQ-Z1 | FINN folding | | | {f['lut']:,} | | "
                   f"{f['bram36']} | {f['dsp']} | {100 * f['lut'] / 53_200:.0f} | "
                   f"{100 * f['bram36'] / 140:.0f} | | ~{f['images_per_s']:,} | | "
                   f"{f['accuracy']} | | | |")
    out += ["", "Ours: yosys; FINN's: Vivado (post-implementation) -- not the same tool.", ""]
    for r in report["rows"]:
        for note in r["notes"]:
            out.append(f"- {r['model']} on {r['board']}: {note}")
        if r["estimate"] and r["synth"]:
            e, s = r["estimate"], r["synth"]
            out.append(f"- {r['model']} on {r['board']}: solver estimate {e['lut']:,} LUT / "
                       f"{e['ff']:,} FF / {e['bram36']:g} BRAM36 vs yosys {s['lut_total']:,} / "
                       f"{s['ff']:,} / {s['bram18'] / 2:g}")
    out.append("")
    return "\n".join(out)


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Measure every model on every board of ``cfg``; write the reports; return the report."""
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    models: dict[str, Any] = {}
    synths: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for name in cfg.models:
        for board in cfg.boards:
            rows.append(measure(name, board, cfg, models, synths))
            # the report is rewritten after every row: a long run leaves what it measured
            report = {"config": cfg.to_json(),
                      "host": {"machine": platform.machine(),
                               "python": platform.python_version()},
                      "rows": [asdict(r) for r in rows], "finn_cnv": list(FINN_CNV)}
            (cfg.out_dir / "classifier_report.json").write_text(
                json.dumps(report, indent=2, default=str) + "\n")
            (cfg.out_dir / "classifier_report.md").write_text(render_markdown(report))
    log.info("wrote %s", cfg.out_dir / "classifier_report.md")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; 1 if a simulated core is not bit-exact."""
    p = argparse.ArgumentParser(prog="python -m fpgacnn.apps.bench_classifier",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=output_root() / "bench",
                   help=f"output folder (default: {output_root() / 'bench'})")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(BenchConfig.models))
    p.add_argument("--boards", nargs="+", default=list(BenchConfig.boards))
    p.add_argument("--rate", type=float, default=None,
                   help="images/s to fold for (default: the fastest that fits)")
    p.add_argument("--no-synth", action="store_true", help="skip the yosys runs")
    p.add_argument("--no-sim", action="store_true", help="skip the Verilator runs")
    p.add_argument("--solve-only", action="store_true",
                   help="only solve the folding (no generation, simulation or yosys)")
    p.add_argument("--synth-timeout", type=float, default=1800.0, metavar="S",
                   help="give up on one yosys run after S seconds (default 1800)")
    p.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    cfg = BenchConfig(out_dir=args.out, models=tuple(args.models), boards=tuple(args.boards),
                      rate=args.rate, synth=not args.no_synth, sim=not args.no_sim,
                      generate=not args.solve_only,
                      synth_timeout_s=args.synth_timeout)
    report = run_bench(cfg)
    print((cfg.out_dir / "classifier_report.md").read_text())
    return 0 if all(r["mismatches"] in (0, None) for r in report["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
