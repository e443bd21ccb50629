"""A board as the folding solver's target: part, PL clock and part resources.

The hardware layer (``fpgacnn.hw.fold``) does not read board files; whoever
resolves a board name (``fpgacnn convert --board``, the benchmarks) builds the
:class:`~fpgacnn.spec.folding.Target` here and passes it down.
"""

from __future__ import annotations

from pathlib import Path

from fpgacnn.spec.folding import Target

from .board import DEFS_DIR, BoardError, load_board


def board_target(name: str, defs_dir: Path = DEFS_DIR) -> Target:
    """The :class:`~fpgacnn.spec.folding.Target` of board ``name`` (its file's ``part``,
    ``pl_clock.mhz`` and ``resources``); a board file without ``resources`` is refused."""
    board = load_board(name, defs_dir)
    if board.resources is None:
        raise BoardError(f"{name}.json: missing field 'resources' (the part's LUT, FF, LUTRAM, "
                         "BRAM36 and DSP; the folding solver needs them)")
    return Target(board=board.name, part=board.part, clock_mhz=board.pl_clock.mhz,
                  resources=board.resources)
