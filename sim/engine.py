"""The ``rtl`` backend: the Verilated cores, through their fast C++ harnesses.

- edges: ``fcnn_edge_core`` (:class:`fpgacnn.sim.edge_harness.EdgeHarness`);
- classes: the generated open-RTL classifier core ``fcnn_classifier``
  (:class:`fpgacnn.sim.classifier_harness.ClassifierHarness`), from the
  ``rtl`` folder that ``fpgacnn convert`` writes.

Core time is the simulated cycle count divided by the package's clock.
Registered as the ``rtl`` entry point of ``fpgacnn.backends``
(:mod:`fpgacnn.spec.engines`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from fpgacnn.spec import engines as eng
from fpgacnn.spec.package import CoreSpec

log = logging.getLogger(__name__)


class RtlEdgeEngine(eng.SyncEdgeEngine):
    """One simulated edge core with the package's HDL parameters; core time from cycles."""

    name = "rtl"

    def __init__(self, *, ppc: int, max_width: int, max_height: int, clock_hz: int) -> None:
        from fpgacnn.sim.edge_harness import EdgeHarness

        self._harness = EdgeHarness(ppc=ppc, max_width=max_width, max_height=max_height)
        self._clock_hz = clock_hz

    def compute(self, gray: np.ndarray, threshold: int) -> eng.EdgeOutput:
        """Stream one frame through the simulated core."""
        run = self._harness.run([gray], threshold=threshold)
        cycles = run.frame_cycles[0]
        return eng.EdgeOutput(edges=run.frames[0], hw_seconds=cycles / self._clock_hz,
                          cycles=cycles)

    def close(self) -> None:
        """Free the simulated core."""
        self._harness.close()


class RtlClassifierEngine(eng.ClassifierEngine):
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

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores as values (codes * 2**-fraction) of a batch of model inputs."""
        frac = self._harness.info["input"]["element_fraction"]
        codes = np.round(np.asarray(x, np.float64) * 2.0 ** frac).astype(np.int64)
        scores = self._harness.classify(codes).scores
        return scores.astype(np.float64) * 2.0 ** -self._harness.score_fraction

    def close(self) -> None:
        """Free the simulated core."""
        self._harness.close()


class RtlBackend(eng.Backend):
    """Both cores as Verilated RTL."""

    kind = eng.BackendKind.RTL
    requires = ("verilator",)

    def open_edge(self, core: CoreSpec, *, clock_hz: int) -> eng.EdgeEngine:
        """The edge core built with the package's HDL parameters."""
        return RtlEdgeEngine(ppc=core.ppc, max_width=core.max_width,
                             max_height=core.max_height, clock_hz=clock_hz)

    def open_classifier(self, files: eng.ClassifierFiles) -> eng.ClassifierEngine:
        """The generated classifier core of ``files.rtl``."""
        rtl_dir = files.need("rtl", "generated classifier RTL",
                             "; rebuild it with `fpgacnn package`, or pass "
                             "classifier_backend='csim'")
        return RtlClassifierEngine(rtl_dir=rtl_dir, clock_hz=files.clock_hz)


#: The registered ``rtl`` backend.
BACKEND = RtlBackend()
