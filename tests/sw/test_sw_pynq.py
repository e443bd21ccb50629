"""The pynq backend off-board, against tests/sw/fake_pynq.py (real DMA semantics and faults)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.spec.build_id import hardware_record
from fpgacnn.spec.cores import EDGE_REGISTERS, classifier_core_spec, edge_core_spec
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.spec.errors import (
    BackendError,
    CoreError,
    DmaTimeoutError,
    DmaTransferError,
    FrameError,
    OverlayError,
)
from fpgacnn.spec.package import load_package, write_package
from fpgacnn.sw.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_pynq import BUILD_ID_BASE, FakeBoard  # noqa: E402

#: The hardware id of the fake board package's bitstream.
HARDWARE_ID = "0123456789abcdef"


@pytest.fixture(scope="module")
def board_package(sim_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A board package: fake bitstream and .hwh, the sim package's model, DMA names."""
    sim = load_package(sim_package)
    root = tmp_path_factory.mktemp("board") / "pkg"
    (root / "model").mkdir(parents=True)
    shutil.copy(sim.file("model/model.h5"), root / "model" / "model.h5")
    (root / "fpgacnn.bit").write_bytes(b"\x00\x09\x0f\xf0 fake bitstream")
    (root / "fpgacnn.hwh").write_text("<MODULES/>")
    model = sim.manifest.model
    from fpgacnn.spec.package import ModelSpec

    spec = ModelSpec(name=model.name, input_shape=model.input_shape, classes=model.classes,
                     preprocessing=model.preprocessing, scores=model.scores,
                     files={"keras": "model/model.h5"})
    write_package(root, cores=[
        edge_core_spec(ppc=4, max_width=640, max_height=480, base_address=0x43C0_0000,
                       dma="axi_dma_edge"),
        classifier_core_spec(input_shape=model.input_shape, score_bits=model.scores["bits"],
                             n_classes=len(model.classes), base_address=0x43C1_0000,
                             dma="axi_dma_cls")],
        model=spec, clock_hz=100_000_000, board="pynq-z2", bitstream="fpgacnn.bit",
        hwh="fpgacnn.hwh", hardware=hardware_record(HARDWARE_ID, BUILD_ID_BASE))
    return root


@pytest.fixture(scope="module")
def csim_scores(sim_package: Path):  # noqa: ANN201
    """The classifier "hardware" of the fake board: the package's hls4ml C simulation."""
    from fpgacnn.hw.convert.engine import CsimClassifierEngine

    engine = CsimClassifierEngine(conv_dir=sim_package / "csim")
    return lambda codes: engine.scores(codes)[0]


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch, csim_scores, sim_package: Path) -> FakeBoard:  # noqa: ANN001
    model = load_package(sim_package).manifest.model
    fake = FakeBoard(classifier={"scores": csim_scores, "input_shape": model.input_shape,
                                 "score_bits": model.scores["bits"], "out_bytes": 20},
                     hardware_id=HARDWARE_ID)
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    return fake


@pytest.fixture(scope="module")
def frames(digits) -> list[np.ndarray]:  # noqa: ANN001
    codes, _ = digits
    return [digit_frame(codes[k], photo(p)) for k, p in
            ((5, "camera"), (6, "astronaut"), (7, "coins"), (8, "coffee"))]


def test_same_bits_as_csim_with_double_buffering(board: FakeBoard, board_package: Path,
                                                  sim_package: Path, frames) -> None:  # noqa: ANN001
    with Pipeline.open(sim_package, "csim") as ref:
        expected = [ref.process(f) for f in frames]
    with Pipeline.open(board_package, "pynq", timeout_s=0.5) as pipe:
        assert board.loaded == [str(board_package.resolve() / "fpgacnn.bit")]
        got = list(pipe.stream(frames))
        single = pipe.process(frames[0])
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e.edges, g.edges) and np.array_equal(e.scores, g.scores)
    assert np.array_equal(single.edges, expected[0].edges)
    assert got[0].engines == {"edge": "pynq", "classifier": "pynq"}
    assert "edge_hw" in got[0].timings and "classify_hw" in got[0].timings
    assert board.live_buffers == 0  # 4 frame buffers + 2 classifier buffers, all freed
    assert len(board.freed) == 6


def test_next_frame_goes_out_while_the_previous_comes_back(board: FakeBoard,
                                                          board_package: Path, frames) -> None:  # noqa: ANN001
    with Pipeline.open(board_package, "pynq", classify=False) as pipe:
        results = list(pipe.stream(frames))
    edge = [e for e in board.events if e[2] < 0x1000_0000 + 4 * 0x100000]
    ins = sorted({a for c, _, a in edge if c == "send"})
    outs = sorted({a for c, _, a in edge if c == "recv"})
    assert len(ins) == len(outs) == 2  # two input and two output buffers, used in turn
    order = [(c, k, (ins if c == "send" else outs).index(a)) for c, k, a in edge]
    # frame 1 is sent (from the other input buffer) before frame 0's edge map has come back
    assert order.index(("send", "start", 1)) < order.index(("recv", "done", 0))
    assert [r.index for r in results] == [0, 1, 2, 3]
    for r, f in zip(results, frames, strict=True):
        assert np.array_equal(r.edges, sobel_edges(_gray(f)))


def test_odd_width_frames_are_padded_per_line(board: FakeBoard, board_package: Path) -> None:
    gray = np.ascontiguousarray(photo("camera")[100:157, 30:131])  # 101 x 57: not a PPC multiple
    with Pipeline.open(board_package, "pynq", classify=False) as pipe:
        r = pipe.process(gray)
    assert np.array_equal(r.edges, sobel_edges(gray))
    assert (EDGE_REGISTERS["WIDTH"], 101) in board.register_writes
    assert (EDGE_REGISTERS["HEIGHT"], 57) in board.register_writes


@pytest.mark.parametrize("fault", ["hang_recv", "hang_send"])
def test_hang_times_out_resets_and_recovers(board: FakeBoard, board_package: Path, frames,
                                            fault: str) -> None:  # noqa: ANN001
    with Pipeline.open(board_package, "pynq", classify=False, timeout_s=0.05) as pipe:
        setattr(board, fault, True)
        channel = "recv" if fault == "hang_recv" else "send"
        nbytes = 640 * 480
        with pytest.raises(DmaTimeoutError,
                           match=rf"^axi_dma_edge {channel} transfer of {nbytes} bytes did "
                                 r"not complete within 0.05 s$"):
            list(pipe.stream(frames[:3]))
        assert board.dma_edge.resets == 1 and board.edge.soft_resets >= 2
        setattr(board, fault, False)
        r = pipe.process(frames[1])
    assert np.array_equal(r.edges, sobel_edges(_gray(frames[1])))
    assert board.live_buffers == 0


def _gray(frame: np.ndarray) -> np.ndarray:
    from fpgacnn.spec.frames import gray_of

    return gray_of(frame)


def test_short_frame_and_error_bits_raise_and_recover(board: FakeBoard, board_package: Path,
                                                      frames) -> None:  # noqa: ANN001
    with Pipeline.open(board_package, "pynq", classify=False) as pipe:
        board.short_by = 640
        with pytest.raises(DmaTransferError,
                           match=r"^axi_dma_edge recv channel moved 306560 bytes, expected "
                                 r"307200$"):
            pipe.process(frames[0])
        board.error_bits = 0x20
        with pytest.raises(DmaTransferError,
                           match=r"^axi_dma_edge recv channel stopped with error bits 0x20 "
                                 r"\(DMASlvErr\)$"):
            pipe.process(frames[0])
        board.core_error = 0x4
        with pytest.raises(CoreError, match=r"^edge core reported SOF_EARLY \(ERROR=0x04\) for "
                                            r"a 640x480 frame$"):
            pipe.process(frames[0])
        assert board.dma_edge.resets == 3  # every fault resets the DMA and the core
        assert np.array_equal(pipe.process(frames[2]).edges, sobel_edges(_gray(frames[2])))
    assert board.live_buffers == 0


def test_buffers_are_freed_when_the_with_block_fails(board: FakeBoard,
                                                     board_package: Path) -> None:
    with pytest.raises(RuntimeError, match=r"^user code failed$"):
        with Pipeline.open(board_package, "pynq"):
            assert board.live_buffers == 6
            raise RuntimeError("user code failed")
    assert board.live_buffers == 0


def test_bad_frame_touches_no_hardware(board: FakeBoard, board_package: Path) -> None:
    with Pipeline.open(board_package, "pynq", classify=False) as pipe:
        writes = list(board.register_writes)
        with pytest.raises(FrameError, match=r"^expected dtype uint8, got float64$"):
            pipe.process(np.zeros((48, 64)))
        assert board.register_writes == writes
        assert board.dma_edge.job == {0x00: None, 0x30: None}


def test_overlay_mismatches_are_refused(monkeypatch: pytest.MonkeyPatch, board_package: Path,
                                        csim_scores) -> None:  # noqa: ANN001
    fake = FakeBoard(edge_base=0x43D0_0000, hardware_id=HARDWARE_ID)
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    with pytest.raises(OverlayError, match=r"^core 'edge' \(fcnn_edge_core_0\) is at "
                                           r"0x43D00000, the package expects 0x43C00000$"):
        Pipeline.open(board_package, "pynq", classify=False)
    fake = FakeBoard(max_width=1920, hardware_id=HARDWARE_ID)
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    with pytest.raises(OverlayError, match=r"^edge core register CFG_MAX_WIDTH reads 0x780, "
                                           r"the package expects 0x280$"):
        Pipeline.open(board_package, "pynq", classify=False)
    assert fake.live_buffers == 0
    regs = {"CTRL": 0x00, "ERROR": 0x0C}
    fake = FakeBoard(hwh_registers=regs, hardware_id=HARDWARE_ID)
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    with pytest.raises(OverlayError, match=r"^register ERROR of fcnn_edge_core_0: the .hwh says "
                                           r"offset 0xC, the package 0x8$"):
        Pipeline.open(board_package, "pynq", classify=False)
    fake = FakeBoard(hardware_id=HARDWARE_ID)  # no classifier core in this overlay
    monkeypatch.setitem(sys.modules, "pynq", fake.module())
    with pytest.raises(OverlayError, match=r"^overlay has 0 IPs of type "
                                           r"fpgacnn:hls:fcnn_classifier:1.0 for core "
                                           r"'classifier', expected 1$"):
        Pipeline.open(board_package, "pynq")
    assert fake.live_buffers == 0


def test_without_pynq(monkeypatch: pytest.MonkeyPatch, board_package: Path) -> None:
    monkeypatch.setitem(sys.modules, "pynq", None)
    with pytest.raises(BackendError, match=r"^the pynq backend needs the pynq package \(part "
                                           r"of the PYNQ board image\); off the board use "
                                           r"backend 'rtl', 'csim' or 'reference'$"):
        Pipeline.open(board_package, "pynq")


def test_a_bitstream_of_another_build_is_refused(board: FakeBoard, board_package: Path) -> None:
    board.build_id.hardware_id = "fedcba9876543210"
    with pytest.raises(OverlayError, match=r"^the loaded bitstream reports hardware id "
                                           r"fedcba9876543210, the package expects "
                                           r"0123456789abcdef: the bitstream is not the one the "
                                           r"package describes$"):
        Pipeline.open(board_package, "pynq", classify=False)
    assert board.live_buffers == 0


def test_the_bitstream_of_this_build_is_accepted(board: FakeBoard, board_package: Path) -> None:
    from fpgacnn.spec.build_id import BUILD_ID_VLNV

    entry = board.ip_dict["build_id"]
    assert (entry["type"], entry["phys_addr"]) == (BUILD_ID_VLNV, BUILD_ID_BASE)
    with Pipeline.open(board_package, "pynq", classify=False) as pipe:
        assert pipe.package.manifest.hardware["id"] == HARDWARE_ID
    assert board.build_id.writes == []  # the check only reads


def test_another_ip_at_the_build_id_address_is_refused(board: FakeBoard,
                                                        board_package: Path) -> None:
    board.build_id.core_id = 0  # e.g. the AXI GPIO older builds had there
    with pytest.raises(OverlayError, match=r"^build_id CORE_ID reads 0x00000000, expected "
                                           r"0x424C4944 \(fcnn_build_id\): the bitstream has no "
                                           r"fpgacnn build-id block there$"):
        Pipeline.open(board_package, "pynq", classify=False)
    assert board.live_buffers == 0


def test_an_overlay_without_the_build_id_ip_is_refused(board: FakeBoard,
                                                       board_package: Path) -> None:
    del board.ip_dict["build_id"]
    with pytest.raises(OverlayError, match=r"^overlay has no IP 'build_id' reporting the "
                                           r"hardware id; expected one with id "
                                           r"0123456789abcdef"):
        Pipeline.open(board_package, "pynq", classify=False)
