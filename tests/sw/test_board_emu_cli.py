"""``fpgacnn stream --backend pynq --emulate BUILD_DIR``: the board driver on the emulated
board of a tree ``fpgacnn build`` wrote, from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from fpgacnn import cli
from fpgacnn.apps.emulate import emulated_package
from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.boards.config import EdgeInput
from fpgacnn.sw.pipeline import Pipeline


@pytest.fixture(scope="module")
def images(digits, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: ANN001
    codes, _ = digits
    root = tmp_path_factory.mktemp("imgs")
    for k, name in enumerate(("camera", "coins", "moon")):
        cv2.imwrite(str(root / f"{k}.png"), digit_frame(codes[10 + k], photo(name)))
    return root


@pytest.mark.parametrize("edge_input", list(EdgeInput), ids=lambda e: e.value)
def test_stream_on_the_emulated_board(board_tree: Callable[..., Path], images: Path,
                                      tmp_path: Path, capsys: pytest.CaptureFixture,
                                      edge_input: EdgeInput) -> None:
    """Gray and colour edge input; each line of results.jsonl carries timings.host (the
    host CPU time: the frame's stages less hw_wait, the time spent polling the DMAs)."""
    tree = board_tree("kv260") if edge_input is EdgeInput.GRAY else \
        board_tree("kv260", edge_input=edge_input)
    out = tmp_path / "run"
    assert cli.main(["stream", "--source", f"images:{images}", "--backend", "pynq",
                     "--emulate", str(tree), "--save-dir", str(out)]) == 0
    assert capsys.readouterr().out.startswith("3 frames in ")
    lines = [json.loads(t) for t in (out / "results.jsonl").read_text().splitlines()]
    assert lines[-1] == {"end": "complete", "frames": 3}
    frames = [cv2.imread(str(p)) for p in sorted(images.glob("*.png"))]
    with Pipeline.open(emulated_package(tree), "reference") as ref:
        expected = [ref.process(f) for f in frames]
    assert [r["label"] for r in lines[:-1]] == [e.label for e in expected]
    assert [r["scores"] for r in lines[:-1]] == [e.scores.tolist() for e in expected]
    for r in lines[:-1]:
        t = r["timings"]
        assert 0.0 <= t["host"] <= t["total"] and 0.0 < t["hw_wait"] < t["total"]
        own = sum(t[k] for k in ("check", "gray", "edge", "crop", "classify"))
        assert t["host"] == pytest.approx(own - t["hw_wait"], rel=1e-9, abs=1e-12)
    for k, e in enumerate(expected):
        png = sorted(out.glob("*.png"))[k]
        assert np.array_equal(cv2.imread(str(png), cv2.IMREAD_GRAYSCALE), e.edges)


@pytest.mark.parametrize("extra, message", [
    (["--backend", "rtl"], "--emulate runs the pynq backend on an emulated board; got "
                           "--backend rtl (use --backend pynq)"),
    (["--backend", "pynq", "--package", "."], "--emulate uses the package of its build tree; "
                                              "drop --package"),
])
def test_emulate_refusals(board_tree: Callable[..., Path], images: Path, extra: list[str],
                          message: str, capsys: pytest.CaptureFixture) -> None:
    tree = board_tree("kv260")
    assert cli.main(["stream", "--source", f"images:{images}", "--emulate", str(tree),
                     *extra]) == 2
    assert capsys.readouterr().err == f"fpgacnn stream: error: {message}\n"


def test_emulate_a_folder_that_is_no_build_tree(images: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["stream", "--source", f"images:{images}", "--backend", "pynq",
                     "--emulate", str(images)]) == 2
    assert capsys.readouterr().err == (
        f"fpgacnn stream: error: --emulate {images}: {images / 'build_config.json'} is "
        f"missing: {images} is not a tree written by fpgacnn build\n")
