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
when the DUT has it), and puts a :class:`StreamMonitor` on both streams: it
checks the valid/ready rules (a stalled beat holds still) and records the cycle
of every accepted beat (throughput and latency checks). Any broken stream rule
raises the one :class:`ProtocolError` of the testbenches.

Seeds: every ``test_*.py`` reads ``FCNN_TB_SEED`` (:func:`tb_seed`) and passes it
to the testbench in its parameters; the TB logs the seed it runs with.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotb.utils import get_sim_time

from fpgacnn.spec.errors import StreamProtocolError

#: Probability of a pause per cycle in the random matrix.
PAUSE_PROBABILITY = 0.3
#: Seed of the testbenches when ``FCNN_TB_SEED`` is not set.
DEFAULT_SEED = 20261122


def tb_seed() -> int:
    """The testbench seed: ``FCNN_TB_SEED`` from the environment, else :data:`DEFAULT_SEED`."""
    return int(os.environ.get("FCNN_TB_SEED", str(DEFAULT_SEED)))


class ProtocolError(StreamProtocolError, AssertionError):
    """A stream broke a valid/ready or framing rule in a testbench (fails the cocotb test)."""


class StreamMonitor:
    """Protocol check and cycle-stamped record of one valid/ready stream ``<prefix>_t*``.

    Every clock edge outside reset: a beat offered with ``tvalid`` and not taken
    (``tready`` low) must be offered again, unchanged, on the next edge, else
    :class:`ProtocolError`. Accepted beats are appended to :attr:`beats` as tuples
    of the present signals among ``signals`` (in that order) and their cycle
    numbers to :attr:`cycles`. ``resets`` are the signals that, when high, may
    cut a stalled beat (the documented reset policy).
    """

    def __init__(self, dut, prefix: str, *, period_ns: int, resets: Sequence = (),
                 signals: Sequence[str] = ("tdata", "tuser", "tlast")) -> None:
        self.dut = dut
        self.prefix = prefix
        self.period_ns = period_ns
        self._valid = getattr(dut, f"{prefix}_tvalid")
        self._ready = getattr(dut, f"{prefix}_tready")
        self._payload = [getattr(dut, f"{prefix}_{s}") for s in signals
                         if hasattr(dut, f"{prefix}_{s}")]
        self._resets = list(resets) or [dut.rst]
        #: Accepted beats, one tuple of the payload signals each.
        self.beats: list[tuple[int, ...]] = []
        #: Cycle number of each accepted beat (parallel to the beats as first recorded).
        self.cycles: list[int] = []
        cocotb.start_soon(self._run())

    @property
    def first_cycle(self) -> int | None:
        """Cycle of the first accepted beat, if any."""
        return self.cycles[0] if self.cycles else None

    def span(self) -> int:
        """Cycles from the first accepted beat to the last (0 for fewer than two)."""
        return self.cycles[-1] - self.cycles[0] if len(self.cycles) > 1 else 0

    async def _run(self) -> None:
        stalled: tuple[int, ...] | None = None
        clk = self.dut.clk
        while True:
            await RisingEdge(clk)
            cycle = int(get_sim_time("ns")) // self.period_ns
            if any(int(r.value) for r in self._resets):
                stalled = None
                continue
            valid = int(self._valid.value)
            beat = tuple(int(s.value) for s in self._payload) if valid else None
            if stalled is not None:
                if not valid:
                    raise ProtocolError(f"{self.prefix}: tvalid dropped while stalled at "
                                        f"cycle {cycle}")
                if beat != stalled:
                    raise ProtocolError(f"{self.prefix}: payload changed while stalled at cycle "
                                        f"{cycle}: {stalled} -> {beat}")
            stalled = None
            if beat is not None:
                if int(self._ready.value):
                    self.beats.append(beat)
                    self.cycles.append(cycle)
                else:
                    stalled = beat


class BaseTB:
    """Clock, reset, seeded randomness and the idle/backpressure matrix of one DUT."""

    def __init__(self, dut, *, seed: int, period_ns: int = 10) -> None:
        self.dut = dut
        self.seed = seed
        self.period_ns = period_ns
        self.rng = random.Random(seed)
        dut._log.info("TB seed %d (replay: FCNN_TB_SEED=<base seed> pytest ...)", seed)
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

    def monitor(self, prefix: str, *, resets: Sequence = (),
                signals: Sequence[str] = ("tdata", "tuser", "tlast")) -> StreamMonitor:
        """Start a :class:`StreamMonitor` (protocol check, beat record) on ``<prefix>_t*``."""
        return StreamMonitor(self.dut, prefix, period_ns=self.period_ns, resets=resets,
                             signals=signals)


class AxisTB(BaseTB):
    """A DUT with ``s_axis_*`` in, ``m_axis_*`` out (and ``s_axil_*`` registers if present).

    ``byte_lanes=1`` makes one frame element one whole ``tdata`` word (the CNN
    blocks' packed elements); the default splits ``tdata`` into bytes (video
    pixels, DMA transfers). ``resets`` are the signals besides ``rst`` that may cut
    a stalled output beat. :attr:`in_mon` / :attr:`out_mon` are the monitors of
    the two streams.
    """

    def __init__(self, dut, *, seed: int, period_ns: int = 10, byte_lanes: int | None = None,
                 resets: Sequence = ()) -> None:
        from cocotbext.axi import (
            AxiLiteBus,
            AxiLiteMaster,
            AxiStreamBus,
            AxiStreamSink,
            AxiStreamSource,
        )

        super().__init__(dut, seed=seed, period_ns=period_ns)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst,
                                      byte_lanes=byte_lanes)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst,
                                  byte_lanes=byte_lanes)
        self.axil = (AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
                     if hasattr(dut, "s_axil_awvalid") else None)
        self.in_mon = self.monitor("s_axis", resets=[dut.rst, *resets])
        self.out_mon = self.monitor("m_axis", resets=[dut.rst, *resets])

    def set_idle_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the ``s_axis`` source on the cycles where ``generator`` yields True."""
        self.source.set_pause_generator(generator)

    def set_backpressure_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the ``m_axis`` sink on the cycles where ``generator`` yields True."""
        self.sink.set_pause_generator(generator)

    def send_beats(self, beats: Iterable[tuple[int, int]]) -> None:
        """Queue ``(tdata, tlast)`` beats (``byte_lanes=1``): one frame per ``tlast``.

        The last beat must carry ``tlast`` (a frame-based source ends every send
        with it).
        """
        from cocotbext.axi import AxiStreamFrame

        words: list[int] = []
        for data, last in beats:
            words.append(int(data))
            if last:
                self.source.send_nowait(AxiStreamFrame(words))
                words = []
        if words:
            raise ValueError(f"{len(words)} trailing beats without tlast")

    async def recv_beats(self, count: int, timeout_us: float = 10000) -> list[tuple[int, int]]:
        """The next ``count`` output beats ``(tdata, tlast)`` (``byte_lanes=1``), whole frames."""

        async def _recv() -> list[tuple[int, int]]:
            out: list[tuple[int, int]] = []
            while len(out) < count:
                frame = await self.sink.recv()
                n = len(frame.tdata)
                out += [(int(v), int(i == n - 1)) for i, v in enumerate(frame.tdata)]
            return out

        return await with_timeout(_recv(), timeout_us, "us")


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


__all__ = ["DEFAULT_SEED", "PAUSE_PROBABILITY", "AxisTB", "BaseTB", "ProtocolError",
           "StreamMonitor", "pack", "tb_seed", "unpack", "verilog_literal"]
