"""cocotb testbench for ``fcnn_crop_scale`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_crop_scale.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: the HDL parameters, seed); the
channel counts are checked against the DUT's port widths; register offsets and bits
come from :data:`fpgacnn.spec.cores.CROP_MAP`, the golden model from
:func:`fpgacnn.spec.crop_scale.golden` (and, for the package's crop rule,
:func:`fpgacnn.spec.frames.classifier_codes`, what the runtime computes on the host).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from fpgacnn.sim.tb import AxisTB, ProtocolError
from fpgacnn.spec.cores import CROP_CORE_ID, CROP_MAP, CROP_REGISTERS, CROP_VERSION
from fpgacnn.spec.crop_scale import golden, min_crop_width, register_values
from fpgacnn.spec.frames import CropRule, classifier_codes
from fpgacnn.spec.preprocess import ColorMode, InputSpec

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
PPC = int(PARAMS.get("PPC", 1))
IN_CH = int(PARAMS.get("IN_CHANNELS", 1))
OUT_CH = int(PARAMS.get("OUT_CHANNELS", 1))
BGR = int(PARAMS.get("BGR", 1))
OUT_W = int(PARAMS.get("OUT_WIDTH", 8))
OUT_H = int(PARAMS.get("OUT_HEIGHT", 8))
MAX_W = int(PARAMS.get("MAX_WIDTH", 64))
MAX_H = int(PARAMS.get("MAX_HEIGHT", 48))
SEED = int(PARAMS.get("seed", 1))
NPIX = OUT_W * OUT_H
BEAT = IN_CH * PPC        # bytes of one input beat
MIN_COLS = min_crop_width(PPC, OUT_W)   # the narrowest crop box the block takes
SPEC = InputSpec(height=OUT_H, width=OUT_W,
                 color=ColorMode.GRAY if OUT_CH == 1 else ColorMode.RGB)

R = CROP_REGISTERS
_ERR = {f.name: f.mask for f in CROP_MAP["ERROR"].fields}
CTRL_ENABLE = CROP_MAP["CTRL"].field("ENABLE").mask
CTRL_SOFT_RESET = CROP_MAP["CTRL"].field("SOFT_RESET").mask
CTRL_INVERT = CROP_MAP["CTRL"].field("INVERT").mask

Box = tuple[int, int, int, int]   # (y0, x0, rows, cols)


class TB(AxisTB):
    """Video lines in (PPC pixels per beat), classifier pixels out; registers through
    AXI4-Lite."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed, resets=[dut.soft_rst])
        if (len(dut.s_axis_tdata), len(dut.m_axis_tdata)) != (8 * BEAT, 8 * OUT_CH):
            raise ProtocolError(f"ports of {len(dut.s_axis_tdata)}/{len(dut.m_axis_tdata)} "
                                f"bits, expected {8 * BEAT}/{8 * OUT_CH}")
        self.rng_np = np.random.default_rng(seed)

    async def write(self, name: str, value: int) -> None:
        await self.axil.write_dword(R[name], value)

    async def read(self, name: str) -> int:
        return int(await self.axil.read_dword(R[name]))

    async def configure(self, height: int, width: int, box: Box, invert: bool = False) -> None:
        y0, x0, rows, cols = box
        for name, value in (("FRAME_WIDTH", width), ("FRAME_HEIGHT", height), ("CROP_X", x0),
                            ("CROP_Y", y0), ("CROP_WIDTH", cols), ("CROP_HEIGHT", rows),
                            ("CTRL", CTRL_ENABLE | (CTRL_INVERT if invert else 0))):
            await self.write(name, value)
        await ClockCycles(self.dut.clk, 4)   # the geometry reaches the SOF latch

    def lines(self, frame: np.ndarray, *, sof: bool = True) -> list[AxiStreamFrame]:
        """One AxiStreamFrame per line (tlast on its last beat), tuser on the first beat;
        a line's last beat is filled up to PPC pixels with random padding lanes."""
        out = []
        width = frame.shape[1]
        pad = (-width % PPC) * IN_CH
        for y, row in enumerate(frame.reshape(frame.shape[0], -1)):
            data = bytes(row.tolist()) + self.rng_np.integers(0, 256, pad, np.uint8).tobytes()
            tuser = [0] * len(data)
            if y == 0 and sof:
                tuser[:BEAT] = [1] * BEAT
            out.append(AxiStreamFrame(data, tuser=tuser))
        return out

    def queue(self, lines: list[AxiStreamFrame]) -> None:
        for f in lines:
            self.source.send_nowait(f)

    async def wait_images(self, count: int, timeout_us: float = 20000) -> None:
        """Wait until ``count`` whole images have come out (or fail on timeout)."""

        async def _wait() -> None:
            while len(self.out_mon.beats) < count * NPIX:
                await RisingEdge(self.dut.clk)

        await with_timeout(_wait(), timeout_us, "us")

    def take_images(self, count: int) -> list[np.ndarray]:
        """Pop ``count`` images from the output record; tlast exactly on each last pixel."""
        beats = self.out_mon.beats[: count * NPIX]
        if len(beats) != count * NPIX:
            raise ProtocolError(f"expected {count * NPIX} output beats, got {len(beats)}")
        imgs = []
        for n in range(count):
            img = np.zeros((OUT_H, OUT_W, OUT_CH), np.uint8)
            for i, (data, last) in enumerate(beats[n * NPIX:(n + 1) * NPIX]):
                if last != int(i == NPIX - 1):
                    raise ProtocolError(f"image {n} pixel {i}: tlast={last}")
                for c in range(OUT_CH):
                    img[i // OUT_W, i % OUT_W, c] = (data >> (8 * c)) & 0xFF
            imgs.append(img)
        del self.out_mon.beats[: count * NPIX]
        return imgs


def expected(frame: np.ndarray, box: Box, invert: bool = False) -> np.ndarray:
    """The golden output image (H, W, OUT_CH)."""
    return golden(frame, box, SPEC, invert=invert, bgr=bool(BGR)).reshape(OUT_H, OUT_W, OUT_CH)


def photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """An h x w crop of a real colour photo (astronaut or chelsea), downscaled first, in
    the stream's byte order (gray for a gray stream)."""
    import cv2
    from skimage import data

    src = data.astronaut() if rng.random() < 0.5 else data.chelsea()
    scale = max(h / src.shape[0], w / src.shape[1], 0.12)
    small = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y, x = rng.integers(0, small.shape[0] - h + 1), rng.integers(0, small.shape[1] - w + 1)
    rgb = np.ascontiguousarray(small[y:y + h, x:x + w])
    if IN_CH == 1:
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(rgb[:, :, ::-1]) if BGR else rgb


def random_geometry(rng: np.random.Generator) -> tuple[int, int, Box]:
    """A frame size within the maxima and a crop box the block takes."""
    height = int(rng.integers(OUT_H, min(MAX_H, 3 * OUT_H + 6) + 1))
    width = int(rng.integers(MIN_COLS, min(MAX_W, 3 * MIN_COLS + 8) + 1))
    rows = int(rng.integers(OUT_H, height + 1))
    cols = int(rng.integers(MIN_COLS, width + 1))
    y0 = int(rng.integers(0, height - rows + 1))
    x0 = int(rng.integers(0, width - cols + 1))
    return height, width, (y0, x0, rows, cols)


def tie_frame(rng: np.random.Generator) -> tuple[np.ndarray, Box]:
    """A frame whose outputs land on exact halves (round half to even decides them); each
    pixel repeated PPC times along the line (the narrowest box the block takes)."""
    if IN_CH == 3 and OUT_CH == 1:   # identity size: (299 R + 587 G + 114 B) % 1000 == 500
        rgb = rng.integers(0, 256, (200_000, 3))
        rgb = rgb[(rgb @ np.array([299, 587, 114])) % 1000 == 500][: OUT_H * OUT_W]
        rgb = rgb.astype(np.uint8).reshape(OUT_H, OUT_W, 3)
        frame = np.repeat(rgb[:, :, ::-1] if BGR else rgb, PPC, axis=1)
        return np.ascontiguousarray(frame), (0, 0, OUT_H, PPC * OUT_W)
    # two input columns per output column: (a + b) / 2 is a tie whenever a + b is odd
    shape = (OUT_H, 2 * OUT_W) + ((IN_CH,) if IN_CH == 3 else ())
    frame = np.repeat(rng.integers(0, 256, shape, dtype=np.uint8), PPC, axis=1)
    return frame, (0, 0, OUT_H, 2 * PPC * OUT_W)


async def run_frames(tb: TB, cases: list[tuple[np.ndarray, Box, bool]]) -> None:
    """Stream each (frame, box, invert) and check its image against the golden model."""
    for n, (frame, box, invert) in enumerate(cases):
        await tb.configure(frame.shape[0], frame.shape[1], box, invert)
        tb.queue(tb.lines(frame))
        await tb.wait_images(1)
        got, = tb.take_images(1)
        exp = expected(frame, box, invert)
        if not (got == exp).all():
            bad = np.argwhere(got != exp)[0]
            raise AssertionError(f"case {n} ({frame.shape[1]}x{frame.shape[0]}, box {box}, "
                                 f"invert {invert}): pixel {tuple(bad)} is {got[tuple(bad)]}, "
                                 f"expected {exp[tuple(bad)]}")
    assert await tb.read("ERROR") == 0


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Crops of real photos in random frames and boxes, rounding ties, invert: bit-exact."""
    seed = SEED + 2 * idle + backpressure
    tb = TB(dut, seed)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = tb.rng_np
    cases = []
    for k in range(4):
        height, width, box = random_geometry(rng)
        cases.append((photo(rng, height, width), box, k == 3))
    frame, box = tie_frame(rng)
    cases.append((frame, box, False))
    cases.append((photo(rng, MAX_H, MAX_W), (0, 0, MAX_H, MAX_W), False))   # the largest box
    await run_frames(tb, cases)


@cocotb.test()
async def back_to_back(dut) -> None:
    """Frames with the same geometry streamed without a gap: every image exact, one input
    beat per clock (the block never stalls a full-rate stream)."""
    tb = TB(dut, SEED + 7)
    await tb.reset()
    rng = tb.rng_np
    height, width, box = random_geometry(rng)
    frames = [photo(rng, height, width) for _ in range(3)]
    await tb.configure(height, width, box)
    for f in frames:
        tb.queue(tb.lines(f))
    await tb.wait_images(len(frames))
    for n, (got, f) in enumerate(zip(tb.take_images(len(frames)), frames, strict=True)):
        assert (got == expected(f, box)).all(), f"frame {n} differs"
    await tb.source.wait()   # the lines below the crop box, too
    await ClockCycles(dut.clk, 2)
    beats = len(frames) * height * -(-width // PPC)
    if len(tb.in_mon.cycles) != beats:
        raise ProtocolError(f"{len(tb.in_mon.cycles)} input beats recorded, sent {beats}")
    span = tb.in_mon.span()
    if span != beats - 1:
        raise ProtocolError(f"{beats} input beats took {span + 1} cycles")


@cocotb.test()
async def package_rule(dut) -> None:
    """The package's crop rule on a 64x48-class frame: the registers from
    register_values(), the image equal to the runtime's classifier_codes()."""
    tb = TB(dut, SEED + 8)
    await tb.reset()
    rng = tb.rng_np
    checked = 0
    for rule in (CropRule(fraction=0.9), CropRule(invert=True), CropRule(fraction=0.5)):
        frame = photo(rng, MAX_H, MAX_W)
        regs = register_values(rule, MAX_H, MAX_W)
        for name, value in regs.items():
            await tb.write(name, value)
        await ClockCycles(dut.clk, 4)
        y0, x0, rows, cols = rule.box(MAX_H, MAX_W)
        if rows < OUT_H or cols < MIN_COLS:
            continue
        tb.queue(tb.lines(frame))
        await tb.wait_images(1)
        got, = tb.take_images(1)
        if IN_CH == 3 and BGR:   # classifier_codes takes OpenCV's BGR frames
            exp = classifier_codes(frame, rule, SPEC)
        else:
            exp = expected(frame, (y0, x0, rows, cols), rule.invert)
        assert (got == exp.reshape(got.shape)).all(), f"{rule}: differs from the runtime's codes"
        checked += 1
    assert checked, "no rule's box fits the block at these maxima"


# --- faults ------------------------------------------------------------------------------


def _frame(rng: np.random.Generator) -> tuple[np.ndarray, Box]:
    height, width = min(MAX_H, 2 * OUT_H + 3), min(MAX_W, MIN_COLS + OUT_W + 5)
    return photo(rng, height, width), (2 if height - 2 >= OUT_H + 1 else 0, 1,
                                       OUT_H + 1 if height >= OUT_H + 3 else OUT_H,
                                       MIN_COLS + 2)


FAULTS = ["eol_early", "eol_late", "sof_missing", "sof_early", "frame_long",
          "fault_above_crop", "fault_below_crop"]


@cocotb.test()
@cocotb.parametrize(fault=FAULTS, backpressure=[False, True])
async def faults(dut, fault: str, backpressure: bool) -> None:
    """Each malformed stream sets its sticky bit, yields whole images only (a damaged one
    completed with zeros), and the next good frame is exact: resynchronisation, no hang."""
    tb = TB(dut, SEED + 20 + FAULTS.index(fault) * 2 + backpressure)
    tb.set_matrix(False, backpressure)
    await tb.reset()
    rng = tb.rng_np
    frame, box = _frame(rng)
    y0, _, rows, _ = box
    height, width = frame.shape[:2]
    await tb.configure(height, width, box)
    good = tb.lines(frame)
    lines = tb.lines(frame)
    bpl = len(good[0].tdata)   # bytes of a line: ceil(width / PPC) beats
    bit, images = {
        "eol_early": ("EOL_EARLY", 1), "eol_late": ("EOL_LATE", 1),
        "sof_missing": ("SOF_MISSING", 0), "sof_early": ("SOF_EARLY", 1),
        "frame_long": ("FRAME_LONG", 1), "fault_above_crop": ("EOL_EARLY", 1),
        "fault_below_crop": ("EOL_LATE", 1),
    }[fault]
    mid = y0 + rows // 2
    if fault == "eol_early":        # a short line inside the crop
        lines[mid] = AxiStreamFrame(bytes(lines[mid].tdata[: bpl - BEAT]))
    elif fault == "eol_late":       # a long line inside the crop
        lines[mid] = AxiStreamFrame(bytes(lines[mid].tdata) + bytes(BEAT * 2))
    elif fault == "sof_missing":
        lines = tb.lines(frame, sof=False)
    elif fault == "sof_early":      # the frame stops half way, the next one begins
        lines = lines[:mid]
    elif fault == "frame_long":     # an extra line after the frame
        lines = lines + [AxiStreamFrame(bytes(lines[0].tdata))]
    elif fault == "fault_above_crop":
        if y0 == 0:
            return  # the geometry puts no line above the crop
        lines[0] = AxiStreamFrame(bytes(lines[0].tdata[:BEAT]), tuser=[1] * BEAT)
    elif fault == "fault_below_crop":
        if y0 + rows >= height:
            return
        lines[-1] = AxiStreamFrame(bytes(lines[-1].tdata) + bytes(BEAT))
    tb.queue(lines + good)
    await tb.wait_images(images + 1)
    await ClockCycles(dut.clk, 50)
    imgs = tb.take_images(images + 1)
    if tb.out_mon.beats:
        raise ProtocolError(f"{len(tb.out_mon.beats)} output beats beyond whole images")
    assert (imgs[-1] == expected(frame, box)).all(), "the good frame after the fault differs"
    if fault == "fault_below_crop":   # the image was complete before the fault
        assert (imgs[0] == expected(frame, box)).all()
    if fault == "fault_above_crop":   # nothing of it: the whole image is padding
        assert not imgs[0].any()
    err = await tb.read("ERROR")
    assert err == _ERR[bit], f"ERROR = {err:#x}, expected {bit} ({_ERR[bit]:#x})"
    await tb.write("ERROR", err)
    assert await tb.read("ERROR") == 0, "ERROR bits are write-1-to-clear"
    drops = await tb.read("DROP_COUNT")
    assert (drops > 0) == (fault != "sof_early"), f"DROP_COUNT = {drops}"
    assert await tb.read("FRAME_COUNT") == images + 1


@cocotb.test()
async def registers(dut) -> None:
    """Identification and parameter registers, reset values, a refused geometry
    (BAD_SIZE: no image, input discarded), soft reset mid-frame, ENABLE."""
    tb = TB(dut, SEED + 40)
    await tb.reset()
    params = {"OUT_WIDTH": OUT_W, "OUT_HEIGHT": OUT_H, "IN_CHANNELS": IN_CH,
              "OUT_CHANNELS": OUT_CH, "MAX_WIDTH": MAX_W, "MAX_HEIGHT": MAX_H}
    for name, value in CROP_MAP.reset_values(params).items():
        got = await tb.read(name)
        assert got == value, f"{name} reads {got:#x} after reset, expected {value:#x}"
    assert await tb.read("CORE_ID") == CROP_CORE_ID
    assert await tb.read("VERSION") == CROP_VERSION
    assert await tb.read("STATUS") == CROP_MAP["STATUS"].field("WAIT_SOF").mask
    rng = tb.rng_np
    frame, box = _frame(rng)
    height, width = frame.shape[:2]
    # A crop box reaching out of the frame is refused with BAD_SIZE; the frame yields nothing.
    y0, x0, rows, cols = box
    await tb.configure(height, width, (y0, width - cols + 1, rows, cols))
    tb.queue(tb.lines(frame))
    await ClockCycles(dut.clk, height * width * 2 + 50)
    assert not tb.out_mon.beats, "a refused geometry produced output"
    assert await tb.read("ERROR") == _ERR["BAD_SIZE"]
    await tb.write("ERROR", _ERR["BAD_SIZE"])
    # A crop narrower than PPC * OUT_WIDTH columns is refused too.
    await tb.configure(height, width, (0, 0, rows, MIN_COLS - 1))
    tb.queue(tb.lines(frame))
    await ClockCycles(dut.clk, height * width * 2 + 50)
    assert not tb.out_mon.beats and await tb.read("ERROR") == _ERR["BAD_SIZE"]
    await tb.write("ERROR", _ERR["BAD_SIZE"])
    # Soft reset mid-frame: the datapath restarts, the next frame is exact.
    await tb.configure(height, width, box)
    tb.queue(tb.lines(frame)[: height // 2])
    await ClockCycles(dut.clk, (height // 2) * width + 20)
    await tb.write("CTRL", CTRL_ENABLE | CTRL_SOFT_RESET)
    assert await tb.read("CTRL") == CTRL_ENABLE, "SOFT_RESET reads 0"
    tb.out_mon.beats.clear()
    tb.queue(tb.lines(frame))
    await tb.wait_images(1)
    got, = tb.take_images(1)
    assert (got == expected(frame, box)).all(), "the frame after a soft reset differs"
    # ENABLE low (between frames): the next frame stalls; high again: it goes through.
    while not await tb.read("STATUS") & CROP_MAP["STATUS"].field("WAIT_SOF").mask:
        await ClockCycles(dut.clk, 10)
    await tb.write("CTRL", 0)
    tb.queue(tb.lines(frame))
    await ClockCycles(dut.clk, 100)
    assert not tb.out_mon.beats and int(dut.s_axis_tready.value) == 0
    await tb.write("CTRL", CTRL_ENABLE)
    await tb.wait_images(1)
    got, = tb.take_images(1)
    assert (got == expected(frame, box)).all()
    assert await tb.read("FRAME_COUNT") == 2
