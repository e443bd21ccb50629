"""cocotb tests of ``fcnn_edge_dma``: the edge core behind AXI-DMA-style framing.

Pixels per clock come from the DUT (``len(dut.s_axis_tdata) // 8``), register
offsets and error bits from :mod:`fpgacnn.spec.cores`.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
import cv2
import numpy as np
from cocotb.triggers import RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame
from skimage import data

from fpgacnn.sim.tb import AxisTB
from fpgacnn.spec.cores import CTRL_ENABLE, CTRL_SOFT_RESET, EDGE_ERROR_BITS, EDGE_REGISTERS
from fpgacnn.spec.edge import pack_frame, sobel_edges, unpack_frame

P = json.loads(os.environ["FCNN_TB_PARAMS"])
SEED = int(P.get("seed", 1))
CTRL, WIDTH, HEIGHT, THRESHOLD, ERROR = (
    EDGE_REGISTERS[n] for n in ("CTRL", "WIDTH", "HEIGHT", "THRESHOLD", "ERROR"))
_ERR = {name: 1 << bit for bit, name in EDGE_ERROR_BITS.items()}
E_EOL_EARLY, E_SOF_EARLY = _ERR["EOL_EARLY"], _ERR["SOF_EARLY"]


class TB(AxisTB):
    """The shared AXI4-Stream/AXI4-Lite TB base (``sim/tb.py``) on the DMA-framed core."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        #: Pixels per clock, from the DUT.
        self.ppc = len(dut.s_axis_tdata) // 8

    def transfer(self, img: np.ndarray) -> AxiStreamFrame:
        """One DMA transfer: the frame's beats as bytes (lanes past the line end zero)."""
        ppc = self.ppc
        beats = pack_frame(img, ppc)
        raw = b"".join(int(b).to_bytes(ppc, "little") for b in beats.reshape(-1))
        return AxiStreamFrame(raw)

    async def recv_frame(self, h: int, w: int) -> np.ndarray:
        frame = await with_timeout(self.sink.recv(), 2000, "us")
        ppc = self.ppc
        bpl = -(-w // ppc)
        raw = bytes(frame.tdata)
        assert len(raw) == h * bpl * ppc, f"{len(raw)} bytes, expected {h * bpl * ppc}"
        beats = np.array([int.from_bytes(raw[i:i + ppc], "little")
                          for i in range(0, len(raw), ppc)], dtype=np.uint64).reshape(h, bpl)
        return unpack_frame(beats, w, ppc)


def photo(h: int, w: int, rng: random.Random) -> np.ndarray:
    img = cv2.resize(data.camera(), None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    y, x = rng.randrange(0, img.shape[0] - h), rng.randrange(0, img.shape[1] - w)
    return np.ascontiguousarray(img[y:y + h, x:x + w])


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def frames(dut, idle: bool, backpressure: bool) -> None:
    """Frames in as single transfers come out as single transfers, bit-exact."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    for h, w, thr in [(6, 9, 0), (5, 16, 90), (7, 3, 0)]:
        img = photo(h, w, tb.rng)
        await tb.axil.write_dword(WIDTH, w)
        await tb.axil.write_dword(HEIGHT, h)
        await tb.axil.write_dword(THRESHOLD, thr)
        await tb.source.send(tb.transfer(img))
        out = await tb.recv_frame(h, w)
        assert np.array_equal(out, sobel_edges(img, thr))
    assert int(await tb.axil.read_dword(ERROR)) == 0


@cocotb.test()
async def short_transfer(dut) -> None:
    """A transfer that ends mid-frame: flagged, the frame padded, the next frame exact."""
    tb = TB(dut, SEED)
    await tb.reset()
    h, w = 6, 10
    await tb.axil.write_dword(WIDTH, w)
    await tb.axil.write_dword(HEIGHT, h)
    img = photo(h, w, tb.rng)
    short = tb.transfer(img)
    short.tdata = short.tdata[: len(short.tdata) // 2 + tb.ppc]
    await tb.source.send(short)
    padded = await tb.recv_frame(h, w)
    assert padded.shape == (h, w)
    await tb.source.send(tb.transfer(img))
    out = await tb.recv_frame(h, w)
    assert np.array_equal(out, sobel_edges(img))
    assert int(await tb.axil.read_dword(ERROR)) & (E_EOL_EARLY | E_SOF_EARLY)


async def drive_without_tlast(dut, words: list[int]) -> None:
    """Drive ``words`` on ``s_axis`` directly, none with ``tlast`` (a DMA transfer cut off
    mid-frame: the source of cocotbext-axi ends every frame with ``tlast``, so it is idle
    meanwhile); each beat is held until the DUT takes it."""
    for word in words:
        dut.s_axis_tdata.value = word
        dut.s_axis_tlast.value = 0
        dut.s_axis_tvalid.value = 1
        while True:  # sampled at the edge, as cocotbext-axi's source does
            await RisingEdge(dut.clk)
            if int(dut.s_axis_tready.value):
                break
    dut.s_axis_tvalid.value = 0


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def soft_reset_mid_frame(dut, backpressure: bool) -> None:
    """CTRL.SOFT_RESET in the middle of a frame restarts the framing: the next transfer is
    a whole frame, framed and filtered exactly, with no error flagged (the framer used to
    keep counting from the cut-off transfer)."""
    tb = TB(dut, SEED + 7 + backpressure)
    tb.set_matrix(False, backpressure)
    await tb.reset()
    h, w = 5, 10
    await tb.axil.write_dword(WIDTH, w)
    await tb.axil.write_dword(HEIGHT, h)
    img = photo(h, w, tb.rng)
    bpl = -(-w // tb.ppc)
    # part of the first line only: the core has nothing to output for it yet
    cut = [int(b) for b in pack_frame(img, tb.ppc).reshape(-1)[: max(1, bpl // 2)]]
    await drive_without_tlast(dut, cut)
    await tb.axil.write_dword(CTRL, CTRL_ENABLE | CTRL_SOFT_RESET)
    await tb.axil.write_dword(ERROR, int(await tb.axil.read_dword(ERROR)))
    for thr in (0, 70):
        await tb.axil.write_dword(THRESHOLD, thr)
        await tb.source.send(tb.transfer(img))
        out = await tb.recv_frame(h, w)
        assert np.array_equal(out, sobel_edges(img, thr)), f"threshold {thr}"
    assert int(await tb.axil.read_dword(ERROR)) == 0
