"""cocotb tests of a generated classifier core (run by ``test_fcnn_classifier.py``).

``FCNN_TB_PARAMS`` (JSON) names an ``.npz`` with the input codes ``x`` (N, H, W, C),
the expected score codes ``scores`` (N, classes) and labels ``labels``, plus the
element and score bits; the stream widths come from the DUT.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import AxiStreamFrame

from fpgacnn.sim.tb import AxisTB
from fpgacnn.spec.cores import ClassifierOutputLayout

P = json.loads(os.environ["FCNN_TB_PARAMS"])
DATA = np.load(P["data"])
X, SCORES, LABELS = DATA["x"], DATA["scores"], DATA["labels"]
E, S = int(P["element_bits"]), int(P["score_bits"])
N_CLS = SCORES.shape[1]
SEED = int(P.get("seed", 1))


def image_frame(codes: np.ndarray, in_bytes: int) -> AxiStreamFrame:
    """One image: one beat per pixel (channel c at [c*E +: E]), tlast on the last pixel."""
    h, w, c = codes.shape
    raw = bytearray()
    for px in codes.reshape(h * w, c):
        beat = 0
        for ch, v in enumerate(px.tolist()):
            beat |= (int(v) & ((1 << E) - 1)) << (ch * E)
        raw += beat.to_bytes(in_bytes, "little")
    return AxiStreamFrame(bytes(raw))


def parse_beat(raw: bytes) -> tuple[list[int], int]:
    """Scores (signed S-bit codes) and label from one output beat; its framing status
    (the byte above the label, spec.cores.ClassifierOutputLayout) must be 0: every image
    here is sent with tlast on its last pixel."""
    scores, label, status = ClassifierOutputLayout(n_classes=N_CLS, score_bits=S).decode(
        int.from_bytes(raw, "little"))
    assert status == 0, f"framing status 0x{status:02X} for an image sent in time"
    return scores, label


class TB(AxisTB):
    """The shared AXI4-Stream TB base (``sim/tb.py``) on the generated classifier core."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        #: Bytes per input / output beat, from the DUT.
        self.in_bytes = len(dut.s_axis_tdata) // 8
        self.out_bytes = len(dut.m_axis_tdata) // 8
        assert (self.in_bytes, self.out_bytes) == (P["in_bytes"], P["out_bytes"]), \
            "the generator's record disagrees with the DUT's stream widths"

    async def reset(self, cycles: int = 3, settle: int = 2) -> None:
        """Hold ``rst`` for 3 cycles."""
        await super().reset(cycles, settle)

    async def classify(self, idx: list[int]) -> list[tuple[list[int], int]]:
        for i in idx:
            await self.source.send(image_frame(X[i], self.in_bytes))
        out = []
        for _ in idx:
            frame = await with_timeout(self.sink.recv(), 10_000, "us")
            raw = bytes(frame.tdata)
            assert len(raw) == self.out_bytes, \
                f"output beat of {len(raw)} bytes, expected {self.out_bytes}"
            out.append(parse_beat(raw))
        return out


def check(results: list[tuple[list[int], int]], idx: list[int]) -> None:
    bad = [i for (scores, label), i in zip(results, idx, strict=True)
           if scores != SCORES[i].tolist() or label != int(LABELS[i])]
    if bad:
        i = bad[0]
        got = results[idx.index(i)]
        raise AssertionError(f"{len(bad)}/{len(idx)} images differ; image {i}: got {got}, "
                             f"expected {SCORES[i].tolist()} label {int(LABELS[i])}")


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Every image, back to back, bit-exact scores and labels under the matrix."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    idx = list(range(len(X)))
    check(await tb.classify(idx), idx)


@cocotb.test()
async def throughput(dut) -> None:
    """Back-to-back images with no stalls: cycles per image and latency (logged, checked)."""
    tb = TB(dut, SEED)
    await tb.reset()
    n = min(len(X), 20)
    res = await tb.classify(list(range(n)))
    check(res, list(range(n)))
    ends = tb.out_mon.cycles
    assert len(ends) == n, f"{len(ends)} output beats, expected {n}"
    latency = ends[0] - tb.in_mon.first_cycle
    ii = (ends[-1] - ends[0]) / (n - 1)
    dut._log.info("FCNN_METRICS %s", json.dumps({"latency_cycles": latency, "ii_cycles": ii}))
    assert ii <= int(P["ii"]) + 2, f"initiation interval {ii} > {P['ii']} + 2"


@cocotb.test()
async def reset_between(dut) -> None:
    """A reset in the middle of an image: the images after it are exact."""
    tb = TB(dut, SEED + 7)
    await tb.reset()
    await tb.source.send(image_frame(X[0], tb.in_bytes))
    await ClockCycles(dut.clk, X.shape[1] * X.shape[2] // 2)
    await tb.reset()
    tb.sink.clear()
    idx = list(range(1, min(len(X), 6)))
    check(await tb.classify(idx), idx)
