"""The pynq driver speaks the contracts layer's register map (EDGE_MAP) to the real core.

On the emulated board the edge core's registers are the Verilated RTL's: the driver
finds every register by name, clears errors with the map's mask, refuses a core of
another major VERSION and a package whose register list lacks a register it uses,
and turns sticky ERROR bits into a CoreError it recovers from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.emulate import emulated_package, open_emulated
from fpgacnn.sim.board_emu import EmulatedBoard
from fpgacnn.spec.cores import (
    CTRL_ENABLE,
    CTRL_SOFT_RESET,
    EDGE_ERROR_MASK,
    EDGE_MAP,
    EDGE_REGISTERS,
    EDGE_VERSION,
)
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.spec.errors import ArtifactError, CoreError, OverlayError
from fpgacnn.spec.package import CoreSpec, ModelSpec, load_package, write_package
from fpgacnn.sw.pipeline import Pipeline


@pytest.fixture
def board(board_tree: Callable[..., Path]) -> Iterator[EmulatedBoard]:
    b = EmulatedBoard(board_tree("pynq-z2"))
    yield b
    b.close()


def _edge_writes(board: EmulatedBoard) -> list[tuple[int, int]]:
    return [(off, v) for cell, off, v in board.register_writes if cell == "edge"]


def test_driver_writes_registers_by_the_map(board: EmulatedBoard) -> None:
    frame = np.random.default_rng(7).integers(0, 256, (37, 61), np.uint8)
    with open_emulated(board.tree, board=board, classify=False) as pipe:
        out = pipe.process(frame)
    assert np.array_equal(out.edges, sobel_edges(frame))
    writes = _edge_writes(board)
    assert writes[:2] == [(EDGE_REGISTERS["CTRL"], CTRL_ENABLE | CTRL_SOFT_RESET),
                          (EDGE_REGISTERS["ERROR"], EDGE_ERROR_MASK)]
    assert (EDGE_REGISTERS["WIDTH"], 61) in writes and (EDGE_REGISTERS["HEIGHT"], 37) in writes
    assert board.edge.read(EDGE_REGISTERS["FRAME_COUNT"]) >= 1 and board.live_buffers == 0


def test_another_major_version_is_refused(board: EmulatedBoard) -> None:
    board.edge.identity[EDGE_REGISTERS["VERSION"]] = EDGE_VERSION + 0x0001_0000
    with pytest.raises(OverlayError, match=r"^edge core VERSION reads 0x00020000, expected "
                                           r"major version 1 \(this driver: 0x00010000\)$"):
        open_emulated(board.tree, board=board, classify=False)
    assert board.live_buffers == 0


def test_a_newer_minor_version_is_taken(board: EmulatedBoard) -> None:
    board.edge.identity[EDGE_REGISTERS["VERSION"]] = EDGE_VERSION + 0x0000_0103
    with open_emulated(board.tree, board=board, classify=False):
        pass


def test_the_cores_identity_is_checked(board: EmulatedBoard) -> None:
    board.edge.identity[EDGE_REGISTERS["CFG_MAX_WIDTH"]] = 1920
    with pytest.raises(OverlayError, match=r"^edge core register CFG_MAX_WIDTH reads 0x780, "
                                           r"the package expects 0x280$"):
        open_emulated(board.tree, board=board, classify=False)
    assert board.live_buffers == 0


def test_sticky_error_bits_raise_and_recover(board: EmulatedBoard) -> None:
    frame = np.random.default_rng(3).integers(0, 256, (48, 64), np.uint8)
    sof_early = EDGE_MAP["ERROR"].field("SOF_EARLY").mask
    with open_emulated(board.tree, board=board, classify=False) as pipe:
        board.edge.inject_error = sof_early
        with pytest.raises(CoreError, match=r"^edge core reported SOF_EARLY \(ERROR=0x04\) for "
                                            r"a 64x48 frame$"):
            pipe.process(frame)
        assert board.dma("edge_dma").resets == 1
        assert np.array_equal(pipe.process(frame).edges, sobel_edges(frame))
    assert board.live_buffers == 0


def test_a_package_without_a_register_the_driver_uses_is_refused(board: EmulatedBoard,
                                                                 tmp_path: Path) -> None:
    src = emulated_package(board.tree)
    root = tmp_path / "pkg"
    shutil.copytree(src.path, root)
    (root / "manifest.json").unlink()
    man = json.loads((src.path / "manifest.json").read_text())
    cores = [CoreSpec.from_dict(c) for c in man["cores"]]
    cores[0] = replace(cores[0], registers={k: v for k, v in EDGE_REGISTERS.items()
                                            if k not in ("VERSION", "THRESHOLD")})
    m = src.manifest
    write_package(root, cores=cores, model=ModelSpec.from_dict(man["model"]),
                  clock_hz=m.clock_hz, board=m.board, bitstream=m.bitstream, hwh=m.hwh,
                  hardware=m.hardware)
    with pytest.raises(ArtifactError, match=r"^core 'edge' of the package lists no offset for "
                                            r"registers \['THRESHOLD', 'VERSION'\]; expected "
                                            r"the fcnn_edge_core map$"):
        Pipeline.open(load_package(root), "pynq", pynq=board.module(), classify=False)
    assert board.live_buffers == 0
