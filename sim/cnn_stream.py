"""cocotb bus models for the internal valid/ready streams of the CNN core blocks.

The ``fcnn_cnn_*`` blocks share one stream interface: sink ``s_valid``,
``s_ready``, ``s_data``, ``s_last``; source ``m_valid``, ``m_ready``,
``m_data``, ``m_last``; clock ``clk``, synchronous active-high ``rst``.
:class:`StreamTB` drives the sink with random idle gaps, pulls the source with
random backpressure, and checks that a stalled output beat holds still. All
randomness comes from one seeded :class:`random.Random` (the seed is logged).
Used inside the simulator by ``sim/fcnn_cnn_*/tb_*.py``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from fpgacnn.spec.errors import StreamProtocolError


class ProtocolError(StreamProtocolError, AssertionError):
    """A stream broke a valid/ready or framing rule in a testbench (fails the cocotb test)."""


class StreamTB:
    """Clock, reset, a random-gap stream driver and a backpressuring monitor for one block.

    ``idle`` / ``backpressure`` (see :meth:`set_matrix`) are the probabilities of
    a gap before an input beat and of ``m_ready`` low in a cycle.
    """

    def __init__(self, dut, *, seed: int) -> None:
        self.dut = dut
        self.rng = random.Random(seed)
        dut._log.info("StreamTB seed %d (replay: FCNN_TB_SEED=%d)", seed, seed)
        self.idle = 0.0
        self.backpressure = 0.0
        self._queue: deque[tuple[int, int]] = deque()
        #: Output beats (data, last) in arrival order.
        self.beats: list[tuple[int, int]] = []
        #: Cycle numbers at which input beats were accepted.
        self.accept_cycles: list[int] = []
        self.cycle = 0
        dut.s_valid.value = 0
        dut.s_data.value = 0
        dut.s_last.value = 0
        dut.m_ready.value = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        cocotb.start_soon(self._drive())
        cocotb.start_soon(self._monitor())

    def set_matrix(self, idle: bool, backpressure: bool, p: float = 0.35) -> None:
        """Random input gaps and/or random output backpressure with probability ``p``."""
        self.idle = p if idle else 0.0
        self.backpressure = p if backpressure else 0.0

    async def reset(self) -> None:
        """Hold ``rst`` for 3 cycles."""
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 1)

    def send(self, beats: Iterable[tuple[int, int]]) -> None:
        """Queue input beats ``(data, last)``."""
        self._queue.extend(beats)

    async def wait_beats(self, count: int, timeout_us: float = 10000) -> None:
        """Wait until ``count`` output beats were recorded and the input queue is empty."""

        async def _wait() -> None:
            while len(self.beats) < count or self._queue:
                await RisingEdge(self.dut.clk)

        await with_timeout(_wait(), timeout_us, "us")

    async def _drive(self) -> None:
        dut = self.dut
        busy = False  # a beat is on s_data with s_valid high
        while True:
            await RisingEdge(dut.clk)
            self.cycle += 1
            if busy and int(dut.s_ready.value) and not int(dut.rst.value):
                busy = False
                self._queue.popleft()
                self.accept_cycles.append(self.cycle)
            if not busy and self._queue and self.rng.random() >= self.idle:
                data, last = self._queue[0]
                dut.s_data.value = data
                dut.s_last.value = last
                dut.s_valid.value = 1
                busy = True
            elif not busy:
                dut.s_valid.value = 0
                # Junk on the bus while idle: the block must ignore it.
                dut.s_data.value = self.rng.getrandbits(len(dut.s_data))
                dut.s_last.value = self.rng.getrandbits(1)

    async def _monitor(self) -> None:
        dut = self.dut
        stalled: tuple[int, int] | None = None
        while True:
            await RisingEdge(dut.clk)
            if int(dut.rst.value):
                stalled = None
            else:
                valid = int(dut.m_valid.value)
                beat = (int(dut.m_data.value), int(dut.m_last.value)) if valid else None
                if stalled is not None and beat != stalled:
                    raise ProtocolError(
                        f"stalled output beat changed at cycle {self.cycle}: {stalled} -> {beat}"
                    )
                stalled = None
                if beat is not None:
                    if int(dut.m_ready.value):
                        self.beats.append(beat)
                    else:
                        stalled = beat
            dut.m_ready.value = 0 if self.rng.random() < self.backpressure else 1


def pack(values: Iterable[int], width: int) -> int:
    """Pack integers (two's complement, ``width`` bits each) into one word, element 0 lowest."""
    word, mask = 0, (1 << width) - 1
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * width)
    return word


def unpack(word: int, count: int, width: int, *, signed: bool) -> list[int]:
    """Inverse of :func:`pack`: ``count`` elements of ``width`` bits; ``signed`` sign-extends."""
    mask, top = (1 << width) - 1, 1 << (width - 1)
    out = []
    for i in range(count):
        v = (word >> (i * width)) & mask
        out.append(v - (1 << width) if signed and v & top else v)
    return out


def verilog_literal(values: Iterable[int], width: int) -> str:
    """A sized Verilog hex literal of the packed ``values`` (for wide HDL parameters)."""
    vals = list(values)
    return f"{len(vals) * width}'h{pack(vals, width):x}"
