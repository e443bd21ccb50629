"""``fpgacnn stream`` and ``fpgacnn package`` through fpgacnn.cli.main, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.cli import main
from fpgacnn.spec.edge import sobel_edges

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory, digits) -> tuple[Path, list[int]]:  # noqa: ANN001
    codes, labels = digits
    d = tmp_path_factory.mktemp("images")
    for i, k in enumerate((100, 200, 300)):
        cv2.imwrite(str(d / f"{i}.png"), digit_frame(codes[k], photo("coins")))
    return d, [int(labels[k]) for k in (100, 200, 300)]


def test_stream_images_rtl_writes_video_pngs_and_jsonl(sim_package: Path, image_dir,  # noqa: ANN001
                                                       tmp_path: Path, capsys) -> None:  # noqa: ANN001
    folder, truth = image_dir
    out, save = tmp_path / "out.mp4", tmp_path / "save"
    rc = main(["stream", "--source", f"images:{folder}", "--backend", "rtl", "--package",
               str(sim_package), "--classifier-backend", "csim", "--out", str(out),
               "--save-dir", str(save)])
    assert rc == 0
    assert capsys.readouterr().out.startswith("3 frames in ")
    lines = [json.loads(s) for s in (save / "results.jsonl").read_text().splitlines()]
    assert lines.pop() == {"end": "complete", "frames": 3}
    assert [r["frame"] for r in lines] == [0, 1, 2]
    assert lines[0]["engines"] == {"edge": "rtl", "classifier": "csim"}
    assert np.mean(np.array([r["label"] for r in lines]) == np.array(truth)) >= 2 / 3
    edges = cv2.imread(str(save / "frame_000001_edges.png"), cv2.IMREAD_UNCHANGED)
    frame = cv2.imread(str(folder / "1.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(edges, sobel_edges(frame))
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3 and cap.read()[1].shape == (480, 640, 3)
    cap.release()


def test_stream_user_errors(sim_package: Path, image_dir, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    folder, _ = image_dir
    base = ["stream", "--package", str(sim_package)]
    assert main([*base, "--source", "webcam"]) == 2
    assert capsys.readouterr().err == ("fpgacnn stream: error: expected a source camera:N, "
                                       "video:PATH or images:DIR, got 'webcam'\n")
    assert main([*base, "--source", f"images:{folder}", "--backend", "rtl",
                 "--threshold", "9999"]) == 2
    assert "threshold" in capsys.readouterr().err
    big = tmp_path / "big"
    big.mkdir()
    cv2.imwrite(str(big / "x.png"), np.zeros((720, 1280), np.uint8))
    assert main([*base, "--source", f"images:{big}", "--backend", "reference",
                 "--no-classify"]) == 2
    assert capsys.readouterr().err == ("fpgacnn stream: error: frame of 1280x720 pixels "
                                       "exceeds the package's maximum 640x480\n")
    assert main([*base, "--source", f"images:{big}", "--backend", "reference",
                 "--no-classify", "--size", "320x240", "--save-dir", str(tmp_path / "s")]) == 0
    assert cv2.imread(str(tmp_path / "s" / "frame_000000_edges.png")).shape == (240, 320, 3)
    assert main([*base, "--source", f"images:{big}", "--fps", "0"]) == 2
    assert capsys.readouterr().err == ("fpgacnn stream: error: --fps must be a frame rate in "
                                       "(0, 1000], got 0\n")
    assert main([*base, "--source", f"images:{big}", "--out", str(tmp_path / "x.gif")]) == 2
    assert capsys.readouterr().err.endswith("--out must end in .mp4, .avi or .mkv, got "
                                            f"'{tmp_path / 'x.gif'}'\n")


def test_an_interrupted_stream_marks_its_results_as_cut(sim_package: Path, image_dir,  # noqa: ANN001
                                                        tmp_path: Path, capsys,  # noqa: ANN001
                                                        monkeypatch) -> None:  # noqa: ANN001
    from fpgacnn.sw.pipeline import Pipeline

    real = Pipeline._stream

    def cut_after_one(self, source, max_frames):  # noqa: ANN001, ANN202
        for i, result in enumerate(real(self, source, max_frames)):
            if i == 1:
                raise KeyboardInterrupt
            yield result

    monkeypatch.setattr(Pipeline, "_stream", cut_after_one)
    folder, _ = image_dir
    save = tmp_path / "save"
    assert main(["stream", "--source", f"images:{folder}", "--backend", "reference",
                 "--no-classify", "--package", str(sim_package), "--save-dir", str(save)]) == 130
    assert capsys.readouterr().err == "fpgacnn stream: interrupted\n"
    lines = [json.loads(s) for s in (save / "results.jsonl").read_text().splitlines()]
    assert lines[-1] == {"end": "interrupted", "frames": 1}
    assert [r["frame"] for r in lines[:-1]] == [0]
