"""cocotb tests of ``fcnn_crop_scale_dma``: the crop block behind DMA framing, PPC pixels
per beat (the edge DMA's MM2S stream as the frame path broadcasts it).

Parameters from ``FCNN_TB_PARAMS``; pixels per beat from the DUT's port width; registers
from :data:`fpgacnn.spec.cores.CROP_MAP`, the golden model
:func:`fpgacnn.spec.crop_scale.golden` and, for the package's rule,
:func:`fpgacnn.spec.frames.classifier_codes` (what the host computed before).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from fpgacnn.sim.tb import AxisTB
from fpgacnn.spec.cores import CROP_MAP, CROP_REGISTERS
from fpgacnn.spec.crop_scale import golden, min_crop_width, register_values
from fpgacnn.spec.frames import CropRule, classifier_codes
from fpgacnn.spec.preprocess import ColorMode, InputSpec

P = json.loads(os.environ["FCNN_TB_PARAMS"])
IN_CH, OUT_CH = int(P["IN_CHANNELS"]), int(P["OUT_CHANNELS"])
OUT_W, OUT_H = int(P["OUT_WIDTH"]), int(P["OUT_HEIGHT"])
MAX_W, MAX_H = int(P["MAX_WIDTH"]), int(P["MAX_HEIGHT"])
SEED = int(P.get("seed", 1))
NPIX = OUT_W * OUT_H
SPEC = InputSpec(height=OUT_H, width=OUT_W,
                 color=ColorMode.GRAY if OUT_CH == 1 else ColorMode.RGB)
R = CROP_REGISTERS
_ERR = {f.name: f.mask for f in CROP_MAP["ERROR"].fields}
CTRL_ENABLE = CROP_MAP["CTRL"].field("ENABLE").mask
CTRL_SOFT_RESET = CROP_MAP["CTRL"].field("SOFT_RESET").mask


class TB(AxisTB):
    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        self.ppc = len(dut.s_axis_tdata) // (8 * IN_CH)
        assert self.ppc * 8 * IN_CH == len(dut.s_axis_tdata)
        self.rng_np = np.random.default_rng(seed)
        self.min_cols = min_crop_width(self.ppc, OUT_W)   # the narrowest box it takes

    async def configure(self, regs: dict[str, int]) -> None:
        for name, value in regs.items():
            await self.axil.write_dword(R[name], value)
        await ClockCycles(self.dut.clk, 4)

    def transfer(self, frame: np.ndarray) -> AxiStreamFrame:
        """One DMA transfer: lines of ceil(W/PPC) beats, padding lanes zero."""
        h, w = frame.shape[:2]
        line = -(-w // self.ppc) * self.ppc
        buf = np.zeros((h, line, IN_CH), np.uint8)
        buf[:, :w] = frame.reshape(h, w, IN_CH)
        return AxiStreamFrame(buf.tobytes())

    async def image(self) -> np.ndarray:
        async def _wait() -> None:
            while len(self.out_mon.beats) < NPIX:
                await RisingEdge(self.dut.clk)
        await with_timeout(_wait(), 20000, "us")
        beats = self.out_mon.beats[:NPIX]
        del self.out_mon.beats[:NPIX]
        assert [b[1] for b in beats] == [0] * (NPIX - 1) + [1], "tlast not on the last pixel"
        px = np.array([b[0] for b in beats], np.uint32)
        return ((px[:, None] >> (8 * np.arange(OUT_CH))) & 0xFF).astype(np.uint8).reshape(
            OUT_H, OUT_W, OUT_CH)


def photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    import cv2
    from skimage import data

    scale = max(0.15, (h + 1) / 512, (w + 1) / 512)
    small = cv2.resize(data.astronaut(), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y, x = rng.integers(0, small.shape[0] - h + 1), rng.integers(0, small.shape[1] - w + 1)
    bgr = np.ascontiguousarray(small[y:y + h, x:x + w, ::-1])
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if IN_CH == 1 else bgr


#: A latency run (``"latency": 1``, frame maxima of a board) runs only :func:`latency`.
BENCH = bool(P.get("latency"))


@cocotb.test(skip=BENCH)
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def frames(dut, idle: bool, backpressure: bool) -> None:
    """Random frame sizes (widths not multiples of PPC too) and crop boxes: bit-exact."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = tb.rng_np
    for _ in range(4):
        h = int(rng.integers(OUT_H, MAX_H + 1))
        w = int(rng.integers(tb.min_cols, MAX_W + 1))
        rows, cols = int(rng.integers(OUT_H, h + 1)), int(rng.integers(tb.min_cols, w + 1))
        y0, x0 = int(rng.integers(0, h - rows + 1)), int(rng.integers(0, w - cols + 1))
        frame = photo(rng, h, w)
        await tb.configure({"FRAME_WIDTH": w, "FRAME_HEIGHT": h, "CROP_X": x0, "CROP_Y": y0,
                            "CROP_WIDTH": cols, "CROP_HEIGHT": rows, "CTRL": CTRL_ENABLE})
        await tb.source.send(tb.transfer(frame))
        got = await tb.image()
        await tb.source.wait()   # the lines below the box: the next geometry is the next frame's
        exp = golden(frame, (y0, x0, rows, cols), SPEC).reshape(OUT_H, OUT_W, OUT_CH)
        assert (got == exp).all(), f"{w}x{h} box {(y0, x0, rows, cols)} differs"
    assert int(await tb.axil.read_dword(R["ERROR"])) == 0


@cocotb.test(skip=BENCH)
async def package_rule(dut) -> None:
    """The package's crop rule: registers from register_values(), the image equal to the
    host's classifier_codes() (what the pynq backend computed per frame before); two
    transfers back to back are taken at one beat (PPC pixels) per clock, the edge core's
    rate, so behind the broadcast the crop path never holds the edge path back."""
    tb = TB(dut, SEED + 9)
    await tb.reset()
    h, w = MAX_H, MAX_W - 1
    for rule in (CropRule(fraction=0.9), CropRule(invert=True)):
        assert rule.box(h, w)[3] >= tb.min_cols, "maxima too small for the rule's box"
        frame = photo(tb.rng_np, h, w)
        await tb.configure(register_values(rule, h, w))
        tb.in_mon.cycles.clear()
        for _ in range(2):   # back to back, one geometry
            await tb.source.send(tb.transfer(frame))
        for _ in range(2):
            got = await tb.image()
            exp = classifier_codes(frame, rule, SPEC).reshape(OUT_H, OUT_W, OUT_CH)
            assert (got == exp).all(), f"rule {rule} differs"
        await tb.source.wait()
        await ClockCycles(dut.clk, 2)
        beats = 2 * h * -(-w // tb.ppc)
        assert len(tb.in_mon.cycles) == beats, f"{len(tb.in_mon.cycles)} beats, sent {beats}"
        assert tb.in_mon.span() == beats - 1, f"{beats} beats took {tb.in_mon.span() + 1} cycles"


@cocotb.test(skip=BENCH)
async def short_transfer_then_resync(dut) -> None:
    """A transfer cut short: a sticky error, the damaged image still completes (the
    classifier stays in step), the next whole transfer is exact; a soft reset clears
    the framing."""
    tb = TB(dut, SEED + 11)
    await tb.reset()
    h, w = MAX_H, MAX_W
    frame = photo(tb.rng_np, h, w)
    box = (0, 0, h, w)
    await tb.configure({"FRAME_WIDTH": w, "FRAME_HEIGHT": h, "CROP_X": 0, "CROP_Y": 0,
                        "CROP_WIDTH": w, "CROP_HEIGHT": h, "CTRL": CTRL_ENABLE})
    short = tb.transfer(frame)
    beat = tb.ppc * IN_CH
    cut = len(short.tdata) // beat // 2 - 1   # beats: mid-line (EOL_EARLY at once)
    assert cut % -(-w // tb.ppc), "the cut must fall inside a line"
    short.tdata = short.tdata[: cut * beat]
    await tb.source.send(short)
    await tb.image()
    assert int(await tb.axil.read_dword(R["ERROR"])) != 0
    await tb.axil.write_dword(R["ERROR"], 0xFFFF_FFFF)
    await tb.source.send(tb.transfer(frame))
    got = await tb.image()
    assert (got == golden(frame, box, SPEC).reshape(OUT_H, OUT_W, OUT_CH)).all()
    await tb.axil.write_dword(R["CTRL"], CTRL_ENABLE | CTRL_SOFT_RESET)
    await tb.source.send(tb.transfer(frame))
    got = await tb.image()
    assert (got == golden(frame, box, SPEC).reshape(OUT_H, OUT_W, OUT_CH)).all()


@cocotb.test(skip=not BENCH)
async def latency(dut) -> None:
    """Cycles from a frame's first input beat to its image's last pixel out, at the
    maxima with the package's default rule (no idle, no backpressure; a benchmark, run
    with ``"latency": 1`` in FCNN_TB_PARAMS: README "Cycle budget"). Writes
    ``crop_latency.json`` in the working folder."""
    tb = TB(dut, SEED)
    await tb.reset()
    rule = CropRule()
    frame = np.zeros((MAX_H, MAX_W, IN_CH), np.uint8).squeeze()
    await tb.configure(register_values(rule, MAX_H, MAX_W))
    await tb.source.send(tb.transfer(frame))
    await tb.image()
    first_in = tb.in_mon.cycles[0]
    last_out = tb.out_mon.cycles[NPIX - 1]
    await tb.source.wait()
    record = {"first_in": first_in, "last_out": last_out,
              "last_in": tb.in_mon.cycles[-1], "box": list(rule.box(MAX_H, MAX_W)),
              "ppc": tb.ppc, "width": MAX_W, "height": MAX_H}
    with open("crop_latency.json", "w") as f:
        json.dump(record, f)
    dut._log.info("crop latency %s", record)
