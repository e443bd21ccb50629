"""Every hand-written RTL file is lint-clean under ``verilator --lint-only -Wall``."""

from __future__ import annotations

import subprocess

import pytest
from fpgacnn.hw import RTL_DIR, rtl_file
from fpgacnn.sim.verilator_env import verilator_environ, verilator_executable

EDGE_SOURCES = ["fcnn_axis_skid.sv", "fcnn_edge_sobel.sv", "fcnn_edge_core.sv"]


def _lint(top: str, files: list[str], params: dict[str, int]) -> subprocess.CompletedProcess:
    cmd = [verilator_executable(), "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in params.items()]
    cmd += [str(rtl_file(f)) for f in files]
    return subprocess.run(cmd, env=verilator_environ(), capture_output=True, text=True)


@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
@pytest.mark.parametrize("size", [(1920, 1080), (640, 480), (3, 1)])
def test_edge_core_lint_clean(ppc: int, size: tuple[int, int]) -> None:
    params = {"PPC": ppc, "MAX_WIDTH": size[0], "MAX_HEIGHT": size[1]}
    res = _lint("fcnn_edge_core", EDGE_SOURCES, params)
    assert res.returncode == 0, res.stderr
    assert "%Warning" not in res.stderr, res.stderr


def test_bad_ppc_stops_elaboration() -> None:
    res = _lint("fcnn_edge_core", EDGE_SOURCES, {"PPC": 3})
    assert res.returncode != 0
    assert "PPC must be 1, 2, 4 or 8, got 3" in res.stderr


def test_every_rtl_file_is_linted() -> None:
    """No RTL file escapes the lint tests above (add new cores to this module)."""
    on_disk = {p.name for p in RTL_DIR.glob("*.sv")}
    assert on_disk == set(EDGE_SOURCES)
