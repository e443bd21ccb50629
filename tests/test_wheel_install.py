"""The wheel, installed without extras into a fresh venv, run from outside the checkout.

This is what ``pip install fpgacnn`` gives a board or a new user: the runtime
(numpy only) and the command line. The test builds the wheel once, installs it
with no extras, and checks that the runtime imports without the tools, that the
backend registry names the four backends and says which extra a missing one
needs, that the CLI answers, that nothing is written inside the installed
package, and that every file the package needs at run time is in the wheel.
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

#: folders whose tracked files must all be in the wheel, with their place in it
SHIPPED = {"hw/rtl": "fpgacnn/hw/rtl", "boards/defs": "fpgacnn/boards/defs",
           "boards/templates": "fpgacnn/boards/templates", "sim/harness": "fpgacnn/sim/harness",
           "sw/notebooks": "fpgacnn/sw/notebooks", "hw/convert/templates":
           "fpgacnn/hw/convert/templates", "models/zoo/digits": "fpgacnn/models/zoo/digits",
           "hw/rtlgen/templates": "fpgacnn/hw/rtlgen/templates"}

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
out["heavy"] = sorted(m for m in ("tensorflow", "hls4ml", "cocotb", "alkaid", "keras", "cv2")
                      if m in sys.modules)
print(json.dumps(out))
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, venv, a working folder outside the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a copy of the project's files (setuptools writes build/ into the tree)
    src = tmp / "src"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp),
                str(src)], cwd=tmp)
    assert res.returncode == 0, res.stderr
    wheel = next(tmp.glob("fpgacnn-*.whl"))
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp).returncode == 0
    res = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=tmp)
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
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    res = _run([str(venv / "bin" / "python"), "-c", PROBE], cwd=work, env=env)
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


def test_the_cli_answers_outside_the_checkout_and_writes_nothing_inside_the_package(
        installed) -> None:  # noqa: ANN001
    _, venv, work = installed
    before = _site_files(venv)
    exe = str(venv / "bin" / "fpgacnn")
    res = _run([exe, "--help"], cwd=work)
    assert res.returncode == 0 and "stream" in res.stdout and "convert" in res.stdout
    res = _run([exe, "stream", "--help"], cwd=work)
    assert res.returncode == 0 and "--backend" in res.stdout, res.stderr
    res = _run([exe, "convert", "digits"], cwd=work)  # an extra is missing: one line, exit 2
    assert res.returncode == 2
    assert res.stderr.startswith("fpgacnn convert: ")
    assert "is not installed (install the extras: pip install 'fpgacnn[dev]')" in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.splitlines()) == 1
    assert _site_files(venv) == before


def test_the_wheel_holds_every_file_the_package_needs(installed) -> None:  # noqa: ANN001
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", *SHIPPED], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    missing = []
    for path in tracked:
        folder = str(Path(path).parent)
        if path.endswith(".py") or folder not in SHIPPED:
            continue
        if f"{SHIPPED[folder]}/{Path(path).name}" not in names:
            missing.append(path)
    assert missing == []
    assert any(n.endswith("fcnn_edge_core.f") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)
