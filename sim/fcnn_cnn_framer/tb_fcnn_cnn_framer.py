"""cocotb tests of ``fcnn_cnn_framer`` (run by ``test_fcnn_cnn_framer.py``).

Parameters come from ``FCNN_TB_PARAMS`` (JSON: DW, PIXELS, seed). The golden
model is the framing policy's transaction-level model
:class:`fpgacnn.spec.cnn_framing.FramingModel`: the image beats on ``m_axis``
and the status beats on ``m_status`` must equal its images, beat for beat.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamSink

from fpgacnn.sim.tb import AxisTB
from fpgacnn.spec.cnn_framing import FramingModel
from fpgacnn.spec.cores import ClassifierStatus

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
DW = int(PARAMS.get("DW", 8))
PIXELS = int(PARAMS.get("PIXELS", 16))
SEED = int(PARAMS.get("seed", 1))


def episode(rng: random.Random, images: int) -> list[tuple[int, int]]:
    """Input beats of ``images`` images, each in time, early, late or with tlast missing.

    The last beat carries tlast (a frame-based source ends every send with it).
    """
    beats: list[tuple[int, int]] = []
    for _ in range(images):
        kind = rng.choice(["ok", "ok", "early", "late", "none"])
        n = PIXELS
        if kind == "early" and PIXELS > 1:
            n = rng.randint(1, PIXELS - 1)
        elif kind == "late":
            n = PIXELS + rng.randint(1, 3)
        data = [rng.getrandbits(DW) for _ in range(n)]
        lasts = [0] * n
        if kind != "none":
            lasts[-1] = 1
        beats += list(zip(data, lasts, strict=True))
    beats[-1] = (beats[-1][0], 1)
    return beats


class FramerTB(AxisTB):
    """``s_axis`` -> ``m_axis`` plus the ``m_status`` sink (its own pause generator)."""

    def __init__(self, dut, *, seed: int) -> None:
        super().__init__(dut, seed=seed, byte_lanes=1)
        self.status = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_status"), dut.clk, dut.rst,
                                    byte_lanes=1)
        self.status_mon = self.monitor("m_status")

    def set_backpressure_generator(self, generator) -> None:
        super().set_backpressure_generator(generator)
        self.status.set_pause_generator(self.pause_generator() if generator else None)


async def run_episode(tb: FramerTB, beats: list[tuple[int, int]]) -> None:
    """Send ``beats``; check every output beat and status against the model."""
    model = FramingModel(pixels=PIXELS)
    images = model.feed(beats)
    tb.send_beats(beats)
    expected = [(int(px), int(i == PIXELS - 1)) for im in images for i, px in enumerate(im.pixels)]
    got = await tb.recv_beats(len(expected))
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        if g != e:
            raise AssertionError(f"output beat {k} (image {k // PIXELS}, pixel {k % PIXELS}): "
                                 f"got (tdata, tlast) {g}, expected {e}")
    statuses = []
    for _ in images:
        frame = await with_timeout(tb.status.recv(), 1000, "us")
        statuses.append(int(frame.tdata[0]))
    want = [im.status for im in images]
    assert statuses == want, f"status beats {statuses}, expected {want}"
    await ClockCycles(tb.dut.clk, 3 * PIXELS + 10)
    assert tb.sink.empty() and tb.status.empty(), "output after the last expected image"


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def framing_matrix(dut, idle: bool, backpressure: bool) -> None:
    """Random in-time, early, late and missing tlast: images and statuses equal the model."""
    tb = FramerTB(dut, seed=SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    await run_episode(tb, episode(tb.rng, 24))
    assert len(tb.out_mon.beats) % PIXELS == 0


@cocotb.test()
async def clean_stream_one_pixel_per_clock(dut) -> None:
    """In-time images: passed unchanged, status 0, one beat per clock end to end."""
    tb = FramerTB(dut, seed=SEED + 10)
    await tb.reset()
    beats = [(tb.rng.getrandbits(DW), int(i % PIXELS == PIXELS - 1)) for i in range(5 * PIXELS)]
    await run_episode(tb, beats)
    span = tb.out_mon.span()
    assert span == len(tb.out_mon.cycles) - 1, f"not one beat per clock: span {span}"
    assert all(s == (0,) for s in tb.status_mon.beats)


@cocotb.test()
async def sticky_until_reset(dut) -> None:
    """One early image sets FAULT_SEEN on every later status; rst clears it."""
    if PIXELS < 2:
        return
    tb = FramerTB(dut, seed=SEED + 11)
    await tb.reset()
    early = [(1, 0)] * (PIXELS - 2) + [(1, 1)]
    good = [(2, int(i == PIXELS - 1)) for i in range(PIXELS)]
    await run_episode(tb, early + good + good)
    want = [int(ClassifierStatus.TLAST_EARLY | ClassifierStatus.FAULT_SEEN),
            int(ClassifierStatus.FAULT_SEEN), int(ClassifierStatus.FAULT_SEEN)]
    assert [s[0] for s in tb.status_mon.beats] == want
    await tb.reset()
    tb.status_mon.beats.clear()
    await run_episode(tb, good)
    assert [s[0] for s in tb.status_mon.beats] == [0]
