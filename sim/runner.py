"""Build-once, run-many wrapper around cocotb's Python runner for Verilator.

Every cocotb simulation in fpgacnn goes through :func:`build` and :func:`run`:

* the Verilator environment is set up by :mod:`fpgacnn.sim.verilator_env`;
* each (top-level, HDL parameter set) gets its own build folder under
  :data:`BUILD_ROOT` ``/<toplevel>/<key>`` (``sim/build`` in a checkout, git-ignored;
  ``$FPGACNN_SIM_BUILD`` when set; the user cache when fpgacnn is installed as a
  wheel, never inside the installed package);
* the build goes through the one build function of every Verilated model,
  :func:`fpgacnn.sim.verilator_build.cached_build`: it is redone only when the
  digest of its sources, parameters and flags changed, under a file lock (so
  pytest-xdist workers sharing a parameter set compile it once), with its output
  in the folder's ``build.log`` and a failure raised as
  :class:`~fpgacnn.sim.verilator_build.VerilatorBuildError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from fpgacnn.spec.paths import cache_root

from .verilator_build import build_failed, cached_build, digest
from .verilator_env import setup_verilator

log = logging.getLogger(__name__)


def default_build_root(package_dir: Path | None = None) -> Path:
    """``sim/build`` of a source checkout; ``sim`` in the user cache when ``package_dir``
    (default: this package's folder) is not in a checkout, e.g. in a wheel's site-packages."""
    here = Path(package_dir or Path(__file__).resolve().parent)
    if (here.parent / "pyproject.toml").is_file():  # a source checkout
        return here / "build"
    return cache_root() / "sim"


#: Root of all simulation build folders.
BUILD_ROOT: Path = Path(os.environ.get("FPGACNN_SIM_BUILD") or default_build_root())

#: Verilator options used for every cocotb build.
DEFAULT_BUILD_ARGS: tuple[str, ...] = ("-Wno-fatal", "--assert", "-O2", "-Wno-DECLFILENAME")


#: Parameter values longer than this appear in build keys as a short hash.
KEY_VALUE_MAX = 24


def _key_value(value: object) -> str:
    text = str(value)
    if len(text) <= KEY_VALUE_MAX and "/" not in text:
        return text
    return "h" + hashlib.sha1(text.encode()).hexdigest()[:12]


def param_key(parameters: Mapping[str, object]) -> str:
    """Return a readable, filesystem-safe key for an HDL parameter set (sorted by name).

    Long values (e.g. a weight ROM passed as a Verilog literal) appear as a hash.
    """
    if not parameters:
        return "default"
    return "_".join(f"{k}{_key_value(parameters[k])}" for k in sorted(parameters))


def build_dir_for(toplevel: str, parameters: Mapping[str, object], tag: str = "") -> Path:
    """Return the build folder used for ``toplevel`` with ``parameters`` (and a source ``tag``)."""
    key = param_key(parameters)
    return BUILD_ROOT / toplevel / (f"{tag}_{key}" if tag else key)


def build(
    *,
    toplevel: str,
    sources: Sequence[Path],
    parameters: Mapping[str, object] | None = None,
    build_args: Sequence[str] = DEFAULT_BUILD_ARGS,
    waves: bool = False,
    tag: str = "",
) -> Path:
    """Compile ``sources`` with ``toplevel`` and ``parameters`` for cocotb; return the build dir.

    A build that is up to date is not redone. ``tag`` separates builds of the same
    top-level from different sources (e.g. generated cores of different models).
    """
    import cocotb
    from cocotb_tools.runner import get_runner

    parameters = dict(parameters or {})
    srcs = [Path(s).resolve() for s in sources]
    setup_verilator()
    bdir = build_dir_for(toplevel, parameters, tag)
    key = digest(srcs, extra=[toplevel, parameters, list(build_args), cocotb.__version__,
                              waves, os.environ.get("WAVES", "")])  # cocotb reads $WAVES

    def make(log_path: Path) -> None:
        try:
            get_runner("verilator").build(
                sources=srcs,
                hdl_toplevel=toplevel,
                parameters=parameters,
                build_dir=bdir,
                build_args=list(build_args),
                waves=waves,
                always=True,
                log_file=log_path,
            )
        except RuntimeError as exc:  # cocotb: "Command failed with return code: N"
            raise build_failed(f"Verilator build of {toplevel}", log_path, str(exc)) from None

    cached_build(bdir, key, make, output=bdir / toplevel, what=f"{toplevel} ({bdir.name})",
                 record={"toplevel": toplevel, "parameters": parameters, "tag": tag,
                         "sources": [str(s) for s in srcs], "build_args": list(build_args),
                         "waves": waves})
    return bdir


def run(
    *,
    toplevel: str,
    sources: Sequence[Path],
    test_module: str,
    test_dir: Path,
    parameters: Mapping[str, object] | None = None,
    testcase: str | Sequence[str] | None = None,
    test_filter: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    seed: int | None = None,
    waves: bool = False,
    tag: str = "",
) -> Path:
    """Build (if needed) and run the cocotb ``test_module`` against ``toplevel``.

    ``test_dir`` is the folder holding ``test_module`` (it is put on the Python path of
    the simulator). Under pytest a failing cocotb test fails the calling pytest test.
    Returns the results XML path.
    """
    from cocotb_tools.runner import get_runner

    parameters = dict(parameters or {})
    bdir = build(
        toplevel=toplevel, sources=sources, parameters=parameters, waves=waves, tag=tag
    )
    runner = get_runner("verilator")
    env = dict(extra_env or {})
    # cocotb's runner passes this process's sys.path to the simulator as PYTHONPATH.
    if str(test_dir) not in sys.path:
        sys.path.insert(0, str(test_dir))
    if seed is not None:
        log.info("cocotb seed %d for %s", seed, test_module)
    return runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        hdl_toplevel_lang="verilog",
        parameters=parameters,
        build_dir=bdir,
        test_dir=bdir,
        testcase=testcase,
        test_filter=test_filter,
        extra_env=env,
        seed=seed,
        waves=waves,
    )
