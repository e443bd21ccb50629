"""Frame sources on real files (cv2.VideoWriter videos, PNG folders); deadlines; reconnects."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.spec.errors import FrameError, SourceClosedError, SourceError, SourceTimeoutError
from fpgacnn.sw.sources import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    VideoFileSource,
    open_source,
)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory, digits) -> tuple[Path, list[np.ndarray]]:  # noqa: ANN001
    codes, _ = digits
    frames = [digit_frame(codes[k], cv2.cvtColor(photo(p), cv2.COLOR_GRAY2BGR), width=160,
                          height=120) for k, p in ((1, "camera"), (2, "coins"), (3, "page"))]
    path = tmp_path_factory.mktemp("video") / "digits.mkv"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 5, (160, 120))
    for f in frames:
        writer.write(f)
    writer.release()
    return path, frames


def test_video_file_frames_are_exact_and_it_ends(video) -> None:  # noqa: ANN001
    path, frames = video
    with open_source(f"video:{path}") as src:
        got = list(src)
        assert src.frames_read == 3
        with pytest.raises(SourceClosedError, match=r"^video '.*digits.mkv' ended after 3 "
                                                    r"frames$"):
            src.read()
    assert all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))
    with pytest.raises(SourceClosedError, match=r"^video '.*digits.mkv' is closed$"):
        src.read()


def test_image_folder_in_name_order_and_shape_checked(tmp_path: Path) -> None:
    gray = photo("camera")[:120, :160]
    cv2.imwrite(str(tmp_path / "b.png"), gray)
    cv2.imwrite(str(tmp_path / "a.png"), 255 - gray)
    cv2.imwrite(str(tmp_path / "c.png"), gray[:100])
    (tmp_path / "notes.txt").write_text("not an image")
    with ImageFolderSource(tmp_path) as src:
        assert [f.name for f in src.files] == ["a.png", "b.png", "c.png"]
        assert np.array_equal(src.read(), 255 - gray) and np.array_equal(src.read(), gray)
        with pytest.raises(FrameError, match=r"^images '.*' frame 2: expected shape \(120, 160\) "
                                             r"like the first frame, got \(100, 160\)$"):
            src.read()


def test_open_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^cannot open video '.*missing.mp4': no such file$"):
        open_source(f"video:{tmp_path / 'missing.mp4'}")
    with pytest.raises(SourceError, match=r"^image folder '.*' has no images \(.png, .jpg"):
        open_source(f"images:{tmp_path}")
    with pytest.raises(ValueError, match=r"^expected a source camera:N, video:PATH or "
                                         r"images:DIR, got 'webcam'$"):
        open_source("webcam")
    with pytest.raises(SourceError, match=r"^cannot open camera 99$"):
        CameraSource(99)  # no such camera on this machine: OpenCV cannot open it


class _Device(FrameSource):
    """A scripted live device: each read does what the next script entry says."""

    live = True

    def __init__(self, script: list, **kw) -> None:  # noqa: ANN003
        super().__init__(name="device", **kw)
        self.script, self.reopens = list(script), 0

    def _grab(self) -> np.ndarray | None:
        step = self.script.pop(0)
        if isinstance(step, float):
            time.sleep(step)
            return np.zeros((4, 4), np.uint8)
        return step

    def _reopen(self) -> None:
        self.reopens += 1


def test_live_source_reconnects_with_backoff_then_gives_up() -> None:
    ok = np.full((4, 4), 7, np.uint8)
    with _Device([None, 0.5, ok], timeout_s=0.05, reconnects=2, backoff_s=0.01) as dev:
        assert np.array_equal(dev.read(), ok)  # a failed read, a late read, then a frame
        assert dev.reopens == 2 and dev.reconnections == 2
    with _Device([None, None, None], timeout_s=0.05, reconnects=2, backoff_s=0.0) as dev:
        with pytest.raises(SourceError, match=r"^device: read failed; gave up after 2 "
                                              r"reconnects$"):
            dev.read()
    with _Device([0.5, 0.5], timeout_s=0.05, reconnects=1, backoff_s=0.0) as dev:
        with pytest.raises(SourceTimeoutError, match=r"^device: no frame within 0.05 s; gave up "
                                                     r"after 1 reconnects$"):
            dev.read()


@pytest.mark.parametrize(("frame", "message"), [
    (np.zeros((4, 4), np.float32), r"expected dtype uint8, got float32"),
    (np.full((4, 4), np.nan), r"frame contains NaN \(16 values\)"),
    (np.zeros((4, 4, 4), np.uint8), r"expected 3 channels, got 4"),
    ("frame", r"expected a numpy array, got str"),
])
def test_bad_frames_from_a_source(frame, message: str) -> None:  # noqa: ANN001
    with _Device([frame], timeout_s=1.0) as dev:
        with pytest.raises(FrameError, match=rf"^device frame 0: {message}$"):
            dev.read()


def test_finite_source_read_deadline(video) -> None:  # noqa: ANN001
    class Slow(VideoFileSource):
        def _grab(self):  # noqa: ANN202
            time.sleep(0.3)
            return super()._grab()

    with Slow(video[0], timeout_s=0.05) as src:
        with pytest.raises(SourceTimeoutError, match=r"^video '.*': no frame within 0.05 s$"):
            src.read()


class _FakeHdmiIn:
    """The parts of PYNQ's ``base.video.hdmi_in`` a source uses (a fake of the PYNQ API)."""

    def __init__(self, frames: list) -> None:
        self.frames, self.calls, self.freed = list(frames), [], 0

    def configure(self) -> None:
        self.calls.append("configure")

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")

    def readframe(self) -> np.ndarray:
        item = self.frames.pop(0)
        if item is None:
            raise OSError("HDMI input lost")
        hdmi = self

        class Frame(np.ndarray):
            def freebuffer(self) -> None:
                hdmi.freed += 1

        return np.asarray(item).view(Frame)


def test_hdmi_source_copies_frees_and_restarts() -> None:
    from fpgacnn.sw.sources import HdmiSource

    frame = photo("astronaut")[:48, :64, ::-1].copy()
    hdmi = _FakeHdmiIn([frame, None, frame, None, None])
    overlay = type("Base", (), {"video": type("V", (), {"hdmi_in": hdmi})()})()
    with HdmiSource(overlay=overlay, timeout_s=1.0, reconnects=1, backoff_s=0.0) as src:
        got = src.read()
        assert np.array_equal(got, frame) and type(got) is np.ndarray and hdmi.freed == 1
        assert np.array_equal(src.read(), frame)  # input lost once: restarted
        with pytest.raises(SourceError, match=r"^hdmi: read failed \(HDMI input lost\); gave "
                                              r"up after 1 reconnects$"):
            src.read()
    assert hdmi.calls == ["configure", "start", "stop", "configure", "start", "stop",
                          "configure", "start", "close"]


def test_hdmi_is_refused_without_an_hdmi_path() -> None:
    """``hdmi`` is one line, and nothing tries to load PYNQ's base overlay (issue 12,
    defect 4: it loaded base.bit over fpgacnn's bitstream)."""
    import sys

    from fpgacnn.sw.sources import HdmiSource

    msg = (r"^hdmi: fpgacnn's board design has no HDMI input path, and loading PYNQ's base "
           r"overlay for it would replace fpgacnn's bitstream; use camera:N \(a USB camera\) "
           r"or video:PATH$")
    before = {m for m in sys.modules if m.startswith("pynq")}
    with pytest.raises(SourceError, match=msg):
        open_source("hdmi")
    with pytest.raises(SourceError, match=msg):
        HdmiSource()
    assert {m for m in sys.modules if m.startswith("pynq")} == before


@pytest.mark.parametrize("timeout", [0, -1.0, float("inf"), float("nan"), 86_401.0, True, "5"])
def test_read_deadline_is_bounded(timeout) -> None:  # noqa: ANN001
    from fpgacnn.spec.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^timeout_s must be a number of seconds in "
                                          r"\(0, 86400\], got "):
        _Device([], timeout_s=timeout)


class _SlowCapture(FrameSource):
    """A finite source whose read outlives its deadline; records when it is released."""

    def __init__(self, **kw) -> None:  # noqa: ANN003
        super().__init__(name="slow", **kw)
        import threading

        self.reading = threading.Event()
        self.finish = threading.Event()
        self.released_during_read: bool | None = None

    def _grab(self) -> np.ndarray | None:
        self.reading.set()
        self.finish.wait(5.0)
        return np.zeros((2, 2), np.uint8)

    def _release(self) -> None:
        self.released_during_read = self.reading.is_set() and not self.finish.is_set()


def test_close_never_releases_under_a_read_in_flight() -> None:
    src = _SlowCapture(timeout_s=0.05)
    with pytest.raises(SourceTimeoutError, match=r"^slow: no frame within 0.05 s$"):
        src.read()
    src.close()
    assert src.released_during_read is None  # deferred: the read is still inside the device
    src.finish.set()
    deadline = time.monotonic() + 5.0
    while src.released_during_read is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert src.released_during_read is False
