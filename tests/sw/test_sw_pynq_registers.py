"""The pynq driver and its fake both speak the contracts layer's register map (EDGE_MAP).

An edge-only board package (no model, so no C simulation to compile) on the fake
board: the driver finds every register by name, clears errors with the map's
mask, refuses a core of another major VERSION and a package whose register list
lacks a register it uses; the fake's registers are the map's (offsets, resets,
access).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.spec.build_id import hardware_record
from fpgacnn.spec.cores import (
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_ERROR_MASK,
    EDGE_MAP,
    EDGE_REGISTERS,
    EDGE_VERSION,
    edge_core_spec,
)
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.spec.errors import ArtifactError, OverlayError
from fpgacnn.spec.package import write_package
from fpgacnn.sw.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_pynq import BUILD_ID_BASE, FakeBoard  # noqa: E402

HARDWARE_ID = "00000000feedf00d"


def _package(root: Path, registers: dict[str, int] | None = None) -> Path:
    (root).mkdir(parents=True)
    (root / "fpgacnn.bit").write_bytes(b"\x00\x09\x0f\xf0 fake bitstream")
    (root / "fpgacnn.hwh").write_text("<MODULES/>")
    write_package(root, cores=[
        edge_core_spec(ppc=4, max_width=640, max_height=480, base_address=0x43C0_0000,
                       dma="axi_dma_edge", registers=registers)],
        model=None, clock_hz=100_000_000, board="pynq-z2", bitstream="fpgacnn.bit",
        hwh="fpgacnn.hwh", hardware=hardware_record(HARDWARE_ID, BUILD_ID_BASE))
    return root


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> FakeBoard:
    fake = FakeBoard(hardware_id=HARDWARE_ID)
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    return fake


def test_driver_writes_registers_by_the_map(board: FakeBoard, tmp_path: Path) -> None:
    frame = np.random.default_rng(7).integers(0, 256, (37, 61), np.uint8)
    with Pipeline.open(_package(tmp_path / "pkg"), "pynq", classify=False,
                       timeout_s=0.5) as pipe:
        out = pipe.process(frame)
    assert np.array_equal(out.edges, sobel_edges(frame))
    writes = board.register_writes
    assert writes[:2] == [(EDGE_REGISTERS["CTRL"], CTRL_ENABLE | CTRL_SOFT_RESET),
                          (EDGE_REGISTERS["ERROR"], EDGE_ERROR_MASK)]
    assert (EDGE_REGISTERS["WIDTH"], 61) in writes and (EDGE_REGISTERS["HEIGHT"], 37) in writes
    assert board.edge.regs["FRAME_COUNT"] == 1 and board.live_buffers == 0


def test_another_major_version_is_refused(board: FakeBoard, tmp_path: Path) -> None:
    board.identity[EDGE_REGISTERS["VERSION"]] = EDGE_VERSION + 0x0001_0000
    with pytest.raises(OverlayError, match=r"^edge core VERSION reads 0x00020000, expected "
                                           r"major version 1 \(this driver: 0x00010000\)$"):
        Pipeline.open(_package(tmp_path / "pkg"), "pynq", classify=False)
    assert board.live_buffers == 0


def test_a_newer_minor_version_is_taken(board: FakeBoard, tmp_path: Path) -> None:
    board.identity[EDGE_REGISTERS["VERSION"]] = EDGE_VERSION + 0x0000_0103
    with Pipeline.open(_package(tmp_path / "pkg"), "pynq", classify=False, timeout_s=0.5):
        pass


def test_a_package_without_a_register_the_driver_uses_is_refused(board: FakeBoard,
                                                                 tmp_path: Path) -> None:
    regs = {k: v for k, v in EDGE_REGISTERS.items() if k not in ("VERSION", "THRESHOLD")}
    with pytest.raises(ArtifactError, match=r"^core 'edge' of the package lists no offset for "
                                            r"registers \['THRESHOLD', 'VERSION'\]; expected "
                                            r"the fcnn_edge_core map$"):
        Pipeline.open(_package(tmp_path / "pkg", regs), "pynq", classify=False)
    assert board.live_buffers == 0


def test_fake_core_registers_are_the_map() -> None:
    core = FakeBoard(ppc=2, max_width=320, max_height=200).edge
    params = {"PPC": 2, "MAX_WIDTH": 320, "MAX_HEIGHT": 200}
    for reg in EDGE_MAP:
        want = reg.reset_value(params)
        got = core.read(reg.offset)
        assert got == (EDGE_MAP["STATUS"].field("WAIT_SOF").mask if want is None else want), \
            reg.name
    core.write(EDGE_REGISTERS["CORE_ID"], 0)  # RO: ignored
    core.write(EDGE_REGISTERS["THRESHOLD"], 0xFFFF)  # RW: masked to the field
    core.regs["ERROR"] = 0b101
    core.write(EDGE_REGISTERS["ERROR"], 0b001)  # W1C
    core.regs["DROP_COUNT"] = 9
    core.write(EDGE_REGISTERS["DROP_COUNT"], 1234)  # write clears
    assert core.read(EDGE_REGISTERS["CORE_ID"]) == EDGE_MAP.core_id
    assert core.read(EDGE_REGISTERS["THRESHOLD"]) == EDGE_MAP["THRESHOLD"].mask
    assert core.read(EDGE_REGISTERS["ERROR"]) == 0b100
    assert core.read(EDGE_REGISTERS["DROP_COUNT"]) == 0
    assert core.read(0x34) == 0  # unmapped
