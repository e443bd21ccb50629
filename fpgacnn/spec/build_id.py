"""The build-id register block: how a bitstream says which build it came from (stdlib only).

``hw/rtl/fcnn_build_id.sv`` is a read-only AXI4-Lite block that a board build puts
on the PS's control bus, in an address segment of its own (so PYNQ's
``Overlay.ip_dict`` lists it), with the build tree's 64-bit hardware id as its two
32-bit parameters ``BUILD_ID_LO``/``BUILD_ID_HI``. The board package's manifest
(``manifest.hardware``, :func:`hardware_record`) names the same id, the block's cell
and base address; the ``pynq`` backend reads ``CORE_ID`` and the two id words at
open (:func:`check_build_id`) and refuses a bitstream whose id differs. Simulation
packages have no such block and no ``hardware`` record.

The hardware id is not the package's ``build_id``: that one hashes every file of the
package, the bitstream included, so the bitstream cannot contain it. The hardware id
hashes everything that decides the bitstream (configuration, board data, HDL/HLS
sources, templates; ``fpgacnn.boards.design.hardware_id``) and is fixed when the build
tree is generated; the manifest carries it, and the package's ``build_id`` covers the
manifest, so the chain package -> hardware id -> bitstream holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .cores import Access, Field, Register, RegisterMap
from .errors import OverlayError

#: The RTL module (``hw/rtl/fcnn_build_id.sv``, file list ``fcnn_build_id.f``).
BUILD_ID_TOP = "fcnn_build_id"
#: VLNV of the packaged build-id IP.
BUILD_ID_VLNV = f"fpgacnn:fpgacnn:{BUILD_ID_TOP}:1.0"
#: Cell name of the block in the generated block design (its key in ``ip_dict``).
BUILD_ID_CELL = "build_id"
#: CORE_ID register value: ASCII "BLID" (0x424C4944).
BUILD_ID_CORE_ID = int.from_bytes(b"BLID", "big")
#: VERSION register value: 1.0.0 (major 31:16, minor 15:8, patch 7:0).
BUILD_ID_VERSION = 0x0001_0000
#: Hex digits of a hardware id (64 bits).
HARDWARE_ID_DIGITS = 16

#: ``fcnn_build_id``'s register block (8-bit byte addresses, 32-bit data, read only;
#: writes are answered SLVERR).
BUILD_ID_MAP = RegisterMap(
    core=BUILD_ID_TOP, addr_bits=8,
    registers=(
        Register("CORE_ID", 0x00, Access.RO, BUILD_ID_CORE_ID, 'ASCII "BLID"'),
        Register("VERSION", 0x04, Access.RO, BUILD_ID_VERSION,
                 "bits 31:16 `MAJOR`, 15:8 `MINOR`, 7:0 `PATCH` (0x00010000 is 1.0.0)",
                 (Field("PATCH", 0, 8), Field("MINOR", 8, 8), Field("MAJOR", 16, 16))),
        Register("BUILD_ID_LO", 0x08, Access.RO, "BUILD_ID_LO",
                 "bits 31:0 of the 64-bit hardware build id"),
        Register("BUILD_ID_HI", 0x0C, Access.RO, "BUILD_ID_HI",
                 "bits 63:32 of the 64-bit hardware build id"),
    ),
)


def check_hardware_id(hw_id: str) -> str:
    """``hw_id`` if it is 16 lower-case hex digits; :class:`ValueError` otherwise."""
    if not (isinstance(hw_id, str) and len(hw_id) == HARDWARE_ID_DIGITS
            and all(ch in "0123456789abcdef" for ch in hw_id)):
        raise ValueError(f"a hardware id is {HARDWARE_ID_DIGITS} lower-case hex digits, "
                         f"got {hw_id!r}")
    return hw_id


def id_words(hw_id: str) -> tuple[int, int]:
    """The hardware id as its (BUILD_ID_LO, BUILD_ID_HI) register values."""
    value = int(check_hardware_id(hw_id), 16)
    return value & 0xFFFF_FFFF, value >> 32


def id_params(hw_id: str) -> dict[str, int]:
    """The HDL parameters of ``fcnn_build_id`` reporting ``hw_id``."""
    lo, hi = id_words(hw_id)
    return {"BUILD_ID_LO": lo, "BUILD_ID_HI": hi}


def hardware_id_of(lo: int, hi: int) -> str:
    """The hardware id (16 hex digits) the two id registers report."""
    return f"{int(hi) & 0xFFFF_FFFF:08x}{int(lo) & 0xFFFF_FFFF:08x}"


def hardware_record(hw_id: str, base_address: int) -> dict[str, Any]:
    """``manifest.hardware`` of a board package whose build-id block is at ``base_address``."""
    return {"id": check_hardware_id(hw_id), "ip": BUILD_ID_CELL, "base_address": base_address,
            "low_offset": BUILD_ID_MAP["BUILD_ID_LO"].offset,
            "high_offset": BUILD_ID_MAP["BUILD_ID_HI"].offset}


def check_build_id(read: Callable[[int], int], hardware: Mapping[str, Any]) -> None:
    """Read the block through ``read(offset)`` and check it against ``manifest.hardware``.

    Raises :class:`~fpgacnn.spec.errors.OverlayError` naming expected and found when
    the block's ``CORE_ID`` is not ``fcnn_build_id``'s or the id differs.
    """
    core_id = int(read(BUILD_ID_MAP["CORE_ID"].offset))
    if core_id != BUILD_ID_CORE_ID:
        raise OverlayError(f"{hardware['ip']} CORE_ID reads 0x{core_id:08X}, expected "
                           f"0x{BUILD_ID_CORE_ID:08X} (fcnn_build_id): the bitstream has no "
                           "fpgacnn build-id block there")
    found = hardware_id_of(read(hardware["low_offset"]), read(hardware["high_offset"]))
    if found != hardware["id"]:
        raise OverlayError(f"the loaded bitstream reports hardware id {found}, the package "
                           f"expects {hardware['id']}: the bitstream is not the one the "
                           "package describes")


__all__ = [
    "BUILD_ID_CELL",
    "BUILD_ID_CORE_ID",
    "BUILD_ID_MAP",
    "BUILD_ID_TOP",
    "BUILD_ID_VERSION",
    "BUILD_ID_VLNV",
    "HARDWARE_ID_DIGITS",
    "check_build_id",
    "check_hardware_id",
    "hardware_id_of",
    "hardware_record",
    "id_params",
    "id_words",
]
