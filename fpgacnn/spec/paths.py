"""Where fpgacnn writes what it generates when the user names no folder (stdlib only).

Nothing is ever written inside the installed package (on a wheel install that
is site-packages). Defaults:

- **outputs** a user asked for (conversions, simulation packages, board builds,
  demo and benchmark results) go under :func:`output_root`, ``./build`` of the
  working directory, or ``$FPGACNN_BUILD`` when set;
- **caches** that can be rebuilt at any time (Verilator builds of the cores and
  harnesses) go under :func:`cache_root`, ``$FPGACNN_CACHE``, else
  ``$XDG_CACHE_HOME/fpgacnn``, else ``~/.cache/fpgacnn``.
"""

from __future__ import annotations

import os
from pathlib import Path


def output_root() -> Path:
    """The folder under which default outputs go: ``$FPGACNN_BUILD`` or ``./build``."""
    return Path(os.environ.get("FPGACNN_BUILD") or "build")


def default_output(kind: str, name: str) -> Path:
    """The default output folder of one ``kind`` of result (``convert``, ``packages``...)."""
    return output_root() / kind / name


def cache_root() -> Path:
    """The folder of rebuildable caches (Verilator builds)."""
    env = os.environ.get("FPGACNN_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fpgacnn"


__all__ = ["cache_root", "default_output", "output_root"]
