"""The board runtime imports nothing heavy (DESIGN.md: no TensorFlow, hls4ml, da4ml, cocotb)."""

from __future__ import annotations

import subprocess
import sys


def test_runtime_modules_import_numpy_only() -> None:
    code = (
        "import sys\n"
        "import fpgacnn.sw.pipeline, fpgacnn.sw.sources, fpgacnn.spec.package, fpgacnn.spec.cores\n"
        "import fpgacnn.sw.backends.pynq, fpgacnn.spec.frames, fpgacnn.apps.cli_stream\n"
        "heavy = ('tensorflow', 'tf_keras', 'keras', 'qkeras', 'hls4ml', 'da4ml', 'cocotb',\n"
        "         'cv2', 'pynq', 'sklearn', 'skimage')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
