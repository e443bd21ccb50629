"""A damaged or truncated video is reported (frames delivered vs the container's count),
not taken for a whole one. Videos are written here by OpenCV and then damaged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.cli import main
from fpgacnn.spec.errors import SourceDamagedError
from fpgacnn.sw.sources import VideoFileSource

N = 40


def _write(path: Path, fourcc: str) -> Path:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, (64, 48))
    assert w.isOpened()
    for i in range(N):
        f = np.zeros((48, 64, 3), np.uint8)
        cv2.putText(f, str(i), (5, 40), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        w.write(f)
    w.release()
    return path


def _zero_middle(path: Path) -> Path:
    """Zero a quarter of the file from its middle (the frames' data, not the index)."""
    b = bytearray(path.read_bytes())
    mid, span = len(b) // 2, len(b) // 4
    b[mid : mid + span] = bytes(span)
    out = path.with_name("damaged" + path.suffix)
    out.write_bytes(bytes(b))
    return out


def _truncate(path: Path) -> Path:
    out = path.with_name("truncated" + path.suffix)
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def test_whole_video_ends_quietly(tmp_path: Path) -> None:
    with VideoFileSource(_write(tmp_path / "clip.mp4", "mp4v")) as src:
        assert src.expected_frames == N
        assert sum(1 for _ in src) == N


@pytest.mark.parametrize(("fourcc", "ext", "damage"), [
    ("mp4v", ".mp4", _zero_middle), ("MJPG", ".avi", _zero_middle), ("MJPG", ".avi", _truncate),
], ids=["mp4-zeroed", "avi-zeroed", "avi-truncated"])
def test_damaged_video_is_reported(tmp_path: Path, fourcc: str, ext: str, damage) -> None:  # noqa: ANN001
    bad = damage(_write(tmp_path / f"clip{ext}", fourcc))
    got = 0
    with VideoFileSource(bad) as src, pytest.raises(SourceDamagedError) as info:
        for _ in src:
            got += 1
    assert 0 < got < N
    assert str(info.value) == (f"video {str(bad)!r} ended after {got} of the {N} frames its "
                               "container declares: the file is damaged or truncated")


def test_stream_over_a_damaged_video_exits_2_and_marks_results(sim_package: Path,
                                                               tmp_path: Path, capsys) -> None:  # noqa: ANN001
    bad = _zero_middle(_write(tmp_path / "clip.mp4", "mp4v"))
    out = tmp_path / "out"
    rc = main(["stream", "--source", f"video:{bad}", "--backend", "reference", "--no-classify",
               "--package", str(sim_package), "--save-dir", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    m = re.fullmatch(r"fpgacnn stream: error: video '.*' ended after (\d+) of the 40 frames "
                     r"its container declares: the file is damaged or truncated\n", err)
    assert m, err
    last = json.loads((out / "results.jsonl").read_text().splitlines()[-1])
    assert last == {"end": "error", "frames": int(m.group(1))}
