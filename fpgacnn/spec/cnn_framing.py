"""The classifier core's framing policy and its transaction-level model (numpy/stdlib only).

The classifier core (DESIGN.md "Classifier core") takes an image of ``P = H*W``
pixels, one pixel per beat, ``tlast`` on the last pixel. It counts the pixels
and reads ``tlast``; a beat whose ``tlast`` disagrees with the count is a
framing fault, and the policy makes it cost at most the damaged image:

1. **In time** -- ``tlast`` on pixel ``P-1`` (counting from 0) and on no earlier
   pixel: the image is computed as sent; status 0 (plus the sticky bit).
2. **Early** -- ``tlast`` on pixel ``i < P-1``: the image ends there. Its
   pixels ``i+1 .. P-1`` are zeros (padding, no input consumed), it is
   computed, and its result carries ``TLAST_EARLY``. The next beat starts the
   next image.
3. **Late** -- no ``tlast`` on pixel ``P-1``: the image ends at the count; it
   is computed as it stands and its result carries ``TLAST_LATE``. The input
   that follows is dropped, up to and including the next beat with ``tlast``;
   the beat after that starts the next image (framed afresh).
4. **Sticky** -- ``FAULT_SEEN`` is set in the status of every result from the
   first faulty image on, until reset.

So every image produces exactly one result beat, in order; an image framed
in time after a fault is computed bit for bit as if no fault had happened;
beats dropped under rule 3 produce no result (a lost image shows as a missing
result and a ``TLAST_LATE`` on the one before it). Reset returns the core to
"first pixel of an image, no fault seen". The status bits are
:class:`fpgacnn.spec.cores.ClassifierStatus`, in the output beat
(:class:`fpgacnn.spec.cores.ClassifierOutputLayout`).

:class:`FramingModel` is the transaction-level model of this policy: the
campaign in ``tests/test_classifier_faults.py`` and the testbench
``sim/fcnn_cnn_framer`` check the RTL against it, result for result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .cores import ClassifierStatus
from .errors import UsageError

__all__ = ["FramedImage", "FramingModel", "frame_beats"]


@dataclass(frozen=True)
class FramedImage:
    """One image as the core computes it: ``pixels`` (P beats, padding as 0) and its status."""

    #: (P,) beat payloads (int64; an early-ended image is completed with zeros)
    pixels: np.ndarray
    #: :class:`ClassifierStatus` bits of the result beat
    status: int
    #: index of the input beat on which the image ended (its last beat taken)
    end_beat: int

    @property
    def damaged(self) -> bool:
        """The image was not framed in time (rule 2 or 3)."""
        return bool(self.status & (ClassifierStatus.TLAST_EARLY | ClassifierStatus.TLAST_LATE))


class FramingModel:
    """The framing policy (this module's docstring) as a state machine over input beats.

    ``pixels`` is P, the pixels of one image. Feed beats with :meth:`feed`; each
    returns the images completed by those beats. :attr:`dropped` counts beats
    discarded under rule 3; :attr:`pending` the pixels of an image begun but not
    ended.
    """

    def __init__(self, *, pixels: int) -> None:
        if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 1:
            raise UsageError(f"pixels: expected an integer >= 1, got {pixels!r}")
        self.pixels = pixels
        self.reset()

    def reset(self) -> None:
        """The state after the core's ``rst``."""
        self._buf: list[int] = []
        self._dropping = False
        self._sticky = False
        self._beat = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Pixels of the image in progress (0 between images or while dropping)."""
        return len(self._buf)

    @property
    def dropping(self) -> bool:
        """The model discards input until the next ``tlast`` (rule 3)."""
        return self._dropping

    def _emit(self, status: int) -> FramedImage:
        if status:
            self._sticky = True
        if self._sticky:
            status |= ClassifierStatus.FAULT_SEEN
        px = np.zeros(self.pixels, dtype=np.int64)
        px[: len(self._buf)] = self._buf
        self._buf = []
        return FramedImage(pixels=px, status=int(status), end_beat=self._beat)

    def feed(self, beats: Iterable[tuple[int, bool]]) -> list[FramedImage]:
        """Apply ``(tdata, tlast)`` beats; return the images they complete, in order."""
        out: list[FramedImage] = []
        for data, last in beats:
            if self._dropping:
                self.dropped += 1
                self._dropping = not last
            else:
                self._buf.append(int(data))
                if len(self._buf) == self.pixels:
                    status = 0 if last else ClassifierStatus.TLAST_LATE
                    self._dropping = not last
                    out.append(self._emit(status))
                elif last:
                    out.append(self._emit(ClassifierStatus.TLAST_EARLY))
            self._beat += 1
        return out


def frame_beats(beats: Iterable[tuple[int, bool]], *, pixels: int) -> list[FramedImage]:
    """The images a core fresh from reset computes from ``beats`` (``(tdata, tlast)`` pairs)."""
    return FramingModel(pixels=pixels).feed(beats)
