"""Frame sources: camera, video file, image folder, HDMI-in (of an overlay that has one).

Every source is an iterator of uint8 frames (gray (h, w) or BGR (h, w, 3), as
OpenCV delivers them) and a context manager. Its contract:

- :meth:`FrameSource.read` has a deadline (``timeout_s``): a read that does not
  deliver in time raises :class:`~fpgacnn.spec.errors.SourceTimeoutError` (the read
  runs on a worker thread, so a hung driver cannot hang the caller);
- every frame is checked: numpy uint8, 2-D or 3 channels, the same shape as the
  source's first frame; otherwise :class:`~fpgacnn.spec.errors.FrameError`;
- live sources (camera, HDMI) reconnect after a failed or late read, up to
  ``reconnects`` times with exponential backoff (``backoff_s``, doubling), then raise
  :class:`~fpgacnn.spec.errors.SourceError`;
- a read after :meth:`close` or past the end raises
  :class:`~fpgacnn.spec.errors.SourceClosedError`; iteration stops at the end;
- a video file that ends before the frame count its container declares (a damaged
  or truncated file) raises :class:`~fpgacnn.spec.errors.SourceDamagedError` naming
  the frames delivered and expected, on the read after its last frame (so a run
  over it fails with that one line, after the frames it did deliver, instead of
  ending as if the video were whole). A container without a frame count is read
  to its end unchecked.

OpenCV (``[io]`` extra) and pynq are imported when a source is opened.
:func:`open_source` parses ``camera:N``, ``video:PATH`` and ``images:DIR``; it refuses
``hdmi`` (:data:`NO_HDMI_PATH`): fpgacnn's board design has no HDMI input, and
PYNQ's base overlay, which has one, would replace fpgacnn's bitstream when loaded.
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.errors import (
    ConfigError,
    FrameError,
    SourceClosedError,
    SourceDamagedError,
    SourceError,
    SourceTimeoutError,
    UsageError,
)
from fpgacnn.spec.frames import check_frame

log = logging.getLogger(__name__)

#: Image file extensions an image folder source reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".pgm", ".ppm", ".webp")
DEFAULT_TIMEOUT_S = 5.0
#: Longest read deadline a source accepts (seconds): a day.
MAX_TIMEOUT_S = 86_400.0


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SourceError("camera, video and image sources need OpenCV: "
                          "pip install 'fpgacnn[io]'") from exc
    return cv2


def check_source_frame(frame: object, expected_shape: tuple[int, ...] | None, where: str
                       ) -> np.ndarray:
    """Return ``frame`` if it is a uint8 gray/BGR frame of ``expected_shape``, else raise."""
    return check_frame(frame, channels=(3,), shape=expected_shape, where=where)


class FrameSource(abc.ABC):
    """Base of every source: deadline-bounded, checked reads; iteration; close."""

    #: a live source (reconnects) or a finite one (ends)
    live: bool = False

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S, reconnects: int = 3,
                 backoff_s: float = 0.1, name: str = "source") -> None:
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or \
                not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise ConfigError(f"timeout_s must be a number of seconds in (0, {MAX_TIMEOUT_S:g}], "
                              f"got {timeout_s!r}")
        if isinstance(reconnects, bool) or not isinstance(reconnects, int) or reconnects < 0:
            raise ConfigError(f"reconnects must be an int >= 0, got {reconnects!r}")
        if not (isinstance(backoff_s, (int, float)) and backoff_s >= 0):
            raise ConfigError(f"backoff_s must be a number >= 0, got {backoff_s!r}")
        self.timeout_s, self.reconnects, self.backoff_s = float(timeout_s), reconnects, backoff_s
        self.name = name
        self.frames_read = 0
        self.reconnections = 0
        self._shape: tuple[int, ...] | None = None
        self._closed = False
        self._ended = False
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fpgacnn-src")
        self._pending: cf.Future[np.ndarray | None] | None = None  # the last read started

    # -- to implement ---------------------------------------------------------------------
    @abc.abstractmethod
    def _grab(self) -> np.ndarray | None:
        """Return the next frame, or None at the end (finite) / on a failed read (live)."""

    def _reopen(self) -> None:  # noqa: B027 - live sources override
        """Reconnect a live source."""

    def _release(self) -> None:  # noqa: B027
        """Release the device or file."""

    # -- public ---------------------------------------------------------------------------
    def read(self) -> np.ndarray:
        """The next frame (checked), within ``timeout_s``; see the module docstring."""
        if self._closed:
            raise SourceClosedError(f"{self.name} is closed")
        if self._ended:
            raise SourceClosedError(f"{self.name} ended after {self.frames_read} frames")
        attempt = 0
        while True:
            try:
                self._pending = self._pool.submit(self._grab)
                frame = self._pending.result(timeout=self.timeout_s)
                if frame is not None:
                    break
                if not self.live:
                    self._ended = True
                    raise SourceClosedError(f"{self.name} ended after {self.frames_read} "
                                            "frames")
                problem = "read failed"
            except (SourceError, FrameError):
                raise
            except cf.TimeoutError:
                if not self.live:
                    raise SourceTimeoutError(f"{self.name}: no frame within {self.timeout_s:g} "
                                             "s") from None
                problem = f"no frame within {self.timeout_s:g} s"
                # the hung read keeps the old worker; reads go to a fresh one
                self._pool.shutdown(wait=False)
                self._pool = cf.ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix="fpgacnn-src")
            except Exception as exc:  # the device's driver failed
                if not self.live:
                    raise SourceError(f"{self.name}: read failed ({exc})") from exc
                problem = f"read failed ({exc})"
            if attempt >= self.reconnects:
                err = SourceTimeoutError if problem.startswith("no frame") else SourceError
                raise err(f"{self.name}: {problem}; gave up after {self.reconnects} reconnects")
            delay = self.backoff_s * (2 ** attempt)
            attempt += 1
            log.warning("%s: %s; reconnecting in %.2f s (%d/%d)", self.name, problem, delay,
                        attempt, self.reconnects)
            time.sleep(delay)
            self.reconnections += 1
            self._reopen()
        frame = check_source_frame(frame, self._shape, f"{self.name} frame {self.frames_read}")
        self._shape = frame.shape
        self.frames_read += 1
        return frame

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            try:
                yield self.read()
            except SourceClosedError:
                if self._ended:
                    return
                raise

    def _when_idle(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or when the read in flight finishes (never under a read).

        A read that timed out may still be inside the device's driver (OpenCV's
        decoder); releasing the capture under it crashes the process, so the release
        waits for that read, in its worker thread.
        """
        pending = self._pending
        if pending is None:
            action()
        else:
            pending.add_done_callback(lambda _future: action())

    def close(self) -> None:
        """Release the device or file (idempotent; deferred while a read is in flight)."""
        if not self._closed:
            self._closed = True
            self._pool.shutdown(wait=False)
            self._when_idle(self._release)

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _CaptureSource(FrameSource):
    """An OpenCV ``VideoCapture`` (camera index or file)."""

    def __init__(self, target: int | str, *, name: str, **kw: Any) -> None:
        super().__init__(name=name, **kw)
        self._target = target
        self._cap = self._open()

    def _open(self) -> Any:
        cv2 = _cv2()
        cap = cv2.VideoCapture(self._target)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open {self.name}")
        return cap

    def _grab(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return frame if ok else None

    def _release(self) -> None:
        self._cap.release()


class CameraSource(_CaptureSource):
    """A camera by OpenCV index (``camera:0``); live: reconnects on failure."""

    live = True

    def __init__(self, index: int, **kw: Any) -> None:
        super().__init__(index, name=f"camera {index}", **kw)

    def _reopen(self) -> None:
        self._when_idle(self._cap.release)  # a hung read keeps its capture until it returns
        try:
            self._cap = self._open()
        except SourceError as exc:
            log.warning("%s", exc)


class VideoFileSource(_CaptureSource):
    """A video file OpenCV decodes; ends at its last frame.

    :attr:`expected_frames` is the frame count the container declares (None when it
    declares none); ending before it raises
    :class:`~fpgacnn.spec.errors.SourceDamagedError` (see the module docstring).
    """

    def __init__(self, path: Path | str, **kw: Any) -> None:
        p = Path(path)
        if not p.is_file():
            raise SourceError(f"cannot open video {str(p)!r}: no such file")
        super().__init__(str(p), name=f"video {str(p)!r}", **kw)
        declared = self._cap.get(_cv2().CAP_PROP_FRAME_COUNT)
        self.expected_frames: int | None = int(declared) if declared and declared > 0 else None
        self._damage_reported = False

    def read(self) -> np.ndarray:
        """The next frame; :class:`SourceDamagedError` once if the file ends early."""
        try:
            return super().read()
        except SourceClosedError:
            short = (self._ended and not self._closed and self.expected_frames is not None
                     and self.frames_read < self.expected_frames)
            if short and not self._damage_reported:
                self._damage_reported = True
                raise SourceDamagedError(
                    f"{self.name} ended after {self.frames_read} of the "
                    f"{self.expected_frames} frames its container declares: the file is "
                    "damaged or truncated") from None
            raise


class ImageFolderSource(FrameSource):
    """The images of a folder in name order (gray files as (h, w), colour as BGR)."""

    def __init__(self, folder: Path | str, **kw: Any) -> None:
        p = Path(folder)
        super().__init__(name=f"images {str(p)!r}", **kw)
        if not p.is_dir():
            raise SourceError(f"cannot open image folder {str(p)!r}: no such folder")
        self.files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)
        if not self.files:
            raise SourceError(f"image folder {str(p)!r} has no images "
                              f"({', '.join(IMAGE_EXTENSIONS)})")
        self._next = 0

    def _grab(self) -> np.ndarray | None:
        if self._next >= len(self.files):
            return None
        cv2 = _cv2()
        f = self.files[self._next]
        self._next += 1
        data = np.fromfile(f, np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if image is None:
            raise SourceError(f"cannot decode image {str(f)!r}")
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        if image.dtype != np.uint8:
            image = (image >> 8).astype(np.uint8) if image.dtype == np.uint16 else image
        return np.ascontiguousarray(image)


#: Why ``hdmi`` is refused: the generated block design has no HDMI path (boards/README.md).
NO_HDMI_PATH = ("hdmi: fpgacnn's board design has no HDMI input path, and loading PYNQ's base "
                "overlay for it would replace fpgacnn's bitstream; use camera:N (a USB camera) "
                "or video:PATH")


class HdmiSource(FrameSource):
    """HDMI-in of an overlay that has one (``overlay.video.hdmi_in``, PYNQ's driver API);
    live: restarts the input on failure.

    fpgacnn's own board design has no HDMI path, so there is no default overlay:
    without ``overlay`` this raises :class:`~fpgacnn.spec.errors.SourceError`
    (:data:`NO_HDMI_PATH`) rather than load PYNQ's base overlay over fpgacnn's bitstream.
    """

    live = True

    def __init__(self, *, overlay: Any = None, **kw: Any) -> None:
        if overlay is None:
            raise SourceError(NO_HDMI_PATH)
        super().__init__(name="hdmi", **kw)
        self._hdmi = overlay.video.hdmi_in
        self._start()

    def _start(self) -> None:
        self._hdmi.configure()
        self._hdmi.start()

    def _grab(self) -> np.ndarray | None:
        frame = self._hdmi.readframe()
        out = np.array(frame, dtype=np.uint8, copy=True)  # the video buffer goes back
        if hasattr(frame, "freebuffer"):
            frame.freebuffer()
        return out

    def _reopen(self) -> None:
        try:
            self._hdmi.stop()
        finally:
            self._start()

    def _release(self) -> None:
        self._hdmi.close()


def open_source(spec: str, **kw: Any) -> FrameSource:
    """Open ``camera:N``, ``video:PATH`` or ``images:DIR``; UsageError otherwise.

    ``hdmi`` raises :class:`~fpgacnn.spec.errors.SourceError` (:data:`NO_HDMI_PATH`).
    """
    kind, _, arg = spec.partition(":")
    if kind == "camera" and arg.isdigit():
        return CameraSource(int(arg), **kw)
    if kind == "video" and arg:
        return VideoFileSource(arg, **kw)
    if kind == "images" and arg:
        return ImageFolderSource(arg, **kw)
    if spec == "hdmi":
        raise SourceError(NO_HDMI_PATH)
    raise UsageError(f"expected a source camera:N, video:PATH or images:DIR, got {spec!r}")


__all__ = [
    "CameraSource",
    "FrameSource",
    "HdmiSource",
    "ImageFolderSource",
    "NO_HDMI_PATH",
    "VideoFileSource",
    "check_source_frame",
    "open_source",
]
