"""The emulated board (fpgacnn.sim.board_emu) against what it is derived from.

What PYNQ would see comes from the generated tree: ``ip_dict`` from the address map
the block-design generator assigns (``fpgacnn.boards.design.address_map``), the DMA
widths and pads from the Tcl, which follow the contracts layer's rules
(``fpgacnn.spec.dma``). The PYNQ classes behave as in PYNQ v3.0.1/v3.1's source
(``pynq/buffer.py``, ``pynq/lib/dma.py``) and the DMAs as PG021 says (Direct
Register Mode: run/stop, halted, idle, error bits that halt, reset).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.boards.board import available_boards, load_board
from fpgacnn.boards.design import address_map
from fpgacnn.sim.board_emu import EmulatedBoard, EmulatedHangError, ip_dict, read_block_design
from fpgacnn.spec.build_id import BUILD_ID_VLNV
from fpgacnn.spec.cores import ClassifierOutputLayout
from fpgacnn.spec.dma import dma_stream_bits, mm_data_bits


@pytest.mark.parametrize("board", available_boards())
def test_ip_dict_is_the_generated_address_map(board_tree: Callable[..., Path],
                                              board: str) -> None:
    """Names and addresses are the generator's; only IP with a segment are listed
    (the AXI4-Stream-only classifier is not), plus the processing system."""
    ips = ip_dict(read_block_design(board_tree(board)))
    segments = address_map(load_board(board))
    mapped = {k: (v["phys_addr"], v["addr_range"]) for k, v in ips.items() if "phys_addr" in v}
    for seg in segments:
        assert mapped[seg.cell] == (seg.offset, seg.size)
    assert "classifier" not in ips
    assert not [k for k, v in ips.items() if "fcnn_classifier" in v["type"]]
    assert ips["build_id"]["type"] == BUILD_ID_VLNV
    assert ips["edge_dma"]["type"] == ips["classifier_dma"]["type"] == \
        "xilinx.com:ip:axi_dma:7.1"
    ps = "processing_system7" if board.startswith("pynq-") else "zynq_ultra_ps_e"
    assert ips["ps"]["type"].startswith(f"xilinx.com:ip:{ps}:") and "phys_addr" not in ips["ps"]


@pytest.mark.parametrize("model, pixel_bits, result_bits", [("digits", 8, 256),
                                                            ("rgb", 32, 128)])
def test_dma_widths_and_pads_follow_the_contracts_layer(
        board_tree: Callable[..., Path], model: str, pixel_bits: int, result_bits: int) -> None:
    """The Tcl's classifier DMA widths are spec.dma's rule applied to the core widths; the
    pads narrow a padded RGB pixel (32 -> 24 bits) and widen the result beat."""
    design = read_block_design(board_tree("pynq-z2", model))
    p = ip_dict(design)["classifier_dma"]["parameters"]
    channels = 3 if model == "rgb" else 1
    assert int(p["c_m_axis_mm2s_tdata_width"]) == dma_stream_bits(8 * channels) == pixel_bits
    assert int(p["c_m_axi_mm2s_data_width"]) == mm_data_bits(pixel_bits)
    assert int(p["c_s_axis_s2mm_tdata_width"]) == result_bits
    assert int(p["c_sg_length_width"]) == 26
    _, pads_in = design.follow("classifier_dma/M_AXIS_MM2S")
    _, pads_out = design.toward("classifier_dma/S_AXIS_S2MM")
    assert [c.config["TDATA_REMAP"] for c in pads_in] == (["tdata[23:0]"] if channels == 3
                                                          else [])
    assert pads_out[0].int("M_TDATA_NUM_BYTES") * 8 == result_bits


def test_interrupts_are_recorded_behind_the_axi_intc(board_tree: Callable[..., Path]) -> None:
    ips = ip_dict(read_block_design(board_tree("pynq-z2")))
    intr = ips["classifier_dma"]["interrupts"]
    if not any(v["type"].startswith("xilinx.com:ip:axi_intc:") for v in ips.values()):
        assert intr == {}  # PYNQ 3.x records interrupts only behind a controller
    else:
        assert set(intr) == {"mm2s_introut", "s2mm_introut"}


@pytest.fixture
def board(board_tree: Callable[..., Path]) -> EmulatedBoard:
    b = EmulatedBoard(board_tree("pynq-z2"), wait_limit=20_000)
    yield b
    b.close()


def _overlay(board: EmulatedBoard):  # noqa: ANN202
    pkg = board.tree / "emulated_test"
    pkg.mkdir(exist_ok=True)
    (pkg / "x.bit").write_bytes(b"")
    (pkg / "x.hwh").write_bytes(b"")
    return board.module().Overlay(str(pkg / "x.bit"))


def test_buffers_are_pynq_buffers(board: EmulatedBoard) -> None:
    """pynq/buffer.py (v3.x): cacheable, freebuffer idempotent, close() frees nothing."""
    pynq = board.module()
    buf = pynq.allocate(shape=(100,), dtype=np.uint8)
    assert buf.physical_address % 4096 == 0 and buf.coherent is False
    with pytest.warns(DeprecationWarning, match=r"^\.close no longer functional"):
        buf.close()
    assert board.live_buffers == 1
    buf.freebuffer()
    buf.freebuffer()
    assert board.live_buffers == 0
    with pynq.allocate(shape=(8,), dtype=np.uint32):
        assert board.live_buffers == 1
    assert board.live_buffers == 0


def test_the_device_sees_only_flushed_data(board: EmulatedBoard) -> None:
    buf = board.allocate(shape=(16,), dtype=np.uint8)
    buf[:] = 7
    assert board.memory.device_read(buf.physical_address, 16) == bytes(16)
    buf.flush()
    assert board.memory.device_read(buf.physical_address, 16) == bytes([7] * 16)
    board.memory.device_write(buf.physical_address, bytes(range(16)))
    assert buf[3] == 7
    buf.invalidate()
    assert list(buf) == list(range(16))


def test_dma_alignment_is_the_memory_map_width(board: EmulatedBoard) -> None:
    """No DRE: a buffer must be aligned to the channel's memory-map data width (the
    classifier's S2MM is 256 bits: 32 bytes), not to a fixed 8 bytes."""
    dma = _overlay(board).classifier_dma
    buf = board.allocate(shape=(4096,), dtype=np.uint8)
    with pytest.raises(RuntimeError, match=r"^DMA does not support unaligned transfers; "
                                           r"Starting address must be aligned to 32 bytes\.$"):
        dma.recvchannel.transfer(buf, start=8, nbytes=32)
    dma.recvchannel.transfer(buf, start=64, nbytes=32)  # aligned: accepted
    with pytest.raises(RuntimeError, match=r"^DMA channel not idle$"):
        dma.recvchannel.transfer(buf, nbytes=32)
    with pytest.raises(ValueError, match=r"^Transfer size is 67108864 bytes, which exceeds the "
                                         r"maximum DMA buffer size 67108863\.$"):
        dma.sendchannel.transfer(buf, nbytes=1 << 26)


def test_a_receive_shorter_than_the_packet_is_an_error_that_halts(board: EmulatedBoard) -> None:
    """PG021: an S2MM packet longer than LENGTH (undefined; flagged DMAIntErr) halts the
    channel: DMACR.RS cleared, Halted set, Idle clear; only a reset clears it. (This is
    the receive the driver armed before the fix of defect 2: 20 or 21 bytes for the
    digits result, which arrives as one 32-byte beat.)"""
    dma = _overlay(board).classifier_dma
    layout = ClassifierOutputLayout(n_classes=10, score_bits=16)
    img = board.allocate(shape=(64,), dtype=np.uint8)
    out = board.allocate(shape=(32,), dtype=np.uint8)
    dma.recvchannel.transfer(out, nbytes=layout.tdata_bits // 8)
    dma.sendchannel.transfer(img)
    with pytest.raises(RuntimeError, match=r"^DMA Internal Error \(transfer length 0\?\)$"):
        dma.recvchannel.wait()
    assert dma.read(0x30) & 0x1 == 0  # DMACR.RS
    assert dma.read(0x34) & 0x73 == 0x11  # DMAIntErr | Halted, not Idle
    assert not dma.recvchannel.running and dma.recvchannel.error
    with pytest.raises(RuntimeError, match=r"^DMA channel not started$"):
        dma.recvchannel.transfer(out)
    dma.write(0x00, 0x4)  # reset: both channels halt, errors clear
    assert dma.read(0x34) == 0x1 and dma.read(0x04) == 0x1
    dma.recvchannel.start()
    assert dma.recvchannel.running and not dma.recvchannel.idle  # Idle 0 before a transfer


def test_the_result_is_one_whole_dma_beat(board: EmulatedBoard) -> None:
    dma = _overlay(board).classifier_dma
    img = board.allocate(shape=(64,), dtype=np.uint8)
    out = board.allocate(shape=(32,), dtype=np.uint8)
    dma.recvchannel.transfer(out)
    dma.sendchannel.transfer(img)
    dma.sendchannel.wait()
    dma.recvchannel.wait()
    assert dma.recvchannel.transferred == 32 and dma.sendchannel.transferred == 64
    assert not out[21:].any()  # the pad's zero bits above the 168-bit result


@pytest.mark.parametrize("fault", ["hang_recv", "error_bits"])
def test_pynq_wait_has_no_timeout_the_emulation_makes_it_detectable(board: EmulatedBoard,
                                                                     fault: str) -> None:
    """PYNQ's wait() spins while the channel is busy; with wait_limit it raises instead."""
    dma = _overlay(board).edge_dma
    out = board.allocate(shape=(64,), dtype=np.uint8)
    if fault == "hang_recv":
        board.dma("edge_dma").faults.hang_recv = True
        dma.recvchannel.transfer(out)
        with pytest.raises(EmulatedHangError, match=r"^wait\(\) on a DMA channel polled 20000 "
                                                    r"times without the transfer finishing"):
            dma.recvchannel.wait()
    else:
        # the error halts the channel (PG021), so PYNQ's wait() finds it not running
        # before it reads the error bit: a driver must test `error` itself
        board.dma("edge_dma").faults.error_bits = 0x40
        dma.recvchannel.transfer(out)
        assert dma.recvchannel.error and dma.read(0x34) & 0x40
        with pytest.raises(RuntimeError, match=r"^DMA channel not started$"):
            dma.recvchannel.wait()


def test_registers_of_unknown_offsets_and_misaligned_access(board: EmulatedBoard) -> None:
    ov = _overlay(board)
    with pytest.raises(MemoryError, match=r"^Unaligned read: offset must be multiple of 4\.$"):
        ov.build_id.read(2)
    assert ov.build_id.read(0x40) == 0
    with pytest.raises(AttributeError, match=r"^Could not find IP or hierarchy classifier in "
                                             r"overlay$"):
        ov.classifier  # noqa: B018
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ov.ip_dict is not board.ip_dict()  # a copy per overlay, as PYNQ deep-copies


def test_a_short_edge_frame_flags_sof_early_on_the_next(board: EmulatedBoard) -> None:
    """fcnn_edge_dma's policy: a transfer that ends before the frame's last beat ends
    the frame early; the core pads it and flags SOF_EARLY when the next frame starts."""
    from fpgacnn.spec.cores import CTRL_ENABLE, EDGE_MAP, EDGE_REGISTERS

    ov = _overlay(board)
    edge, dma = ov.edge, ov.edge_dma
    edge.write(EDGE_REGISTERS["CTRL"], CTRL_ENABLE)
    edge.write(EDGE_REGISTERS["WIDTH"], 16)
    edge.write(EDGE_REGISTERS["HEIGHT"], 8)
    frame = board.allocate(shape=(128,), dtype=np.uint8)
    out = board.allocate(shape=(128,), dtype=np.uint8)
    errors = []
    for n in (64, 128):
        dma.recvchannel.transfer(out)
        dma.sendchannel.transfer(frame, nbytes=n)
        dma.sendchannel.wait()
        dma.recvchannel.wait()
        assert dma.recvchannel.transferred == 128  # the short frame comes back padded
        errors.append(edge.read(EDGE_REGISTERS["ERROR"]))
    assert errors == [0, EDGE_MAP["ERROR"].field("SOF_EARLY").mask]
