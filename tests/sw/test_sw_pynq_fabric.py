"""The pynq backend on the fabric classifier input of the emulated board (issue 13).

A tree built with ``classifier_input=fabric``: the edge DMA's stream is broadcast to the
edge path and to ``fcnn_crop_scale_dma`` (emulated by its golden model behind the
``CROP_MAP`` registers; the RTL is held to it by sim/fcnn_crop_scale_dma), which feeds
the classifier (Verilated RTL); the classifier DMA only receives. The host sends one
frame and gets the edge map and the scores: no crop on the host. Every frame's edge
map, scores and label equal the ``reference`` backend's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.emulate import emulated_package, open_emulated
from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.boards.config import ClassifierInput, EdgeInput
from fpgacnn.sim.board_emu import EmulatedBoard
from fpgacnn.spec.cores import CROP_REGISTERS
from fpgacnn.spec.errors import DmaTransferError, FrameError
from fpgacnn.sw.pipeline import Pipeline

FABRIC = ClassifierInput.FABRIC


@pytest.fixture(scope="module")
def frames(digits) -> list[np.ndarray]:  # noqa: ANN001
    """Colour 640x480 digit frames, an odd-sized colour crop, a gray frame."""
    codes, _ = digits
    out = [digit_frame(codes[k], photo(p)) for k, p in ((3, "astronaut"), (9, "chelsea"))]
    out.append(np.ascontiguousarray(photo("astronaut")[100:157, 30:131]))  # 101 x 57
    out.append(digit_frame(codes[12], photo("camera")))  # gray
    return out


def _same(expected, got) -> None:  # noqa: ANN001
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e.edges, g.edges)
        assert g.label == e.label and np.array_equal(g.scores, e.scores)
        assert 0.0 <= g.timings["host"] <= g.timings["total"]


@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_fabric_crop_equals_the_reference(board_tree: Callable[..., Path], frames,
                                          board: str) -> None:  # noqa: ANN001
    tree = board_tree(board, edge_input=EdgeInput.COLOR, classifier_input=FABRIC)
    pkg = emulated_package(tree)
    with Pipeline.open(pkg, "reference") as ref:
        expected = [ref.process(f) for f in frames]
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, timeout_s=5.0) as pipe:
        got = list(pipe.stream(frames + frames[:1]))
        assert pipe._classifier.crops_frames  # noqa: SLF001 - no crop on the host
    _same(expected + expected[:1], got)
    # the crop geometry is written once per frame size, not per frame
    crop_writes = [w for w in emu.register_writes if w[0] == "crop"
                   and w[1] == CROP_REGISTERS["FRAME_WIDTH"]]
    assert len(crop_writes) == 3  # 640x480, 101x57, 640x480 (the gray and the last too)
    assert emu.dma("classifier_dma").ch[0x00].job is None  # nothing ever sent to it
    assert emu.live_buffers == 0


def test_fabric_crop_gray_build_and_rgb_model(board_tree: Callable[..., Path],
                                              frames) -> None:  # noqa: ANN001
    """A gray edge input (the crop takes gray pixels) with gray frames: equal to the
    reference; a colour frame is refused in one line (the fabric saw only gray)."""
    tree = board_tree("pynq-z2", classifier_input=FABRIC)
    gray = [f if f.ndim == 2 else f[:, :, 1].copy() for f in frames]
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        expected = [ref.process(f) for f in gray]
    with open_emulated(tree, board=EmulatedBoard(tree), timeout_s=5.0) as pipe:
        _same(expected, list(pipe.stream(gray)))
        with pytest.raises(FrameError, match="a gray frame is expected"):
            pipe.process(frames[0])


def test_fabric_crop_3_channel_model(board_tree: Callable[..., Path], frames) -> None:  # noqa: ANN001
    tree = board_tree("pynq-z2", model="rgb", edge_input=EdgeInput.COLOR,
                      classifier_input=FABRIC)
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        expected = [ref.process(f) for f in frames]
    with open_emulated(tree, board=EmulatedBoard(tree), timeout_s=5.0) as pipe:
        _same(expected, list(pipe.stream(frames)))


def test_fabric_crop_faults_are_named_and_recovered(board_tree: Callable[..., Path],
                                                    frames) -> None:  # noqa: ANN001
    """A short edge map and a receive error on the classifier DMA: each named, recovered,
    the next frame right (edge map and scores), no buffer leaked."""
    tree = board_tree("pynq-z2", edge_input=EdgeInput.COLOR, classifier_input=FABRIC)
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        expected = ref.process(frames[0])
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, timeout_s=2.0) as pipe:
        emu.dma("edge_dma").faults.short_by = 64
        with pytest.raises(DmaTransferError, match="moved"):
            pipe.process(frames[0])
        _same([expected], [pipe.process(frames[0])])
        f = emu.dma("classifier_dma").faults
        f.error_channel, f.error_bits = "recv", 0x20
        with pytest.raises(DmaTransferError, match="classifier_dma recv"):
            pipe.process(frames[0])
        _same([expected], [pipe.process(frames[0])])
    assert emu.live_buffers == 0


def test_fabric_crop_too_narrow_for_ppc_is_refused(board_tree: Callable[..., Path],
                                                    frames) -> None:  # noqa: ANN001
    """At PPC 4 the crop block takes a box at least 4 x 8 = 32 pixels wide: a frame whose
    box is narrower is refused in one line before it is sent (the block would refuse it
    with BAD_SIZE); the next frame goes through."""
    from fpgacnn.spec.crop_scale import min_crop_width

    tree = board_tree("pynq-z2", edge_input=EdgeInput.COLOR, classifier_input=FABRIC)
    assert min_crop_width(4, 8) == 32
    small = np.ascontiguousarray(frames[0][:31, :40])   # the centred square: 31 x 31
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        expected = ref.process(frames[0])
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, timeout_s=5.0) as pipe:
        with pytest.raises(FrameError, match="at least 32 pixels wide .* a 40x31 frame's "
                                             "is 31"):
            pipe.process(small)
        _same([expected], [pipe.process(frames[0])])
    assert emu.live_buffers == 0
