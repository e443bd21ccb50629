"""cocotb testbench for ``fcnn_edge_core`` (cocotb side; runs inside the simulator).

The pytest entry points that build the core and run these tests are in
``test_fcnn_edge_core.py`` beside this file. Stimulus parameters come from the
environment variable ``FCNN_TB_PARAMS`` (JSON: MAX_WIDTH, MAX_HEIGHT, seed); the
pixels per clock come from the DUT (``len(dut.s_axis_tdata) // 8``), the register
offsets and bits from the contracts layer (:mod:`fpgacnn.spec.cores`).
"""

from __future__ import annotations

import itertools
import json
import os
import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from fpgacnn.sim.tb import AxisTB, ProtocolError
from fpgacnn.spec.cores import (
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_CORE_ID,
    EDGE_ERROR_BITS,
    EDGE_MAP,
    EDGE_REGISTERS,
)
from fpgacnn.spec.edge import sobel_edges

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
MAX_W = int(PARAMS.get("MAX_WIDTH", 64))
MAX_H = int(PARAMS.get("MAX_HEIGHT", 48))
SEED = int(PARAMS.get("seed", 1))

# Register offsets and error bits: the contracts layer's map (fpgacnn.spec.cores).
CTRL, STATUS, ERROR, WIDTH, HEIGHT, THRESHOLD = (
    EDGE_REGISTERS[n] for n in ("CTRL", "STATUS", "ERROR", "WIDTH", "HEIGHT", "THRESHOLD"))
FRAME_COUNT, DROP_COUNT, CORE_ID, VERSION = (
    EDGE_REGISTERS[n] for n in ("FRAME_COUNT", "DROP_COUNT", "CORE_ID", "VERSION"))
CFG_PPC, CFG_MAX_WIDTH, CFG_MAX_HEIGHT = (
    EDGE_REGISTERS[n] for n in ("CFG_PPC", "CFG_MAX_WIDTH", "CFG_MAX_HEIGHT"))
_ERR = {name: 1 << bit for bit, name in EDGE_ERROR_BITS.items()}
E_EOL_EARLY, E_EOL_LATE, E_SOF_EARLY, E_SOF_MISSING, E_FRAME_LONG, E_BAD_SIZE = (
    _ERR[n] for n in ("EOL_EARLY", "EOL_LATE", "SOF_EARLY", "SOF_MISSING", "FRAME_LONG",
                      "BAD_SIZE"))
E_ALL = sum(_ERR.values())


class TB(AxisTB):
    """The shared AXI4-Stream/AXI4-Lite TB base; the monitors also honour CTRL.SOFT_RESET."""

    def __init__(self, dut, seed: int = SEED) -> None:
        # Resets (the pin or CTRL.SOFT_RESET) may cut a stalled beat: documented policy.
        super().__init__(dut, seed=seed, resets=[dut.soft_rst])
        #: Pixels per clock, from the DUT.
        self.ppc = len(dut.s_axis_tdata) // 8

    @property
    def beats(self) -> list[tuple[int, ...]]:
        """Output beats ``(tdata, tuser, tlast)`` recorded by the output monitor."""
        return self.out_mon.beats

    # ---------------------------------------------------------------- setup
    async def write(self, addr: int, value: int) -> None:
        await self.axil.write_dword(addr, value)

    async def read(self, addr: int) -> int:
        return int(await self.axil.read_dword(addr))

    async def configure(self, width: int, height: int, threshold: int = 0) -> None:
        await self.write(WIDTH, width)
        await self.write(HEIGHT, height)
        await self.write(THRESHOLD, threshold)

    # --------------------------------------------------------------- frames
    def line_frames(self, img: np.ndarray, tuser_first: bool = True) -> list[AxiStreamFrame]:
        """One AxiStreamFrame per line (tlast on its last beat), tuser on the first beat."""
        frames = []
        for y, row in enumerate(img):
            tuser = [0] * len(row)
            if y == 0 and tuser_first:
                tuser[: min(self.ppc, len(row))] = [1] * min(self.ppc, len(row))
            frames.append(AxiStreamFrame(bytes(row.tolist()), tuser=tuser))
        return frames

    async def send_lines(self, frames: list[AxiStreamFrame]) -> None:
        for f in frames:
            await self.source.send(f)

    async def send_image(self, img: np.ndarray) -> None:
        await self.send_lines(self.line_frames(img))

    async def wait_beats(self, count: int, timeout_us: float = 2000) -> None:
        """Wait until ``count`` output beats have been recorded (or fail on timeout)."""

        async def _wait() -> None:
            while len(self.beats) < count:
                await RisingEdge(self.dut.clk)

        await with_timeout(_wait(), timeout_us, "us")

    def take_frames(self, width: int, heights: list[int]) -> list[np.ndarray]:
        """Split recorded beats into frames of ``width`` x each height; check the framing."""
        ppc = self.ppc
        bpl = -(-width // ppc)
        frames = []
        pos = 0
        for n, h in enumerate(heights):
            beats = self.beats[pos : pos + h * bpl]
            if len(beats) != h * bpl:
                raise ProtocolError(f"frame {n}: expected {h * bpl} beats, got {len(beats)}")
            pos += h * bpl
            img = np.zeros((h, bpl * ppc), dtype=np.uint8)
            for i, (data, user, last) in enumerate(beats):
                y, x = divmod(i, bpl)
                if user != (1 if i == 0 else 0):
                    raise ProtocolError(f"frame {n} beat {i} (row {y}, beat {x}): tuser={user}")
                if last != (1 if x == bpl - 1 else 0):
                    raise ProtocolError(f"frame {n} beat {i} (row {y}, beat {x}): tlast={last}")
                for lane in range(ppc):
                    img[y, x * ppc + lane] = (data >> (8 * lane)) & 0xFF
            if np.any(img[:, width:]):
                raise ProtocolError(f"frame {n}: padding lanes past the line end are not zero")
            frames.append(img[:, :width])
        del self.beats[:pos]
        return frames


def gray_images() -> dict[str, np.ndarray]:
    """scikit-image's bundled photos in gray (BT.601 luma as OpenCV computes it)."""
    import cv2
    from skimage import data

    return {
        "camera": data.camera(),
        "coins": data.coins(),
        "astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY),
    }


def crop(img: np.ndarray, h: int, w: int, rng: random.Random) -> np.ndarray:
    """A random h x w crop (downscaled first when the crop would be featureless)."""
    import cv2

    scale = max(h / img.shape[0], w / img.shape[1], 0.15)
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y = rng.randrange(0, small.shape[0] - h + 1)
    x = rng.randrange(0, small.shape[1] - w + 1)
    return np.ascontiguousarray(small[y : y + h, x : x + w])


SIZES = [(3, 3), (4, 5), (9, 17), (48, 64), (1, 1), (1, 7), (6, 1), (2, 9)]


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def frames(dut, idle: bool, backpressure: bool) -> None:
    """Real-image crops at odd sizes, thresholds, size changes between frames: bit-exact."""
    tb = TB(dut, seed=SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    images = gray_images()
    names = itertools.cycle(sorted(images))
    thresholds = itertools.cycle([0, 0, 100, 1, 300, 2040])
    sizes = [(h, w) for h, w in SIZES if h <= MAX_H and w <= MAX_W]
    for h, w in sizes:
        name = next(names)
        img = crop(images[name], h, w, tb.rng)
        thr = next(thresholds)
        await tb.configure(w, h, thr)
        await tb.send_image(img)
        await tb.wait_beats(h * -(-w // tb.ppc))
        (out,) = tb.take_frames(w, [h])
        expected = sobel_edges(img, thr)
        if not np.array_equal(out, expected):
            diff = np.argwhere(out != expected)
            raise AssertionError(
                f"{name} {h}x{w} thr={thr}: {len(diff)} pixels differ, first at {diff[0]}: "
                f"got {out[tuple(diff[0])]}, expected {expected[tuple(diff[0])]}"
            )
    assert await tb.read(ERROR) == 0
    assert await tb.read(FRAME_COUNT) == len(sizes)


@cocotb.test()
async def back_to_back(dut) -> None:
    """Several frames queued at once (no gaps), same size: all exact, counted, latency ~1 line."""
    tb = TB(dut)
    await tb.reset()
    h, w = min(MAX_H, 24), min(MAX_W, 40)
    await tb.configure(w, h)
    images = gray_images()
    imgs = [crop(images[n], h, w, tb.rng) for n in sorted(images)]
    for img in imgs:
        await tb.send_image(img)
    await tb.wait_beats(len(imgs) * h * -(-w // tb.ppc))
    outs = tb.take_frames(w, [h] * len(imgs))
    for img, out in zip(imgs, outs, strict=True):
        assert np.array_equal(out, sobel_edges(img))
    latency = tb.out_mon.first_cycle - tb.in_mon.first_cycle
    dut._log.info("latency first beat in -> first beat out: %d cycles", latency)
    assert latency <= -(-w // tb.ppc) + 8, f"latency {latency} > W/tb.ppc + 8"
    assert await tb.read(FRAME_COUNT) == len(imgs)


@cocotb.test()
async def registers(dut) -> None:
    """Reset values, read-only identification, masks, write-1-to-clear and counter clears."""
    tb = TB(dut)
    await tb.reset()
    assert await tb.read(CTRL) == CTRL_ENABLE
    assert await tb.read(STATUS) == EDGE_MAP["STATUS"].field("WAIT_SOF").mask  # idle
    assert await tb.read(ERROR) == 0
    assert await tb.read(WIDTH) == MAX_W
    assert await tb.read(HEIGHT) == MAX_H
    assert await tb.read(THRESHOLD) == 0
    assert await tb.read(CORE_ID) == EDGE_CORE_ID
    assert await tb.read(VERSION) == EDGE_MAP.version
    assert await tb.read(CFG_PPC) == tb.ppc
    assert await tb.read(CFG_MAX_WIDTH) == MAX_W
    assert await tb.read(CFG_MAX_HEIGHT) == MAX_H
    await tb.write(THRESHOLD, 0xFFFFFFFF)
    assert await tb.read(THRESHOLD) == 0xFFF
    await tb.write(WIDTH, 0x12345)
    assert await tb.read(WIDTH) == 0x2345
    await tb.write(CORE_ID, 0)
    assert await tb.read(CORE_ID) == EDGE_CORE_ID
    assert await tb.read(0xFC) == 0                   # unmapped
    # A bad size raises BAD_SIZE; W1C clears exactly the bits written.
    await tb.configure(0, 3)
    await tb.send_image(np.zeros((2, 2), np.uint8))
    await ClockCycles(dut.clk, 20)
    assert await tb.read(ERROR) & E_BAD_SIZE
    assert await tb.read(DROP_COUNT) > 0
    await tb.write(ERROR, E_EOL_EARLY)
    assert await tb.read(ERROR) & E_BAD_SIZE
    await tb.write(ERROR, E_BAD_SIZE)
    assert await tb.read(ERROR) == 0
    await tb.write(DROP_COUNT, 0)
    assert await tb.read(DROP_COUNT) == 0


async def _send_good(tb: TB, count: int = 2) -> list[np.ndarray]:
    """Configure a size and queue ``count`` good frames; return them."""
    h, w = min(MAX_H, 7), min(MAX_W, 11)
    await tb.configure(w, h)
    images = gray_images()
    imgs = [crop(images["camera"], h, w, tb.rng) for _ in range(count)]
    for img in imgs:
        await tb.send_image(img)
    return imgs


async def _check_good(tb: TB, imgs: list[np.ndarray]) -> None:
    """Wait for the good frames and check them bit-exact (the resynchronisation check)."""
    h, w = imgs[0].shape
    await tb.wait_beats(len(imgs) * h * -(-w // tb.ppc))
    outs = tb.take_frames(w, [h] * len(imgs))
    for img, out in zip(imgs, outs, strict=True):
        assert np.array_equal(out, sobel_edges(img)), "frame after a fault is not exact"


async def _good_frames_after(tb: TB, count: int = 2) -> None:
    await _check_good(tb, await _send_good(tb, count))


def _lines(img: np.ndarray) -> list[list[int]]:
    return [row.tolist() for row in img]


def _frame_from_lines(lines: list[list[int]], tuser_beats: list[int],
                      ppc: int) -> list[AxiStreamFrame]:
    """Turn explicit lines into stream frames; tuser on the given global beat indices."""
    out, beat = [], 0
    for line in lines:
        nbeats = -(-len(line) // ppc)
        tuser = []
        for b in range(nbeats):
            n = min(ppc, len(line) - b * ppc)
            tuser += [1 if beat + b in tuser_beats else 0] * n
        beat += nbeats
        out.append(AxiStreamFrame(bytes(line), tuser=tuser))
    return out


FAULTS = ["eol_early", "eol_late", "sof_early", "sof_missing", "frame_long", "bad_size"]


@cocotb.test()
@cocotb.parametrize(fault=FAULTS, backpressure=[False, True])
async def faults(dut, fault: str, backpressure: bool) -> None:
    """Each malformed-stream fault: its sticky bit, a well-formed output, exact frames after."""
    tb = TB(dut, seed=SEED + FAULTS.index(fault))
    tb.set_matrix(idle=True, backpressure=backpressure)
    await tb.reset()
    h, w = min(MAX_H, 6), min(MAX_W, 4 * tb.ppc + 3)
    bpl = -(-w // tb.ppc)
    await tb.configure(w, h)
    img = crop(gray_images()["coins"], h, w, tb.rng)
    lines = _lines(img)
    expected_bit = {
        "eol_early": E_EOL_EARLY, "eol_late": E_EOL_LATE, "sof_early": E_SOF_EARLY,
        "sof_missing": E_SOF_MISSING, "frame_long": E_FRAME_LONG, "bad_size": E_BAD_SIZE,
    }[fault]
    out_frames = 0          # output frames the fault produces (padded frames)
    exact_rows = 0          # leading rows of that output that must still be exact
    if fault == "eol_early":
        # Row 3 ends PPC + 1 pixels early (at least one beat short).
        lines[3] = lines[3][: max(1, w - tb.ppc - 1)]
        await tb.send_lines(_frame_from_lines(lines, [0], tb.ppc))
        out_frames, exact_rows = 1, 2      # output rows 0..1 need only rows 0..2
    elif fault == "eol_late":
        # Rows 2 and 3 arrive as one line: no tlast at the end of row 2.
        merged = lines[:2] + [lines[2] + lines[3]] + lines[4:]
        await tb.send_lines(_frame_from_lines(merged, [0], tb.ppc))
        out_frames, exact_rows = 1, 2      # row 2 itself arrived whole
    elif fault == "sof_early":
        # The frame is cut after 3 rows by the next frame's SOF; that frame is good.
        await tb.send_lines(_frame_from_lines(lines[:3], [0], tb.ppc))
        out_frames, exact_rows = 1, 2
    elif fault == "sof_missing":
        await tb.send_lines(_frame_from_lines(lines, [], tb.ppc))
    elif fault == "frame_long":
        await tb.send_lines(_frame_from_lines(lines + lines[:2], [0], tb.ppc))
        out_frames, exact_rows = 1, h
    elif fault == "bad_size":
        await tb.write(WIDTH, MAX_W + 1)
        await tb.send_lines(_frame_from_lines(lines, [0], tb.ppc))
    if fault == "sof_early":
        # The good frames' SOF is what cuts the bad frame short: queue them now.
        await with_timeout(tb.source.wait(), 1000, "us")
        good = await _send_good(tb)
    else:
        await with_timeout(tb.source.wait(), 1000, "us")
        good = None
    if out_frames:
        await tb.wait_beats(out_frames * h * bpl)
        (bad,) = tb.take_frames(w, [h])    # the padded frame is complete and well formed
        ref = sobel_edges(img)
        assert np.array_equal(bad[:exact_rows], ref[:exact_rows]), "rows before the fault"
    await _check_good(tb, good if good is not None else await _send_good(tb))
    err = await tb.read(ERROR)
    assert err == expected_bit, f"{fault}: ERROR = {err:#x}, expected exactly {expected_bit:#x}"
    assert len(tb.beats) == 0, f"{len(tb.beats)} unexpected output beats"


@cocotb.test()
@cocotb.parametrize(kind=["soft", "hard"])
async def reset_mid_frame(dut, kind: str) -> None:
    """A reset in the middle of a frame: no hang, the next frames are exact."""
    tb = TB(dut)
    tb.set_matrix(idle=True, backpressure=True)
    await tb.reset()
    h, w = min(MAX_H, 8), min(MAX_W, 12)
    await tb.configure(w, h)
    img = crop(gray_images()["astronaut"], h, w, tb.rng)
    for f in tb.line_frames(img):
        await tb.source.send(f)
    await tb.wait_beats(2)
    if kind == "soft":
        await tb.write(CTRL, CTRL_ENABLE | CTRL_SOFT_RESET)
    else:
        await tb.reset()
    tb.source.clear()
    await tb.source.wait()   # let a half-sent line finish, as an upstream would after reset
    await ClockCycles(dut.clk, 2)
    if kind == "hard":
        await tb.configure(w, h)
    # Whatever was in flight is discarded (SOF_MISSING for an orphaned half line is allowed).
    await tb.write(ERROR, E_ALL)
    tb.beats.clear()
    await _good_frames_after(tb, count=2)
    assert await tb.read(ERROR) == 0


@cocotb.test()
async def enable(dut) -> None:
    """CTRL.ENABLE = 0 holds input off at the frame boundary; 1 lets it through."""
    tb = TB(dut)
    await tb.reset()
    h, w = min(MAX_H, 4), min(MAX_W, 6)
    await tb.configure(w, h)
    await tb.write(CTRL, 0)
    img = crop(gray_images()["coins"], h, w, tb.rng)
    await tb.send_image(img)
    await ClockCycles(dut.clk, 50)
    assert len(tb.beats) == 0
    assert int(dut.s_axis_tready.value) == 0
    await tb.write(CTRL, CTRL_ENABLE)
    await tb.wait_beats(h * -(-w // tb.ppc))
    (out,) = tb.take_frames(w, [h])
    assert np.array_equal(out, sobel_edges(img))


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def full_frame(dut, idle: bool, backpressure: bool) -> None:
    """A whole 640x480 photo (camera, resized) under the matrix; bit-exact (slow)."""
    import cv2

    tb = TB(dut, seed=SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    h, w = MAX_H, MAX_W
    img = cv2.resize(gray_images()["camera"], (w, h), interpolation=cv2.INTER_AREA)
    await tb.configure(w, h)
    await tb.send_image(img)
    await tb.wait_beats(h * -(-w // tb.ppc), timeout_us=1e6)
    (out,) = tb.take_frames(w, [h])
    assert np.array_equal(out, sobel_edges(img))
