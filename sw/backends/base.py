"""The two engines a pipeline drives: an edge engine and a classifier engine.

An :class:`EdgeEngine` takes checked uint8 gray frames. It is split into
:meth:`~EdgeEngine.submit` and :meth:`~EdgeEngine.collect` so a backend with real
hardware can keep one frame in flight while the host prepares the next (double
buffering); engines that compute synchronously do the work in ``submit``.
A :class:`ClassifierEngine` maps input codes to raw fixed-point scores.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class EdgeOutput:
    """One edge map and the time the core took for it (None when there is no core)."""

    edges: np.ndarray
    hw_seconds: float | None
    cycles: int | None = None


class EdgeEngine(abc.ABC):
    """Edge detection on uint8 (h, w) gray frames, at most ``max_in_flight`` frames queued."""

    #: the backend name recorded in results
    name: str = "?"
    #: how many frames may be submitted before the oldest must be collected
    max_in_flight: int = 1

    @abc.abstractmethod
    def submit(self, gray: np.ndarray, threshold: int) -> object:
        """Start one frame; return a ticket for :meth:`collect`."""

    @abc.abstractmethod
    def collect(self, ticket: object) -> EdgeOutput:
        """Finish the frame of ``ticket`` (tickets are collected in submission order)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (idempotent)."""


class ClassifierEngine(abc.ABC):
    """Classification of one code image (H, W, C) uint8 into raw integer scores."""

    name: str = "?"

    @abc.abstractmethod
    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Return the raw scores (K,) int64 and the core's time (None without a core)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (idempotent)."""


class SyncEdgeEngine(EdgeEngine):
    """Base of engines that compute in ``submit``: the ticket is the finished output."""

    def submit(self, gray: np.ndarray, threshold: int) -> object:
        """Compute the frame now; return its output as the ticket."""
        return self.compute(gray, threshold)

    def collect(self, ticket: object) -> EdgeOutput:
        """Return the output computed by :meth:`submit`."""
        assert isinstance(ticket, EdgeOutput)
        return ticket

    @abc.abstractmethod
    def compute(self, gray: np.ndarray, threshold: int) -> EdgeOutput:
        """Edge map of one frame."""


def raw_scores(values: np.ndarray, fraction: int) -> np.ndarray:
    """Scores as raw fixed-point integers: ``values * 2**fraction``, which must be integral."""
    scaled = np.asarray(values, np.float64).reshape(-1) * float(2**fraction)
    raw = np.rint(scaled)
    if not np.array_equal(raw, scaled):
        from ..errors import BackendError

        raise BackendError(f"scores are not on the output grid 2**-{fraction}: {values!r}")
    return raw.astype(np.int64)
