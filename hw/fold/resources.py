"""The folding solver's resource model: LUT, FF, LUTRAM, BRAM36 and DSP of each block.

Every figure is an estimate of what yosys ``synth_xilinx -family xc7`` reports
for the generated core (the benchmark measures the real numbers). The
coefficients come from one place, the calibration file
(:data:`CALIBRATION_FILE`, written by ``python -m fpgacnn.apps.fold_calibrate``
from yosys runs of ``fcnn_cnn_mvu`` -- section ``mvu`` --, with its calibration
points; the unrolled kernel's and the fixed blocks' coefficients are recorded there with
the run they come from), read once per process.

Blocks and their models:

- folded MAC array (``fcnn_cnn_mvu``): ``LUT = lut_per_mac(XW, WW) * PE * SIMD +
  lut_per_pe(XW, WW) * PE + lut_per_output(XW, WW) * N + lut_base`` plus, when the
  input banks are whole-vector registers (a convolution's window),
  ``xmux_lut_per_bit * 2 * IN_LEN * XW`` for the multiplexer that picks the SIMD
  slice. The terms are least squares on every block-ROM yosys point of the unit
  (ours in the calibration file's ``mvu`` section, the unit's own in
  ``calibration.json``), per element width;
  ``lut_per_mac`` is then the surface ``a*XW*WW + b*(XW+WW) + c`` through the
  widths. Flip-flops: the PE accumulators, the N-wide result register, the stage
  registers of the SIMD inputs and of the PE*SIMD weights;
- weight ROM (``(N/PE)*(IN_LEN/SIMD)`` words of ``PE*SIMD*WW`` bits): in block RAM
  with the best BRAM36/BRAM18 aspect ratio (32Kx1 .. 512x72; 16Kx1 .. 512x36; the
  read register inside the BRAM), or as distributed ROM -- LUT logic (LUT6 = 64x1,
  with MUXF7/F8 up to 256 words and a LUT mux above) times the factor yosys measured
  on CNV's layers (section ``rom``, :func:`rom_logic_factor`); the solver picks per
  layer (``rom_style``);
- input vector buffer of a folded layer (two banks): registers when a bank is one
  word (with the multiplexer that picks the SIMD slice, fitted on the unit's own
  yosys points in ``calibration.json``), else a small memory (counted like a ROM);
- unrolled convolution (alkaid kernel): ``LUT = lut_per_csd_bit * (non-zero CSD
  digits of the weights) * XW`` (each digit is a shifted add of the input);
- sliding window line buffers ``(K-1) * (W+2P) * Cin * XW`` bits: a memory;
- requantization of a folded layer's sums (inside the unit, PE sums per fold):
  ``requant_lut_per_bit * PE * ACC_W`` (measured on ``fcnn_cnn_requant``);
- the sliding-window unit ``fcnn_cnn_swu`` of a convolution whose SIMD divides Cin:
  its line buffer (a memory) and logic fitted on its yosys points (section ``swu``);
  the MVU behind it takes SIMD elements per beat, its banks memories;
- pooling, argmax, the stream FIFOs: per-element costs;
- the whole core: the sum, with LUT and FF scaled by the whole-core factors
  measured on generated cores (:func:`core_total`).

DSPs: a folded unit multiplies in LUTs (``multipliers = "lut"``, ``USE_DSP = 0``) or in
DSP slices (``"dsp"``, ``USE_DSP = 1``): ``dsp_per_mac(XW, WW)`` DSPs and
``dsp_lut_saved_per_mac(XW, WW)`` fewer LUTs per PE x SIMD lane, both measured on paired
units (section ``dsp``): at CNV's 8-bit x 2-bit first convolution yosys packs each
product and the adder chain into one DSP48E1 (31 LUTs saved per DSP); at 2 x 2 bits it
maps no product to a DSP and the product-per-lane adders cost about 10 LUTs more per
lane than the bit-plane trees, so the solver never asks for it there.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.folding import (
    Estimate,
    Impl,
    LayerFolding,
    conv_cycles,
    conv_simd_error,
    conv_streams,
    dense_cycles,
)

#: The calibration file: yosys points of the MAC array and the unrolled kernel, and the fit.
CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration_fold.json"

#: yosys points of ``fcnn_cnn_mvu`` measured by the unit's own calibration
#: (``python -m fpgacnn.apps.calibrate_mvu``): convolution-like layers whose input
#: banks are registers; they set the SIMD slice multiplexer's cost
#: (:func:`xmux_lut_per_bit`).
MVU_CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"

#: (depth, width) shapes of one RAMB36E1 and one RAMB18E1 (7-series, simple dual port).
BRAM36_SHAPES = ((32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36),
                 (512, 72))
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
#: Bits of one LUT6 used as a 64x1 ROM/RAM.
LUT_BITS = 64
#: A memory of at most this many bits always goes to LUTs (yosys does the same).
SMALL_MEMORY_BITS = 1024


@dataclass(frozen=True)
class Cost:
    """Resources of one block (``lutram`` is part of ``lut``; ``bram36`` counts halves)."""

    lut: float = 0.0
    ff: float = 0.0
    lutram: float = 0.0
    bram36: float = 0.0
    dsp: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.lut + other.lut, self.ff + other.ff, self.lutram + other.lutram,
                    self.bram36 + other.bram36, self.dsp + other.dsp)

    def estimate(self, cycles: int) -> Estimate:
        """The rounded :class:`~fpgacnn.spec.folding.Estimate` (``bram36`` in halves)."""
        return Estimate(cycles_per_image=int(cycles), lut=int(math.ceil(self.lut)),
                        ff=int(math.ceil(self.ff)), lutram=int(math.ceil(self.lutram)),
                        bram36=math.ceil(2 * self.bram36) / 2, dsp=int(math.ceil(self.dsp)))


@functools.cache
def calibration() -> dict[str, Any]:
    """The calibration file's content (read once)."""
    return json.loads(CALIBRATION_FILE.read_text())


def _bank_bits(p: dict[str, Any]) -> float:
    """Bits of the two register banks a point's SIMD multiplexer picks from (0 when the
    banks are memories or the whole vector is used at once)."""
    if p["simd"] >= p["in_len"] or max(p["c_in"], p["simd"]) != p["in_len"]:
        return 0.0
    return 2.0 * p["in_len"] * p["xw"]


@functools.cache
def _points() -> tuple[dict[str, Any], ...]:
    """Every yosys point of the folded unit with a block ROM: ours (``calibration_fold.json``
    section ``mvu``) and the unit's own (``calibration.json``)."""
    pts = [p for p in calibration().get("mvu", {}).get("points", [])
           if p.get("rom_style", "block") == "block"]
    if MVU_CALIBRATION_FILE.is_file():
        pts += [p for p in json.loads(MVU_CALIBRATION_FILE.read_text())
                if p.get("rom_style") == "block"]
    return tuple(pts)


def _varies_n(pts: list[dict[str, Any]]) -> bool:
    return len(pts) >= 5 and len({p["n"] for p in pts}) >= 2


@functools.cache
def xmux_lut_per_bit() -> float:
    """LUTs per bit of the two register banks for the multiplexer that picks SIMD elements
    out of a whole-vector bank (:func:`_bank_bits`): fitted jointly with the MAC terms
    (``1, PE*SIMD, PE, N, bank bits``) on each element width with at least 5 points that
    include such banks and vary N, then averaged (0 when none does)."""
    coefs = []
    for xw, ww in sorted({(p["xw"], p["ww"]) for p in _points()}):
        pts = [p for p in _points() if (p["xw"], p["ww"]) == (xw, ww)]
        if not _varies_n(pts) or not any(_bank_bits(p) for p in pts):
            continue
        a = np.array([(1.0, p["pe"] * p["simd"], p["pe"], p["n"], _bank_bits(p)) for p in pts])
        sol, *_ = np.linalg.lstsq(a, np.array([p["lut"] for p in pts], dtype=float),
                                  rcond=None)
        coefs.append(max(0.0, float(sol[4])))
    return float(np.mean(coefs)) if coefs else 0.0


@functools.cache
def _width_fits() -> dict[tuple[int, int], tuple[float, float, float, float]]:
    """(XW, WW) -> (base, per_mac, per_pe, per_output): least squares on that width's
    points after the bank multiplexer's share (:func:`xmux_lut_per_bit`) is taken off;
    the LUTs per output N (the output stage) are fitted on the widths whose points vary N
    and averaged for the others."""
    x = xmux_lut_per_bit()
    groups = {}
    for xw, ww in sorted({(p["xw"], p["ww"]) for p in _points()}):
        groups[(xw, ww)] = [p for p in _points() if (p["xw"], p["ww"]) == (xw, ww)]
    per_n = {}
    for key, pts in groups.items():
        if _varies_n(pts):
            a = np.array([(1.0, p["pe"] * p["simd"], p["pe"], p["n"]) for p in pts])
            y = np.array([p["lut"] - x * _bank_bits(p) for p in pts], dtype=float)
            sol, *_ = np.linalg.lstsq(a, y, rcond=None)
            per_n[key] = max(0.0, float(sol[3]))
    mean_n = float(np.mean(list(per_n.values()))) if per_n else 0.0
    out = {}
    for key, pts in groups.items():
        n_lut = per_n.get(key, mean_n)
        a = np.array([(1.0, p["pe"] * p["simd"], p["pe"]) for p in pts])
        y = np.array([p["lut"] - x * _bank_bits(p) - n_lut * p["n"] for p in pts], dtype=float)
        sol, *_ = np.linalg.lstsq(a, y, rcond=None)
        out[key] = (max(0.0, float(sol[0])), max(0.5, float(sol[1])), max(0.0, float(sol[2])),
                    n_lut)
    return out


@functools.cache
def _mac_surface() -> tuple[float, float, float, tuple[float, ...], tuple[float, ...],
                            tuple[float, ...], tuple[float, ...]]:
    """(a, b, c, xs, bases, per_pe, per_output): ``lut_per_mac = a*XW*WW + b*(XW+WW) + c``
    (least squares through the per-width fits, :func:`_width_fits`); the unit's fixed
    LUTs ``bases``, LUTs per PE (its accumulator) ``per_pe`` and per output
    ``per_output`` at ``xs`` = XW*WW (interpolated linearly in between, held beyond the
    ends)."""
    fits = sorted(_width_fits().items(), key=lambda kv: kv[0][0] * kv[0][1])
    rows = [(xw * ww, xw + ww, 1.0) for (xw, ww), _ in fits]
    coef, *_ = np.linalg.lstsq(np.array(rows, dtype=float),
                               np.array([f[1] for _, f in fits]), rcond=None)
    return (float(coef[0]), float(coef[1]), float(coef[2]),
            tuple(float(xw * ww) for (xw, ww), _ in fits),
            tuple(f[0] for _, f in fits), tuple(f[2] for _, f in fits),
            tuple(f[3] for _, f in fits))


def _interp(xw: int, ww: int, which: int) -> float:
    """Term ``which`` of :func:`_mac_surface` (4 bases, 5 per PE, 6 per output) at XW*WW,
    interpolated over the measured widths (the mean where two share a product)."""
    surf = _mac_surface()
    by: dict[float, list[float]] = {}
    for x, v in zip(surf[3], surf[which], strict=True):
        by.setdefault(x, []).append(v)
    xs = sorted(by)
    return float(np.interp(xw * ww, xs, [float(np.mean(by[x])) for x in xs]))


def lut_per_mac(xw: int, ww: int) -> float:
    """LUTs of one multiply-add lane of the folded array (at least 1): the width's own fit
    where it was measured, else the surface through the measured widths."""
    fit = _width_fits().get((xw, ww))
    if fit is not None:
        return fit[1]
    a, b, c, *_ = _mac_surface()
    return max(1.0, a * xw * ww + b * (xw + ww) + c)


def lut_base(xw: int, ww: int) -> float:
    """LUTs of the folded unit's control path."""
    fit = _width_fits().get((xw, ww))
    return fit[0] if fit is not None else _interp(xw, ww, 4)


def lut_per_pe(xw: int, ww: int) -> float:
    """LUTs of one PE's accumulator path (apart from its multiply lanes)."""
    fit = _width_fits().get((xw, ww))
    return fit[2] if fit is not None else _interp(xw, ww, 5)


def lut_per_output(xw: int, ww: int) -> float:
    """LUTs per output N of the folded unit (its output stage)."""
    fit = _width_fits().get((xw, ww))
    return fit[3] if fit is not None else _interp(xw, ww, 6)


def block_ram(depth: int, width: int) -> float:
    """BRAM36 (halves allowed) of a ``depth`` x ``width`` memory at the best aspect ratio."""
    if depth <= 0 or width <= 0:
        return 0.0
    b36 = min(math.ceil(depth / d) * math.ceil(width / w) for d, w in BRAM36_SHAPES)
    b18 = min(math.ceil(depth / d) * math.ceil(width / w) for d, w in BRAM18_SHAPES)
    return min(float(b36), b18 / 2)


def lut_rom(depth: int, width: int) -> float:
    """LUTs of a ``depth`` x ``width`` distributed ROM/RAM (64x1 per LUT, muxes above 256)."""
    if depth <= 0 or width <= 0:
        return 0.0
    n = math.ceil(depth / LUT_BITS)
    mux = 0 if n <= 4 else math.ceil(n / 4)
    return float(width * (n + mux))


def memory(depth: int, width: int, style: str) -> Cost:
    """A memory read through a register, as ``style`` ("block" | "distributed"): in block
    RAM the read register is the BRAM's own (no FFs), in LUTRAM it is ``width`` FFs."""
    if style == "block" and depth * width > SMALL_MEMORY_BITS:
        return Cost(bram36=block_ram(depth, width))
    luts = lut_rom(depth, width)
    return Cost(lut=luts, lutram=luts, ff=width)


@functools.cache
def rom_logic_factor() -> float:
    """yosys's LUTs of a distributed weight ROM (built as LUT logic, ``rom_style =
    "logic"``) per LUT of :func:`lut_rom`: the mean over the calibration's paired layers
    (section ``rom``: the same MVU with its ROM in block RAM and in logic, the LUT
    difference against ``lut_rom(depth, width)``), at least 1."""
    pts = calibration().get("rom", {}).get("points", [])
    ratios = [(p["lut_logic"] - p["lut_block"]) / lut_rom(p["depth"], p["width"])
              for p in pts]
    return max(1.0, float(np.mean(ratios))) if ratios else 1.0


def _dsp_interp(xw: int, ww: int, per_lane: Any) -> float:
    """``per_lane(point)`` over the section ``dsp`` points, interpolated linearly in XW*WW
    (the mean where points share it, held beyond the ends); 0 without points."""
    pts = calibration().get("dsp", {}).get("points", [])
    if not pts:
        return 0.0
    by: dict[int, list[float]] = {}
    for p in pts:
        by.setdefault(p["xw"] * p["ww"], []).append(per_lane(p))
    xs = sorted(by)
    return float(np.interp(xw * ww, xs, [float(np.mean(by[x])) for x in xs]))


def dsp_per_mac(xw: int, ww: int) -> float:
    """DSP48E1 per PE x SIMD lane with DSP multipliers (yosys maps no 2 x 2-bit product to
    a DSP: 0 there; 1 at 8 x 2 bits)."""
    return _dsp_interp(xw, ww, lambda p: p["dsp"] / (p["pe"] * p["simd"]))


def dsp_lut_saved_per_mac(xw: int, ww: int) -> float:
    """LUTs a folded unit saves per PE x SIMD lane with DSP multipliers instead of LUT
    ones: per calibration point (section ``dsp``: the same MVU both ways) ``(lut_lut -
    lut_dsp) / (PE * SIMD)``, interpolated like :func:`dsp_per_mac`; negative where DSP
    multipliers cost more; 0 without points."""
    return _dsp_interp(xw, ww, lambda p: (p["lut_lut"] - p["lut_dsp"]) / (p["pe"] * p["simd"]))


def weight_rom(depth: int, width: int, style: str) -> Cost:
    """A folded unit's weight ROM: in block RAM (:func:`memory`), or distributed -- LUT
    logic, not LUTRAM (yosys 0.23 maps no ROM to LUTRAM cells; Vivado's distributed ROM
    is logic too): :func:`lut_rom` times :func:`rom_logic_factor`, and its read
    register."""
    if style == "block" and depth * width > SMALL_MEMORY_BITS:
        return memory(depth, width, style)
    return Cost(lut=lut_rom(depth, width) * rom_logic_factor(), ff=width)


def cheaper_memory(depth: int, width: int) -> Cost:
    """The memory as BRAM or LUTs, whichever the calibration's exchange rate prefers."""
    block, dist = memory(depth, width, "block"), memory(depth, width, "distributed")
    rate = calibration()["lut_per_bram36"]
    return block if block.lut + rate * block.bram36 <= dist.lut else dist


def csd_digits(weights: np.ndarray) -> int:
    """Non-zero digits of the weights in canonical signed-digit form."""
    total = 0
    for v in np.abs(np.asarray(weights, dtype=np.int64)).flat:
        v = int(v)
        while v:
            if v & 1:
                total += 1
                v = v + 1 if (v & 3) == 3 else v - 1
            v >>= 1
    return total


@dataclass(frozen=True, kw_only=True)
class LayerShape:
    """What the resource model needs of a conv or dense layer."""

    layer: str
    conv: bool
    in_len: int          # elements per vector
    c_in: int            # elements per input beat (a convolution's whole window)
    n: int               # outputs
    vectors: int         # vectors per image
    in_steps: int        # input steps per image (a convolution: padded pixels)
    xw: int              # input element width
    ww: int              # weight width
    acc_w: int           # accumulator width
    out_w: int           # output element width (the requantized width, else acc_w)
    requant: bool        # an activation follows: a folded unit requantizes its sums
    csd: int             # non-zero CSD digits of the weights (unrolled kernel cost)
    window_bits: int     # line buffer bits of a convolution's window (0 for dense)
    window_width: int    # padded row width (words of the line buffer)
    # a convolution's geometry (the contract's cycle formula and the SWU's size)
    kernel: int = 0
    channels: int = 0    # Cin
    height: int = 0
    width: int = 0
    pad: int = 0
    stride: int = 1
    out_hw: tuple[int, int] = (0, 0)
    swu_words: int = 0   # line-buffer words of the sliding-window unit (rows x 2^ceil(log2 W))
    swu_style: str = "block"   # its RAM_STYLE, as the generator picks it

    def streams(self, lf: LayerFolding) -> bool:
        """A folded convolution whose window comes from ``fcnn_cnn_swu`` (SIMD | Cin)."""
        return self.conv and lf.impl is Impl.FOLDED and conv_streams(self.channels, lf.simd)

    def allows(self, pe: int, simd: int) -> bool:
        """Whether the generator builds this layer folded at (``pe``, ``simd``): PE | N,
        SIMD | IN_LEN, and for a convolution the SIMD rule of
        :func:`~fpgacnn.spec.folding.conv_simd_error`; for a dense layer SIMD and the
        beat's elements divide one another."""
        if self.n % pe or self.in_len % simd:
            return False
        if self.conv:
            return conv_simd_error(k=self.kernel, cin=self.channels, simd=simd,
                                   stride=self.stride) is None
        return simd % self.c_in == 0 or self.c_in % simd == 0

    def cycles(self, lf: LayerFolding) -> int:
        """Cycles per image (the contract's formulas, :mod:`fpgacnn.spec.folding`)."""
        if lf.impl is Impl.UNROLLED:
            return self.in_steps
        return self.fold_cycles(lf.pe, lf.simd)

    def fold_cycles(self, pe: int, simd: int) -> int:
        """Cycles per image folded at (``pe``, ``simd``)."""
        if self.conv:
            return conv_cycles(impl=Impl.FOLDED, h=self.height, w=self.width, pad=self.pad,
                               k=self.kernel, cin=self.channels, cout=self.n, pe=pe,
                               simd=simd, stride=self.stride, out_hw=self.out_hw)
        return dense_cycles(in_len=self.in_len, c_in=self.c_in, n=self.n, pe=pe, simd=simd)


def window_cost(s: LayerShape) -> Cost:
    """The sliding window of a convolution: line buffers and the K*K*Cin window registers."""
    if not s.conv:
        return Cost()
    c = Cost(ff=s.in_len * s.xw, lut=s.in_len * s.xw / 4)
    if s.window_bits:
        c = c + cheaper_memory(s.window_width, s.window_bits // s.window_width)
    return c


def swu_cost(s: LayerShape, simd: int) -> Cost:
    """The sliding-window unit of a streamed convolution: its line buffer (``swu_words``
    words of Cin*XW bits in block RAM or LUTRAM, as the generator picks) and its logic
    (counters, comparators, output register, and a LUTRAM buffer's read multiplexer
    across its 64-word columns; fitted on yosys points, section ``swu``); a LUTRAM line
    buffer adds its read register (a block RAM absorbs it)."""
    fit = calibration()["swu"]["fit"]
    bits = s.channels * s.xw
    mem = memory(s.swu_words, bits, s.swu_style)
    deep = bits * (math.ceil(s.swu_words / LUT_BITS) - 1) if s.swu_style != "block" else 0
    logic = Cost(lut=fit["lut_base"] + fit["lut_per_deep_bit"] * deep,
                 ff=fit["ff_base"] + simd * s.xw)
    if s.swu_style == "block" and s.swu_words * bits > SMALL_MEMORY_BITS:
        mem = Cost(bram36=mem.bram36)                   # the read register is in the BRAM
    return logic + mem


def layer_cost(s: LayerShape, lf: LayerFolding) -> Cost:
    """Estimated resources of one conv/dense layer folded as ``lf`` (window included):
    a folded convolution whose SIMD divides Cin streams through ``fcnn_cnn_swu`` into
    an MVU fed SIMD elements per beat (its banks memories); any other, through
    ``fcnn_cnn_window`` into whole-window register banks."""
    cal = calibration()
    if lf.impl is Impl.UNROLLED:
        u = cal["unrolled"]
        lut = u["lut_per_csd_bit"] * s.csd * s.xw
        ff = u["ff_per_csd_bit"] * s.csd * s.xw
        return window_cost(s) + Cost(lut=lut, ff=ff)
    window = window_cost(s)
    if s.streams(lf):
        window = swu_cost(s, lf.simd)
        s = replace(s, c_in=lf.simd)
    macs = lf.pe * lf.simd
    lanes = lut_per_mac(s.xw, s.ww) * macs + lut_per_pe(s.xw, s.ww) * lf.pe
    dsp = 0.0
    if lf.multipliers == "dsp":
        lanes = max(0.0, lanes - dsp_lut_saved_per_mac(s.xw, s.ww) * macs)
        dsp = float(round(dsp_per_mac(s.xw, s.ww) * macs))
    array = Cost(lut=lanes + lut_base(s.xw, s.ww) + lut_per_output(s.xw, s.ww) * s.n,
                 ff=lf.pe * s.acc_w + s.n * s.out_w + lf.simd * s.xw, dsp=dsp)
    if s.requant:       # PE sums requantized per fold (fcnn_cnn_requant's arithmetic)
        array = array + Cost(lut=lf.pe * s.acc_w * cal["fixed"]["requant_lut_per_bit"])
    depth = (s.n // lf.pe) * (s.in_len // lf.simd)
    rom = weight_rom(depth, macs * s.ww, lf.rom_style)
    words = s.in_len // max(s.c_in, lf.simd)
    if words <= 1:
        mux = xmux_lut_per_bit() * 2 * s.in_len * s.xw if lf.simd < s.in_len else 0.0
        xbuf = Cost(ff=2 * s.in_len * s.xw, lut=mux)
    else:
        xbuf = cheaper_memory(2 * words, max(s.c_in, lf.simd) * s.xw)
    return window + array + rom + xbuf


def core_total(blocks: Cost) -> Cost:
    """A whole core's estimate from the sum of its blocks: LUT (and LUTRAM) and FF
    multiplied by the calibration's whole-core factors (section ``cores``: the median
    ratio of yosys to the block sum over the measured cores, at least 1)."""
    cores = calibration().get("cores", {})
    fl, ff = float(cores.get("lut_factor", 1.0)), float(cores.get("ff_factor", 1.0))
    return Cost(lut=blocks.lut * fl, ff=blocks.ff * ff, lutram=blocks.lutram * fl,
                bram36=blocks.bram36, dsp=blocks.dsp)


def fixed_cost(shapes: list[LayerShape], pools: list[tuple[int, int, int, int]],
               classes: int, score_bits: int) -> Cost:
    """Blocks whose cost does not depend on the folding: pools (``(W, C, XW, P)``; LUTs
    and FFs per pixel bit measured on ``fcnn_cnn_maxpool``, its row buffer a memory),
    the argmax and the stream FIFOs. (Requantization is no block of its own: a folded
    unit does it per fold, :func:`layer_cost`; an unrolled kernel inside itself.)"""
    cal = calibration()["fixed"]
    c = Cost()
    for w, ch, xw, p in pools:
        c = c + Cost(lut=ch * xw * cal["pool_lut_per_bit"], ff=ch * xw * cal["pool_ff_per_bit"])
        c = c + cheaper_memory(max(1, w // p), ch * xw)
    for _ in shapes:
        c = c + Cost(lut=cal["fifo_lut"], ff=cal["fifo_ff"])
    c = c + Cost(lut=classes * score_bits * cal["argmax_lut_per_bit"],
                 ff=classes * score_bits + 8)
    return c
