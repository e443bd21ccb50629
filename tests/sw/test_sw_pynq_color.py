"""The pynq backend on the colour frame path of the emulated board (issue 13).

A tree built with ``edge_input=color``: the edge DMA reads the frame as it came (PPC
BGR pixels per beat, padded to the DMA's width), ``fcnn_rgb2gray`` in the design makes
the gray (the emulation applies the contracts layer's integer BT.601 rule, which the
block's testbench holds the RTL to), and the host does no colour-to-gray for the edge
map. Every frame's edge map, scores and label equal the ``reference`` backend's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.emulate import emulated_package, open_emulated
from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.boards.config import EdgeInput
from fpgacnn.sim.board_emu import EmulatedBoard
from fpgacnn.spec.package import CoreKind
from fpgacnn.sw.pipeline import Pipeline


@pytest.fixture(scope="module")
def frames(digits) -> list[np.ndarray]:  # noqa: ANN001
    """Colour 640x480 digit frames, an odd-sized colour crop, a gray frame and a BGRA one."""
    codes, _ = digits
    out = [digit_frame(codes[k], photo(p)) for k, p in ((3, "astronaut"), (4, "coffee"),
                                                         (9, "chelsea"))]
    out.append(np.ascontiguousarray(photo("astronaut")[100:157, 30:131]))  # 101 x 57
    out.append(digit_frame(codes[12], photo("camera")))  # gray
    alpha = np.full(out[0].shape[:2] + (1,), 200, np.uint8)
    out.append(np.concatenate([out[1], alpha], axis=2))  # BGRA
    return out


@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_colour_frames_equal_the_reference(board_tree: Callable[..., Path], frames,
                                           board: str) -> None:  # noqa: ANN001
    tree = board_tree(board, edge_input=EdgeInput.COLOR)
    pkg = emulated_package(tree)
    edge = pkg.core(CoreKind.EDGE)
    assert edge is not None and edge.stream_in_bits == 24 * edge.ppc
    with Pipeline.open(pkg, "reference") as ref:
        expected = [ref.process(f) for f in frames]
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, timeout_s=5.0) as pipe:
        got = list(pipe.stream(frames))
        assert pipe._edge.takes_color  # noqa: SLF001 - the engine the pipeline feeds
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e.edges, g.edges)
        assert g.label == e.label and np.array_equal(g.scores, e.scores)
        assert 0.0 <= g.timings["host"] <= g.timings["total"]
    assert emu.live_buffers == 0


def test_the_dma_carries_the_colour_frame(board_tree: Callable[..., Path], frames) -> None:  # noqa: ANN001
    """101 x 57 colour at PPC 4: 26 beats a line, each 4 BGR pixels in 16 bytes."""
    tree = board_tree("pynq-z2", edge_input=EdgeInput.COLOR)
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, classify=False) as pipe:
        pipe.process(frames[3])
    dma = emu.dma("edge_dma")
    assert dma.ch[0x00].length == 57 * 26 * 16  # sent: colour, padded beats
    assert dma.ch[0x30].length == 57 * 26 * 4  # received: the gray edge map


def test_colour_path_faults_are_named_and_recovered(board_tree: Callable[..., Path],
                                                    frames) -> None:  # noqa: ANN001
    """The robustness contract holds on the colour path: a short edge map, a send that
    stops with DMASlvErr; each named, recovered, the next frame right, no buffer leaked."""
    from fpgacnn.spec.edge import sobel_edges
    from fpgacnn.spec.errors import DmaTransferError
    from fpgacnn.spec.frames import gray_of

    tree = board_tree("pynq-z2", edge_input=EdgeInput.COLOR)
    emu = EmulatedBoard(tree)
    with open_emulated(tree, board=emu, classify=False, timeout_s=5.0) as pipe:
        emu.dma("edge_dma").faults.short_by = 640
        with pytest.raises(DmaTransferError, match=r"^edge_dma recv channel moved 306560 "
                                                   r"bytes, expected 307200$"):
            pipe.process(frames[0])
        assert np.array_equal(pipe.process(frames[1]).edges, sobel_edges(gray_of(frames[1])))
        emu.dma("edge_dma").faults.error_bits = 0x20
        emu.dma("edge_dma").faults.error_channel = "send"
        with pytest.raises(DmaTransferError, match=r"^edge_dma send channel stopped with "
                                                   r"error bits 0x20 \(DMASlvErr\)$"):
            list(pipe.stream(frames[:2]))
        assert np.array_equal(pipe.process(frames[2]).edges, sobel_edges(gray_of(frames[2])))
    assert emu.live_buffers == 0
