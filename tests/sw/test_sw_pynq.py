"""The pynq backend, unchanged, on the emulated board of generated build trees.

The board is :class:`fpgacnn.sim.board_emu.EmulatedBoard`: PYNQ 3.x's API modelled on
its source, the design read from the tree ``fpgacnn build`` wrote, PG021 DMAs, the
Verilated edge and classifier cores (see tests/sw/test_board_emu.py for the emulation
itself). The package is the one the board build would finish for that tree
(:func:`fpgacnn.apps.emulate.emulated_package`). Each fault the emulation injects is
detected within the driver's deadline with a typed error naming it, recovered from
where possible, and leaks no buffer.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.emulate import emulated_package, open_emulated
from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.sim.board_emu import EmulatedBoard
from fpgacnn.spec.cores import EDGE_REGISTERS
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.spec.errors import (
    BackendError,
    DmaTimeoutError,
    DmaTransferError,
    FrameError,
    OverlayError,
)
from fpgacnn.spec.frames import gray_of
from fpgacnn.spec.package import CoreKind, load_package, write_package
from fpgacnn.sw.pipeline import Pipeline

BOARDS = ("pynq-z2", "kv260")


@pytest.fixture(scope="module")
def frames(digits) -> list[np.ndarray]:  # noqa: ANN001
    """Gray 640x480 frames showing real handwritten digits."""
    codes, _ = digits
    return [digit_frame(codes[k], photo(p)) for k, p in
            ((5, "camera"), (6, "astronaut"), (7, "coins"), (8, "coffee"))]


@pytest.fixture(scope="module")
def rgb_frames() -> list[np.ndarray]:
    """Colour (BGR) frames of several sizes up to the edge core's 640x480."""
    return [np.ascontiguousarray(photo("astronaut")[:480, :512]),
            np.ascontiguousarray(photo("coffee")[:, :600]), photo("chelsea"),
            np.ascontiguousarray(photo("rocket")[::2, ::2])]


@pytest.fixture
def z2(board_tree: Callable[..., Path]) -> Iterator[EmulatedBoard]:
    board = EmulatedBoard(board_tree("pynq-z2"))
    yield board
    board.close()


def _reference(tree: Path, frames: list[np.ndarray]) -> list:  # noqa: ANN001
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        return [ref.process(f) for f in frames]


# -- the goal: the board's results are the reference's ------------------------------------

@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("model", ["digits", "rgb"])
def test_every_frame_equals_the_reference(board_tree: Callable[..., Path], frames, rgb_frames,
                                          board: str, model: str) -> None:  # noqa: ANN001
    """Edge maps and labels (and scores) on the emulated board equal backend reference's,
    for digits (1 channel) and a 3-channel model, on a Zynq-7000 and a ZynqMP board."""
    tree = board_tree(board, model)
    data = frames if model == "digits" else rgb_frames
    expected = _reference(tree, data)
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, timeout_s=5.0) as pipe:
        got = list(pipe.stream(data))
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e.edges, g.edges)
        assert g.label == e.label and np.array_equal(g.scores, e.scores)
    assert got[0].engines == {"edge": "pynq", "classifier": "pynq"}
    assert emu.loaded == [str(emulated_package(tree).file(f"fcnn_{board}.bit"))]
    assert emu.live_buffers == 0


def test_the_hls_flow_runs_the_c_simulation(board_tree: Callable[..., Path], frames) -> None:  # noqa: ANN001
    """A tree of the HLS flow: its classifier is the conversion's hls4ml C simulation
    (what Vitis HLS synthesises), behind the same DMA and pads."""
    from fpgacnn.boards.config import CoreFlow

    tree = board_tree("zcu104", core_flow=CoreFlow.HLS)
    expected = _reference(tree, frames[:2])
    with open_emulated(tree, board=EmulatedBoard(tree)) as pipe:
        got = list(pipe.stream(frames[:2]))
    assert [g.label for g in got] == [e.label for e in expected]
    assert all(np.array_equal(g.scores, e.scores) for g, e in zip(got, expected, strict=True))


# -- issue 12's host-side defects -----------------------------------------------------------

def test_classifier_found_through_its_dma(z2: EmulatedBoard, board_tree, frames) -> None:  # noqa: ANN001
    """Defect 1. The classifier has no address segment, so PYNQ's ip_dict lacks it; the
    old driver looked it up there by VLNV and every open with a classifier failed
    ("overlay has 0 IPs of type fpgacnn:fpgacnn:fcnn_classifier:1.0 ...")."""
    pkg = emulated_package(board_tree("pynq-z2"))
    vlnv = pkg.core(CoreKind.CLASSIFIER).vlnv
    assert vlnv not in [v["type"] for v in z2.ip_dict().values()]
    with open_emulated(z2.tree, board=z2) as pipe:
        assert pipe.process(frames[1]).label == _reference(z2.tree, frames[1:2])[0].label


def test_dma_byte_counts_are_the_dma_widths(z2: EmulatedBoard, frames) -> None:  # noqa: ANN001
    """Defect 2 (digits). The result beat arrives as one 256-bit DMA beat: the receive is
    32 bytes. The old driver armed the core's width (21 bytes), which PG021 leaves
    undefined and the emulation flags DMAIntErr: DmaTransferError on every image."""
    with open_emulated(z2.tree, board=z2) as pipe:
        pipe.process(frames[1])
    starts = [e for e in z2.events if e[0] == "classifier_dma" and e[2] == "start"]
    assert [e[1] for e in starts] == ["recv", "send"]
    dma = z2.dma("classifier_dma")
    assert dma.ch[0x30].length == 32 and dma.ch[0x00].length == 64


def test_rgb_pixels_are_padded_to_the_dma_width(board_tree: Callable[..., Path],
                                                rgb_frames) -> None:  # noqa: ANN001
    """Defect 2 (3 channels). The block design pads each 24-bit pixel to the DMA's 32
    bits: the driver sends 4 bytes per pixel. The old driver packed 3, the core saw 48
    beats for a 64-pixel image, dropped it, and the receive timed out."""
    tree = board_tree("pynq-z2", "rgb")
    emu = EmulatedBoard(tree)
    expected = _reference(tree, rgb_frames[:1])
    with open_emulated(tree, board=emu) as pipe:
        got = pipe.process(rgb_frames[0])
    assert emu.dma("classifier_dma").ch[0x00].length == 8 * 8 * 4
    assert emu.classifier.dropped == 0
    assert np.array_equal(got.scores, expected[0].scores)


def test_names_addresses_and_buffers_are_pynqs(z2: EmulatedBoard, board_tree) -> None:  # noqa: ANN001
    """Defect 10: the IP names and addresses the driver checks are the generated ones
    (the old fake invented ``fcnn_edge_core_0`` at 0x43C00000 and ``axi_dma_edge``), and
    every buffer is freed by ``freebuffer`` (PYNQ 3's ``close()`` frees nothing; the old
    fake's ``close()`` freed and a second ``freebuffer`` raised). The fake's other
    differences are checked on the emulation itself (tests/sw/test_board_emu.py): the
    alignment is the DMA's memory-map width, not 8 bytes; an error halts the channel
    (RS cleared), where the fake left it running."""
    pkg = emulated_package(board_tree("pynq-z2"))
    ips = z2.ip_dict()
    edge = pkg.manifest.cores[0]
    assert ips[edge.dma]["phys_addr"] != edge.base_address
    assert [k for k, v in ips.items() if v["type"] == edge.vlnv] == ["edge"]
    assert ips["edge"]["phys_addr"] == edge.base_address
    with open_emulated(z2.tree, board=z2):
        assert z2.live_buffers == 6
    assert z2.live_buffers == 0 and len(z2.memory.freed) == 6


# -- double buffering, frame sizes, hygiene -------------------------------------------------

def test_next_frame_goes_out_while_the_previous_comes_back(z2: EmulatedBoard, frames) -> None:  # noqa: ANN001
    with open_emulated(z2.tree, board=z2, classify=False, timeout_s=5.0) as pipe:
        results = list(pipe.stream(frames))
    edge = [(c, k, a) for dma, c, k, a in z2.events if dma == "edge_dma" and k != "error"]
    ins = sorted({a for c, _, a in edge if c == "send"})
    outs = sorted({a for c, _, a in edge if c == "recv"})
    assert len(ins) == len(outs) == 2  # two input and two output buffers, used in turn
    order = [(c, k, (ins if c == "send" else outs).index(a)) for c, k, a in edge]
    # frame 1 is sent (from the other input buffer) before frame 0's edge map has come back
    assert order.index(("send", "start", 1)) < order.index(("recv", "done", 0))
    assert [r.index for r in results] == [0, 1, 2, 3]
    for r, f in zip(results, frames, strict=True):
        assert np.array_equal(r.edges, sobel_edges(gray_of(f)))


def test_host_time_excludes_the_waits_on_the_hardware(z2: EmulatedBoard, frames) -> None:  # noqa: ANN001
    """Each result carries ``timings.host``: its stages minus ``hw_wait``, the time the
    driver polled the DMAs (where the emulated cores run), split into the driver's own
    parts; consistent (0 <= host <= total), streaming and one frame at a time."""
    from fpgacnn.spec.engines import HOST_TIMING_KEYS

    with open_emulated(z2.tree, board=z2, timeout_s=5.0) as pipe:
        results = [*pipe.stream(frames), pipe.process(frames[0])]
    for r in results:
        t = r.timings
        stages = t["check"] + t["gray"] + t["edge"] + t["crop"] + t["classify"]
        assert t["host"] == pytest.approx(stages - t["hw_wait"], rel=1e-9, abs=1e-12)
        assert 0.0 <= t["host"] <= t["total"]
        assert 0.0 < t["hw_wait"] < stages  # the cores ran while the driver waited
        parts = [t[f"host_{k}"] for k in HOST_TIMING_KEYS if k != "wait"]
        assert min(parts) >= 0.0
        # the driver's parts are the engines' time less their waits
        assert sum(parts) == pytest.approx(t["edge"] + t["classify"] - t["hw_wait"],
                                           rel=0.05, abs=2e-4)


def test_odd_width_frames_are_padded_per_line(z2: EmulatedBoard) -> None:
    gray = np.ascontiguousarray(photo("camera")[100:157, 30:131])  # 101 x 57: not a PPC multiple
    with open_emulated(z2.tree, board=z2, classify=False) as pipe:
        r = pipe.process(gray)
    assert np.array_equal(r.edges, sobel_edges(gray))
    writes = [(off, v) for cell, off, v in z2.register_writes if cell == "edge"]
    assert (EDGE_REGISTERS["WIDTH"], 101) in writes and (EDGE_REGISTERS["HEIGHT"], 57) in writes
    assert z2.dma("edge_dma").ch[0x00].length == 57 * 104


def test_buffers_are_freed_when_the_with_block_fails(z2: EmulatedBoard) -> None:
    with pytest.raises(RuntimeError, match=r"^user code failed$"):
        with open_emulated(z2.tree, board=z2):
            assert z2.live_buffers == 6
            raise RuntimeError("user code failed")
    assert z2.live_buffers == 0


def test_bad_frame_touches_no_hardware(z2: EmulatedBoard) -> None:
    with open_emulated(z2.tree, board=z2, classify=False) as pipe:
        writes, events = list(z2.register_writes), list(z2.events)
        with pytest.raises(FrameError, match=r"^expected dtype uint8, got float64$"):
            pipe.process(np.zeros((48, 64)))
        assert z2.register_writes == writes and z2.events == events


def test_without_pynq(monkeypatch: pytest.MonkeyPatch, board_tree) -> None:  # noqa: ANN001
    monkeypatch.setitem(sys.modules, "pynq", None)
    with pytest.raises(BackendError, match=r"^the pynq backend needs the pynq package \(part "
                                           r"of the PYNQ board image\); off the board use "
                                           r"backend 'rtl', 'csim' or 'reference'$"):
        Pipeline.open(emulated_package(board_tree("pynq-z2")), "pynq")


# -- faults: detected within the deadline, typed, recovered, nothing leaked -----------------

@pytest.mark.parametrize("dma, channel", [("edge_dma", "recv"), ("edge_dma", "send"),
                                          ("classifier_dma", "recv"),
                                          ("classifier_dma", "send")])
def test_hang_times_out_resets_and_recovers(z2: EmulatedBoard, frames, dma: str,
                                            channel: str) -> None:  # noqa: ANN001
    """A channel that never finishes: DmaTimeoutError naming the DMA, the channel and the
    bytes; the DMA is reset (and the edge core soft-reset); the next frame is right. For
    the classifier a result it still holds for the lost image is dropped, not returned as
    the next image's."""
    expected = _reference(z2.tree, frames[:3])
    with open_emulated(z2.tree, board=z2, timeout_s=0.3) as pipe:
        setattr(z2.dma(dma).faults, f"hang_{channel}", True)
        nbytes = {"edge_dma": 640 * 480, "classifier_dma": 64 if channel == "send" else 32}
        with pytest.raises(DmaTimeoutError,
                           match=rf"^{dma} {channel} transfer of {nbytes[dma]} bytes did "
                                 r"not complete within 0.3 s$"):
            list(pipe.stream(frames[:2]))
        assert z2.dma(dma).resets == 1
        setattr(z2.dma(dma).faults, f"hang_{channel}", False)
        r = pipe.process(frames[2])
    assert np.array_equal(r.edges, expected[2].edges)
    assert r.label == expected[2].label and np.array_equal(r.scores, expected[2].scores)
    assert z2.live_buffers == 0


def test_short_packet_raises_and_recovers(z2: EmulatedBoard, frames) -> None:  # noqa: ANN001
    """An early TLAST: the receive ends short; DmaTransferError with the byte counts."""
    with open_emulated(z2.tree, board=z2, classify=False) as pipe:
        z2.dma("edge_dma").faults.short_by = 640
        with pytest.raises(DmaTransferError,
                           match=r"^edge_dma recv channel moved 306560 bytes, expected "
                                 r"307200$"):
            pipe.process(frames[0])
        assert np.array_equal(pipe.process(frames[2]).edges, sobel_edges(gray_of(frames[2])))
    assert z2.live_buffers == 0


@pytest.mark.parametrize("bits, names", [(0x10, "DMAIntErr"), (0x20, "DMASlvErr"),
                                         (0x40, "DMADecErr"), (0x60, "DMASlvErr, DMADecErr")])
@pytest.mark.parametrize("dma", ["edge_dma", "classifier_dma"])
def test_dma_error_bits_are_named_and_recovered(z2: EmulatedBoard, frames, bits: int,
                                                names: str, dma: str) -> None:  # noqa: ANN001
    """An error bit halts the channel (PG021: RS cleared); the driver names the bits,
    resets the DMA and restarts it; the next frame works."""
    expected = _reference(z2.tree, frames[3:])[0]
    with open_emulated(z2.tree, board=z2) as pipe:
        z2.dma(dma).faults.error_bits = bits
        with pytest.raises(DmaTransferError,
                           match=rf"^{dma} recv channel stopped with error bits "
                                 rf"0x{bits:02X} \({names}\)$"):
            pipe.process(frames[0])
        assert z2.dma(dma).resets == 1
        r = pipe.process(frames[3])
    assert r.label == expected.label and np.array_equal(r.edges, expected.edges)
    assert z2.live_buffers == 0


def test_send_error_is_named(z2: EmulatedBoard, frames) -> None:  # noqa: ANN001
    with open_emulated(z2.tree, board=z2, classify=False) as pipe:
        z2.dma("edge_dma").faults.error_bits, z2.dma("edge_dma").faults.error_channel = \
            0x20, "send"
        with pytest.raises(DmaTransferError, match=r"^edge_dma send channel stopped with "
                                                   r"error bits 0x20 \(DMASlvErr\)$"):
            list(pipe.stream(frames[:2]))
        assert z2.dma("edge_dma").resets == 1
        assert np.array_equal(pipe.process(frames[1]).edges, sobel_edges(gray_of(frames[1])))
    assert z2.live_buffers == 0


def test_a_tree_whose_classifier_changed_after_the_build_is_refused(
        board_tree: Callable[..., Path], tmp_path: Path) -> None:
    """The emulation runs the tree's design: a classifier source that is no longer the
    one the tree copied is refused, not simulated in its place."""
    from fpgacnn.sim.board_emu import BuildTreeError

    tree = tmp_path / "tree"
    shutil.copytree(board_tree("pynq-z2"), tree)
    copy = tree / "src" / "classifier" / "fcnn_classifier.sv"
    copy.write_text(copy.read_text() + "// edited\n")
    with pytest.raises(BuildTreeError, match=r"fcnn_classifier\.sv is not the generated "
                                             r"core's fcnn_classifier\.sv in .*/rtl \(the "
                                             r"conversion changed after fpgacnn build\)$"):
        EmulatedBoard(tree)


def test_a_bitstream_of_another_build_is_refused(z2: EmulatedBoard) -> None:
    z2.build_id.set_hardware_id("fedcba9876543210")
    hw = emulated_package(z2.tree).manifest.hardware
    with pytest.raises(OverlayError, match=r"^the loaded bitstream reports hardware id "
                                           rf"fedcba9876543210, the package expects {hw['id']}: "
                                           r"the bitstream is not the one the package "
                                           r"describes$"):
        open_emulated(z2.tree, board=z2, classify=False)
    assert z2.live_buffers == 0


def test_the_bitstream_of_this_build_is_accepted_by_reading(z2: EmulatedBoard) -> None:
    with open_emulated(z2.tree, board=z2, classify=False) as pipe:
        assert pipe.package.manifest.hardware["id"] == emulated_package(z2.tree).manifest \
            .hardware["id"]
    assert z2.build_id.writes == []


def test_another_ip_at_the_build_id_address_is_refused(z2: EmulatedBoard) -> None:
    z2.build_id.core_id = 0
    with pytest.raises(OverlayError, match=r"^build_id CORE_ID reads 0x00000000, expected "
                                           r"0x424C4944 \(fcnn_build_id\): the bitstream has no "
                                           r"fpgacnn build-id block there$"):
        open_emulated(z2.tree, board=z2, classify=False)
    assert z2.live_buffers == 0


@pytest.mark.parametrize("ip, message", [
    ("build_id", r"^overlay has no IP 'build_id' reporting the hardware id; expected one with "
                 r"id [0-9a-f]{16} \(is this fpgacnn's bitstream\?\)$"),
    ("edge", r"^overlay has 0 IPs of type fpgacnn:fpgacnn:fcnn_edge_dma:1.0 for core 'edge', "
             r"expected 1$"),
    ("edge_dma", r"^core 'edge' names DMA 'edge_dma', which the overlay does not have$"),
    ("classifier_dma", r"^core 'classifier' names DMA 'classifier_dma', which the overlay "
                       r"does not have$"),
])
def test_a_missing_ip_is_named(z2: EmulatedBoard, ip: str, message: str) -> None:
    z2.missing.add(ip)
    with pytest.raises(OverlayError, match=message):
        open_emulated(z2.tree, board=z2)
    assert z2.live_buffers == 0


def test_a_core_at_another_address_is_refused(z2: EmulatedBoard, tmp_path: Path) -> None:
    src = emulated_package(z2.tree)
    root = tmp_path / "pkg"
    shutil.copytree(src.path, root)
    (root / "manifest.json").unlink()
    man = json.loads((src.path / "manifest.json").read_text())
    from fpgacnn.spec.package import CoreSpec, ModelSpec

    cores = [CoreSpec.from_dict(c) for c in man["cores"]]
    from dataclasses import replace
    cores[0] = replace(cores[0], base_address=cores[0].base_address + 0x10000)
    m = src.manifest
    write_package(root, cores=cores, model=ModelSpec.from_dict(man["model"]),
                  clock_hz=m.clock_hz, board=m.board, bitstream=m.bitstream, hwh=m.hwh,
                  hardware=m.hardware)
    want = cores[0].base_address
    with pytest.raises(OverlayError, match=rf"^core 'edge' \(edge\) is at 0x{want - 0x10000:X}, "
                                           rf"the package expects 0x{want:X}$"):
        Pipeline.open(load_package(root), "pynq", pynq=z2.module(), classify=False)
    assert z2.live_buffers == 0


def test_classifier_framing_fault_costs_only_the_damaged_image(z2: EmulatedBoard,
                                                               frames) -> None:  # noqa: ANN001
    """A packet of 30 pixels reaches the classifier core (an image cut short): the core
    completes it with zeros and flags it (TLAST_EARLY, FAULT_SEEN; spec.cnn_framing); the
    next image is framed afresh and right, and the driver accepts its result although the
    sticky FAULT_SEEN bit is set (it only logs it); a result flagged damaged is refused."""
    from fpgacnn.spec.cores import ClassifierOutputLayout, ClassifierStatus
    from fpgacnn.spec.errors import CoreError

    expected = _reference(z2.tree, frames[:2])
    core = z2.classifier
    early = int(ClassifierStatus.TLAST_EARLY | ClassifierStatus.FAULT_SEEN)
    with open_emulated(z2.tree, board=z2) as pipe:
        core.consume(bytes(30 * core.in_bytes))
        word = int.from_bytes(core.pop_output(), "little")
        lay = core.layout
        assert isinstance(lay, ClassifierOutputLayout) and lay.decode(word)[2] == early
        r = pipe.process(frames[1])
        assert r.label == expected[1].label and np.array_equal(r.scores, expected[1].scores)
        core.consume(bytes(30 * core.in_bytes))  # a damaged result the driver then receives
        with pytest.raises(CoreError, match=r"^classifier reported framing status 0x05 "
                                            r"\(TLAST_EARLY\|FAULT_SEEN\) for an image$"):
            pipe.process(frames[0])
    assert core.dropped == 0 and z2.live_buffers == 0


def test_unknown_backend_options_are_refused(z2: EmulatedBoard) -> None:
    pkg = emulated_package(z2.tree)
    with pytest.raises(BackendError, match=r"^backend 'pynq' takes the options timeout_s and "
                                           r"pynq, got \['speed'\]$"):
        Pipeline.open(pkg, "pynq", pynq=z2.module(), speed=2)
    with pytest.raises(BackendError, match=r"^timeout_s must be a positive number, got 0$"):
        Pipeline.open(pkg, "pynq", pynq=z2.module(), timeout_s=0)
    assert z2.live_buffers == 0 and z2.loaded == []
