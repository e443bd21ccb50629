"""The ``rtl`` backend: the Verilated cores, through their fast C++ harnesses.

- edges: ``fcnn_edge_core`` (:class:`fpgacnn.sim.edge_harness.EdgeHarness`);
- classes: the generated open-RTL classifier core ``fcnn_classifier``
  (:class:`fpgacnn.sim.classifier_harness.ClassifierHarness`), from the
  ``rtl`` folder that ``fpgacnn convert`` writes;
- the frame path's front, as the package's board would have it
  (:class:`fpgacnn.sim.frame_harness.FrameHarness`): ``fcnn_rgb2gray`` when the edge
  core's input is colour (``stream_in_bits`` 24 * PPC), so a colour frame reaches the
  edge core through the RTL's BT.601; ``fcnn_crop_scale`` when the classifier's input
  is cut in the fabric (:func:`fpgacnn.spec.crop_scale.crops_in_fabric`), so the
  classifier's input codes come from the RTL crop and downscale, not from the host's
  :func:`~fpgacnn.spec.frames.classifier_codes` (simulated only when the ``rtl``
  classifier reads it: edge-only, or with ``classifier_backend="csim"``, the front is
  ``fcnn_rgb2gray`` alone and the C-sim's input is the host's crop). Both see every
  frame once, behind ``fcnn_axis_broadcast``, in the edge engine's ``submit``; the
  classifier engine then has :attr:`~RtlClassifierEngine.crops_frames` and takes that
  frame's codes with :meth:`~RtlClassifierEngine.frame_scores` (the pynq backend's
  protocol). A package with a gray edge input and a host crop runs no front: the host's
  numpy, as on its board.

Core time is the simulated cycle count divided by the package's clock: ``edge_hw`` the
edge core's cycles (the front's two-cycle rgb2gray latency not counted), ``classify_hw``
the classifier core's; the front's host time is part of the ``edge`` timing.
Registered as the ``rtl`` entry point of ``fpgacnn.backends``
(:mod:`fpgacnn.spec.engines`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec import engines as eng
from fpgacnn.spec.crop_scale import crops_in_fabric
from fpgacnn.spec.errors import BackendError
from fpgacnn.spec.frames import CropRule
from fpgacnn.spec.package import CoreKind, CoreSpec, Package
from fpgacnn.spec.preprocess import InputSpec

log = logging.getLogger(__name__)


class RtlFrameFront:
    """The frame path's front blocks of one package (:class:`~fpgacnn.sim.frame_harness.
    FrameHarness`), shared by the edge engine (which streams each frame through it) and the
    classifier engine (which takes each frame's codes in order)."""

    def __init__(self, *, ppc: int, max_width: int, max_height: int, color: bool,
                 rule: CropRule | None, spec: InputSpec | None) -> None:
        from fpgacnn.sim.frame_harness import FrameHarness

        self.harness = FrameHarness(ppc=ppc, max_width=max_width, max_height=max_height,
                                    color=color, rule=rule, spec=spec)
        self.color = color
        #: codes of the frames run but not yet classified, oldest first (only kept while a
        #: classifier engine reads them)
        self.codes: deque[np.ndarray] = deque()
        self.keep_codes = False

    @property
    def crops(self) -> bool:
        """True when the crop block cuts the classifier's input."""
        return self.harness.crops

    def run(self, frame: np.ndarray) -> np.ndarray:
        """One frame through the front; return the edge core's gray input (the crop's codes
        are queued for the classifier)."""
        res = self.harness.run([frame])
        if res.codes is not None and self.keep_codes:
            self.codes.append(res.codes[0])
        return res.gray[0] if res.gray is not None else frame

    def close(self) -> None:
        """Free the simulated blocks."""
        self.codes.clear()
        self.harness.close()


class RtlEdgeEngine(eng.SyncEdgeEngine):
    """One simulated edge core with the package's HDL parameters; core time from cycles.

    With a ``front`` (:class:`RtlFrameFront`) every frame goes through it first: the engine
    :attr:`takes_color` when the front converts colour, and the crop block sees the frame.
    """

    name = "rtl"

    def __init__(self, *, ppc: int, max_width: int, max_height: int, clock_hz: int,
                 front: RtlFrameFront | None = None) -> None:
        from fpgacnn.sim.edge_harness import EdgeHarness

        self._harness = EdgeHarness(ppc=ppc, max_width=max_width, max_height=max_height)
        self._clock_hz = clock_hz
        self._front = front
        self.takes_color = front is not None and front.color

    def compute(self, gray: np.ndarray, threshold: int) -> eng.EdgeOutput:
        """Stream one frame through the simulated front (if any) and edge core."""
        if self._front is not None:
            gray = self._front.run(gray)
        run = self._harness.run([gray], threshold=threshold)
        cycles = run.frame_cycles[0]
        return eng.EdgeOutput(edges=run.frames[0], hw_seconds=cycles / self._clock_hz,
                              cycles=cycles)

    def close(self) -> None:
        """Free the simulated cores."""
        try:
            self._harness.close()
        finally:
            if self._front is not None:
                self._front.close()


class RtlClassifierEngine(eng.ClassifierEngine):
    """The generated classifier core, simulated; scores are the core's raw output codes.

    With a ``front`` that crops (:class:`RtlFrameFront`), :attr:`crops_frames` is True:
    the pipeline takes each frame's scores with :meth:`frame_scores`, from the codes the
    simulated crop block cut when the edge engine ran the frame.
    """

    name = "rtl"

    def __init__(self, *, rtl_dir: Path, clock_hz: int,
                 front: RtlFrameFront | None = None) -> None:
        from fpgacnn.sim.classifier_harness import ClassifierHarness

        self._harness = ClassifierHarness(rtl_dir)
        self._clock_hz = clock_hz
        self._front = front if front is not None and front.crops else None
        #: True when the classifier's input comes from the simulated crop block
        self.crops_frames = self._front is not None
        if self._front is not None:
            self._front.keep_codes = True

    def frame_scores(self) -> tuple[np.ndarray, float | None]:
        """The raw scores of the oldest frame the edge engine ran and the core's time."""
        if self._front is None or not self._front.codes:
            raise BackendError("no frame's classifier input is waiting (run its edge map "
                               "first)")
        return self.scores(self._front.codes.popleft())

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
    """Both cores, and the frame path's front blocks of the package's board, as Verilated
    RTL (see the module docstring)."""

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


    def open(self, package: Package, *, classify: bool, options: Mapping[str, Any]
             ) -> tuple[eng.EdgeEngine, eng.ClassifierEngine | None]:
        """The engines of ``package``, with the front blocks its board has (colour to gray
        when the edge input is colour; the crop block when the classifier's input is cut
        in the fabric and ``classify`` asks for this backend's classifier); without them,
        :meth:`~fpgacnn.spec.engines.Backend.open`."""
        core = package.core(CoreKind.EDGE)
        model = package.manifest.model
        if core is None:
            raise BackendError(f"package {str(package.path)!r} has no edge core")
        color = core.stream_in_bits == 24 * core.ppc  # fcnn_rgb2gray before the edge core
        # the crop block only where a classifier reads its codes (its bits change nothing
        # else; without it an edge-only stream simulates a quarter of the cycles' work)
        fabric = classify and crops_in_fabric(package) and model is not None
        if not (color or fabric):
            return super().open(package, classify=classify, options=options)
        if options:
            raise BackendError(f"backend 'rtl' takes no options, got {sorted(options)}")
        files = eng.ClassifierFiles.of_package(package) if classify else None
        rule = spec = None
        if fabric:
            assert model is not None
            rule = CropRule.from_dict(model.preprocessing)
            spec = InputSpec.from_dict(model.preprocessing["input"])
        front = RtlFrameFront(ppc=core.ppc, max_width=core.max_width,
                              max_height=core.max_height, color=color, rule=rule, spec=spec)
        try:
            edge = RtlEdgeEngine(ppc=core.ppc, max_width=core.max_width,
                                 max_height=core.max_height,
                                 clock_hz=package.manifest.clock_hz, front=front)
        except BaseException:
            front.close()
            raise
        if files is None:
            return edge, None
        try:
            rtl_dir = files.need("rtl", "generated classifier RTL",
                                 "; rebuild it with `fpgacnn package`, or pass "
                                 "classifier_backend='csim'")
            return edge, RtlClassifierEngine(rtl_dir=rtl_dir, clock_hz=files.clock_hz,
                                             front=front)
        except BaseException:
            edge.close()
            raise


#: The registered ``rtl`` backend.
BACKEND = RtlBackend()
