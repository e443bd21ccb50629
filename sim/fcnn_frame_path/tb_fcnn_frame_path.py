"""cocotb testbench of the whole frame path in one simulation (``fcnn_frame_path_top``).

It is run by :func:`fpgacnn.apps.bench_frame_path.run_frames` (the slow test
``tests/test_frame_path.py`` and the cycle benchmark), which writes
the frames and what the ``reference`` backend makes of them (edge maps, score codes)
to ``FCNN_TB_PARAMS["data"]``. Registers come from :data:`fpgacnn.spec.cores.EDGE_MAP`
(the edge IP) and :data:`~fpgacnn.spec.cores.CROP_MAP` with
:func:`fpgacnn.spec.crop_scale.register_values` (the crop block, the package's rule),
the score beat's layout from :class:`~fpgacnn.spec.cores.ClassifierOutputLayout`.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)

from fpgacnn.sim.tb import BaseTB
from fpgacnn.spec.cores import CTRL_ENABLE, EDGE_REGISTERS, ClassifierOutputLayout
from fpgacnn.spec.crop_scale import register_values
from fpgacnn.spec.edge import unpack_frame
from fpgacnn.spec.frames import CropRule

P = json.loads(os.environ["FCNN_TB_PARAMS"])
SEED = int(P.get("seed", 1))
DATA = np.load(P["data"])
RULE = CropRule.from_dict(P["rule"])
LAYOUT = ClassifierOutputLayout(n_classes=int(P["n_classes"]), score_bits=int(P["score_bits"]))
THRESHOLD = int(P["threshold"])
#: A benchmark run (``"bench": 1``) runs only :func:`cycles`.
BENCH = bool(P.get("bench"))


class TB(BaseTB):
    """One colour stream in; the edge map and the score beat out; two register blocks."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        self.ppc = len(dut.s_axis_tdata) // 24
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.edges = AxiStreamSink(AxiStreamBus.from_prefix(dut, "e_axis"), dut.clk, dut.rst)
        self.scores = AxiStreamSink(AxiStreamBus.from_prefix(dut, "c_axis"), dut.clk, dut.rst,
                                    byte_lanes=1)
        for stream in (self.source, self.edges, self.scores):
            stream.log.setLevel("WARNING")   # no frame dumps in the log
        self.edge_regs = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "e_axil"), dut.clk, dut.rst)
        self.crop_regs = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "k_axil"), dut.clk, dut.rst)
        self.in_mon = self.monitor("s_axis", signals=("tlast",))
        self.edge_mon = self.monitor("e_axis", signals=("tlast",))
        self.score_mon = self.monitor("c_axis", signals=("tdata",))

    def set_idle_generator(self, generator) -> None:  # noqa: ANN001
        self.source.set_pause_generator(generator)

    def set_backpressure_generator(self, generator) -> None:  # noqa: ANN001
        self.edges.set_pause_generator(generator)
        self.scores.set_pause_generator(generator)

    async def configure(self, height: int, width: int) -> None:
        """What the pynq driver writes: the edge IP's geometry and threshold, the crop
        block's registers for the package's rule."""
        from fpgacnn.spec.cores import CROP_REGISTERS

        for name, value in (("WIDTH", width), ("HEIGHT", height), ("THRESHOLD", THRESHOLD),
                            ("CTRL", CTRL_ENABLE)):
            await self.edge_regs.write_dword(EDGE_REGISTERS[name], value)
        for name, value in register_values(RULE, height, width).items():
            await self.crop_regs.write_dword(CROP_REGISTERS[name], value)
        await ClockCycles(self.dut.clk, 4)

    def transfer(self, frame: np.ndarray) -> AxiStreamFrame:
        """One edge-DMA transfer of a BGR frame: lines of ceil(W/PPC) beats of PPC pixels
        (padding lanes zero), as the DMA reads it after edge_in_pad."""
        h, w = frame.shape[:2]
        line = -(-w // self.ppc) * self.ppc
        buf = np.zeros((h, line, 3), np.uint8)
        buf[:, :w] = frame
        return AxiStreamFrame(buf.tobytes())

    async def edge_map(self, h: int, w: int) -> np.ndarray:
        frame = await with_timeout(self.edges.recv(), 200_000, "us")
        raw = bytes(frame.tdata)
        ppc, bpl = self.ppc, -(-w // self.ppc)
        assert len(raw) == h * bpl * ppc, f"edge map of {len(raw)} bytes, expected {h * bpl * ppc}"
        beats = np.array([int.from_bytes(raw[i:i + ppc], "little")
                          for i in range(0, len(raw), ppc)], dtype=np.uint64).reshape(h, bpl)
        return unpack_frame(beats, w, ppc)

    async def score(self) -> list[int]:
        beat = await with_timeout(self.scores.recv(), 200_000, "us")
        assert len(beat.tdata) == 1, f"{len(beat.tdata)} score beats for one frame"
        scores, label, status = LAYOUT.decode(int(beat.tdata[0]))
        assert status == 0, f"score beat status {status:#x}"
        return scores


async def _run(tb: TB, idx: list[int]) -> None:
    """Stream frames ``idx`` back to back; every edge map and score equal the reference."""
    frames = DATA["frames"]
    h, w = frames.shape[1:3]
    await tb.configure(h, w)
    for i in idx:
        await tb.source.send(tb.transfer(frames[i]))
    for i in idx:
        edges = await tb.edge_map(h, w)
        assert (edges == DATA["edges"][i]).all(), f"frame {i}: edge map differs"
        scores = await tb.score()
        assert scores == DATA["scores"][i].tolist(), (
            f"frame {i}: scores {scores}, reference {DATA['scores'][i].tolist()}")


@cocotb.test(skip=BENCH)
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def frames(dut, idle: bool, backpressure: bool) -> None:
    """Colour frames in, back to back: each edge map and score beat bit-exact with the
    reference backend (numpy Sobel of the BT.601 gray; QKeras on the package's crop)."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    await _run(tb, list(range(len(DATA["frames"]))))


@cocotb.test(skip=not BENCH)
async def cycles(dut) -> None:
    """Benchmark (``"bench": 1``): frames back to back, no idle, no backpressure. Writes
    ``frame_path_cycles.json``: per frame the cycles of its first input beat, its first
    and last edge beats and its score beat."""
    tb = TB(dut, SEED)
    await tb.reset()
    n = len(DATA["frames"])
    await _run(tb, list(range(n)))
    await tb.source.wait()
    await ClockCycles(dut.clk, 2)
    h, w = DATA["frames"].shape[1:3]
    beats = h * -(-w // tb.ppc)
    ins, outs = tb.in_mon.cycles, tb.edge_mon.cycles
    assert len(ins) == n * beats and len(outs) == n * beats
    record = {
        "ppc": tb.ppc, "width": w, "height": h, "beats_per_frame": beats,
        "first_in": [ins[k * beats] for k in range(n)],
        "last_in": [ins[(k + 1) * beats - 1] for k in range(n)],
        "first_edge": [outs[k * beats] for k in range(n)],
        "last_edge": [outs[(k + 1) * beats - 1] for k in range(n)],
        "score": list(tb.score_mon.cycles[:n]),
    }
    with open("frame_path_cycles.json", "w") as f:
        json.dump(record, f)
    dut._log.info("frame path cycles %s", record)


