"""``fpgacnn demo``: RTL outputs on bundled photos, checked and written with a summary."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fpgacnn.apps.cli_demo import load_photo, parse_size
from fpgacnn.cli import main
from fpgacnn.spec.edge import sobel_edges


@pytest.mark.sim
@pytest.mark.xdist_group("edge_harness_ppc1")
def test_demo_writes_checked_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--images", "camera", "astronaut", "--size", "160x120",
            "--no-stream"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == (
        f"demo: 2/2 images match the golden model; results in {out}"
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["all_match"] is True and summary["ppc"] == 1
    assert [i["name"] for i in summary["images"]] == ["camera", "astronaut"]
    for item in summary["images"]:
        assert (item["width"], item["height"]) == (160, 120)
        assert item["matches_golden"] and item["mismatched_pixels"] == 0
        assert item["cycles"] >= 160 * 120 and item["latency"] > 0
        frame = cv2.imread(str(out / f"{item['name']}_in.png"), cv2.IMREAD_UNCHANGED)
        edges = cv2.imread(str(out / f"{item['name']}_edges.png"), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(edges, sobel_edges(frame))
    assert summary["images"][1]["source_shape"] == [512, 512]
    sheet = cv2.imread(str(out / "contact_sheet.png"), cv2.IMREAD_UNCHANGED)
    assert sheet.ndim == 2 and sheet.shape[0] > 2 * 120


def test_unknown_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--images", "camera", "nosuchphoto"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "fpgacnn demo: error: scikit-image has no bundled photo 'nosuchphoto'"
    assert not (tmp_path / "summary.json").exists()


@pytest.mark.parametrize("text", ["640", "0x480", "axb", "640x480x3"])
def test_bad_size(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--size", text]) == 2
    assert capsys.readouterr().err.strip() == (
        f"fpgacnn demo: error: --size must be WIDTHxHEIGHT (e.g. 640x480) or 'native', got {text!r}"
    )


def test_parse_size_and_photos() -> None:
    assert parse_size("native") is None
    assert parse_size("64x48") == (64, 48)
    gray = load_photo("coffee")
    assert gray.dtype == np.uint8 and gray.shape == (400, 600)
