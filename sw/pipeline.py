"""One API for every backend: ``Pipeline.open(package, backend=...)``, ``process``, ``stream``.

A frame (uint8 gray, BGR or BGRA, as OpenCV delivers it) is checked
(:func:`~fpgacnn.spec.frames.check_frame`: a bad frame raises
:class:`~fpgacnn.spec.errors.FrameError` before any backend is touched), converted
to gray for the edge core, and cut for the classifier by the package's
:class:`~fpgacnn.spec.frames.CropRule`. Where the conversion and the cut happen follows
the package's frame path (``fpgacnn build``/``fpgacnn package`` ``--edge-input``,
``--classifier-input``; default: both in the fabric) on the backends that have the
fabric, and the host's numpy (:func:`~fpgacnn.spec.frames.gray_of`,
:func:`~fpgacnn.spec.frames.classifier_codes`) everywhere else. Backends:

==============  ========================================  =====================================
backend         edge map                                  class scores
==============  ========================================  =====================================
``reference``   numpy golden model (host gray)            QKeras model (TensorFlow), host crop
``csim``        numpy golden model (host gray)            hls4ml C simulation (``csim/``; it
                                                          covers the classifier only), host crop
``rtl``         Verilated ``fcnn_edge_core``; colour      Verilated open-RTL ``fcnn_classifier``
                edge input: Verilated ``fcnn_rgb2gray``   (``csim/rtl``); fabric classifier
                before it, else host gray                 input: fed by Verilated
                                                          ``fcnn_crop_scale``, else host crop;
                                                          or the C-sim with
                                                          ``classifier_backend="csim"`` (host crop)
``pynq``        the board (AXI DMA + edge core; colour    the board's classifier core (fabric
                edge input: ``fcnn_rgb2gray`` in the PL)  input: the PL's crop block)
==============  ========================================  =====================================

A classifier engine whose input is cut from the frame stream (``crops_frames``: ``pynq``
and ``rtl`` on a fabric package) gives each frame's scores with ``frame_scores()``; the
host then crops nothing (``timings.crop`` ~0, the simulated crop's host time is part of
``edge`` on ``rtl``).

The same frame gives the same bits on every backend: the edge map is the
core's contract, and scores are raw fixed-point integers (``Result.scores``;
``Result.score_values`` divides by ``2**fraction``); the label is the first
maximum, as in the classifier core.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.edge import MAX_THRESHOLD
from fpgacnn.spec.engines import (
    BackendKind,
    ClassifierEngine,
    ClassifierFiles,
    EdgeEngine,
    EdgeOutput,
    get_backend,
)
from fpgacnn.spec.errors import BackendError, FrameError, UsageError
from fpgacnn.spec.frames import CropRule, check_frame, classifier_codes, gray_of
from fpgacnn.spec.package import CoreKind, Package, load_package
from fpgacnn.spec.package_check import check_package
from fpgacnn.spec.preprocess import InputSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Result:
    """What the pipeline made of one frame.

    ``edges`` is the edge map (uint8, the frame's size, a fresh array); ``scores``
    the raw fixed-point class scores (int64, None without classifier), ``fraction``
    their fraction bits; ``label`` the index of the first maximum and ``label_name``
    its class name. ``timings`` in seconds: ``check``, ``gray``, ``edge`` (host time
    from submit to collect), ``crop``, ``classify``, ``total``, and ``edge_hw`` /
    ``classify_hw`` when a core measured its own time (simulated cycles / clock on
    ``rtl``, the DMA round trip on ``pynq``). ``host`` is the host CPU time of this
    frame: its own stages (``check`` + ``gray`` + ``edge`` + ``crop`` + ``classify``)
    minus ``hw_wait``, the time they spent waiting on the hardware (polling the DMAs on
    ``pynq``; 0 on backends that compute on the host, where everything is host time).
    Engines driving hardware split their part further: ``host_submit`` (frames into DMA
    buffers), ``host_dma`` (register writes, DMA set-up), ``host_collect`` (results out
    of DMA buffers, status checks), ``host_decode`` (the score beat into scores); see
    :data:`fpgacnn.spec.engines.HOST_TIMING_KEYS`. ``0 <= host <= total`` always (the
    stages are disjoint parts of the frame's time; in :meth:`Pipeline.stream`,
    ``total`` also counts the next frame's submission, ``host`` does not).
    ``engines`` names what computed what.
    """

    index: int
    edges: np.ndarray
    scores: np.ndarray | None
    fraction: int | None
    label: int | None
    label_name: str | None
    timings: Mapping[str, float]
    engines: Mapping[str, str]
    edge_cycles: int | None = None

    @property
    def score_values(self) -> np.ndarray | None:
        """Scores as real values (``scores / 2**fraction``)."""
        if self.scores is None or self.fraction is None:
            return None
        return self.scores.astype(np.float64) / float(2**self.fraction)

    @property
    def host_overhead(self) -> float:
        """``total`` minus the time cores reported for themselves (seconds)."""
        t = self.timings
        return t["total"] - t.get("edge_hw", 0.0) - t.get("classify_hw", 0.0)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (no edge map)."""
        return {
            "frame": self.index, "label": self.label, "label_name": self.label_name,
            "scores": None if self.scores is None else [int(s) for s in self.scores],
            "score_values": None if self.score_values is None
            else [float(v) for v in self.score_values],
            "timings": {k: float(v) for k, v in self.timings.items()},
            "engines": dict(self.engines), "edge_cycles": self.edge_cycles,
        }


#: The stages a frame's own host time is made of (Result.timings).
_STAGES = ("check", "gray", "edge", "crop", "classify")


def _add_host_timings(timings: dict[str, float], split: Mapping[str, float] | None) -> None:
    """Add an engine's split of its time (``HOST_TIMING_KEYS``) to ``timings``:
    ``wait`` to ``hw_wait``, the rest to ``host_<key>``."""
    for key, seconds in (split or {}).items():
        name = "hw_wait" if key == "wait" else f"host_{key}"
        timings[name] = timings.get(name, 0.0) + float(seconds)


@dataclass
class _InFlight:
    index: int
    frame: np.ndarray
    ticket: object
    timings: dict[str, float] = field(default_factory=dict)
    t_start: float = 0.0


def _open_engines(
    package: Package, backend: BackendKind, *, classify: bool,
    classifier_backend: BackendKind | None, options: Mapping[str, Any],
) -> tuple[EdgeEngine, ClassifierEngine | None]:
    if package.core(CoreKind.EDGE) is None:
        raise BackendError(f"package {str(package.path)!r} has no edge core")
    files = ClassifierFiles.of_package(package) if classify else None  # refuses no model
    if classifier_backend is None or classifier_backend is backend:
        return get_backend(backend).open(package, classify=classify, options=options)
    edge, _ = get_backend(backend).open(package, classify=False, options=options)
    if files is None:
        return edge, None
    try:
        return edge, get_backend(classifier_backend).open_classifier(files)
    except BaseException:
        edge.close()
        raise


class Pipeline:
    """Frames in, edge maps and labels out, on one backend. Use as a context manager.

    Open with :meth:`open`. Every buffer and simulator is released by :meth:`close`
    (also when the ``with`` block ends on an exception).
    """

    def __init__(self, *, package: Package, backend: BackendKind, edge: EdgeEngine,
                 classifier: ClassifierEngine | None, threshold: int = 0) -> None:
        self.package = package
        self.backend = backend
        self._edge = edge
        self._classifier = classifier
        self.threshold = threshold
        core = package.core(CoreKind.EDGE)
        assert core is not None
        self.max_width, self.max_height = core.max_width, core.max_height
        model = package.manifest.model
        self._spec: InputSpec | None = None
        self._rule: CropRule | None = None
        self._classes: tuple[str, ...] = ()
        self._fraction: int | None = None
        if classifier is not None and model is not None:
            self._spec = InputSpec.from_dict(model.preprocessing["input"])
            self._rule = CropRule.from_dict(model.preprocessing)
            self._classes = model.classes
            self._fraction = int(model.scores["fraction"])
        self._count = 0
        self._closed = False

    @classmethod
    def open(
        cls,
        package_dir: Path | str | Package,
        backend: BackendKind | str = BackendKind.REFERENCE,
        *,
        threshold: int = 0,
        classify: bool = True,
        classifier_backend: BackendKind | str | None = None,
        expected_build_id: str | None = None,
        **backend_options: Any,
    ) -> Pipeline:
        """Load and verify the package, open the backend's engines.

        The package is checked whole first (:func:`~fpgacnn.spec.package_check.check_package`:
        every field the runtime reads, and its agreement with the model files), so an
        inconsistent package is refused here with one line naming the field
        (:class:`~fpgacnn.spec.package.PackageSchemaError`), never later.
        ``classify=False`` runs the edge core only. ``classifier_backend`` overrides
        where the classifier runs (e.g. ``csim`` beside the ``rtl`` edge core).
        ``backend_options`` go to the pynq backend (e.g. ``timeout_s``). Raises
        :class:`BackendError` subclasses.
        """
        kind = BackendKind.parse(backend, "backend")
        cls_kind = None if classifier_backend is None else BackendKind.parse(
            classifier_backend, "classifier_backend")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or \
                not 0 <= threshold <= MAX_THRESHOLD:
            raise BackendError(f"threshold must be an int in 0..{MAX_THRESHOLD}, "
                               f"got {threshold!r}")
        package = package_dir if isinstance(package_dir, Package) else load_package(
            package_dir, expected_build_id=expected_build_id)
        check_package(package)
        edge, classifier = _open_engines(package, kind, classify=classify,
                                         classifier_backend=cls_kind, options=backend_options)
        log.info("opened %s on %s (edges: %s, classifier: %s)", package.path, kind.value,
                 edge.name, classifier.name if classifier else None)
        return cls(package=package, backend=kind, edge=edge, classifier=classifier,
                   threshold=threshold)

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Release the engines (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._classifier is not None:
                self._classifier.close()
        finally:
            self._edge.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def classifies(self) -> bool:
        """True when results carry class scores."""
        return self._classifier is not None

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names (empty without classifier)."""
        return self._classes

    # -- frames --------------------------------------------------------------------------
    def _submit(self, frame: object) -> _InFlight:
        if self._closed:
            raise BackendError("the pipeline is closed")
        t0 = time.perf_counter()
        checked = check_frame(frame, max_width=self.max_width, max_height=self.max_height)
        t1 = time.perf_counter()
        if checked.ndim == 3 and not self._edge.takes_color and \
                getattr(self._classifier, "crops_frames", False):
            raise FrameError(f"this overlay crops the classifier input from the gray stream "
                             f"(edge input gray): a gray frame is expected, got shape "
                             f"{checked.shape} (build with --edge-input color for colour)")
        edge_in = checked if self._edge.takes_color else gray_of(checked)
        t2 = time.perf_counter()
        ticket = self._edge.submit(edge_in, self.threshold)
        item = _InFlight(index=self._count, frame=checked, ticket=ticket, t_start=t0)
        item.timings.update(check=t1 - t0, gray=t2 - t1, edge=time.perf_counter() - t2)
        self._count += 1
        return item

    def _finish(self, item: _InFlight) -> Result:
        t0 = time.perf_counter()
        out: EdgeOutput = self._edge.collect(item.ticket)
        t1 = time.perf_counter()
        timings = item.timings
        timings["edge"] += t1 - t0
        if out.hw_seconds is not None:
            timings["edge_hw"] = out.hw_seconds
        _add_host_timings(timings, out.host_timings)
        scores = label = name = None
        engines = {"edge": self._edge.name}
        if self._classifier is not None:
            assert self._spec is not None and self._rule is not None
            if getattr(self._classifier, "crops_frames", False):
                # the fabric cut the image from the frame the edge engine sent (pynq on a
                # --classifier-input fabric overlay, rtl on such a package): no host crop
                t2 = time.perf_counter()
                scores, hw = self._classifier.frame_scores()  # type: ignore[attr-defined]
            else:
                codes = classifier_codes(item.frame, self._rule, self._spec)
                t2 = time.perf_counter()
                scores, hw = self._classifier.scores(codes)
            t3 = time.perf_counter()
            timings.update(crop=t2 - t1, classify=t3 - t2)
            if hw is not None:
                timings["classify_hw"] = hw
            _add_host_timings(timings, self._classifier.last_host_timings)
            label = int(np.argmax(scores))
            name = self._classes[label]
            engines["classifier"] = self._classifier.name
        timings["total"] = time.perf_counter() - item.t_start
        timings.setdefault("hw_wait", 0.0)
        own = sum(timings.get(k, 0.0) for k in _STAGES)
        timings["host"] = own - timings["hw_wait"]
        return Result(index=item.index, edges=out.edges, scores=scores, fraction=self._fraction
                      if scores is not None else None, label=label, label_name=name,
                      timings=dict(timings), engines=engines, edge_cycles=out.cycles)

    def process(self, frame: np.ndarray) -> Result:
        """Run one frame through the backend and return its result."""
        return self._finish(self._submit(frame))

    def stream(self, source: Iterable[np.ndarray], *, max_frames: int | None = None
               ) -> Iterator[Result]:
        """Yield a result per frame of ``source``, in order, keeping the backend busy.

        With a backend that takes two frames in flight (pynq), frame ``n + 1`` is sent
        while frame ``n`` comes back. ``max_frames`` stops after that many frames. In
        ``total`` timings of pipelined frames the overlap is counted for each frame.
        A ``max_frames`` that is not None or an int >= 0 raises
        :class:`~fpgacnn.spec.errors.UsageError` here, before any frame is read.
        """
        if max_frames is not None and (isinstance(max_frames, bool)
                                       or not isinstance(max_frames, int) or max_frames < 0):
            raise UsageError(f"max_frames must be None or an int >= 0, got {max_frames!r}")
        return self._stream(source, max_frames)

    def _stream(self, source: Iterable[np.ndarray], max_frames: int | None
                ) -> Iterator[Result]:
        pending: list[_InFlight] = []
        depth = max(1, self._edge.max_in_flight)
        n = 0
        try:
            for frame in source:
                if max_frames is not None and n >= max_frames:
                    break
                n += 1
                pending.append(self._submit(frame))
                if len(pending) >= depth:
                    yield self._finish(pending.pop(0))
            while pending:
                yield self._finish(pending.pop(0))
        finally:
            for item in pending:  # abandoned (consumer stopped or error): drain the hardware
                try:
                    self._edge.collect(item.ticket)
                except Exception:  # noqa: BLE001 - the original error matters more
                    log.warning("dropping frame %d in flight", item.index, exc_info=True)


__all__ = ["BackendKind", "Pipeline", "Result"]
