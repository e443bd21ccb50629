"""Hardware: hand-written RTL cores under ``hw/rtl`` and firmware generators."""

from pathlib import Path

from fpgacnn.spec.filelist import read_filelist

#: Folder holding the hand-written SystemVerilog sources and their ``.f`` file lists.
RTL_DIR: Path = Path(__file__).resolve().parent / "rtl"


def rtl_file(name: str) -> Path:
    """Return the path of the hand-written RTL file ``name`` (e.g. ``"fcnn_edge_core.sv"``).

    Raises :class:`FileNotFoundError` naming the folder searched when it does not exist.
    """
    path = RTL_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"RTL source {name!r} not found in {RTL_DIR}")
    return path


def rtl_sources(top: str) -> list[Path]:
    """The sources of hand-written module ``top`` in compile order, from ``hw/rtl/<top>.f``."""
    return read_filelist(RTL_DIR / f"{top}.f")
