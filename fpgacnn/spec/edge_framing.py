"""The edge core's malformed-stream policy as a transaction-level model (numpy/stdlib only).

The policy is written in ``hw/rtl/fcnn_edge_core.md`` ("Malformed-stream
policy"); this module restates it over the sequence of input beats the core
*accepts* (a beat with ``tuser`` inside a frame is held until the core is ready
for it, so the order of beats, not their timing, decides every outcome):

- **Waiting for SOF** (after ``rst``, after a frame, after a fault): a beat with
  ``tuser`` starts a frame of the ``WIDTH`` x ``HEIGHT`` configured at that
  moment, or, if that size is 0 or above the maximum, is discarded with
  ``BAD_SIZE`` (and the input is discarded until the next SOF). A beat without
  ``tuser`` is discarded; unless the input is already being discarded after a
  fault, it sets ``FRAME_LONG`` when a frame has completed since the last
  reset/SOF, else ``SOF_MISSING``.
- **In a frame**: a line is ``ceil(WIDTH/PPC)`` beats. ``tlast`` on a beat
  before a line's last sets ``EOL_EARLY``, no ``tlast`` on a line's last beat
  ``EOL_LATE``; the beat is used either way. A beat with ``tuser`` sets
  ``SOF_EARLY`` and then starts the next frame. After any of the three the core
  pads the frame with zero pixels (the output frame is complete) and discards
  further beats without ``tuser`` (no further error bit) until the next SOF.
- ``ERROR`` bits are sticky; ``DROP_COUNT`` counts discarded beats,
  ``FRAME_COUNT`` output frames.

Every frame started gives one output frame of its ``HEIGHT`` lines of ``WIDTH``
pixels. What the policy fixes about its content: output lines computed only
from received input are exact. Output row ``r`` reads input rows ``r-1..r+1``
(borders replicated), so when the first ``k`` input rows arrived whole, output
rows ``0..k-2`` are exact (all rows when ``k == HEIGHT``). The rest of a damaged
frame is implementation-defined: :class:`EdgeOutputFrame` says so
(``exact_rows < height``) and a check must not look at it.

:class:`EdgeFramingModel` is the model; the randomized campaign
``sim/fcnn_edge_core/tb_fcnn_edge_faults.py`` (run by ``tests/test_edge_faults.py``)
checks the RTL against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .cores import EDGE_ERROR_BITS
from .edge import sobel_edges
from .errors import UsageError

__all__ = ["EdgeBeat", "EdgeFramingModel", "EdgeOutputFrame", "ERROR_BIT"]

#: ERROR register bit masks by name (from :data:`fpgacnn.spec.cores.EDGE_ERROR_BITS`).
ERROR_BIT: dict[str, int] = {name: 1 << bit for bit, name in EDGE_ERROR_BITS.items()}

#: One input beat: (``ppc`` pixel values, tuser, tlast).
EdgeBeat = tuple[Sequence[int], bool, bool]


@dataclass
class EdgeOutputFrame:
    """One output frame the policy says the core emits, and what of it is fixed."""

    height: int
    width: int
    threshold: int
    #: (height, width) input as the core uses it: received pixels, zero where padded
    pixels: np.ndarray
    #: leading output rows that must equal ``sobel_edges`` of the input (``height``: all)
    exact_rows: int = 0
    #: names of the faults that damaged this frame (empty: a good frame)
    faults: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """The frame was padded: rows from :attr:`exact_rows` on are content unchecked."""
        return self.exact_rows < self.height

    def expected_rows(self) -> np.ndarray:
        """The fixed part of the output: ``sobel_edges`` rows ``0..exact_rows-1``."""
        return sobel_edges(self.pixels, self.threshold)[: self.exact_rows]


class EdgeFramingModel:
    """The malformed-stream policy as a state machine over accepted input beats.

    ``ppc``, ``max_width`` and ``max_height`` are the core's parameters. Set the
    registers with :meth:`configure` (they are latched at the next SOF), feed beats
    with :meth:`feed`; :attr:`frames` lists the output frames started so far (the
    last one may still be in progress), :attr:`error` the sticky ERROR value,
    :attr:`drops` the DROP_COUNT.
    """

    def __init__(self, *, ppc: int, max_width: int, max_height: int) -> None:
        for name, v in (("ppc", ppc), ("max_width", max_width), ("max_height", max_height)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise UsageError(f"{name}: expected an integer >= 1, got {v!r}")
        self.ppc, self.max_width, self.max_height = ppc, max_width, max_height
        self.reset()

    def reset(self) -> None:
        """The state after ``rst``: every register at its reset value, no frame, no fault."""
        self.width, self.height, self.threshold = self.max_width, self.max_height, 0
        self.frames: list[EdgeOutputFrame] = []
        self.error = 0
        self.drops = 0
        self._in_frame = False
        self._dropping = False
        self._seen_frame = False
        self._x = self._y = 0

    def configure(self, width: int, height: int, threshold: int = 0) -> None:
        """Write WIDTH, HEIGHT (16-bit registers) and THRESHOLD; they apply from the next SOF."""
        self.width, self.height, self.threshold = width & 0xFFFF, height & 0xFFFF, threshold

    @property
    def size_ok(self) -> bool:
        """WIDTH and HEIGHT are in 1..maximum (else a SOF raises BAD_SIZE)."""
        return 1 <= self.width <= self.max_width and 1 <= self.height <= self.max_height

    @property
    def frame_count(self) -> int:
        """Output frames started (each completes: FRAME_COUNT once the core is idle)."""
        return len(self.frames)

    def _fault(self, name: str) -> None:
        self.error |= ERROR_BIT[name]

    def _end_frame(self, fault: str | None) -> None:
        """Close the current frame: complete, or padded after ``fault``.

        The input rows received whole are those before the current row ``_y``.
        """
        f = self.frames[-1]
        f.exact_rows = f.height if self._y >= f.height else max(0, self._y - 1)
        if fault is not None:
            self._fault(fault)
            f.faults.append(fault)
            self._dropping = True
        self._seen_frame = True
        self._in_frame = False

    def _discard(self) -> None:
        self.drops += 1
        if not self._dropping:
            self._fault("FRAME_LONG" if self._seen_frame else "SOF_MISSING")
            self._dropping = True

    def _start(self) -> None:
        w, h = self.width, self.height
        self.frames.append(EdgeOutputFrame(h, w, self.threshold,
                                           np.zeros((h, w), dtype=np.uint8)))
        self._in_frame, self._dropping, self._seen_frame = True, False, False
        self._x = self._y = 0

    def feed(self, beats: Iterable[EdgeBeat]) -> None:
        """Apply input beats ``(pixels, tuser, tlast)`` in the order they are offered."""
        for pixels, tuser, tlast in beats:
            if self._in_frame and tuser:
                self._end_frame("SOF_EARLY")      # the beat is then taken as a SOF
            if not self._in_frame:
                if not tuser:
                    self._discard()
                    continue
                if not self.size_ok:
                    self._fault("BAD_SIZE")
                    self.drops += 1
                    self._dropping = True
                    continue
                self._start()
            self._frame_beat(pixels, bool(tlast))

    def _frame_beat(self, pixels: Sequence[int], tlast: bool) -> None:
        f = self.frames[-1]
        bpl = -(-f.width // self.ppc)
        x0 = self._x * self.ppc
        n = min(self.ppc, f.width - x0)
        f.pixels[self._y, x0 : x0 + n] = np.asarray(pixels[:n], dtype=np.uint8)
        last_x = self._x == bpl - 1
        if tlast and not last_x:
            self._end_frame("EOL_EARLY")
            return
        if last_x:
            self._x, self._y = 0, self._y + 1
            if not tlast:
                self._end_frame("EOL_LATE")       # the row just ended arrived whole
            elif self._y == f.height:
                self._end_frame(None)
        else:
            self._x += 1
