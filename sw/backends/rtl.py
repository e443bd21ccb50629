"""The ``rtl`` engines: the Verilated cores, through their fast C++ harnesses.

- edges: ``fcnn_edge_core`` (``fpgacnn.sim.edge_harness``);
- classes: the generated open-RTL classifier core ``fcnn_classifier``
  (``fpgacnn.sim.classifier_harness``), from the package's ``model.files['rtl']``
  folder (written by ``fpgacnn convert``).

Core time is the simulated cycle count divided by the package's clock.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .base import ClassifierEngine, EdgeOutput, SyncEdgeEngine

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


class RtlClassifierEngine(ClassifierEngine):
    """The generated classifier core, simulated; scores are the core's raw output codes."""

    name = "rtl"

    def __init__(self, *, rtl_dir: Path, clock_hz: int) -> None:
        from fpgacnn.sim.classifier_harness import ClassifierHarness

        self._harness = ClassifierHarness(rtl_dir)
        self._clock_hz = clock_hz

    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Raw scores of one code image (H, W, C) and the core's time from its cycles."""
        res = self._harness.classify(np.asarray(codes)[None].astype(np.int64))
        cycles = int(res.stats.latency[0])
        return res.scores[0].astype(np.int64), cycles / self._clock_hz

    def close(self) -> None:
        """Free the simulated core."""
        self._harness.close()
