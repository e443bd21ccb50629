"""The whole frame path of the default board design in one simulation: test runs and the
cycle benchmark.

``sim/fcnn_frame_path/fcnn_frame_path_top.sv`` wires what the block design wires
(``--edge-input color --classifier-input fabric``): the edge DMA's colour stream ->
``fcnn_axis_broadcast`` -> ``fcnn_rgb2gray`` -> ``fcnn_edge_dma`` (the edge map) and ->
``fcnn_crop_scale_dma`` -> the generated ``fcnn_classifier`` of the default simulation
package (the score beat).
Frames (a handwritten digit on a photo, BGR) go in back to back; every edge map and
score must equal the ``reference`` backend's (:mod:`fpgacnn.sw.pipeline`); the cocotb
testbench is ``sim/fcnn_frame_path/tb_fcnn_frame_path.py``, the test
``tests/test_frame_path.py`` (slow).

Benchmark: ``python -m fpgacnn.apps.bench_frame_path --ppc 1 4
--size 640x480`` prints, per PPC, the cycles per frame (steady state, first input beat
to the next frame's) and the latency from a frame's first pixel in to its first and
last edge pixel out and to its score beat, from one joint simulation. Frames larger
than the default package's 640x480 are simulated at their own size as the maxima, with
a reference-only package of those maxima (``build_sim_package(csim=False)``) for the
expected results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import fpgacnn.sim
from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed

#: The testbench's folder (the top-level and the cocotb module).
HERE = Path(fpgacnn.sim.__file__).resolve().parent / "fcnn_frame_path"
TOPLEVEL = "fcnn_frame_path_top"
BLOCKS = ("fcnn_axis_broadcast", "fcnn_rgb2gray", "fcnn_edge_dma", "fcnn_crop_scale_dma")
SEED = tb_seed()
#: The frame maxima of the simulated blocks (the default package's edge core).
MAX_SIZE = (640, 480)


def _sources(rtl_dir: Path) -> list[Path]:
    """The blocks' RTL, the generated classifier's (without the copies of library files
    the blocks already bring), and the top."""
    from fpgacnn.spec.filelist import read_filelist

    out: list[Path] = []
    for top in BLOCKS:
        out += [p for p in rtl_sources(top) if p not in out]
    names = {p.name for p in out}
    out += [p for p in read_filelist(rtl_dir / "filelist.f") if p.name not in names]
    return out + [HERE / "fcnn_frame_path_top.sv"]


def _prepare(work: Path, size: tuple[int, int], n_frames: int) -> tuple[dict, Path]:
    """Frames and the reference backend's results; returns (tb parameters, rtl dir)."""
    from fpgacnn.apps.sim_package import build_sim_package, default_package
    from fpgacnn.apps.stream_demo import digit_codes, digit_frame, photo
    from fpgacnn.sim.classifier_harness import mem_dir_parameter, rtl_mem_files
    from fpgacnn.spec.cores import ClassifierOutputLayout
    from fpgacnn.sw.pipeline import Pipeline

    pkg = default_package()
    rtl_dir = pkg.path / "csim" / "rtl"   # the classifier's RTL: the default package's
    codes, _ = digit_codes()
    w, h = size
    max_size = (max(w, MAX_SIZE[0]), max(h, MAX_SIZE[1]))
    if max_size != MAX_SIZE:   # the reference backend checks frames against the maxima
        pkg = build_sim_package(work / f"pkg_{w}x{h}", max_width=max_size[0],
                                max_height=max_size[1], csim=False)
    backgrounds = ("astronaut", "chelsea", "coffee")
    frames = np.stack([digit_frame(codes[k], photo(backgrounds[k % 3]), width=w, height=h)
                       for k in range(n_frames)])
    with Pipeline.open(pkg.path, "reference") as ref:
        results = [ref.process(f) for f in frames]
        threshold = ref.threshold
    work.mkdir(parents=True, exist_ok=True)
    data = work / "frames.npz"
    np.savez(data, frames=frames, edges=np.stack([r.edges for r in results]),
             scores=np.stack([r.scores for r in results]))
    model = pkg.manifest.model
    n_classes, score_bits = len(model.classes), int(model.scores["bits"])
    layout = ClassifierOutputLayout(n_classes=n_classes, score_bits=score_bits)
    spec = model.preprocessing["input"]
    params = {"OUT_CHANNELS": 1 if spec["color"] == "gray" else 3,
              "OUT_WIDTH": int(spec["width"]), "OUT_HEIGHT": int(spec["height"]),
              "MAX_WIDTH": max_size[0], "MAX_HEIGHT": max_size[1],
              "CLS_OUT_BITS": layout.tdata_bits}
    if rtl_mem_files(rtl_dir):
        params["MEM_DIR"] = mem_dir_parameter(rtl_dir / "mem")
    tb = {"data": str(data), "rule": {k: v for k, v in model.preprocessing.items()
                                       if k != "input"},
          "n_classes": n_classes, "score_bits": score_bits, "threshold": threshold}
    return {"hdl": params, "tb": tb}, rtl_dir


def run_frames(ppc: int, work: Path, size: tuple[int, int], n_frames: int, *,
               bench: bool = False) -> Path:
    """Simulate ``n_frames`` frames of ``size`` through the frame path at ``ppc`` (the
    cocotb tests fail the caller on any difference); returns the build folder (where a
    ``bench`` run writes ``frame_path_cycles.json``)."""
    cfg, rtl_dir = _prepare(work, size, n_frames)
    params = {"PPC": ppc, **cfg["hdl"]}
    return runner.run(
        toplevel=TOPLEVEL, sources=_sources(rtl_dir), parameters=params,
        test_module="tb_fcnn_frame_path", test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps({**cfg["tb"], "seed": SEED,
                                                 "bench": int(bench)})},
        seed=SEED,
    ).parent


def measure(ppc: int, size: tuple[int, int] = (640, 480), n_frames: int = 3) -> dict:
    """Cycle figures of ``n_frames`` frames back to back (the last two frames' spacing is
    the steady state; latencies are the first frame's)."""
    work = runner.BUILD_ROOT / TOPLEVEL / "bench"
    bdir = run_frames(ppc, work, size, n_frames, bench=True)
    rec = json.loads((bdir / "frame_path_cycles.json").read_text())
    f0 = rec["first_in"][0]
    return {
        "ppc": ppc, "width": rec["width"], "height": rec["height"],
        "cycles_per_frame": rec["first_in"][-1] - rec["first_in"][-2],
        "edge_cycles_per_frame": rec["last_edge"][-1] - rec["last_edge"][-2],
        "first_edge_latency": rec["first_edge"][0] - f0,
        "last_edge_latency": rec["last_edge"][0] - f0,
        "score_latency": rec["score"][0] - f0,
        "score_after_last_edge": rec["score"][0] - rec["last_edge"][0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ppc", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--size", default="640x480", help="WxH (the maxima when beyond "
                        "640x480)")
    parser.add_argument("--frames", type=int, default=3)
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    for ppc in args.ppc:
        print(json.dumps(measure(ppc, (w, h), args.frames)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
