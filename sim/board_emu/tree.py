"""What the emulated board reads from a generated build tree (``fpgacnn build`` output).

Everything comes from the files the tree holds, never from a second copy of the
decisions: the block design is read from ``scripts/block_design.tcl`` (the cells and
their VLNVs, every ``CONFIG.*`` property, the AXI4-Stream connections, the address
assignments), the build's inputs from ``build_config.json``. What Vivado resolves at
build time is filled in as Vivado 2024.1 resolves it: ``[fcnn_ip NAME]`` (the newest
catalog version, scripts/build.tcl) becomes the version in :data:`CATALOG`.

:func:`ip_dict` derives ``Overlay.ip_dict`` as PYNQ does from the ``.hwh``
(``pynq/metadata/ip_dict_view.py``, ``IpDictView.view``, PYNQ v3.0.1 and v3.1):
one entry per IP whose slave interface has an address segment on the processing
system's address map (``phys_addr``, ``addr_range``, ``type`` = VLNV, ``parameters``,
``registers``, ``interrupts``, ...), plus one entry for the processing system
itself. A core with only AXI4-Stream ports (the classifier) has no segment and is
not in it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpgacnn.spec.errors import ArtifactError

#: Vivado 2024.1's IP catalog versions of the Xilinx IP the templates instantiate with
#: ``[fcnn_ip NAME]`` (PYNQ's DMA driver binds to ``xilinx.com:ip:axi_dma:7.1``:
#: ``pynq/lib/dma.py`` ``DMA.bindto``, v3.0.1 and v3.1).
CATALOG = {
    "axi_dma": "7.1", "processing_system7": "5.5", "zynq_ultra_ps_e": "3.5",
    "axis_subset_converter": "1.1", "smartconnect": "1.0", "proc_sys_reset": "5.0",
    "xlconcat": "2.1", "axi_intc": "4.1", "xlslice": "1.0", "xlconstant": "1.1",
    "util_vector_logic": "2.0",
}
#: The generated block design and the build's inputs, relative to the tree.
BLOCK_DESIGN = Path("scripts") / "block_design.tcl"
CONFIG_FILE = "build_config.json"


class BuildTreeError(ArtifactError):
    """A folder that is not a build tree the emulation can read (the message says why)."""


@dataclass(frozen=True)
class Cell:
    """One block-design cell: its name, VLNV and ``CONFIG.*`` properties (as text)."""

    name: str
    vlnv: str
    config: dict[str, str] = field(default_factory=dict)

    def int(self, key: str, default: int | None = None) -> int:
        """``CONFIG.<key>`` as an int (decimal or 0x hex)."""
        if key not in self.config:
            if default is None:
                raise BuildTreeError(f"cell {self.name} sets no CONFIG.{key} in {BLOCK_DESIGN}")
            return default
        return int(self.config[key], 0)


@dataclass(frozen=True)
class AddressSegment:
    """An ``assign_bd_address`` of the PS's data address space."""

    cell: str
    interface: str
    block: str
    offset: int
    range: int


#: IP that change each beat of a stream and keep no state, by IP name: (input, output)
#: interface pin. Streams are followed through them (:meth:`BlockDesign.follow`).
STREAM_STAGES = {"axis_subset_converter": ("S_AXIS", "M_AXIS"),
                 "fcnn_rgb2gray": ("s_axis", "m_axis")}


@dataclass(frozen=True)
class BlockDesign:
    """The block design of a build tree, as its Tcl states it."""

    cells: dict[str, Cell]
    #: AXI4-Stream / AXI connections: source ``cell/pin`` -> destination ``cell/pin``
    links: dict[str, str]
    #: nets between two pins (``connect_bd_net``), both directions: pin -> pins
    nets: dict[str, list[str]]
    segments: tuple[AddressSegment, ...]

    def cell(self, name: str) -> Cell:
        """The cell ``name`` (:class:`BuildTreeError` if the design has none)."""
        if name not in self.cells:
            raise BuildTreeError(f"{BLOCK_DESIGN} creates no cell {name!r}")
        return self.cells[name]

    def cells_of(self, ip_name: str) -> list[Cell]:
        """Cells whose VLNV names the IP ``ip_name`` (vendor:library:NAME:version)."""
        return [c for c in self.cells.values() if c.vlnv.split(":")[2] == ip_name]

    def follow(self, pin: str) -> tuple[str, list[Cell]]:
        """Where the stream leaving ``pin`` ends: ``(cell/pin, [stream stages passed])``
        (the per-beat stages of :data:`STREAM_STAGES`: subset converters, colour to gray)."""
        pads: list[Cell] = []
        while True:
            if pin not in self.links:
                raise BuildTreeError(f"{BLOCK_DESIGN} connects {pin} to nothing")
            dst = self.links[pin]
            cell = self.cells.get(dst.split("/")[0])
            if cell is None or cell.vlnv.split(":")[2] not in STREAM_STAGES:
                return dst, pads
            pads.append(cell)
            pin = f"{cell.name}/{STREAM_STAGES[cell.vlnv.split(':')[2]][1]}"

    def toward(self, pin: str) -> tuple[str, list[Cell]]:
        """Where the stream arriving at ``pin`` comes from (the inverse of :meth:`follow`)."""
        back = {v: k for k, v in self.links.items()}
        pads: list[Cell] = []
        while True:
            if pin not in back:
                raise BuildTreeError(f"{BLOCK_DESIGN} connects nothing to {pin}")
            src = back[pin]
            cell = self.cells.get(src.split("/")[0])
            if cell is None or cell.vlnv.split(":")[2] not in STREAM_STAGES:
                return src, pads[::-1]
            pads.append(cell)
            pin = f"{cell.name}/{STREAM_STAGES[cell.vlnv.split(':')[2]][0]}"


_CELL = re.compile(r"create_bd_cell -type ip -vlnv (\[fcnn_ip (\w+)\]|(\S+)) (\w+)")
_SETVAR = re.compile(r"set (\w+) \[create_bd_cell [^\n]* (\w+)\]")
_PROPS = re.compile(r"set_property -dict \[list (.*?)\] (\$\w+|\[get_bd_cells (\w+)\])", re.S)
_PROP1 = re.compile(r"set_property (CONFIG\.\w+) \{([^}]*)\} (\$\w+|\[get_bd_cells (\w+)\])")
_KV = re.compile(r"CONFIG\.(\w+) \{([^}]*)\}")
_LINK = re.compile(r"connect_bd_intf_net \[get_bd_intf_pins (\S+)\] \[get_bd_intf_pins (\S+)\]")
_NET = re.compile(r"connect_bd_net \[get_bd_pins (\S+)\] \[get_bd_pins (\S+)\]")
_ADDR = re.compile(r"assign_bd_address -offset (0x[0-9A-Fa-f]+) -range (0x[0-9A-Fa-f]+)"
                   r".*?\[get_bd_addr_segs (\w+)/(\w+)/(\w+)\]", re.S)


def _vlnv(catalog_name: str | None, literal: str | None) -> str:
    if literal:
        return literal
    assert catalog_name is not None
    # an IP of unknown version is refused only if PYNQ would list it (ip_dict)
    return f"xilinx.com:ip:{catalog_name}:{CATALOG.get(catalog_name, '?')}"


def read_block_design(tree: Path) -> BlockDesign:
    """Parse ``scripts/block_design.tcl`` of the build tree ``tree``."""
    path = Path(tree) / BLOCK_DESIGN
    if not path.is_file():
        raise BuildTreeError(f"{path} is missing: {tree} is not a tree written by fpgacnn build")
    text = path.read_text().replace("\\\n", " ")
    cells: dict[str, Cell] = {}
    for m in _CELL.finditer(text):
        cells[m.group(4)] = Cell(m.group(4), _vlnv(m.group(2), m.group(3)))
    var = {m.group(1): m.group(2) for m in _SETVAR.finditer(text)}

    def target(ref: str, name: str | None) -> Cell:
        cell_name = name if name else var.get(ref.lstrip("$"), "")
        if cell_name not in cells:
            raise BuildTreeError(f"{path}: properties set on {ref}, which is no cell")
        return cells[cell_name]

    for m in _PROPS.finditer(text):
        target(m.group(2), m.group(3)).config.update(dict(_KV.findall(m.group(1))))
    for m in _PROP1.finditer(text):
        target(m.group(3), m.group(4)).config[m.group(1).removeprefix("CONFIG.")] = m.group(2)
    links = {m.group(1): m.group(2) for m in _LINK.finditer(text)}
    nets: dict[str, list[str]] = {}
    for m in _NET.finditer(text):
        nets.setdefault(m.group(1), []).append(m.group(2))
        nets.setdefault(m.group(2), []).append(m.group(1))
    segments = tuple(AddressSegment(cell=m.group(3), interface=m.group(4), block=m.group(5),
                                    offset=int(m.group(1), 16), range=int(m.group(2), 16))
                     for m in _ADDR.finditer(text))
    if not segments:
        raise BuildTreeError(f"{path} assigns no addresses")
    return BlockDesign(cells=cells, links=links, nets=nets, segments=segments)


def read_config(tree: Path) -> dict[str, Any]:
    """The build's inputs (``build_config.json``) as written by ``fpgacnn build``."""
    path = Path(tree) / CONFIG_FILE
    if not path.is_file():
        raise BuildTreeError(f"{path} is missing: {tree} is not a tree written by fpgacnn build")
    try:
        data = json.loads(path.read_text())
        for key in ("board", "model", "model_dir", "core_flow", "edge_ppc"):
            data[key]
    except (ValueError, KeyError) as exc:
        raise BuildTreeError(f"{path} is not a build configuration ({exc!r})") from None
    return data


def _interrupts(design: BlockDesign, cell: str, intcs: set[str]) -> dict[str, Any]:
    """The interrupt pins of ``cell`` wired to an ``axi_intc`` through an ``xlconcat``."""
    out: dict[str, Any] = {}
    for pin in ("mm2s_introut", "s2mm_introut", "interrupt"):
        for dst in design.nets.get(f"{cell}/{pin}", []):
            concat, _, port = dst.partition("/")
            m = re.fullmatch(r"In(\d+)", port)
            if m is None or design.cells.get(concat) is None:
                continue
            for ctl in design.nets.get(f"{concat}/dout", []):
                if ctl.split("/")[0] in intcs:
                    out[pin] = {"controller": ctl.split("/")[0], "index": int(m.group(1)),
                                "fullpath": f"{cell}/{pin}"}
    return out


def ip_dict(design: BlockDesign) -> dict[str, dict[str, Any]]:
    """``Overlay.ip_dict`` as PYNQ derives it from this design's ``.hwh``.

    Only cells with an address segment on the PS's map (``IpDictView.view`` walks the
    PS's manager ports' address maps); ``parameters`` are the cell's CONFIG values
    (strings, as in the ``.hwh``); ``interrupts`` are recorded only for IP behind an
    ``axi_intc`` (PYNQ 3.x resolves interrupt indices through the controller), so a DMA
    whose interrupts go straight to the PS has none; ``registers`` are those the IP
    declares in its package (the fpgacnn IP declare none, so none).
    """
    intcs = {c.name for c in design.cells_of("axi_intc")}
    out: dict[str, dict[str, Any]] = {}
    for seg in design.segments:
        cell = design.cell(seg.cell)
        if cell.vlnv.endswith(":?"):
            raise BuildTreeError(f"{BLOCK_DESIGN} maps {cell.vlnv.rsplit(':', 1)[0]}, whose "
                                 "catalog version the emulation does not know (tree.CATALOG)")
        params = dict(cell.config)
        if cell.vlnv.split(":")[2] == "axi_dma":
            # the .hwh lists every parameter with its value; the channel defaults matter
            params.setdefault("c_include_mm2s", "1")
            params.setdefault("c_include_s2mm", "1")
            params.setdefault("c_micro_dma", "0")
        interrupts = _interrupts(design, cell.name, intcs)
        out[cell.name] = {
            "type": cell.vlnv, "mem_id": seg.interface, "memtype": "REGISTER", "gpio": {},
            "interrupts": interrupts, "parameters": params, "registers": {},
            "driver": None, "device": None, "state": None, "bdtype": None,
            "phys_addr": seg.offset, "addr_range": seg.range, "fullpath": cell.name,
        }
    ps = next((c for c in design.cells.values()
               if c.vlnv.split(":")[2] in ("processing_system7", "zynq_ultra_ps_e")), None)
    if ps is None:
        raise BuildTreeError(f"{BLOCK_DESIGN} has no processing system")
    out[ps.name] = {"type": ps.vlnv, "gpio": {}, "interrupts": {},
                    "parameters": dict(ps.config), "driver": None, "device": None}
    return out
