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
from cocotb.triggers import with_timeout
from cocotbext.axi import AxiStreamFrame
from skimage import data

from fpgacnn.sim.tb import AxisTB
from fpgacnn.spec.cores import EDGE_ERROR_BITS, EDGE_REGISTERS
from fpgacnn.spec.edge import pack_frame, sobel_edges, unpack_frame

P = json.loads(os.environ["FCNN_TB_PARAMS"])
SEED = int(P.get("seed", 1))
WIDTH, HEIGHT, THRESHOLD, ERROR = (
    EDGE_REGISTERS[n] for n in ("WIDTH", "HEIGHT", "THRESHOLD", "ERROR"))
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
