"""Boards as data: one JSON file per board in ``boards/defs/``.

A board file names the FPGA part, the Vivado board part, the processing
system (PS) IP, the PS ports used for control (AXI4-Lite master) and for DMA
(high-performance slave), the PL clock, the DMA address width and the PYNQ
image and Vivado versions it targets. Adding a board means adding a file;
:func:`available_boards` discovers them. Every file is validated eagerly with
messages that name the file and the field.

What each PS type offers (ports, clock pins, address windows) is not board
data but a property of the PS IP: it lives in :data:`PS_PROFILES`.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpgacnn.spec.errors import UsageError
from fpgacnn.spec.folding import FoldingError, Resources

#: Where the shipped board files live.
DEFS_DIR = Path(__file__).resolve().parent / "defs"


class BoardError(UsageError):
    """A board file that is missing, unreadable or invalid."""


class PsType(enum.Enum):
    """The processing-system IP of the board's device family."""

    ZYNQ7 = "processing_system7"  # Zynq-7000
    ZYNQMP = "zynq_ultra_ps_e"  # Zynq UltraScale+ MPSoC (incl. Kria K26)


@dataclass(frozen=True, kw_only=True)
class MasterPort:
    """A PS AXI master port for PL peripherals (AXI4-Lite control goes through it)."""

    name: str  # interface pin on the PS cell
    enable: str  # CONFIG.* property that enables the port
    aclk: str  # clock pin of the port on the PS cell
    base: int  # start of the port's address window
    size: int  # size of the window in bytes


@dataclass(frozen=True, kw_only=True)
class SlavePort:
    """A PS AXI slave port through which PL masters (the DMAs) reach DDR."""

    name: str
    enable: str
    aclk: str


@dataclass(frozen=True, kw_only=True)
class PsProfile:
    """Names and numbers of one PS IP, as Vivado's IP integrator knows them."""

    ip: str  # IP name (VLNV ``xilinx.com:ip:<ip>:*``)
    automation_rule: str  # block automation rule applying the board preset
    clock_pins: tuple[str, ...]  # PL clock outputs
    clock_freq_property: tuple[str, ...]  # CONFIG.* requested frequency of each clock (MHz)
    reset_pin: str  # active-low PL reset output (paired with clock 0)
    irq_pin: str  # PL-to-PS interrupt input
    irq_enable: dict[str, str]  # CONFIG.* that enable the interrupt input
    masters: dict[str, MasterPort]
    slaves: dict[str, SlavePort]
    address_bits: int  # width of the PS master address space
    max_dma_address_width: int  # widest DMA address that reaches all of DDR through the slaves


_GIB = 1 << 30
PS_PROFILES: dict[PsType, PsProfile] = {
    PsType.ZYNQ7: PsProfile(
        ip="processing_system7",
        automation_rule="xilinx.com:bd_rule:processing_system7",
        clock_pins=("FCLK_CLK0", "FCLK_CLK1", "FCLK_CLK2", "FCLK_CLK3"),
        clock_freq_property=tuple(f"PCW_FPGA{i}_PERIPHERAL_FREQMHZ" for i in range(4)),
        reset_pin="FCLK_RESET0_N",
        irq_pin="IRQ_F2P",
        irq_enable={"PCW_USE_FABRIC_INTERRUPT": "1", "PCW_IRQ_F2P_INTR": "1"},
        masters={
            "M_AXI_GP0": MasterPort(name="M_AXI_GP0", enable="PCW_USE_M_AXI_GP0",
                                    aclk="M_AXI_GP0_ACLK", base=0x4000_0000, size=_GIB),
            "M_AXI_GP1": MasterPort(name="M_AXI_GP1", enable="PCW_USE_M_AXI_GP1",
                                    aclk="M_AXI_GP1_ACLK", base=0x8000_0000, size=_GIB),
        },
        slaves={f"S_AXI_HP{i}": SlavePort(name=f"S_AXI_HP{i}", enable=f"PCW_USE_S_AXI_HP{i}",
                                          aclk=f"S_AXI_HP{i}_ACLK") for i in range(4)},
        address_bits=32,
        max_dma_address_width=32,
    ),
    PsType.ZYNQMP: PsProfile(
        ip="zynq_ultra_ps_e",
        automation_rule="xilinx.com:bd_rule:zynq_ultra_ps_e",
        clock_pins=("pl_clk0", "pl_clk1", "pl_clk2", "pl_clk3"),
        clock_freq_property=tuple(f"PSU__CRL_APB__PL{i}_REF_CTRL__FREQMHZ" for i in range(4)),
        reset_pin="pl_resetn0",
        irq_pin="pl_ps_irq0",
        irq_enable={"PSU__USE__IRQ0": "1"},
        masters={
            "M_AXI_HPM0_FPD": MasterPort(name="M_AXI_HPM0_FPD", enable="PSU__USE__M_AXI_GP0",
                                         aclk="maxihpm0_fpd_aclk", base=0xA000_0000,
                                         size=256 << 20),
            "M_AXI_HPM1_FPD": MasterPort(name="M_AXI_HPM1_FPD", enable="PSU__USE__M_AXI_GP1",
                                         aclk="maxihpm1_fpd_aclk", base=0xB000_0000,
                                         size=256 << 20),
            "M_AXI_HPM0_LPD": MasterPort(name="M_AXI_HPM0_LPD", enable="PSU__USE__M_AXI_GP2",
                                         aclk="maxihpm0_lpd_aclk", base=0x8000_0000,
                                         size=512 << 20),
        },
        slaves={
            **{f"S_AXI_HPC{i}_FPD": SlavePort(name=f"S_AXI_HPC{i}_FPD",
                                              enable=f"PSU__USE__S_AXI_GP{i}",
                                              aclk=f"saxihpc{i}_fpd_aclk") for i in range(2)},
            **{f"S_AXI_HP{i}_FPD": SlavePort(name=f"S_AXI_HP{i}_FPD",
                                             enable=f"PSU__USE__S_AXI_GP{i + 2}",
                                             aclk=f"saxihp{i}_fpd_aclk") for i in range(4)},
        },
        # HPM0/1_FPD carry 40-bit addresses; the S_AXI_HP*/HPC* slaves take
        # 49-bit addresses, of which DDR uses the 40-bit physical map (DDR_LOW
        # 0x0, DDR_HIGH 0x8_0000_0000): a 64-bit DMA reaches all of it.
        address_bits=40,
        max_dma_address_width=64,
    ),
}

_DMA_WIDTHS = (32, 64)
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "title": str,
    "part": str,
    "board_part": str,
    "ps": str,
    "control_port": str,
    "hp_port": str,
    "pl_clock": dict,
    "dma_address_width": int,
    "pynq_image": str,
    "vivado_versions": list,
    "python": str,
    "numpy": str,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "board_connections": list,
    "board_store": bool,
    "fan": dict,
    "video_io": list,
    "resources": dict,
    "notes": str,
}


@dataclass(frozen=True, kw_only=True)
class PlClock:
    """The PS clock output that clocks the PL design, and its requested frequency."""

    pin: str
    mhz: float

    @property
    def period_ns(self) -> float:
        """Clock period in nanoseconds."""
        return 1000.0 / self.mhz


@dataclass(frozen=True, kw_only=True)
class Fan:
    """A fan whose enable pin the PL must drive (KV260: ``fan_en_b``, active low).

    The PS's TTC0 waveform goes out through EMIO, and bit ``ttc_wave_bit`` of it drives
    ``port`` on package pin ``pin``, as AMD's Kria starter-kit platforms do, so the
    fan is under the OS's control (its PWM) instead of floating.
    """

    port: str
    pin: str
    iostandard: str
    ttc_wave_bit: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON data of the fan."""
        return {"port": self.port, "pin": self.pin, "iostandard": self.iostandard,
                "ttc_wave_bit": self.ttc_wave_bit}


@dataclass(frozen=True, kw_only=True)
class Board:
    """One board: what the generated Vivado build needs to know about it."""

    name: str
    title: str
    part: str
    board_part: str
    ps: PsType
    control_port: str
    hp_port: str
    pl_clock: PlClock
    dma_address_width: int
    #: the PYNQ image the board runs (its Python, numpy bound and the Vivado the build
    #: scripts accept go with it: one place, read by the scripts, the README and the
    #: package manifest's ``image``)
    pynq_image: str
    vivado_versions: tuple[str, ...]
    python: str
    numpy: str
    board_connections: tuple[str, ...] = ()
    #: the board files come from the Xilinx Board Store, not from Vivado's own install
    board_store: bool = False
    fan: Fan | None = None
    video_io: tuple[str, ...] = ()
    notes: str = ""
    #: the part's LUT/FF/LUTRAM/BRAM36/DSP (the folding solver's budget); None if not given
    resources: Resources | None = None
    source: Path | None = field(default=None, compare=False)

    @property
    def profile(self) -> PsProfile:
        """The PS IP's ports, pins and windows."""
        return PS_PROFILES[self.ps]

    @property
    def master(self) -> MasterPort:
        """The PS master port carrying AXI4-Lite control."""
        return self.profile.masters[self.control_port]

    @property
    def slave(self) -> SlavePort:
        """The PS slave port the DMAs write and read DDR through."""
        return self.profile.slaves[self.hp_port]

    @property
    def clock_index(self) -> int:
        """Index of :attr:`pl_clock` among the PS clock outputs."""
        return self.profile.clock_pins.index(self.pl_clock.pin)

    @property
    def image(self) -> dict[str, str]:
        """The board's software image as the package manifest records it (``image``)."""
        return {"pynq": self.pynq_image, "python": self.python, "numpy": self.numpy,
                "vivado": self.vivado_versions[0]}

    @property
    def carrier_boards(self) -> tuple[str, ...]:
        """The board VLNVs (``vendor:board:version``) of the :attr:`board_connections`."""
        out = []
        for conn in self.board_connections:
            vendor, board, _, version = conn.split()[1].split(":")
            out.append(f"{vendor}:{board}:{version}")
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The board as the JSON data it was read from (plus nothing derived)."""
        d: dict[str, Any] = {
            "name": self.name, "title": self.title, "part": self.part,
            "board_part": self.board_part, "ps": self.ps.value,
            "control_port": self.control_port, "hp_port": self.hp_port,
            "pl_clock": {"pin": self.pl_clock.pin, "mhz": self.pl_clock.mhz},
            "dma_address_width": self.dma_address_width, "pynq_image": self.pynq_image,
            "vivado_versions": list(self.vivado_versions),
            "python": self.python, "numpy": self.numpy,
            "board_connections": list(self.board_connections),
            "video_io": list(self.video_io), "notes": self.notes,
        }
        if self.board_store:
            d["board_store"] = True
        if self.fan is not None:
            d["fan"] = self.fan.to_dict()
        if self.resources is not None:
            d["resources"] = self.resources.to_json()
        return d


def _type_name(t: type | tuple[type, ...]) -> str:
    return {str: "a string", int: "an integer", dict: "an object", list: "a list",
            bool: "true or false"}.get(
        t if isinstance(t, type) else t[0], str(t))


def board_from_dict(data: Any, *, source: str = "<data>") -> Board:
    """Validate board data (the parsed JSON of a board file) and return the :class:`Board`.

    Raises :class:`BoardError` naming ``source`` and the first problem found.
    """
    if not isinstance(data, dict):
        raise BoardError(f"{source}: a board file holds a JSON object")
    for key in _REQUIRED:
        if key not in data:
            raise BoardError(f"{source}: missing field '{key}'")
    for key, typ in {**_REQUIRED, **_OPTIONAL}.items():
        if key in data and (not isinstance(data[key], typ)
                            or (typ is not bool and isinstance(data[key], bool))):
            raise BoardError(f"{source}: field '{key}' must be {_type_name(typ)}")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise BoardError(f"{source}: unknown field '{unknown[0]}'")
    try:
        ps = PsType(data["ps"])
    except ValueError:
        raise BoardError(
            f"{source}: unknown PS type '{data['ps']}' (expected one of: "
            f"{', '.join(p.value for p in PsType)})") from None
    prof = PS_PROFILES[ps]
    if data["control_port"] not in prof.masters:
        raise BoardError(f"{source}: control_port '{data['control_port']}' is not a master port "
                         f"of {ps.value} (expected one of: {', '.join(prof.masters)})")
    if data["hp_port"] not in prof.slaves:
        raise BoardError(f"{source}: hp_port '{data['hp_port']}' is not a slave port of "
                         f"{ps.value} (expected one of: {', '.join(prof.slaves)})")
    clk = data["pl_clock"]
    if set(clk) != {"pin", "mhz"}:
        raise BoardError(f"{source}: pl_clock must have exactly the fields 'pin' and 'mhz'")
    if clk["pin"] not in prof.clock_pins:
        raise BoardError(f"{source}: pl_clock pin '{clk['pin']}' is not a clock output of "
                         f"{ps.value} (expected one of: {', '.join(prof.clock_pins)})")
    mhz = clk["mhz"]
    if isinstance(mhz, bool) or not isinstance(mhz, (int, float)) or not 10 <= mhz <= 500:
        raise BoardError(f"{source}: pl_clock mhz must be a number from 10 to 500, got {mhz!r}")
    width = data["dma_address_width"]
    if width not in _DMA_WIDTHS:
        raise BoardError(f"{source}: dma_address_width must be 32 or 64, got {width}")
    if width > prof.max_dma_address_width:
        raise BoardError(f"{source}: dma_address_width {width} exceeds the "
                         f"{prof.max_dma_address_width}-bit address space of {ps.value}")
    for key in ("vivado_versions", "board_connections", "video_io"):
        if not all(isinstance(v, str) for v in data.get(key, [])):
            raise BoardError(f"{source}: field '{key}' must be a list of strings")
    if not data["vivado_versions"]:
        raise BoardError(f"{source}: field 'vivado_versions' must name at least one version")
    for v in data["vivado_versions"]:
        if not re.fullmatch(r"20\d\d\.\d", v):
            raise BoardError(f"{source}: vivado_versions must be like '2024.1', got {v!r}")
    if not re.fullmatch(r"3\.\d+", data["python"]):
        raise BoardError(f"{source}: python must be the image's Python like '3.10', "
                         f"got {data['python']!r}")
    if not re.fullmatch(r"(<|<=|>=|==|~=)\d+(\.\d+)*(,(<|<=|>=)\d+(\.\d+)*)*",
                        data["numpy"]):
        raise BoardError(f"{source}: numpy must be a version bound like '<2', "
                         f"got {data['numpy']!r}")
    for conn in data.get("board_connections", []):
        if not re.fullmatch(r"\S+ [^:\s]+:[^:\s]+:[^:\s]+:[^:\s]+", conn):
            raise BoardError(f"{source}: a board connection is 'CONNECTOR vendor:board:"
                             f"component:version', got {conn!r}")
    fan = None
    if "fan" in data:
        f = data["fan"]
        keys = {"port", "pin", "iostandard", "ttc_wave_bit"}
        if set(f) != keys or not all(isinstance(f[k], str) for k in keys - {"ttc_wave_bit"}) \
                or f["ttc_wave_bit"] not in (0, 1, 2) or isinstance(f["ttc_wave_bit"], bool):
            raise BoardError(f"{source}: fan must have the string fields 'port', 'pin', "
                             f"'iostandard' and 'ttc_wave_bit' 0..2, got {f!r}")
        if ps is not PsType.ZYNQMP:
            raise BoardError(f"{source}: fan: a TTC waveform on EMIO needs zynq_ultra_ps_e")
        fan = Fan(port=f["port"], pin=f["pin"], iostandard=f["iostandard"],
                  ttc_wave_bit=f["ttc_wave_bit"])
    resources = None
    if "resources" in data:
        try:
            resources = Resources.from_json(data["resources"], source=f"{source}: resources")
        except FoldingError as exc:
            raise BoardError(str(exc)) from None
    return Board(
        name=data["name"], title=data["title"], part=data["part"],
        board_part=data["board_part"], ps=ps, control_port=data["control_port"],
        hp_port=data["hp_port"], pl_clock=PlClock(pin=clk["pin"], mhz=float(mhz)),
        dma_address_width=width, pynq_image=data["pynq_image"],
        vivado_versions=tuple(data["vivado_versions"]),
        python=data["python"], numpy=data["numpy"],
        board_connections=tuple(data.get("board_connections", ())),
        board_store=data.get("board_store", False), fan=fan,
        video_io=tuple(data.get("video_io", ())), notes=data.get("notes", ""),
        resources=resources,
    )


def load_board_file(path: Path) -> Board:
    """Read and validate one board file; its ``name`` must equal the file's stem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise BoardError(f"{path.name}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise BoardError(f"{path.name}: invalid JSON: {exc.msg} at line {exc.lineno}") from None
    board = board_from_dict(data, source=path.name)
    if board.name != path.stem:
        raise BoardError(f"{path.name}: name '{board.name}' differs from the file name "
                         f"'{path.stem}'")
    return Board(**{**board.__dict__, "source": path})


def available_boards(defs_dir: Path = DEFS_DIR) -> list[str]:
    """Names of the board files in ``defs_dir`` (one ``<name>.json`` per board), sorted."""
    return sorted(p.stem for p in Path(defs_dir).glob("*.json"))


def load_board(name: str, defs_dir: Path = DEFS_DIR) -> Board:
    """Load the board called ``name`` from ``defs_dir``."""
    path = Path(defs_dir) / f"{name}.json"
    if not path.is_file():
        raise BoardError(f"unknown board '{name}' (available: "
                         f"{', '.join(available_boards(defs_dir))})")
    return load_board_file(path)


#: Marker lines around the generated table of images in boards/README.md.
IMAGES_BEGIN = "<!-- board-images: generated from boards/defs; do not edit by hand -->"
IMAGES_END = "<!-- /board-images -->"


def images_table(boards: list[Board]) -> str:
    """The Markdown table of each board's PYNQ image, Python, numpy bound and Vivado, as
    boards/README.md shows it between :data:`IMAGES_BEGIN` and :data:`IMAGES_END`."""
    rows = ["| board | PYNQ image | Python | numpy | Vivado / Vitis HLS | board files |",
            "|---|---|---|---|---|---|"]
    for b in boards:
        files = "Xilinx Board Store" if b.board_store else "Vivado or vendor (below)"
        rows.append(f"| {b.title} (`{b.name}`) | {b.pynq_image} | {b.python} | {b.numpy} | "
                    f"{', '.join(b.vivado_versions)} | {files} |")
    return "\n".join(rows) + "\n"


def load_all_boards(defs_dir: Path = DEFS_DIR) -> list[Board]:
    """Load and validate every board file in ``defs_dir``."""
    return [load_board_file(Path(defs_dir) / f"{n}.json") for n in available_boards(defs_dir)]
