"""cocotb testbench for ``fcnn_axis_broadcast`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_axis_broadcast.py`` beside this file. The
golden model is the identity: each output carries every input beat (tdata, tuser,
tlast) once, in order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import cocotb
from cocotb.triggers import RisingEdge, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from fpgacnn.sim.tb import BaseTB, ProtocolError

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
SEED = int(PARAMS.get("seed", 1))


class TB(BaseTB):
    """One source, two sinks, a monitor on each stream."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        self.sinks = [AxiStreamSink(AxiStreamBus.from_prefix(dut, f"m{i}_axis"), dut.clk,
                                    dut.rst) for i in range(2)]
        self.in_mon = self.monitor("s_axis")
        self.out_mons = [self.monitor(f"m{i}_axis") for i in range(2)]

    def set_idle_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause the source."""
        self.source.set_pause_generator(generator)

    def set_backpressure_generator(self, generator: Iterator[bool] | None) -> None:
        """Pause each sink with its own pattern drawn from ``generator``'s seed stream."""
        for sink in self.sinks:
            sink.set_pause_generator(None if generator is None else self.pause_generator())


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def beats(dut, idle: bool, backpressure: bool) -> None:
    """Random beats with random tuser / tlast: both outputs equal the input."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    width = len(dut.s_axis_tdata) // 8
    count, frames = 0, []
    while count < 1500:
        n = tb.rng.randrange(1, 40)
        data = bytes(tb.rng.getrandbits(8) for _ in range(n * width))
        tuser = [int(tb.rng.random() < 0.1) for _ in range(n) for _ in range(width)]
        frames.append(AxiStreamFrame(data, tuser=tuser))
        count += n
    for f in frames:
        tb.source.send_nowait(f)

    async def _wait() -> None:
        while any(len(m.beats) < count for m in tb.out_mons):
            await RisingEdge(dut.clk)

    await with_timeout(_wait(), 5000, "us")
    sent = tb.in_mon.beats
    assert len(sent) == count
    for i, mon in enumerate(tb.out_mons):
        if mon.beats != sent:
            bad = next(k for k, (a, b) in enumerate(zip(mon.beats, sent, strict=True)) if a != b)
            raise AssertionError(f"m{i}_axis beat {bad}: {mon.beats[bad]}, sent {sent[bad]}")
    if not idle and not backpressure:
        span = tb.in_mon.span()
        if span != count - 1:
            raise ProtocolError(f"not one beat per clock: {count} beats in {span + 1} cycles")
