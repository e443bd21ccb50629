"""Build the C++ frame harness of ``fcnn_edge_core`` into a shared library.

One library per parameter set (PPC, MAX_WIDTH, MAX_HEIGHT), under
``<harness root>/<key>/`` (:func:`fpgacnn.sim.verilator_build.harness_root`:
``$FPGACNN_SIM_BUILD/harness`` or the user cache), built by the shared
:func:`~fpgacnn.sim.verilator_build.build_harness_library`:

1. ``verilator --cc --build`` compiles the RTL (its file list
   ``hw/rtl/fcnn_edge_core.f``) into ``libVfcnn_edge_core.a`` and
   ``libverilated.a`` (position-independent, ``-O3``, no tracing, no assertions,
   ``--x-assign fast``; ``--x-initial unique``, so the harness picks zero or seeded
   random initial values for state the RTL does not reset);
2. ``g++ -shared`` links ``sim/harness/edge_harness.cpp`` (on the shared
   ``fcnn_harness.h``) with both archives into ``libedge_harness_<hash>.so``, whose
   only exported symbols are the ``eh_*`` C functions. The register offsets it
   uses come from the contracts layer's map as ``-DEH_REG_<NAME>`` defines.

The hash covers the RTL sources, the harness sources, the parameters, the
defines, the tool flags and the Verilator installation, so a library is rebuilt
exactly when one of them changed. Builds are serialised with a file lock, so
pytest-xdist workers sharing a parameter set compile it once.
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

from .verilator_build import (
    HARNESS_HEADER,
    HarnessBuildError,
    build_harness_library,
    digest,
    harness_root,
)

#: The C++ harness source.
HARNESS_SOURCE: Path = Path(__file__).resolve().parent / "harness" / "edge_harness.cpp"
#: Top-level module.
TOPLEVEL = "fcnn_edge_core"
#: Largest MAX_WIDTH / MAX_HEIGHT the RTL elaborates (the contracts layer's limits).
MAX_DIMENSION: dict[str, int] = {"max_width": MAX_FRAME_WIDTH, "max_height": MAX_FRAME_HEIGHT}


@dataclass(frozen=True)
class HarnessParams:
    """HDL parameters of one harness build; validated on construction."""

    ppc: int = 1
    max_width: int = 1920
    max_height: int = 1080

    def __post_init__(self) -> None:
        if isinstance(self.ppc, bool) or self.ppc not in SUPPORTED_PPC:
            raise EdgeConfigError(f"expected ppc in {SUPPORTED_PPC}, got {self.ppc!r}")
        for name in ("max_width", "max_height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise EdgeConfigError(f"expected an integer {name}, got {type(value).__name__}")
            if not 1 <= value <= MAX_DIMENSION[name]:
                raise EdgeConfigError(f"expected {name} in 1..{MAX_DIMENSION[name]}, got {value}")

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


def _sources(sources: Sequence[Path] | None) -> list[Path]:
    return [Path(s).resolve() for s in (sources if sources is not None else default_sources())]


def library_path(
    params: HarnessParams,
    *,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
) -> Path:
    """Return where the library of ``params`` and ``sources`` is (or will be) built."""
    key = digest([HARNESS_SOURCE, HARNESS_HEADER, *_sources(sources)],
                 extra=[params.defines(), params.hdl_parameters(), TOPLEVEL])
    return harness_dir(params, build_root) / f"libedge_harness_{key}.so"


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
    return build_harness_library(
        top=TOPLEVEL, sources=_sources(sources), harness_source=HARNESS_SOURCE,
        folder=harness_dir(params, build_root), stem="edge_harness",
        defines=params.defines(), hdl_parameters=params.hdl_parameters(),
        record={"params": asdict(params)}, jobs=jobs)


__all__ = [
    "HARNESS_SOURCE",
    "MAX_DIMENSION",
    "TOPLEVEL",
    "HarnessBuildError",
    "HarnessParams",
    "build_harness",
    "default_sources",
    "harness_dir",
    "is_built",
    "library_path",
]
