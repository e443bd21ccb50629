"""The base of every fpgacnn cocotb testbench (after taxi's tb/ and cocotbext-axi).

:class:`BaseTB` owns the clock, the reset, one seeded :class:`random.Random` (the
seed is logged so a failure can be replayed) and the {no idle, idle} x {no
backpressure, backpressure} matrix, expressed as cocotbext-axi does it: a
*pause generator* yields one bool per clock cycle, True meaning "pause".
:meth:`BaseTB.set_idle_generator` pauses the input stream,
:meth:`BaseTB.set_backpressure_generator` the output stream;
:meth:`BaseTB.set_matrix` installs seeded random ones.

:class:`AxisTB` binds ``s_axis_*`` / ``m_axis_*`` with cocotbext-axi's
``AxiStreamSource`` / ``AxiStreamSink`` (and ``s_axil_*`` with ``AxiLiteMaster``
when the DUT has it). The CNN blocks' per-beat driver
(:class:`fpgacnn.sim.cnn_stream.StreamTB`) derives from :class:`BaseTB` too: its
tests need a ``tlast`` on any beat, which a frame-based source cannot give.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

#: Probability of a pause per cycle in the random matrix.
PAUSE_PROBABILITY = 0.3


class BaseTB:
    """Clock, reset, seeded randomness and the idle/backpressure matrix of one DUT."""

    def __init__(self, dut, *, seed: int, period_ns: int = 10) -> None:
        self.dut = dut
        self.seed = seed
        self.rng = random.Random(seed)
        dut._log.info("TB seed %d (replay: FCNN_TB_SEED=%d or the params' seed)", seed, seed)
        cocotb.start_soon(Clock(dut.clk, period_ns, unit="ns").start())

    async def reset(self, cycles: int = 4, settle: int = 2) -> None:
        """Hold the synchronous, active-high ``rst`` for ``cycles`` cycles, then wait ``settle``."""
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, settle)

    def pause_generator(self, p: float = PAUSE_PROBABILITY) -> Iterator[bool]:
        """A seeded random pause pattern: True with probability ``p`` per cycle."""
        rng = random.Random(self.rng.random())
        while True:
            yield rng.random() < p

    def set_idle_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the input stream on the cycles where ``generator`` yields True."""
        raise NotImplementedError

    def set_backpressure_generator(self, generator: Iterator[bool] | None) -> None:
        """Deassert the output's ``tready`` on the cycles where ``generator`` yields True."""
        raise NotImplementedError

    def set_matrix(self, idle: bool, backpressure: bool,
                   p: float = PAUSE_PROBABILITY) -> None:
        """Random input idle cycles and/or random output backpressure with probability ``p``."""
        self.set_idle_generator(self.pause_generator(p) if idle else None)
        self.set_backpressure_generator(self.pause_generator(p) if backpressure else None)


class AxisTB(BaseTB):
    """A DUT with ``s_axis_*`` in, ``m_axis_*`` out (and ``s_axil_*`` registers if present)."""

    def __init__(self, dut, *, seed: int, period_ns: int = 10) -> None:
        from cocotbext.axi import (
            AxiLiteBus,
            AxiLiteMaster,
            AxiStreamBus,
            AxiStreamSink,
            AxiStreamSource,
        )

        super().__init__(dut, seed=seed, period_ns=period_ns)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst)
        self.axil = (AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
                     if hasattr(dut, "s_axil_awvalid") else None)

    def set_idle_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the ``s_axis`` source on the cycles where ``generator`` yields True."""
        self.source.set_pause_generator(generator)

    def set_backpressure_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the ``m_axis`` sink on the cycles where ``generator`` yields True."""
        self.sink.set_pause_generator(generator)


__all__ = ["PAUSE_PROBABILITY", "AxisTB", "BaseTB"]
