"""The sw demo (digits on photos as a video, rtl backend) and the live-camera notebook, headless."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from fpgacnn.apps.stream_demo import run_demo

pytestmark = pytest.mark.sim
NOTEBOOK = Path(__file__).resolve().parents[2] / "sw" / "notebooks" / "live_camera.ipynb"


def test_demo_writes_video_sheet_and_summary(sim_package: Path, tmp_path: Path) -> None:
    summary = run_demo(tmp_path, package=sim_package, n_frames=6)
    assert summary == json.loads((tmp_path / "summary.json").read_text())
    assert summary["frames"] == 6 and summary["edges_match_golden"] is True
    assert summary["engines"] == {"edge": "rtl", "classifier": "rtl"}
    assert summary["accuracy"] >= 4 / 6
    cap = cv2.VideoCapture(str(tmp_path / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    cap.release()
    sheet = cv2.imread(str(tmp_path / "contact_sheet.png"))
    assert sheet.shape == (2 * 240, 4 * 320, 3)


def test_live_camera_notebook_runs_headless_on_rtl(sim_package: Path, tmp_path: Path) -> None:
    nb = json.loads(NOTEBOOK.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in cells[0]["metadata"]["tags"]
    ns: dict = {}
    exec("".join(cells[0]["source"]), ns)  # noqa: S102 - the notebook's own code
    ns.update(BACKEND="rtl", PACKAGE=sim_package, SOURCE="camera:99", MAX_FRAMES=4,
              OUT_DIR=str(tmp_path))
    for cell in cells[1:]:
        exec("".join(cell["source"]), ns)  # noqa: S102
    results = ns["results"]
    assert len(results) == 4 and all(r.label is not None for r in results)
    assert results[0].engines == {"edge": "rtl", "classifier": "csim"}
    assert (tmp_path / "last_frame.png").is_file()
    assert "host_overhead" in ns["summary"]
