"""The board notebook lives beside the deployment package, outside its hashed files, so
Jupyter's saves and ``.ipynb_checkpoints/`` leave the package loadable (issue 12, defect 3:
a notebook inside the package was refused as soon as Jupyter saved it)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fpgacnn.boards.build import generate
from fpgacnn.boards.config import BuildConfig, CoreFlow
from fpgacnn.boards.finalize import finalize_package
from fpgacnn.spec.package import PackageFileError, load_package

from .conftest import write_rtl_filelist


def _finalized_tree(conversion: Path, out: Path) -> Path:
    write_rtl_filelist(conversion)
    generate(BuildConfig(board="pynq-z2", model="digits", model_dir=conversion, out_dir=out,
                         core_flow=CoreFlow.RTL))
    hw_id = re.search(r"^set fcnn_hw_id (\w+)$", (out / "scripts" / "build.tcl").read_text(),
                      flags=re.M).group(1)
    (out / "package" / "fcnn_pynq-z2.bit").write_bytes(b"bitstream")
    (out / "package" / "fcnn_pynq-z2.hwh").write_text("<hwh/>")
    (out / "reports").mkdir(exist_ok=True)
    (out / "reports" / "summary.txt").write_text(f"hw_id {hw_id}\n")
    finalize_package(out)
    return out


def _jupyter_saves(notebook: Path) -> None:
    """What Jupyter does when the notebook runs and is saved: outputs and execution counts in
    the file, and a checkpoint copy in ``.ipynb_checkpoints/`` beside it."""
    nb = json.loads(notebook.read_text())
    for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = n + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}]
    notebook.write_text(json.dumps(nb, indent=1))
    checkpoints = notebook.parent / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    shutil.copyfile(notebook, checkpoints / f"{notebook.stem}-checkpoint.ipynb")


def test_saving_the_notebook_leaves_the_package_loadable(tmp_path: Path,
                                                         conversion: Path) -> None:
    out = _finalized_tree(conversion, tmp_path / "out")
    notebook = out / "fcnn_pynq-z2.ipynb"
    before = load_package(out / "package").build_id
    # deployed as the README says: the package folder and the notebook beside it
    board = tmp_path / "board" / "fcnn"
    board.mkdir(parents=True)
    shutil.copytree(out / "package", board / "package")
    shutil.copyfile(notebook, board / notebook.name)
    for nb in (notebook, board / notebook.name):
        _jupyter_saves(nb)
        assert load_package(nb.parent / "package").build_id == before
    # the notebook opens the package beside it
    code = "".join(next(c for c in json.loads(notebook.read_text())["cells"]
                        if c["cell_type"] == "code")["source"])
    assert 'package_dir = Path("package").resolve()' in code
    assert not list((out / "package").rglob("*.ipynb"))


def test_anything_written_inside_the_package_is_still_refused(tmp_path: Path,
                                                              conversion: Path) -> None:
    """The package check stays strict: a notebook saved inside the package folder (not
    where fpgacnn puts it) makes the package refused, naming the file."""
    out = _finalized_tree(conversion, tmp_path / "out")
    _jupyter_saves(shutil.copyfile(out / "fcnn_pynq-z2.ipynb", out / "package" / "mine.ipynb"))
    with pytest.raises(PackageFileError, match=r"^package has files not in manifest\.json: "
                       r"\['\.ipynb_checkpoints/mine-checkpoint\.ipynb', 'mine\.ipynb'\]$"):
        load_package(out / "package")
