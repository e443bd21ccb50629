"""The emulated board: PYNQ's API over a generated build tree and the Verilated cores.

``EmulatedBoard(tree).module()`` stands in for the ``pynq`` module on a machine
without a board; the ``pynq`` backend runs on it unchanged (``fpgacnn stream
--backend pynq --emulate BUILD_DIR``, :func:`fpgacnn.apps.emulate.open_emulated`).
See :mod:`.board` (the board), :mod:`.tree` (what is read from the tree),
:mod:`.devices` (DMAs, pads, cores; PG021 semantics, fault switches) and
:mod:`.pynq_api` (PYNQ's classes as of v3.0.1/v3.1).
"""

from .board import EmulatedBoard, Memory
from .devices import DmaFaults
from .pynq_api import EmulatedHangError, PynqBuffer
from .tree import BuildTreeError, ip_dict, read_block_design

__all__ = ["BuildTreeError", "DmaFaults", "EmulatedBoard", "EmulatedHangError", "Memory",
           "PynqBuffer", "ip_dict", "read_block_design"]
