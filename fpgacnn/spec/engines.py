"""The engines a pipeline drives, and the registry of backends that provide them.

A *backend* is a named place where the cores run: ``pynq`` (the board),
``rtl`` (the Verilated cores), ``csim`` (hls4ml's C simulation) or
``reference`` (the numpy golden model and the QKeras model). Each backend is a
:class:`Backend` object that lives with the tool it needs (``fpgacnn.sw`` for
pynq, ``fpgacnn.sim`` for rtl, ``fpgacnn.hw`` for csim, ``fpgacnn.models`` for
reference) and registers itself under its name as an entry point of the group
:data:`ENTRY_POINT_GROUP` (``pyproject.toml``). :func:`get_backend` finds it by
name, so the runtime (``fpgacnn.sw``) opens any backend without importing the
tools; a backend whose pip extra is missing raises :class:`BackendError` naming
the extra. ``fpgacnn predict``, ``fpgacnn stream`` and ``Pipeline.open`` use the
same names (:class:`BackendKind`).

An :class:`EdgeEngine` takes checked uint8 gray frames. It is split into
:meth:`~EdgeEngine.submit` and :meth:`~EdgeEngine.collect` so a backend with real
hardware can keep one frame in flight while the host prepares the next (double
buffering); engines that compute synchronously do the work in ``submit``.
A :class:`ClassifierEngine` maps input codes to raw fixed-point scores.
"""

from __future__ import annotations

import abc
import enum
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BackendError, ClassifierUnavailableError
from .package import CoreKind, CoreSpec, Package

#: The entry-point group under which backends register (``pyproject.toml``).
ENTRY_POINT_GROUP = "fpgacnn.backends"


class BackendKind(enum.Enum):
    """The names of the backends: where the cores run."""

    PYNQ = "pynq"
    RTL = "rtl"
    CSIM = "csim"
    REFERENCE = "reference"

    @classmethod
    def parse(cls, value: BackendKind | str, what: str = "backend") -> BackendKind:
        """``value`` as a :class:`BackendKind`; :class:`BackendError` naming the choices."""
        if isinstance(value, BackendKind):
            return value
        try:
            return cls(value)
        except ValueError:
            raise BackendError(f"{what} must be one of {[b.value for b in cls]}, "
                               f"got {value!r}") from None


#: The pip extra each backend needs (None: the runtime alone; pynq is on the board image).
BACKEND_EXTRAS: dict[BackendKind, str | None] = {
    BackendKind.PYNQ: None, BackendKind.RTL: "sim", BackendKind.CSIM: "hw",
    BackendKind.REFERENCE: "models",
}


@dataclass(frozen=True, kw_only=True)
class EdgeOutput:
    """One edge map and the time the core took for it (None when there is no core).

    ``host_timings`` is the engine's own split of the host time it spent on this frame
    in ``submit`` and ``collect`` (seconds, keys of :data:`HOST_TIMING_KEYS`), for an
    engine that drives hardware; None for engines that compute on the host.
    """

    edges: np.ndarray
    hw_seconds: float | None
    cycles: int | None = None
    host_timings: Mapping[str, float] | None = None


#: How an engine driving hardware splits the time of one frame (seconds): ``wait`` the
#: time spent waiting on the hardware (polling a DMA for completion), the others host
#: CPU work: ``submit`` (the frame into a DMA buffer), ``dma`` (register writes, DMA
#: set-up and restart), ``collect`` (the result out of a DMA buffer, status checks),
#: ``decode`` (the classifier's result beat into scores).
HOST_TIMING_KEYS = ("wait", "submit", "dma", "collect", "decode")


class EdgeEngine(abc.ABC):
    """Edge detection on uint8 (h, w) gray frames, at most ``max_in_flight`` frames queued."""

    #: the backend name recorded in results
    name: str = "?"
    #: how many frames may be submitted before the oldest must be collected
    max_in_flight: int = 1
    #: True when the engine's hardware turns colour into gray itself (the board's colour
    #: frame path): ``submit`` then takes the checked frame as it is (gray, BGR or BGRA)
    #: and the host does no colour-to-gray for the edge map
    takes_color: bool = False

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

    #: an engine driving hardware sets this in every :meth:`scores` call to its split of
    #: that call's time (keys of :data:`HOST_TIMING_KEYS`); None: all host computation
    last_host_timings: Mapping[str, float] | None = None

    @abc.abstractmethod
    def scores(self, codes: np.ndarray) -> tuple[np.ndarray, float | None]:
        """Return the raw scores (K,) int64 and the core's time (None without a core)."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs (N, K) float64 of a batch ``x`` of model inputs on the input grid.

        ``fpgacnn predict`` uses it on a conversion folder; the default raises
        :class:`BackendError` (the board's engine classifies frames only).
        """
        raise BackendError(f"the {self.name} classifier does not run batches")

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
        raise BackendError(f"scores are not on the output grid 2**-{fraction}: {values!r}")
    return raw.astype(np.int64)


@dataclass(frozen=True, kw_only=True)
class ClassifierFiles:
    """Where a classifier engine finds its model.

    ``keras`` the QKeras model file, ``csim`` an ``fpgacnn convert`` folder, ``rtl``
    its generated RTL folder (any may be None); ``fraction`` the scores' fraction
    bits; ``clock_hz`` the clock that turns simulated cycles into seconds; ``where``
    names the package or folder in messages.
    """

    keras: Path | None = None
    csim: Path | None = None
    rtl: Path | None = None
    fraction: int
    clock_hz: int
    where: str

    @classmethod
    def of_package(cls, package: Package) -> ClassifierFiles:
        """The files the package's model names (``model.files``)."""
        model = package.manifest.model
        if model is None:
            raise ClassifierUnavailableError(
                f"package {str(package.path)!r} has no model; open it with classify=False")
        files = {role: package.file(rel) for role, rel in model.files.items()}
        return cls(keras=files.get("keras"), csim=files.get("csim"), rtl=files.get("rtl"),
                   fraction=int(model.scores["fraction"]), clock_hz=package.manifest.clock_hz,
                   where=f"package {str(package.path)!r}")

    def need(self, role: str, what: str, hint: str = "") -> Path:
        """The path of ``role``; :class:`ClassifierUnavailableError` when there is none."""
        path = getattr(self, role)
        if path is None:
            raise ClassifierUnavailableError(
                f"{self.where} has no {what} (model.files[{role!r}]){hint}")
        return path


class Backend(abc.ABC):
    """A named place where the cores run; opens the engines of a package.

    Subclasses implement :meth:`open_edge` and :meth:`open_classifier`; a backend
    whose engines share a device (the board) overrides :meth:`open`.
    """

    #: the :class:`BackendKind` this object implements
    kind: BackendKind
    #: top-level modules the backend needs (from its pip extra); checked by get_backend
    requires: tuple[str, ...] = ()

    @abc.abstractmethod
    def open_edge(self, core: CoreSpec, *, clock_hz: int) -> EdgeEngine:
        """An edge engine for the edge core ``core`` of a package."""

    @abc.abstractmethod
    def open_classifier(self, files: ClassifierFiles) -> ClassifierEngine:
        """A classifier engine for the model in ``files``."""

    def open(self, package: Package, *, classify: bool, options: Mapping[str, Any]
             ) -> tuple[EdgeEngine, ClassifierEngine | None]:
        """Both engines of ``package`` (no classifier when ``classify`` is False)."""
        if options:
            raise BackendError(f"backend {self.kind.value!r} takes no options, "
                               f"got {sorted(options)}")
        core = package.core(CoreKind.EDGE)
        if core is None:
            raise BackendError(f"package {str(package.path)!r} has no edge core")
        files = ClassifierFiles.of_package(package) if classify else None
        edge = self.open_edge(core, clock_hz=package.manifest.clock_hz)
        if files is None:
            return edge, None
        try:
            return edge, self.open_classifier(files)
        except BaseException:
            edge.close()
            raise


def get_backend(kind: BackendKind | str) -> Backend:
    """The registered :class:`Backend` named ``kind``.

    Raises :class:`BackendError` for an unknown name, a name nothing registered
    (fpgacnn is not installed), or a backend whose pip extra is missing.
    """
    kind = BackendKind.parse(kind)
    found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
             if ep.name == kind.value]
    if not found:
        raise BackendError(f"no backend {kind.value!r} is registered under "
                           f"{ENTRY_POINT_GROUP!r}: install fpgacnn (pip install -e .)")
    ep = found[0]
    try:
        backend = ep.load()
    except ImportError as exc:
        extra = BACKEND_EXTRAS[kind] or "dev"
        raise BackendError(f"backend {kind.value!r} needs the [{extra}] extra: "
                           f"pip install 'fpgacnn[{extra}]' ({exc})") from exc
    if not isinstance(backend, Backend) or backend.kind is not kind:
        raise BackendError(f"entry point {ep.value!r} is not the {kind.value!r} Backend")
    missing = [m for m in backend.requires if importlib.util.find_spec(m) is None]
    if missing:
        extra = BACKEND_EXTRAS[kind] or "dev"
        raise BackendError(f"backend {kind.value!r} needs the [{extra}] extra: "
                           f"pip install 'fpgacnn[{extra}]' (missing: {', '.join(missing)})")
    return backend


class GoldenEdgeEngine(SyncEdgeEngine):
    """The edge core's numpy golden model (:func:`fpgacnn.spec.edge.sobel_edges`)."""

    name = "numpy"

    def compute(self, gray: np.ndarray, threshold: int) -> EdgeOutput:
        """Edge map of one frame by the golden model."""
        from .edge import sobel_edges

        return EdgeOutput(edges=sobel_edges(gray, threshold), hw_seconds=None)


__all__ = [
    "BACKEND_EXTRAS",
    "ENTRY_POINT_GROUP",
    "HOST_TIMING_KEYS",
    "Backend",
    "BackendKind",
    "ClassifierEngine",
    "ClassifierFiles",
    "EdgeEngine",
    "EdgeOutput",
    "GoldenEdgeEngine",
    "SyncEdgeEngine",
    "get_backend",
    "raw_scores",
]
