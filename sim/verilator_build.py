"""Building Verilated models: one build/digest/lock for the cocotb runner and the harnesses.

A build lives in a folder named by what decides it; :func:`locked` serialises
builders of one folder across processes (pytest-xdist workers build each model
once); :func:`run_logged` runs a tool with its output in the folder's
``build.log`` and turns a failure into :class:`HarnessBuildError` (a
:class:`~fpgacnn.spec.errors.ToolError`) carrying the log's tail;
:func:`build_harness_library` Verilates a core and links it with its C++
harness (``sim/harness/<name>.cpp`` on the shared ``fcnn_harness.h``) into a
shared library named by :func:`digest` of everything that goes into it.

Harness libraries are caches the ``rtl`` backend builds at run time, so they go
under :func:`harness_root`: ``$FPGACNN_SIM_BUILD/harness`` when set (the test
suite), else the user cache (:func:`fpgacnn.spec.paths.cache_root`) — never inside
the installed package.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
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


class HarnessBuildError(ToolError):
    """Verilator or the C++ compiler failed; the message carries the tail of the build log."""


def harness_root(build_root: Path | None = None) -> Path:
    """Where harness libraries are built: ``build_root``, ``$FPGACNN_SIM_BUILD/harness``,
    or the user cache."""
    if build_root is not None:
        return Path(build_root).resolve() / "harness"
    env = os.environ.get("FPGACNN_SIM_BUILD")
    return (Path(env) if env else cache_root()).resolve() / "harness"


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


def run_logged(cmd: Sequence[str], *, env: Mapping[str, str], log_path: Path, what: str) -> None:
    """Run ``cmd`` with its output appended to ``log_path``; :class:`HarnessBuildError` on
    a non-zero exit, naming the log and quoting its tail."""
    with open(log_path, "a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(list(cmd), env=dict(env), stdout=fh, stderr=subprocess.STDOUT,
                              check=False)
    if proc.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise HarnessBuildError(
            f"{what} failed with exit code {proc.returncode} (log: {log_path}):\n{tail}")


def digest(files: Sequence[Path], *, extra: Any = None) -> str:
    """16 hex digits of the sha256 of the toolchain, ``files`` (names and bytes) and
    ``extra`` (JSON): what names a build."""
    h = hashlib.sha256()
    h.update(json.dumps([VERILATOR_ARGS, CXXFLAGS, extra], sort_keys=True).encode())
    root = verilator_root()
    h.update(str(root).encode())
    h.update((root / "include" / "verilated_config.h").read_bytes())
    for path in files:
        h.update(Path(path).name.encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def build_harness_library(
    *,
    top: str,
    sources: Sequence[Path],
    harness_source: Path,
    folder: Path,
    stem: str,
    defines: Mapping[str, object] | None = None,
    hdl_parameters: Mapping[str, object] | None = None,
    record: Mapping[str, Any] | None = None,
    jobs: int = 2,
) -> Path:
    """Build (if needed) ``folder/lib<stem>_<digest>.so`` and return it.

    Verilates ``top`` from ``sources`` with ``hdl_parameters`` (``-G``), then links the
    model with ``harness_source`` compiled with ``defines`` (``-D``) and the shared
    header. A library of the same digest is reused; older ones in the folder are
    removed (a process that loaded one keeps its mapping). ``record`` is written to
    ``build.json`` beside it with the digest and the tool options.
    """
    srcs = [Path(s).resolve() for s in sources]
    for s in srcs:
        if not s.is_file():
            raise HarnessBuildError(f"RTL source not found: {s}")
    defines = dict(defines or {})
    params = dict(hdl_parameters or {})
    key = digest([harness_source, HARNESS_HEADER, *srcs], extra=[defines, params, top])
    lib = folder / f"lib{stem}_{key}.so"
    with locked(folder):
        if lib.is_file():
            log.debug("%s up to date: %s", stem, lib)
            return lib
        env = verilator_environ()
        root = Path(env["VERILATOR_ROOT"])
        obj = folder / "obj"
        log_path = folder / "build.log"
        log_path.write_text("")
        log.info("building %s (Verilator + g++, about a minute) in %s", stem, folder)
        t0 = time.monotonic()
        prefix = "V" + top
        run_logged([str(root / "bin" / "verilator"), *VERILATOR_ARGS, "-j", str(jobs),
                    "--top-module", top, "--prefix", prefix, "-Mdir", str(obj),
                    "-CFLAGS", " ".join(CXXFLAGS),
                    *(f"-G{k}={v}" for k, v in params.items()), *(str(s) for s in srcs)],
                   env=env, log_path=log_path, what="Verilator")
        log.info("%s: Verilated in %.1f s, linking", stem, time.monotonic() - t0)
        tmp = lib.with_suffix(".so.tmp")
        run_logged(["g++", "-std=c++17", *CXXFLAGS, "-shared",
                    *(f"-D{k}={v}" for k, v in defines.items()),
                    f"-I{HARNESS_HEADER.parent}", f"-I{obj}", f"-I{root / 'include'}",
                    f"-I{root / 'include' / 'vltstd'}", str(harness_source),
                    str(obj / f"lib{prefix}.a"), str(obj / "libverilated.a"), "-pthread",
                    "-Wl,-Bsymbolic", "-o", str(tmp)],
                   env=env, log_path=log_path, what="g++ (harness link)")
        for old in folder.glob(f"lib{stem}_*.so"):
            old.unlink()
        tmp.rename(lib)
        (folder / "build.json").write_text(json.dumps({
            **dict(record or {}), "digest": key, "library": lib.name,
            "sources": [str(s) for s in srcs], "defines": defines, "parameters": params,
            "verilator_args": list(VERILATOR_ARGS), "cxxflags": list(CXXFLAGS)},
            indent=2, default=str) + "\n")
        log.info("%s built in %.1f s: %s", stem, time.monotonic() - t0, lib)
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
    "build_harness_library",
    "digest",
    "harness_root",
    "load_library",
    "locked",
    "run_logged",
]
