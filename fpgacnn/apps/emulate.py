"""Run the ``pynq`` backend on the emulated board of a generated build tree.

``fpgacnn build --board B --model M --out DIR`` writes a build tree without Vivado;
before a board (or a bitstream) exists, :func:`open_emulated` opens that tree's
design on :class:`fpgacnn.sim.board_emu.EmulatedBoard` and returns a
:class:`~fpgacnn.sw.pipeline.Pipeline` on backend ``pynq``, the board driver
unchanged (``fpgacnn stream --backend pynq --emulate DIR`` does the same).

The deployment package the driver loads is the one the board build would finish,
written to ``DIR/emulated/package/``: the tree's ``package/`` payload, the manifest
that :func:`fpgacnn.boards.finalize.package_contents` gives for the tree's plan
(cores, addresses, hardware id) and, in place of the bitstream and the ``.hwh``,
two placeholder files saying they are not for a board (PYNQ's ``Overlay`` wants both
present; the emulation reads the design from the tree, not from them).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from fpgacnn.spec.outputs import staged_output
from fpgacnn.spec.package import Package, is_package_dir, load_package, write_package

log = logging.getLogger(__name__)

#: Where the emulated package goes inside the build tree.
EMULATED_DIR = Path("emulated") / "package"
PLACEHOLDER = b"fpgacnn emulated board: placeholder, not a bitstream (fpgacnn.sim.board_emu)\n"


def emulated_package(tree: Path | str) -> Package:
    """Write the package of build tree ``tree`` for the emulated board; return it loaded."""
    from fpgacnn.boards.build import plan_tree
    from fpgacnn.boards.finalize import PACKAGE_DIR, package_contents, read_config

    tree = Path(tree)
    state = plan_tree(read_config(tree))
    design, cls = state.design, state.classifier
    assert design is not None and cls is not None
    out = tree / EMULATED_DIR
    out.parent.mkdir(exist_ok=True)
    with staged_output(out, is_ours=is_package_dir, what="an emulated package") as tmp:
        for src in sorted((tree / PACKAGE_DIR).rglob("*")):
            rel = src.relative_to(tree / PACKAGE_DIR)
            if src.is_file() and rel.name not in ("manifest.json", design.bitstream_name,
                                                  design.hwh_name):
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, tmp / rel)
        (tmp / design.bitstream_name).write_bytes(PLACEHOLDER)
        (tmp / design.hwh_name).write_bytes(PLACEHOLDER)
        write_package(tmp, **package_contents(design, cls, tmp))
    return load_package(out)


def emulated_board(tree: Path | str, **options: Any) -> Any:
    """The :class:`~fpgacnn.sim.board_emu.EmulatedBoard` of ``tree`` (``options``: its
    keyword arguments, e.g. ``wait_limit``)."""
    from fpgacnn.sim.board_emu import EmulatedBoard

    return EmulatedBoard(tree, **options)


def open_emulated(tree: Path | str, *, board: Any = None, **pipeline_options: Any) -> Any:
    """A ``pynq`` :class:`~fpgacnn.sw.pipeline.Pipeline` on the emulated board of ``tree``.

    ``board`` is an :class:`~fpgacnn.sim.board_emu.EmulatedBoard` of that tree to use
    (e.g. one whose fault switches a test sets); by default a new one. The other
    keyword arguments go to :meth:`Pipeline.open` (``classify``, ``threshold``,
    ``timeout_s``, ...).
    """
    from fpgacnn.sw.pipeline import Pipeline

    package = emulated_package(tree)
    board = board if board is not None else emulated_board(tree)
    log.info("emulated board of %s (package %s)", tree, package.path)
    return Pipeline.open(package, "pynq", pynq=board.module(), **pipeline_options)
