"""cocotb testbench for ``fcnn_rgb2gray`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_rgb2gray.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: BGR, COLOURS, seed); the pixels per
clock from the DUT (``len(dut.m_axis_tdata) // 8``). The golden model is the
contracts layer's :func:`fpgacnn.spec.frames.gray_from_bgr` / ``gray_from_rgb``.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from fpgacnn.sim.tb import AxisTB, ProtocolError
from fpgacnn.spec.frames import BGR2GRAY_FIXED, gray_from_bgr, gray_from_rgb

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
BGR = int(PARAMS.get("BGR", 1))
COLOURS = int(PARAMS.get("COLOURS", 6000))
SEED = int(PARAMS.get("seed", 1))


def golden(pixels: np.ndarray) -> np.ndarray:
    """Gray of ``(n, 3)`` pixels in the DUT's channel order (the contracts layer's rule)."""
    img = pixels.reshape(1, -1, 3)
    return (gray_from_bgr(img) if BGR else gray_from_rgb(img)).reshape(-1)


def corner_colours() -> np.ndarray:
    """Every mix of {0, 1, 127, 128, 254, 255} per channel, and colours on rounding edges.

    A rounding edge is a colour whose weighted sum lands on ``k * 2**15 - 2**14`` or one
    below (the half-way point of the rounding and its neighbour), found exhaustively.
    """
    levels = np.array([0, 1, 127, 128, 254, 255], np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    v = np.arange(1 << 24, dtype=np.uint32)
    b, g, r = v & 0xFF, (v >> 8) & 0xFF, v >> 16
    wb, wg, wr = BGR2GRAY_FIXED
    frac = (wb * b + wg * g + wr * r) & 0x7FFF
    edge = v[(frac == 0x4000) | (frac == 0x3FFF)]
    edge_bgr = np.stack([edge & 0xFF, (edge >> 8) & 0xFF, edge >> 16], -1).astype(np.uint8)
    if not BGR:
        edge_bgr = edge_bgr[:, ::-1]
    step = max(1, len(edge_bgr) // 2000)
    return np.concatenate([grid, edge_bgr[::step]])


class TB(AxisTB):
    """Colour beats in, gray beats out; monitors on both streams record every beat."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        #: Pixels per clock, from the DUT.
        self.ppc = len(dut.m_axis_tdata) // 8
        if len(dut.s_axis_tdata) != 24 * self.ppc:
            raise ProtocolError(f"s_axis_tdata is {len(dut.s_axis_tdata)} bits, expected "
                                f"{24 * self.ppc}")

    def queue(self, pixels: np.ndarray, users: list[int], lasts: list[int]) -> None:
        """Queue ``(n * ppc, 3)`` pixels as beats with the given per-beat tuser / tlast."""
        ppc, words = self.ppc, pixels.reshape(-1, 3 * self.ppc)
        data: list[int] = []
        tuser: list[int] = []
        for word, user, last in zip(words, users, lasts, strict=True):
            data += word.tolist()
            tuser += [user] * (3 * ppc)
            if last:
                self.source.send_nowait(AxiStreamFrame(bytes(data), tuser=tuser))
                data, tuser = [], []

    async def wait_out(self, count: int, timeout_us: float = 20000) -> None:
        """Wait until ``count`` output beats have been recorded (or fail on timeout)."""

        async def _wait() -> None:
            while len(self.out_mon.beats) < count:
                await RisingEdge(self.dut.clk)

        await with_timeout(_wait(), timeout_us, "us")

    def check(self, pixels: np.ndarray, users: list[int], lasts: list[int], what: str) -> None:
        """Output beats == golden gray of ``pixels``, tuser/tlast as sent, beat for beat."""
        exp = golden(pixels).reshape(-1, self.ppc)
        beats = self.out_mon.beats
        if len(beats) != len(exp):
            raise ProtocolError(f"{what}: {len(beats)} output beats, expected {len(exp)}")
        for n, ((data, user, last), row) in enumerate(zip(beats, exp, strict=True)):
            got = [(data >> (8 * i)) & 0xFF for i in range(self.ppc)]
            if got != row.tolist():
                k = n * self.ppc
                raise AssertionError(f"{what} beat {n}: pixels {pixels[k:k + self.ppc].tolist()} "
                                     f"gave {got}, expected {row.tolist()}")
            if (user, last) != (users[n], lasts[n]):
                raise ProtocolError(f"{what} beat {n}: tuser/tlast {(user, last)}, sent "
                                    f"{(users[n], lasts[n])}")


async def _run(tb: TB, pixels: np.ndarray, users: list[int], lasts: list[int],
               what: str) -> None:
    tb.queue(pixels, users, lasts)
    await tb.wait_out(len(users))
    tb.check(pixels, users, lasts, what)


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def colours(dut, idle: bool, backpressure: bool) -> None:
    """Corner colours, rounding edges and random colours with random tuser/tlast
    (malformed framing passes through unchanged): bit-exact, one beat per clock."""
    seed = SEED + 2 * idle + backpressure
    tb = TB(dut, seed)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = np.random.default_rng(seed)
    pix = np.concatenate([corner_colours(), rng.integers(0, 256, (COLOURS, 3), dtype=np.uint8)])
    pix = np.concatenate([pix, pix[: (-len(pix)) % tb.ppc]])
    n = len(pix) // tb.ppc
    users = (rng.random(n) < 0.05).astype(int).tolist()
    lasts = (rng.random(n) < 0.1).astype(int).tolist()
    lasts[-1] = 1  # a source ends a send on tlast
    await _run(tb, pix, users, lasts, "colours")
    if not idle and not backpressure:
        span = tb.in_mon.span()
        if span != n - 1:
            raise ProtocolError(f"not one beat per clock: {n} beats in {span + 1} cycles")


def photos() -> dict[str, np.ndarray]:
    """scikit-image's colour photos, in the DUT's channel order."""
    from skimage import data

    rgb = {"astronaut": data.astronaut(), "chelsea": data.chelsea()}
    return {k: (v[:, :, ::-1] if BGR else v) for k, v in rgb.items()}


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Crops of real colour photos as video frames (tuser on the first beat, tlast per
    line): the gray frame equals the contracts layer's, bit for bit."""
    seed = SEED + 10 + 2 * idle + backpressure
    tb = TB(dut, seed)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = np.random.default_rng(seed)
    for name, img in photos().items():
        h, w = 12, 8 * tb.ppc
        y, x = rng.integers(0, img.shape[0] - h), rng.integers(0, img.shape[1] - w)
        crop = np.ascontiguousarray(img[y:y + h, x:x + w])
        bpl = w // tb.ppc
        users = [int(i == 0) for i in range(h * bpl)]
        lasts = [int(i % bpl == bpl - 1) for i in range(h * bpl)]
        tb.out_mon.beats.clear()
        await _run(tb, crop.reshape(-1, 3), users, lasts, f"{name}[{y}:{y + h}, {x}:{x + w}]")
        gray = (gray_from_bgr(crop) if BGR else gray_from_rgb(crop)).reshape(-1)
        got = np.array([(d >> (8 * i)) & 0xFF for d, _, _ in tb.out_mon.beats
                        for i in range(tb.ppc)], np.uint8)
        assert (got == gray).all(), f"{name}: gray frame differs from the contracts layer's"
