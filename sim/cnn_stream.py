"""cocotb bus models for the internal valid/ready streams of the CNN core blocks.

The ``fcnn_cnn_*`` blocks share one AXI4-Stream interface named as
cocotbext-axi expects: sink ``s_axis_tdata``/``tvalid``/``tready``/``tlast``,
source ``m_axis_t*``; clock ``clk``, synchronous active-high ``rst``.
:class:`StreamTB` drives the sink with random idle gaps, pulls the source with
random backpressure, and checks that a stalled output beat holds still. All
randomness comes from one seeded :class:`random.Random` (the seed is logged).
Used inside the simulator by ``sim/fcnn_cnn_*/tb_*.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import cocotb
from cocotb.triggers import RisingEdge, with_timeout

from fpgacnn.spec.errors import StreamProtocolError

from .tb import BaseTB


class ProtocolError(StreamProtocolError, AssertionError):
    """A stream broke a valid/ready or framing rule in a testbench (fails the cocotb test)."""


class StreamTB(BaseTB):
    """Clock, reset, a per-beat stream driver and a backpressuring monitor for one block.

    The matrix comes from :class:`~fpgacnn.sim.tb.BaseTB` (pause generators); the
    driver offers one beat at a time with any ``tlast`` the test gives, puts junk on
    the bus while idle, and records the cycle each beat was accepted.
    """

    def __init__(self, dut, *, seed: int) -> None:
        super().__init__(dut, seed=seed)
        self._idle: Iterator[bool] | None = None
        self._backpressure: Iterator[bool] | None = None
        self._queue: deque[tuple[int, int]] = deque()
        #: Output beats (data, last) in arrival order.
        self.beats: list[tuple[int, int]] = []
        #: Cycle numbers at which input beats were accepted.
        self.accept_cycles: list[int] = []
        self.cycle = 0
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.s_axis_tlast.value = 0
        dut.m_axis_tready.value = 0
        cocotb.start_soon(self._drive())
        cocotb.start_soon(self._monitor())

    def set_idle_generator(self, generator: Iterator[bool] | None) -> None:
        """Leave ``s_axis_tvalid`` low on the cycles where ``generator`` yields True."""
        self._idle = generator

    def set_backpressure_generator(self, generator: Iterator[bool] | None) -> None:
        """Hold ``m_axis_tready`` low on the cycles where ``generator`` yields True."""
        self._backpressure = generator

    async def reset(self, cycles: int = 3, settle: int = 1) -> None:
        """Hold ``rst`` for 3 cycles."""
        await super().reset(cycles, settle)

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
            if busy and int(dut.s_axis_tready.value) and not int(dut.rst.value):
                busy = False
                self._queue.popleft()
                self.accept_cycles.append(self.cycle)
            paused = self._idle is not None and next(self._idle)
            if not busy and self._queue and not paused:
                data, last = self._queue[0]
                dut.s_axis_tdata.value = data
                dut.s_axis_tlast.value = last
                dut.s_axis_tvalid.value = 1
                busy = True
            elif not busy:
                dut.s_axis_tvalid.value = 0
                # Junk on the bus while idle: the block must ignore it.
                dut.s_axis_tdata.value = self.rng.getrandbits(len(dut.s_axis_tdata))
                dut.s_axis_tlast.value = self.rng.getrandbits(1)

    async def _monitor(self) -> None:
        dut = self.dut
        stalled: tuple[int, int] | None = None
        while True:
            await RisingEdge(dut.clk)
            if int(dut.rst.value):
                stalled = None
            else:
                valid = int(dut.m_axis_tvalid.value)
                beat = (int(dut.m_axis_tdata.value), int(dut.m_axis_tlast.value)) if valid else None
                if stalled is not None and beat != stalled:
                    raise ProtocolError(
                        f"stalled output beat changed at cycle {self.cycle}: {stalled} -> {beat}"
                    )
                stalled = None
                if beat is not None:
                    if int(dut.m_axis_tready.value):
                        self.beats.append(beat)
                    else:
                        stalled = beat
            pause = self._backpressure is not None and next(self._backpressure)
            dut.m_axis_tready.value = 0 if pause else 1


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
