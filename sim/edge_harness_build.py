"""Build the C++ frame harness of ``fcnn_edge_core`` into a shared library.

One library per parameter set (PPC, MAX_WIDTH, MAX_HEIGHT), under
``<harness root>/<key>/`` (:func:`fpgacnn.sim.verilator_build.harness_root`: an
explicit build root, ``$FPGACNN_SIM_BUILD/harness`` or the user cache), built by
the shared :class:`~fpgacnn.sim.verilator_build.HarnessLibrary`: Verilator compiles
the RTL of the core's file list ``hw/rtl/fcnn_edge_core.f`` (position-independent,
``-O3``, no tracing, no assertions, ``--x-initial unique`` so the harness picks
zero or seeded random initial values for state the RTL does not reset), and g++
links it with ``sim/harness/edge_harness.cpp`` into ``libedge_harness_<hash>.so``,
whose only exported symbols are the ``eh_*`` C functions. The register offsets
the C++ uses are the contracts layer's map
(:data:`fpgacnn.spec.cores.EDGE_REGISTERS`), passed as ``-DEH_REG_<NAME>``.

The hash covers the RTL sources, the harness sources, the parameters, the
defines, the tool flags and the Verilator installation, so a library is rebuilt
exactly when one of them changed; builds are serialised with a file lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from fpgacnn.spec.cores import EDGE_REGISTERS
from fpgacnn.spec.edge import (
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    SUPPORTED_PPC,
    EdgeConfigError,
)

from .verilator_build import HarnessBuildError, HarnessLibrary, harness_root

#: The C++ harness source.
HARNESS_SOURCE: Path = Path(__file__).resolve().parent / "harness" / "edge_harness.cpp"
#: Top-level module.
TOPLEVEL = "fcnn_edge_core"


@dataclass(frozen=True)
class HarnessParams:
    """HDL parameters of one harness build; validated on construction."""

    ppc: int = 1
    max_width: int = 1920
    max_height: int = 1080

    def __post_init__(self) -> None:
        if isinstance(self.ppc, bool) or self.ppc not in SUPPORTED_PPC:
            raise EdgeConfigError(f"expected ppc in {SUPPORTED_PPC}, got {self.ppc!r}")
        for name, largest in (("max_width", MAX_FRAME_WIDTH), ("max_height", MAX_FRAME_HEIGHT)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EdgeConfigError(f"expected an integer {name}, got {type(value).__name__}")
            if not 1 <= value <= largest:
                raise EdgeConfigError(f"expected {name} in 1..{largest}, got {value}")

    @property
    def key(self) -> str:
        """Folder name of this build, e.g. ``PPC1_W640_H480``."""
        return f"PPC{self.ppc}_W{self.max_width}_H{self.max_height}"

    def hdl_parameters(self) -> dict[str, int]:
        """The Verilog parameter overrides (``-G``)."""
        return {"PPC": self.ppc, "MAX_WIDTH": self.max_width, "MAX_HEIGHT": self.max_height}

    def defines(self) -> dict[str, str]:
        """The harness's ``-D`` defines: pixels per clock and the register offsets."""
        return {"EH_PPC": str(self.ppc),
                **{f"EH_REG_{name}": f"0x{off:02X}" for name, off in EDGE_REGISTERS.items()}}


def default_sources() -> list[Path]:
    """The RTL files of ``fcnn_edge_core``, from its file list ``hw/rtl/fcnn_edge_core.f``."""
    from fpgacnn.hw import rtl_sources

    return rtl_sources(TOPLEVEL)


def harness_dir(params: HarnessParams, build_root: Path | None = None) -> Path:
    """Return the build folder of ``params``."""
    return harness_root(build_root) / params.key


def _library(params: HarnessParams, sources: Sequence[Path] | None) -> HarnessLibrary:
    srcs = sources if sources is not None else default_sources()
    return HarnessLibrary(top=TOPLEVEL, sources=tuple(Path(s).resolve() for s in srcs),
                          harness=HARNESS_SOURCE, defines=params.defines(),
                          parameters=params.hdl_parameters())


def library_path(
    params: HarnessParams,
    *,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
) -> Path:
    """Return where the library of ``params`` and ``sources`` is (or will be) built."""
    return _library(params, sources).path(harness_dir(params, build_root))


def is_built(
    params: HarnessParams,
    *,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
) -> bool:
    """Return whether :func:`build_harness` would find an up-to-date library (no build)."""
    return library_path(params, sources=sources, build_root=build_root).is_file()


def build_harness(
    params: HarnessParams,
    *,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
    jobs: int = 2,
) -> Path:
    """Build (if needed) the harness library for ``params``; return the ``.so`` path.

    ``sources`` defaults to :func:`default_sources`. ``jobs`` bounds the parallel
    compile jobs. Raises :class:`HarnessBuildError` when a tool fails.
    """
    return _library(params, sources).build(harness_dir(params, build_root), jobs=jobs,
                                           record={"params": asdict(params)})


__all__ = [
    "HARNESS_SOURCE",
    "TOPLEVEL",
    "HarnessBuildError",
    "HarnessParams",
    "build_harness",
    "default_sources",
    "harness_dir",
    "is_built",
    "library_path",
]
