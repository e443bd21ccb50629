"""The layering rule (docs/architecture.md), checked on every import, lazy ones included.

``spec <- models <- hw <- sim``; ``sw`` (what runs on the board) imports only
``spec``; ``boards`` imports ``spec`` and ``hw`` (and what ``hw`` stands on);
``apps`` (the subcommands, demos, benchmarks) may import every layer; the root
(``fpgacnn.cli``) imports only ``spec`` and names its subcommands in ``apps``.
The walk reads the source (``ast``), so an import inside a function counts.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: folder of the repository -> layer name (the folders are fpgacnn's subpackages)
FOLDERS = {"models": "models", "hw": "hw", "sim": "sim", "sw": "sw", "boards": "boards"}

#: layer -> the layers it may import (itself included)
ALLOWED: dict[str, set[str]] = {
    "spec": {"spec"},
    "models": {"spec", "models"},
    "hw": {"spec", "models", "hw"},
    "sim": {"spec", "models", "hw", "sim"},
    "sw": {"spec", "sw"},
    "boards": {"spec", "models", "hw", "boards"},
    "apps": {"spec", "models", "hw", "sim", "sw", "boards", "apps"},
    "root": {"spec", "root"},
}

#: third-party modules a layer may import (None: no limit). The runtime may use
#: pynq (present on the board image) and OpenCV (camera/video/files), both lazily.
THIRD_PARTY: dict[str, set[str] | None] = {
    "spec": {"numpy"},
    "sw": {"numpy", "pynq", "cv2"},
}


def _modules() -> list[tuple[str, str, Path]]:
    """(layer, dotted module name, path) of every Python file of the package."""
    out = []
    for path in sorted((ROOT / "fpgacnn").rglob("*.py")):
        rel = path.relative_to(ROOT / "fpgacnn").with_suffix("")
        parts = rel.parts
        layer = parts[0] if parts[0] in ("spec", "apps") else "root"
        out.append((layer, ".".join(("fpgacnn", *parts)), path))
    for folder, layer in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "build" in path.relative_to(ROOT / folder).parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            out.append((layer, ".".join(("fpgacnn", *rel.parts)), path))
    return out


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else \
        module.removesuffix(".__init__")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _layer_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "fpgacnn" or len(parts) == 1:  # the bare root holds only __version__
        return None
    return parts[1] if parts[1] in (*FOLDERS, "spec", "apps") else "root"


MODULES = _modules()


def test_the_walk_sees_every_layer():
    layers = {layer for layer, _, _ in MODULES}
    assert layers == set(ALLOWED)
    assert len(MODULES) > 100


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str):
    bad = []
    for lay, module, path in MODULES:
        if lay != layer:
            continue
        for line, name in _imports(module, path):
            target = _layer_of(name)
            if target is not None and target not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({target})")
    assert bad == [], f"{layer} may import only {sorted(ALLOWED[layer])}:\n" + "\n".join(bad)


@pytest.mark.parametrize("layer", sorted(THIRD_PARTY))
def test_layer_third_party_imports(layer: str):
    allowed = THIRD_PARTY[layer]
    assert allowed is not None
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for lay, module, path in MODULES:
        if lay != layer:
            continue
        for line, name in _imports(module, path):
            top = name.split(".")[0]
            if top in ("fpgacnn", "__future__") or top in stdlib or top in allowed:
                continue
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert bad == [], f"{layer} may import only numpy-level packages:\n" + "\n".join(bad)


def test_no_package_cycles():
    edges: dict[str, set[str]] = {layer: set() for layer in ALLOWED}
    for layer, module, path in MODULES:
        for _, name in _imports(module, path):
            target = _layer_of(name)
            if target is not None and target != layer:
                edges[layer].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(layer for layer in edges if reaches(layer, layer, {layer}))
    assert cycles == []


def test_cli_commands_are_apps():
    from fpgacnn.cli import COMMANDS

    assert {module.split(".")[1] for module, _ in COMMANDS.values()} == {"apps"}
    for module, _ in COMMANDS.values():
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        assert path.is_file(), module


def test_cli_prints_fpgacnn_errors_as_one_line(capsys, monkeypatch):
    import types

    from fpgacnn import cli
    from fpgacnn.spec.errors import ArtifactError

    def run(args):
        raise ArtifactError("expected a package, got a plain folder")

    fake = types.SimpleNamespace(add_arguments=lambda parser: None, run=run)
    monkeypatch.setitem(cli.COMMANDS, "fake", ("fake_module", "a fake command"))
    monkeypatch.setitem(sys.modules, "fake_module", fake)
    assert cli.main(["fake"]) == 2
    err = capsys.readouterr().err
    assert err == "fpgacnn fake: error: expected a package, got a plain folder\n"

    def interrupted(args):
        raise KeyboardInterrupt

    fake.run = interrupted
    assert cli.main(["fake"]) == 130
    assert capsys.readouterr().err == "fpgacnn fake: interrupted\n"


def test_cli_imports_only_the_command_it_runs(monkeypatch):
    from fpgacnn import cli

    loaded = []
    real = cli.importlib.import_module

    def spy(name, *a, **k):
        loaded.append(name)
        return real(name, *a, **k)

    monkeypatch.setattr(cli.importlib, "import_module", spy)
    cli.build_parser("package")
    assert loaded == ["fpgacnn.apps.cli_package"]


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class name) of every class that looks like an exception, by its bases."""
    found = []
    for _, module, path in MODULES:
        if "/sim/fcnn_" in str(path) or path.name.startswith("tb_"):
            continue  # cocotb testbenches: their checks are assertions of the simulation
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception")) for b in bases):
                    found.append((module, node.name))
    return found


def test_every_exception_has_the_one_root():
    import importlib

    from fpgacnn.spec.errors import FpgacnnError

    classes = _exception_classes()
    assert len(classes) > 20
    stray = []
    names: dict[str, list[str]] = {}
    for module, name in classes:
        cls = getattr(importlib.import_module(module), name)
        if not issubclass(cls, FpgacnnError):
            stray.append(f"{module}.{name}")
        names.setdefault(name, []).append(module)
    assert stray == [], "exceptions outside FpgacnnError: " + ", ".join(stray)
    assert {n: m for n, m in names.items() if len(m) > 1} == {}, "one name, one class"
