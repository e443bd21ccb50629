"""Build the C++ frame harness of ``fcnn_edge_core`` into a shared library.

One library per parameter set (PPC, MAX_WIDTH, MAX_HEIGHT), under
``sim/build/harness/<key>/`` (git-ignored; the root follows
``FPGACNN_SIM_BUILD`` like :mod:`fpgacnn.sim.runner`):

1. ``verilator --cc --build`` compiles the RTL into ``libVfcnn_edge_core.a``
   and ``libverilated.a`` (position-independent, ``-O3``, no tracing, no
   assertions, ``--x-assign fast``; ``--x-initial unique``, so the harness picks
   zero or seeded random initial values for state the RTL does not reset);
2. ``g++ -shared`` links ``sim/harness/edge_harness.cpp`` with both archives
   into ``libedge_harness_<hash>.so``, whose only exported symbols are the
   ``eh_*`` C functions.

The hash covers the RTL sources, the harness source, the parameters, the tool
flags and the Verilator installation, so a library is rebuilt exactly when one
of them changed, and a rebuilt library never shadows one already loaded in the
process under the same name. Builds are serialised with a file lock, so
pytest-xdist workers sharing a parameter set compile it once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fpgacnn.spec.cores import EDGE_REGISTERS
from fpgacnn.spec.edge import (
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    SUPPORTED_PPC,
    EdgeConfigError,
)
from fpgacnn.spec.errors import ToolError

from .runner import BUILD_ROOT
from .verilator_env import verilator_environ, verilator_root

log = logging.getLogger(__name__)

#: The C++ harness source.
HARNESS_SOURCE: Path = Path(__file__).resolve().parent / "harness" / "edge_harness.cpp"
#: Top-level module.
TOPLEVEL = "fcnn_edge_core"
#: Largest MAX_WIDTH / MAX_HEIGHT the RTL elaborates (the contracts layer's limits).
MAX_DIMENSION: dict[str, int] = {"max_width": MAX_FRAME_WIDTH, "max_height": MAX_FRAME_HEIGHT}

#: Verilator options: speed over debuggability (no trace, no assertions).
VERILATOR_ARGS: tuple[str, ...] = (
    "--cc",
    "--build",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "unique",
    "--no-assert",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
)
#: C++ flags for the Verilated model and the harness.
CXXFLAGS: tuple[str, ...] = ("-O3", "-fPIC", "-fvisibility=hidden", "-fno-plt")


class HarnessBuildError(ToolError):
    """Verilator or the C++ compiler failed; the message carries the tail of the build log."""


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


def default_sources() -> list[Path]:
    """The RTL files of ``fcnn_edge_core``, from its file list ``hw/rtl/fcnn_edge_core.f``."""
    from fpgacnn.hw import rtl_sources

    return rtl_sources(TOPLEVEL)


def harness_dir(params: HarnessParams, build_root: Path | None = None) -> Path:
    """Return the build folder of ``params``."""
    return Path(build_root or BUILD_ROOT).resolve() / "harness" / params.key


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _digest(params: HarnessParams, sources: Sequence[Path]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(asdict(params), sort_keys=True).encode())
    h.update(json.dumps([VERILATOR_ARGS, CXXFLAGS, dict(EDGE_REGISTERS)]).encode())
    root = verilator_root()
    h.update(str(root).encode())
    h.update((root / "include" / "verilated_config.h").read_bytes())
    for path in [HARNESS_SOURCE, *sources]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _run(cmd: Sequence[str], *, env: dict[str, str], log_path: Path, what: str) -> None:
    with open(log_path, "a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise HarnessBuildError(
            f"{what} failed with exit code {proc.returncode} (log: {log_path}):\n{tail}"
        )


def library_path(
    params: HarnessParams,
    *,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
) -> Path:
    """Return where the library of ``params`` and ``sources`` is (or will be) built."""
    srcs = [Path(s).resolve() for s in (sources if sources is not None else default_sources())]
    return harness_dir(params, build_root) / f"libedge_harness_{_digest(params, srcs)}.so"


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
    srcs = [Path(s).resolve() for s in (sources if sources is not None else default_sources())]
    for s in srcs:
        if not s.is_file():
            raise FileNotFoundError(f"RTL source not found: {s}")
    digest = _digest(params, srcs)
    folder = harness_dir(params, build_root)
    lib = folder / f"libedge_harness_{digest}.so"
    with _locked(folder):
        if lib.is_file():
            log.debug("edge harness %s up to date: %s", params.key, lib)
            return lib
        env = verilator_environ()
        root = Path(env["VERILATOR_ROOT"])
        obj = folder / "obj"
        log_path = folder / "build.log"
        log_path.write_text("")
        log.info(
            "building the edge-core harness %s (Verilator + g++, about a minute) in %s",
            params.key,
            folder,
        )
        t0 = time.monotonic()
        prefix = "V" + TOPLEVEL
        cflags = " ".join(CXXFLAGS)
        cmd = [
            str(root / "bin" / "verilator"),
            *VERILATOR_ARGS,
            "-j",
            str(jobs),
            "--top-module",
            TOPLEVEL,
            "--prefix",
            prefix,
            "-Mdir",
            str(obj),
            "-CFLAGS",
            cflags,
            *(f"-G{k}={v}" for k, v in params.hdl_parameters().items()),
            *(str(s) for s in srcs),
        ]
        _run(cmd, env=env, log_path=log_path, what="Verilator")
        log.info("edge harness %s: Verilated in %.1f s, linking", params.key, time.monotonic() - t0)
        tmp = lib.with_suffix(".so.tmp")
        cmd = [
            "g++",
            "-std=c++17",
            *CXXFLAGS,
            "-shared",
            f"-DEH_PPC={params.ppc}",
            # register offsets from the contracts layer's map (fpgacnn.spec.cores.EDGE_MAP)
            *(f"-DEH_REG_{name}=0x{off:02X}" for name, off in EDGE_REGISTERS.items()),
            f"-I{obj}",
            f"-I{root / 'include'}",
            f"-I{root / 'include' / 'vltstd'}",
            str(HARNESS_SOURCE),
            str(obj / f"lib{prefix}.a"),
            str(obj / "libverilated.a"),
            "-pthread",
            "-Wl,-Bsymbolic",
            "-o",
            str(tmp),
        ]
        _run(cmd, env=env, log_path=log_path, what="g++ (harness link)")
        for old in folder.glob("libedge_harness_*.so"):
            old.unlink()  # a process that loaded it keeps its mapping
        tmp.rename(lib)
        (folder / "build.json").write_text(
            json.dumps(
                {
                    "params": asdict(params),
                    "digest": digest,
                    "library": lib.name,
                    "sources": [str(s) for s in srcs],
                    "verilator_args": list(VERILATOR_ARGS),
                    "cxxflags": list(CXXFLAGS),
                },
                indent=2,
            )
            + "\n"
        )
        log.info("edge harness %s built in %.1f s: %s", params.key, time.monotonic() - t0, lib)
    return lib
