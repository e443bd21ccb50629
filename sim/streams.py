"""Small cocotb drivers/monitors for fpgacnn's internal valid/ready streams.

The internal streams of the classifier use ``<p>_valid``, ``<p>_ready``,
``<p>_data`` and ``<p>_last``. :class:`StreamDriver` sends beats with random
idle cycles, :class:`StreamSink` accepts them with random backpressure and
checks that a stalled beat holds still. Both are seeded so failures replay.
"""

from __future__ import annotations

import random

from cocotb.triggers import RisingEdge


class StreamProtocolError(AssertionError):
    """A source changed or dropped a beat while it was stalled."""


class StreamDriver:
    """Drive ``prefix_valid/_data/_last`` into a sink port, honouring ``prefix_ready``."""

    def __init__(self, dut, prefix: str, clk, *, idle: float = 0.0, seed: int = 0) -> None:
        self.valid = getattr(dut, f"{prefix}_valid")
        self.ready = getattr(dut, f"{prefix}_ready")
        self.data = getattr(dut, f"{prefix}_data")
        self.last = getattr(dut, f"{prefix}_last")
        self.clk = clk
        self.idle = idle
        self.rng = random.Random(seed)
        self.valid.value = 0
        self.last.value = 0

    async def send(self, beats: list[tuple[int, int]]) -> None:
        """Send ``(data, last)`` beats in order; return when the last one was accepted."""
        for data, last in beats:
            while self.idle and self.rng.random() < self.idle:
                self.valid.value = 0
                await RisingEdge(self.clk)
            self.valid.value = 1
            self.data.value = data
            self.last.value = last
            while True:
                await RisingEdge(self.clk)
                if int(self.ready.value):
                    break
        self.valid.value = 0


class StreamSink:
    """Accept beats from a source port with random backpressure; record ``(data, last)``."""

    def __init__(self, dut, prefix: str, clk, *, backpressure: float = 0.0, seed: int = 0,
                 reset=None) -> None:
        self.valid = getattr(dut, f"{prefix}_valid")
        self.ready = getattr(dut, f"{prefix}_ready")
        self.data = getattr(dut, f"{prefix}_data")
        self.last = getattr(dut, f"{prefix}_last")
        self.clk = clk
        self.bp = backpressure
        self.rng = random.Random(seed + 1)
        self.reset = reset
        self.beats: list[tuple[int, int]] = []
        self.ready.value = 0

    async def run(self) -> None:
        """Coroutine: start with ``cocotb.start_soon(sink.run())``.

        Values read right after a rising edge are those the edge sampled, so the
        handshake of that edge is ``valid and ready`` as read here.
        """
        stalled = None
        self.ready.value = 1
        while True:
            await RisingEdge(self.clk)
            if self.reset is not None and int(self.reset.value):
                stalled = None
            else:
                valid, ready = int(self.valid.value), int(self.ready.value)
                beat = (int(self.data.value), int(self.last.value)) if valid else None
                if stalled is not None and beat != stalled:
                    raise StreamProtocolError(
                        f"stalled beat changed or dropped: {stalled} -> {beat}"
                    )
                if valid and ready:
                    self.beats.append(beat)
                    stalled = None
                else:
                    stalled = beat
            self.ready.value = 0 if (self.bp and self.rng.random() < self.bp) else 1
