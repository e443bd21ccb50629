"""The ``rtl`` edge engine: the Verilated ``fcnn_edge_core`` (``fpgacnn.sim.edge_harness``).

There is no RTL classifier yet (the open RTL backend is another issue): the ``rtl``
backend's classifier is :class:`~fpgacnn.sw.errors.ClassifierUnavailableError` unless
the caller asks for the C simulation explicitly (``classifier_backend="csim"``), and
every result records which engine computed it.
"""

from __future__ import annotations

import logging

import numpy as np

from .base import EdgeOutput, SyncEdgeEngine

log = logging.getLogger(__name__)


class RtlEdgeEngine(SyncEdgeEngine):
    """One simulated edge core with the package's HDL parameters; core time from cycles."""

    name = "rtl"

    def __init__(self, *, ppc: int, max_width: int, max_height: int, clock_hz: int) -> None:
        from fpgacnn.sim.edge_harness import EdgeHarness

        self._harness = EdgeHarness(ppc=ppc, max_width=max_width, max_height=max_height)
        self._clock_hz = clock_hz

    def compute(self, gray: np.ndarray, threshold: int) -> EdgeOutput:
        """Stream one frame through the simulated core."""
        run = self._harness.run([gray], threshold=threshold)
        cycles = run.frame_cycles[0]
        return EdgeOutput(edges=run.frames[0], hw_seconds=cycles / self._clock_hz,
                          cycles=cycles)

    def close(self) -> None:
        """Free the simulated core."""
        self._harness.close()
