"""yosys figures of the folded matrix-vector unit ``fcnn_cnn_mvu`` (the solver's calibration).

For every point (PE, SIMD, XW, WW, IN_LEN, C_IN, N, ROM_STYLE) this synthesizes
``hw/rtl/fcnn_cnn_mvu.sv`` itself with yosys ``synth_xilinx -family xc7`` (out of
context, flattened, as :mod:`fpgacnn.apps.yosys_synth` runs it), with random signed
weights in the ``$readmemh`` file the block reads (the ROM's content matters when it
becomes LUTs), unsigned inputs, LUT multipliers (``USE_DSP = 0``) and the narrowest
exact ACC_W, and records the cells in ``hw/fold/calibration.json``: a JSON list, one
record per point::

    {"pe", "simd", "xw", "ww", "in_len", "c_in", "n", "rom_style",
     "lut", "ff", "lutram", "bram36", "dsp", "carry", "bram18", "muxf", "seconds"}

``lut`` counts every LUT (logic + LUTRAM, Vivado's "Slice LUTs"), ``lutram`` the LUTs
used as distributed RAM among them, ``bram36`` block RAM in RAMB36 units (a RAMB18
counts 0.5; ``bram18`` is the same in 18 Kb units), ``carry`` CARRY4 cells, ``muxf``
MUXF7 + MUXF8. The file is rewritten after every point (a point measured again
replaces its record), so an interrupted run keeps what it measured. These are
benchmark figures, not asserted anywhere.

Usage: ``python -m fpgacnn.apps.calibrate_mvu [--set quick|full] [--only K ...]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fpgacnn.apps.yosys_synth import SynthError, from_cells, parse_stat, yosys_executable
from fpgacnn.hw import RTL_DIR, rtl_sources

log = logging.getLogger(__name__)

TOP = "fcnn_cnn_mvu"
#: The calibration file the folding solver reads.
CALIBRATION_FILE = RTL_DIR.parent / "fold" / "calibration.json"


@dataclass(frozen=True)
class Point:
    """One synthesis point of the unit."""

    pe: int
    simd: int
    xw: int
    ww: int
    in_len: int
    c_in: int
    n: int
    rom_style: str = "block"

    @property
    def key(self) -> str:
        return (f"pe{self.pe}_simd{self.simd}_x{self.xw}w{self.ww}_{self.in_len}x{self.n}"
                f"_c{self.c_in}_{self.rom_style}")

    @property
    def acc_w(self) -> int:
        """The narrowest exact accumulator (unsigned inputs, signed weights, no bias)."""
        bound = self.in_len * ((1 << self.xw) - 1) * (1 << (self.ww - 1))
        return bound.bit_length() + 1


def _conv(pe: int, simd: int, xw: int, ww: int, rom: str = "block") -> Point:
    """A CNV-like 3x3 64 -> 64 convolution (the window gives the whole vector per beat)."""
    return Point(pe, simd, xw, ww, 576, 576, 64, rom)


def _swu(pe: int, simd: int, xw: int, ww: int, rom: str = "block") -> Point:
    """The same 3x3 64 -> 64 convolution fed by the sliding-window unit ``fcnn_cnn_swu``
    (SIMD elements per beat: C_IN = SIMD, the input banks memories)."""
    return Point(pe, simd, xw, ww, 576, simd, 64, rom)


def _dense(pe: int, simd: int, xw: int, ww: int, rom: str = "block") -> Point:
    """A CNV-like 256 -> 128 dense layer fed 64 channels per beat."""
    return Point(pe, simd, xw, ww, 256, 64, 128, rom)


#: The quick set: CNV-like shapes at 2-bit, the PE x SIMD scale, both ROM styles.
QUICK: tuple[Point, ...] = (
    _conv(1, 1, 2, 2), _conv(4, 8, 2, 2), _conv(8, 32, 2, 2), _conv(16, 32, 2, 2),
    _conv(4, 8, 2, 2, "distributed"), _dense(1, 4, 2, 2), _dense(4, 16, 2, 2),
    _dense(4, 16, 2, 2, "distributed"),
)  # fmt: skip
#: The full set adds element widths 1, 4 and 8, larger arrays and convolutions fed by the
#: sliding-window unit.
FULL: tuple[Point, ...] = QUICK + (
    _conv(4, 8, 1, 1), _conv(8, 32, 1, 1), _conv(4, 8, 4, 4), _conv(8, 16, 4, 4),
    _conv(4, 8, 8, 8), _conv(2, 8, 8, 8), _conv(32, 32, 2, 2), _conv(8, 32, 2, 2, "distributed"),
    _dense(1, 4, 8, 8), _dense(8, 64, 2, 2), _dense(2, 16, 4, 4), _dense(1, 1, 2, 2, "distributed"),
    _swu(8, 32, 2, 2), _swu(4, 8, 2, 2), _swu(16, 64, 2, 2), _swu(4, 16, 4, 4),
)  # fmt: skip
SETS = {"quick": QUICK, "full": FULL}


def weight_file(point: Point, path: Path, seed: int = 0) -> None:
    """Random signed weights as the unit's ``$readmemh`` file (any layout: random)."""
    rng = random.Random(f"{point.key}/{seed}")
    width = point.pe * point.simd * point.ww
    words = (point.n // point.pe) * (point.in_len // point.simd)
    digits = -(-width // 4)
    path.write_text("".join(f"{rng.getrandbits(width):0{digits}x}\n" for _ in range(words)))


def script(point: Point) -> str:
    """The yosys script of one point (relative paths: run it in its folder)."""
    ints = {"IN_LEN": point.in_len, "C_IN": point.c_in, "N": point.n, "PE": point.pe,
            "SIMD": point.simd, "XW": point.xw, "X_SIGNED": 0, "WW": point.ww,
            "ACC_W": point.acc_w, "PROD_SHIFT": 0, "VECTORS": 16, "USE_DSP": 0}
    sets = " ".join(f"-set {k} {v}" for k, v in ints.items())
    sets += f' -set WEIGHT_FILE "w.mem" -set ROM_STYLE "{point.rom_style}"'
    return "\n".join([
        "read_verilog -sv " + " ".join(str(p) for p in rtl_sources(TOP)),
        f"chparam {sets} {TOP}",
        f"synth_xilinx -family xc7 -top {TOP} -flatten -noiopad -noclkbuf",
        "tee -q -o stat.json stat -json",
        "tee -q -o stat.txt stat",
    ]) + "\n"


def measure(point: Point, work: Path, timeout_s: float = 3600.0) -> dict[str, object]:
    """Synthesize one point in ``work/<key>``; its calibration record."""
    out = work / point.key
    out.mkdir(parents=True, exist_ok=True)
    weight_file(point, out / "w.mem")
    (out / "synth.ys").write_text(script(point))
    (out / "stat.json").unlink(missing_ok=True)
    t0 = time.monotonic()
    proc = subprocess.run([yosys_executable(), "-q", "-l", "yosys.log", "synth.ys"], cwd=out,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=timeout_s, check=False)
    seconds = time.monotonic() - t0
    if proc.returncode != 0 or not (out / "stat.json").is_file():
        raise SynthError(f"yosys failed on {point.key} (log: {out / 'yosys.log'}): "
                         f"{proc.stderr.strip()[-300:]}")
    cells = parse_stat(json.loads((out / "stat.json").read_text()), TOP)
    r = from_cells(TOP, {}, cells, None, seconds)
    rec: dict[str, object] = asdict(point)
    rec.update(lut=r.lut_total, ff=r.ff, lutram=r.lutram, bram36=r.bram18 / 2, dsp=r.dsp,
               carry=r.carry4, bram18=r.bram18, muxf=r.muxf7 + r.muxf8,
               seconds=round(seconds, 1))
    return rec


def _identity(rec: dict[str, object]) -> tuple:
    return tuple(rec[k] for k in ("pe", "simd", "xw", "ww", "in_len", "c_in", "n", "rom_style"))


def merge(path: Path, rec: dict[str, object]) -> list[dict[str, object]]:
    """Add (or replace) ``rec`` in the calibration file at ``path``; the records."""
    records = json.loads(path.read_text()) if path.is_file() else []
    records = [r for r in records if _identity(r) != _identity(rec)] + [rec]
    records.sort(key=lambda r: (r["in_len"], r["n"], r["xw"], r["ww"], r["pe"], r["simd"],
                                str(r["rom_style"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fpgacnn.apps.calibrate_mvu", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", choices=sorted(SETS), default="quick", help="points to measure")
    p.add_argument("--only", nargs="*", default=None, help="measure only these point keys")
    p.add_argument("--skip-done", action="store_true", help="skip points already in the file")
    p.add_argument("--out", type=Path, default=CALIBRATION_FILE, help="calibration JSON")
    p.add_argument("--work", type=Path, default=Path("build/calibrate_mvu"),
                   help="yosys run folders")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    points = [q for q in SETS[args.set] if args.only is None or q.key in args.only]
    done = ({_identity(r) for r in json.loads(args.out.read_text())}
            if args.skip_done and args.out.is_file() else set())
    for q in points:
        if _identity(asdict(q)) in done:
            continue
        rec = measure(q, args.work.resolve())
        merge(args.out, rec)
        log.info("%s: %s LUT (%s LUTRAM), %s FF, %s BRAM36, %s CARRY4 in %s s", q.key,
                 rec["lut"], rec["lutram"], rec["ff"], rec["bram36"], rec["carry"],
                 rec["seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
