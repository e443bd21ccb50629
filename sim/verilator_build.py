"""Building Verilated models: one build/digest/lock/log for the cocotb runner and the harnesses.

Every Verilator build in fpgacnn goes through :func:`cached_build`:

* a build is named by its **key**, :func:`digest` of everything that decides it
  (the Verilator installation, the source files' names and bytes, parameters,
  defines, flags), recorded in ``build.json`` beside its output;
* it lives in a folder of its own, locked with :func:`locked` while it is checked
  or built, so pytest-xdist workers that need the same model build it once;
* the tools write to the folder's ``build.log``; a tool that fails raises
  :class:`VerilatorBuildError` (a :class:`~fpgacnn.spec.errors.ToolError`) naming
  the log and quoting its tail.

:class:`HarnessLibrary` is one C++ harness build (``sim/harness/<name>.cpp`` on the
shared ``fcnn_harness.h``, linked with the Verilated core into a shared library).
Harness libraries are caches the ``rtl`` backend builds at run time, so they go
under :func:`harness_root`: an explicit build root, ``$FPGACNN_SIM_BUILD/harness``
when set, else the user cache (:func:`fpgacnn.spec.paths.cache_root`) — never
inside the installed package.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import hashlib
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpgacnn.spec.errors import ToolError
from fpgacnn.spec.paths import cache_root

from .verilator_env import verilator_environ, verilator_root

log = logging.getLogger(__name__)

#: The shared C++ header of every harness.
HARNESS_HEADER: Path = Path(__file__).resolve().parent / "harness" / "fcnn_harness.h"

#: Verilator options of the harnesses: speed over debuggability (no trace, no assertions).
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
#: C++ flags of the Verilated model and the harness.
CXXFLAGS: tuple[str, ...] = ("-O3", "-fPIC", "-fvisibility=hidden", "-fno-plt")
#: Lines of the build log quoted in a build error.
LOG_TAIL = 30


class VerilatorBuildError(ToolError):
    """Verilator or the C++ compiler failed; the message names the build log and quotes its
    tail."""


#: The name the harness API has always used for :class:`VerilatorBuildError`.
HarnessBuildError = VerilatorBuildError


def harness_root(build_root: Path | None = None) -> Path:
    """Where harness libraries are built: ``build_root/harness``,
    ``$FPGACNN_SIM_BUILD/harness``, or ``harness`` in the user cache."""
    if build_root is None:
        env = os.environ.get("FPGACNN_SIM_BUILD")
        build_root = Path(env) if env else cache_root()
    return Path(build_root).resolve() / "harness"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if needed) across processes."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_failed(what: str, log_path: Path, detail: str) -> VerilatorBuildError:
    """The error of a failed build step: ``what`` failed (``detail``), the log and its tail."""
    lines = log_path.read_text(errors="replace").splitlines() if log_path.is_file() else []
    tail = "\n".join(lines[-LOG_TAIL:])
    return VerilatorBuildError(f"{what} failed ({detail}; log: {log_path})" +
                               (f":\n{tail}" if tail else ""))


def run_logged(cmd: Sequence[str], *, env: Mapping[str, str], log_path: Path, what: str) -> None:
    """Run ``cmd`` with its output appended to ``log_path``; :class:`VerilatorBuildError`
    on a non-zero exit."""
    with open(log_path, "a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(list(cmd), env=dict(env), stdout=fh, stderr=subprocess.STDOUT,
                              check=False)
    if proc.returncode != 0:
        raise build_failed(what, log_path, f"exit code {proc.returncode}")


def digest(files: Sequence[Path], *, extra: Any = None) -> str:
    """16 hex digits of the sha256 of the Verilator installation, ``files`` (names and
    bytes, in order) and ``extra`` (as JSON): the key of a build."""
    h = hashlib.sha256()
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    root = verilator_root()
    h.update(str(root).encode())
    h.update((root / "include" / "verilated_config.h").read_bytes())
    for path in files:
        h.update(Path(path).name.encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def _recorded_key(folder: Path) -> str | None:
    try:
        return json.loads((folder / "build.json").read_text()).get("digest")
    except (OSError, ValueError, AttributeError):
        return None


def cached_build(
    folder: Path,
    key: str,
    build: Callable[[Path], None],
    *,
    output: Path,
    what: str,
    record: Mapping[str, Any] | None = None,
) -> bool:
    """Make ``output`` in ``folder`` unless it exists from a build of the same ``key``.

    Under the folder's lock: if ``build.json`` records ``key`` and ``output`` exists,
    nothing is done (returns False). Otherwise ``build(log_path)`` runs with an
    emptied ``folder/build.log``, then ``build.json`` gets ``record``, the key and
    the time taken (returns True). ``build`` raises :class:`VerilatorBuildError`
    when a tool fails (see :func:`run_logged`, :func:`build_failed`).
    """
    with locked(folder):
        if output.exists() and _recorded_key(folder) == key:
            log.debug("%s up to date: %s", what, output)
            return False
        log_path = folder / "build.log"
        log_path.write_text("")
        (folder / "build.json").unlink(missing_ok=True)
        log.info("building %s (Verilator + C++, about a minute) in %s", what, folder)
        t0 = time.monotonic()
        build(log_path)
        if not output.exists():
            raise build_failed(what, log_path, f"no {output.name} was made")
        seconds = round(time.monotonic() - t0, 1)
        (folder / "build.json").write_text(json.dumps(
            {**dict(record or {}), "digest": key, "output": output.name, "seconds": seconds},
            indent=2, default=str) + "\n")
        log.info("%s built in %.1f s: %s", what, seconds, output)
    return True


@dataclass(frozen=True)
class HarnessLibrary:
    """One C++ harness build: ``top`` Verilated from ``sources`` with ``parameters``
    (``-G``), linked with ``harness`` (compiled with ``defines`` as ``-D``) into
    ``lib<harness stem>_<key>.so``."""

    top: str
    sources: tuple[Path, ...]
    #: the core's harness source, ``sim/harness/<name>.cpp``
    harness: Path
    defines: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, int] = field(default_factory=dict)

    @functools.cached_property
    def key(self) -> str:
        """:func:`digest` of the sources, the harness, the header, defines, parameters, flags."""
        return digest([self.harness, HARNESS_HEADER, *self.sources],
                      extra=[self.top, dict(self.defines), dict(self.parameters),
                             VERILATOR_ARGS, CXXFLAGS])

    def path(self, folder: Path) -> Path:
        """Where the library is (or will be) in ``folder``."""
        return folder / f"lib{self.harness.stem}_{self.key}.so"

    def build(self, folder: Path, *, jobs: int = 2, record: Mapping[str, Any] | None = None
              ) -> Path:
        """Build (if needed) the library in ``folder``; return its path.

        Older libraries in the folder are removed (a process that loaded one keeps its
        mapping); a library's name changes with its key, so a process never reloads a
        stale one under the same name.
        """
        for s in self.sources:
            if not s.is_file():
                raise VerilatorBuildError(f"RTL source not found: {s}")
        lib = self.path(folder)

        def make(log_path: Path) -> None:
            env = verilator_environ()
            root = Path(env["VERILATOR_ROOT"])
            obj = folder / "obj"
            prefix = "V" + self.top
            run_logged([str(root / "bin" / "verilator"), *VERILATOR_ARGS, "-j", str(jobs),
                        "--top-module", self.top, "--prefix", prefix, "-Mdir", str(obj),
                        "-CFLAGS", " ".join(CXXFLAGS),
                        *(f"-G{k}={v}" for k, v in self.parameters.items()),
                        *(str(s) for s in self.sources)],
                       env=env, log_path=log_path, what=f"Verilator ({self.top})")
            tmp = lib.with_suffix(".so.tmp")
            run_logged(["g++", "-std=c++17", *CXXFLAGS, "-shared",
                        *(f"-D{k}={v}" for k, v in self.defines.items()),
                        f"-I{HARNESS_HEADER.parent}", f"-I{obj}", f"-I{root / 'include'}",
                        f"-I{root / 'include' / 'vltstd'}", str(self.harness),
                        str(obj / f"lib{prefix}.a"), str(obj / "libverilated.a"), "-pthread",
                        "-Wl,-Bsymbolic", "-o", str(tmp)],
                       env=env, log_path=log_path, what=f"g++ ({self.harness.name})")
            for old in folder.glob(f"lib{self.harness.stem}_*.so"):
                old.unlink()
            tmp.rename(lib)

        cached_build(folder, self.key, make, output=lib, what=self.harness.stem, record={
            **dict(record or {}), "top": self.top, "sources": [str(s) for s in self.sources],
            "defines": dict(self.defines), "parameters": dict(self.parameters),
            "verilator_args": list(VERILATOR_ARGS), "cxxflags": list(CXXFLAGS)})
        return lib


_LIBS: dict[Path, ctypes.CDLL] = {}
_LIBS_LOCK = threading.Lock()


def load_library(path: Path, declare: Callable[[ctypes.CDLL], None]) -> ctypes.CDLL:
    """Load a harness library once per process; ``declare`` sets its argument types."""
    with _LIBS_LOCK:
        lib = _LIBS.get(path)
        if lib is None:
            lib = ctypes.CDLL(str(path))
            declare(lib)
            _LIBS[path] = lib
        return lib


__all__ = [
    "CXXFLAGS",
    "HARNESS_HEADER",
    "VERILATOR_ARGS",
    "HarnessBuildError",
    "HarnessLibrary",
    "VerilatorBuildError",
    "build_failed",
    "cached_build",
    "digest",
    "harness_root",
    "load_library",
    "locked",
    "run_logged",
]
