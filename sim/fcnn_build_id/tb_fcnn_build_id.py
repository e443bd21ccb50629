"""cocotb tests of ``fcnn_build_id``: the read-only AXI4-Lite build-id block.

Offsets, CORE_ID, VERSION and the expected id words come from
:data:`fpgacnn.spec.build_id.BUILD_ID_MAP` (reset values for the DUT's parameters,
which the pytest entry passes in ``FCNN_TB_PARAMS``); the id is read back through
:func:`fpgacnn.spec.build_id.check_build_id`, the driver's own check.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.triggers import Combine, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

from fpgacnn.sim.tb import BaseTB
from fpgacnn.spec.build_id import (
    BUILD_ID_MAP,
    check_build_id,
    hardware_id_of,
    hardware_record,
)
from fpgacnn.spec.errors import OverlayError

P = json.loads(os.environ["FCNN_TB_PARAMS"])
SEED = int(P.get("seed", 1))
PARAMS = {"BUILD_ID_LO": int(P["BUILD_ID_LO"]), "BUILD_ID_HI": int(P["BUILD_ID_HI"])}
HW_ID = hardware_id_of(PARAMS["BUILD_ID_LO"], PARAMS["BUILD_ID_HI"])
#: register name -> value for these parameters (all are constants)
EXPECTED = BUILD_ID_MAP.reset_values(PARAMS)


class TB(BaseTB):
    """The block behind cocotbext-axi's ``AxiLiteMaster``; idle = request channels pause,
    backpressure = response channels (``bready``/``rready``) pause."""

    def __init__(self, dut, seed: int) -> None:
        super().__init__(dut, seed=seed)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)

    def set_idle_generator(self, generator) -> None:
        for ch in (self.axil.read_if.ar_channel, self.axil.write_if.aw_channel,
                   self.axil.write_if.w_channel):
            ch.set_pause_generator(generator)

    def set_backpressure_generator(self, generator) -> None:
        for ch in (self.axil.read_if.r_channel, self.axil.write_if.b_channel):
            ch.set_pause_generator(generator)

    async def read(self, offset: int) -> int:
        return int(await with_timeout(self.axil.read_dword(offset), 100, "us"))


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def registers(dut, idle: bool, backpressure: bool) -> None:
    """Every register reads its map value; unmapped words read 0; the driver's check passes."""
    tb = TB(dut, SEED + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    for _ in range(3):
        for reg in BUILD_ID_MAP:
            assert await tb.read(reg.offset) == EXPECTED[reg.name], reg.name
    for offset in (0x10, 0x14, 0x80, 0xFC):
        assert await tb.read(offset) == 0
    values = {off: await tb.read(off) for off in range(0, 0x10, 4)}
    check_build_id(values.__getitem__, hardware_record(HW_ID, 0))
    other = "0" * 16 if HW_ID != "0" * 16 else "1" * 16
    try:
        check_build_id(values.__getitem__, hardware_record(other, 0))
    except OverlayError as exc:
        assert f"reports hardware id {HW_ID}, the package expects {other}" in str(exc)
    else:
        raise AssertionError("a different hardware id was accepted")


@cocotb.test()
async def back_to_back_reads(dut) -> None:
    """Reads issued together (pipelined by the master) each get their own register."""
    tb = TB(dut, SEED + 7)
    await tb.reset()
    regs = list(BUILD_ID_MAP) * 4
    tasks = [cocotb.start_soon(tb.axil.read_dword(r.offset)) for r in regs]
    await with_timeout(Combine(*tasks), 100, "us")
    assert [int(t.result()) for t in tasks] == [EXPECTED[r.name] for r in regs]


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def writes_are_refused(dut, idle: bool, backpressure: bool) -> None:
    """A write is answered SLVERR and changes nothing."""
    tb = TB(dut, SEED + 11 + 2 * idle + backpressure)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    for reg in BUILD_ID_MAP:
        resp = await with_timeout(tb.axil.write(reg.offset, (0x5A5A_A5A5).to_bytes(4, "little")),
                                  100, "us")
        assert resp.resp == AxiResp.SLVERR, reg.name
    for reg in BUILD_ID_MAP:
        assert await tb.read(reg.offset) == EXPECTED[reg.name], reg.name
