"""Fixtures of the board-build tests: model firmware folders shaped like the real writers'.

A conversion folder is what ``fpgacnn convert`` writes (conversion.json with the
keys the board build reads, the AXI4-Stream top, the hls4ml firmware); the RTL
file list is what the open RTL backend will write (``rtl/filelist.f``).
Running the real conversion needs TensorFlow and takes too long for these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
STUB = HERE / "vivado_stub.tcl"
CONVERT_TEMPLATES = HERE.parent.parent / "hw" / "convert" / "templates"


def write_conversion(root: Path, *, name: str = "digits", shape=(8, 8, 1), in_width: int = 8,
                     classes: int = 10, score_width: int = 16, out_shape=None) -> Path:
    """A conversion folder like ``fpgacnn convert`` writes, for model ``name``.

    ``out_shape``: the model's output shape (default ``(classes,)``; a feature map
    ``(H, W, C)`` has H*W*C classes).
    """
    root.mkdir(parents=True)
    fw = root / "hls4ml_prj" / "firmware"
    (fw / "weights").mkdir(parents=True)
    (fw / "fcnn_classifier.cpp").write_text("// hls4ml network\n")
    (fw / "fcnn_classifier.h").write_text("// hls4ml network\n")
    (fw / "weights" / "w2.h").write_text("// weights\n")
    for f in ("fcnn_axis_top.h", "fcnn_axis_top.cpp"):
        shutil.copyfile(CONVERT_TEMPLATES / f, root / f)
    (root / "fcnn_axis_params.h").write_text("#define FCNN_N_PIXELS 64\n")
    (root / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n")
    # the card the zoo writes beside a saved model (fpgacnn.models.artifacts)
    card = {"format": 1, "name": name, "classes": [str(i) for i in range(classes)],
            "input": {"height": shape[0], "width": shape[1], "channels": shape[2],
                      "color": "gray" if shape[2] == 1 else "rgb", "resize": "area",
                      "bits": in_width}}
    (root / "model.json").write_text(json.dumps(card))
    manifest = {
        "model": {"name": name, "file": "model.h5", "sha256": "0" * 64, "source": None},
        "project": {"dir": "hls4ml_prj", "name": "fcnn_classifier", "top": "fcnn_classifier"},
        "input": {"shape": list(shape), "dtype": "float64",
                  "type": {"width": in_width, "integer": in_width, "signed": False,
                           "rounding": "TRN", "overflow": "WRAP"}},
        "output": {"shape": list(out_shape or (classes,)),
                   "type": {"width": score_width, "integer": 6, "signed": True,
                            "rounding": "TRN", "overflow": "WRAP"}},
        "classes": [str(i) for i in range(classes)],
    }
    (root / "conversion.json").write_text(json.dumps(manifest, indent=2))
    return root


def write_rtl_filelist(model_dir: Path, top: str = "fcnn_classifier") -> Path:
    """An ``rtl/filelist.f`` with two modules, as the RTL backend will write it."""
    rtl = model_dir / "rtl"
    rtl.mkdir()
    (rtl / "fcnn_conv0.sv").write_text("module fcnn_conv0; endmodule\n")
    (rtl / f"{top}.sv").write_text(f"module {top}; endmodule\n")
    (rtl / "filelist.f").write_text(f"// generated\n// top: {top}\nfcnn_conv0.sv\n{top}.sv\n")
    return rtl / "filelist.f"


def stub_process(scripts: list[Path], log: Path, vivado: str = "2024.1",
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Source ``scripts`` in tclsh with the Vivado stand-in reporting version ``vivado``."""
    return subprocess.run(["tclsh", str(STUB), str(log), *map(str, scripts)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {}), "FCNN_STUB_VIVADO": vivado})


def run_stub(scripts: list[Path], log: Path, vivado: str = "2024.1") -> str:
    """Source ``scripts`` in tclsh with the Vivado stand-in; return the command log."""
    proc = stub_process(scripts, log, vivado)
    assert proc.returncode == 0, proc.stderr
    return log.read_text()


@pytest.fixture
def conversion(tmp_path: Path) -> Path:
    """A digits-like conversion folder (8x8x1 input of 8 bits, 10 classes of 16 bits)."""
    return write_conversion(tmp_path / "hw_build" / "digits")
