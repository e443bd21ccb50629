"""Fast image harness of the generated classifier core: the Verilated RTL driven from C++.

:class:`ClassifierHarness` takes a folder written by
:func:`fpgacnn.hw.rtlgen.generate_rtl` (``filelist.f`` + ``rtl.json``), builds
the core once into a shared library and streams batches of input codes through
it at one pixel per clock, images back to back, with optional random input idle
and output backpressure. It returns the score codes, the arg-max labels and the
cycle at which every image moved. It is the ``rtl`` backend of
``fpgacnn predict`` and the measuring tool of :mod:`fpgacnn.apps.bench_classifier`;
the cocotb testbench in ``sim/fcnn_classifier`` remains the protocol-level test.

Build: ``<harness root>/classifier/<model>_<hash>/``
(:func:`fpgacnn.sim.verilator_build.harness_root`: an explicit build root,
``$FPGACNN_SIM_BUILD/harness`` or the user cache), by the shared
:class:`~fpgacnn.sim.verilator_build.HarnessLibrary`; the hash covers the RTL
files' contents, the harness sources, the tool flags, the weight memories and the
Verilator installation; builds are serialised with a file lock and reused by every
later harness of the same core. The folded layers' weight memories (the
``// mem:`` lines of ``filelist.f``) are read by ``$readmemh`` when the model
starts: they are copied to ``<harness root>/classifier/mem/<hash of their
contents>/`` and the core is built with ``MEM_DIR`` pointing there, so a build
never depends on the folder the core was generated in.

Errors: a folder without a generated core raises
:class:`~fpgacnn.spec.errors.ArtifactError`, bad input
:class:`ClassifierInputError` (a ``UsageError``), a stream that stops moving
:class:`~fpgacnn.spec.errors.StreamTimeoutError`, an output stream that breaks
the core's contract :class:`~fpgacnn.spec.errors.StreamProtocolError`; after
either of the last two the model is reset, so it is usable again.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fpgacnn.spec.cores import STATUS_DAMAGED, ClassifierOutputLayout
from fpgacnn.spec.errors import ArtifactError, SimulationError, StreamProtocolError, UsageError
from fpgacnn.spec.filelist import read_filelist

from .harness_base import DEFAULT_TIMEOUT_CYCLES, VerilatedHarness
from .verilator_build import HarnessBuildError, HarnessLibrary, harness_root, locked

log = logging.getLogger(__name__)

#: The C++ harness source.
HARNESS_SOURCE: Path = Path(__file__).resolve().parent / "harness" / "classifier_harness.cpp"
#: Top-level module of every generated core.
TOPLEVEL = "fcnn_classifier"

__all__ = ["TOPLEVEL", "BeatsResult", "ClassifierHarness", "ClassifierInputError", "ClassifyResult",
           "CycleStats", "HarnessBuildError", "build_classifier_harness", "mem_dir_parameter",
           "rtl_mem_files", "rtl_sources"]


class ClassifierInputError(UsageError):
    """A batch or a setting the harness cannot run (the message gives expected vs. actual)."""


@dataclass(frozen=True)
class CycleStats:
    """When each image moved, in cycles from the first cycle of the run."""

    #: per image: cycle of the first / last pixel accepted and of the result beat
    first_in: np.ndarray
    last_in: np.ndarray
    result: np.ndarray
    #: cycles simulated until the last result
    cycles: int

    @property
    def latency(self) -> np.ndarray:
        """Per image: cycles from its first pixel accepted to its result beat."""
        return self.result - self.first_in

    @property
    def initiation_interval(self) -> float | None:
        """Mean spacing of consecutive results in cycles; None for a single image."""
        if len(self.result) < 2:
            return None
        return float(np.mean(np.diff(self.result)))


class BeatsResult(NamedTuple):
    """What :meth:`ClassifierHarness.run_beats` returns: one row per result beat."""

    #: (R, classes) int64 score codes
    scores: np.ndarray
    #: (R,) int64 arg-max labels
    labels: np.ndarray
    #: (R,) int64 framing status bytes (:class:`fpgacnn.spec.cores.ClassifierStatus`)
    status: np.ndarray
    #: cycles simulated until the last beat moved
    cycles: int


class ClassifyResult(NamedTuple):
    """What :meth:`ClassifierHarness.classify` returns; unpacks as ``scores, labels, stats``."""

    #: (N, classes) int64 score codes (value = code * 2**-score_fraction)
    scores: np.ndarray
    #: (N,) int64 arg-max labels as the core reports them
    labels: np.ndarray
    stats: CycleStats


def rtl_sources(rtl_dir: Path) -> list[Path]:
    """The HDL files of a generated core, in ``filelist.f`` order.

    Raises :class:`~fpgacnn.spec.errors.ArtifactError` when the folder holds no core or
    a listed file is missing.
    """
    rtl_dir = Path(rtl_dir)
    flist = rtl_dir / "filelist.f"
    if not flist.is_file():
        raise ArtifactError(f"'{rtl_dir}' holds no generated core (no filelist.f)")
    return read_filelist(flist)


def rtl_mem_files(rtl_dir: Path) -> list[Path]:
    """The weight memories a generated core reads (``// mem: <path>`` lines of its
    ``filelist.f``, relative to it), resolved; ArtifactError when one is missing."""
    flist = Path(rtl_dir) / "filelist.f"
    out = []
    for n, raw in enumerate(flist.read_text().splitlines(), 1):
        m = re.fullmatch(r"//\s*mem:\s*(\S+)", raw.strip())
        if m:
            p = (flist.parent / m.group(1)).resolve()
            if not p.is_file():
                raise ArtifactError(f"{flist}:{n}: weight memory {m.group(1)} does not exist")
            out.append(p)
    return out


def mem_dir_parameter(folder: Path) -> str:
    """The ``-GMEM_DIR`` value (a Verilog string with the trailing "/") for ``folder``."""
    return '"' + str(Path(folder).resolve()) + '/"'


def _stage_mems(mems: list[Path], root: Path) -> Path:
    """Copy ``mems`` to a folder named by their names and contents under ``root``."""
    h = hashlib.sha256()
    for m in mems:
        h.update(m.name.encode() + b"\0" + m.read_bytes() + b"\0")
    folder = root / h.hexdigest()[:16]
    with locked(folder):
        for m in mems:
            dst = folder / m.name
            if not dst.is_file() or dst.read_bytes() != m.read_bytes():
                tmp = dst.with_suffix(".tmp")
                shutil.copyfile(m, tmp)
                tmp.replace(dst)
    return folder


def _read_info(rtl_dir: Path) -> dict[str, Any]:
    """``rtl.json`` of a generated core; :class:`ArtifactError` when there is none."""
    path = Path(rtl_dir) / "rtl.json"
    if not path.is_file():
        raise ArtifactError(f"'{rtl_dir}' holds no generated core (no rtl.json)")
    return json.loads(path.read_text())


def build_classifier_harness(rtl_dir: Path, *, build_root: Path | None = None,
                             jobs: int = 2) -> Path:
    """Build (if needed) the harness library of the core in ``rtl_dir``; return the ``.so``.

    Raises :class:`HarnessBuildError` when Verilator or g++ fails.
    """
    rtl_dir = Path(rtl_dir)
    model = str(_read_info(rtl_dir).get("model", "core"))
    sources = tuple(s.resolve() for s in rtl_sources(rtl_dir))
    mems = rtl_mem_files(rtl_dir)
    params: dict[str, Any] = {}
    if mems:
        mem_dir = _stage_mems(mems, harness_root(build_root) / "classifier" / "mem")
        params["MEM_DIR"] = mem_dir_parameter(mem_dir)
    lib = HarnessLibrary(top=TOPLEVEL, sources=sources, harness=HARNESS_SOURCE,
                         parameters=params)
    tag = re.sub(r"[^A-Za-z0-9_]", "_", model)[:40]
    return lib.build(harness_root(build_root) / "classifier" / f"{tag}_{lib.key}", jobs=jobs,
                     record={"rtl_dir": str(rtl_dir.resolve())})


def _declare(lib: ctypes.CDLL) -> None:
    """Argument types of the classifier harness's own C functions."""
    u32p = np.ctypeslib.ndpointer(dtype=np.uint32, flags="C_CONTIGUOUS")
    u64p = np.ctypeslib.ndpointer(dtype=np.uint64, flags="C_CONTIGUOUS")
    vp, c_int, c_u64, c_i64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_int64
    lib.ch_in_words.argtypes, lib.ch_in_words.restype = [], c_int
    lib.ch_out_words.argtypes, lib.ch_out_words.restype = [], c_int
    lib.ch_run.argtypes = [vp, u32p, u32p, c_i64, c_i64, ctypes.c_double, ctypes.c_double,
                           c_u64, c_u64, c_u64, u64p]
    lib.ch_run.restype = c_int
    u8p = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
    lib.ch_run_beats.argtypes = [vp, u32p, u8p, c_i64, u32p, c_i64, ctypes.c_double,
                                 ctypes.c_double, c_u64, c_u64, c_u64, u64p]
    lib.ch_run_beats.restype = c_int


def _pack(values: np.ndarray, bits: int, words: int) -> np.ndarray:
    """Rows of two's-complement ``bits``-bit fields (field 0 lowest) -> rows of u32 words."""
    rows, fields = values.shape
    v = values.astype(np.int64) & ((1 << bits) - 1)
    b = ((v[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8)
    flat = np.zeros((rows, words * 32), dtype=np.uint8)
    flat[:, : fields * bits] = b.reshape(rows, fields * bits)
    packed = np.packbits(flat, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u4").astype(np.uint32).reshape(rows, words)


def _field(words: np.ndarray, offset: int, bits: int, signed: bool) -> np.ndarray:
    """Field ``[offset +: bits]`` of each row of u32 words, as int64."""
    b = np.unpackbits(np.ascontiguousarray(words.astype("<u4")).view(np.uint8), axis=1,
                      bitorder="little")[:, offset : offset + bits].astype(np.int64)
    v = (b << np.arange(bits, dtype=np.int64)).sum(axis=1)
    if signed:
        v = np.where(v >> (bits - 1) & 1, v - (1 << bits), v)
    return v


#: The default stall watchdog covers this many initiation intervals (module docstring).
TIMEOUT_IMAGES = 16


class ClassifierHarness(VerilatedHarness):
    """One simulated generated classifier core (the folder ``rtl_dir`` of ``generate_rtl``).

    The library is built on first use and reused afterwards. ``timeout_cycles`` is the
    default stall watchdog of :meth:`classify` (None: the larger of
    ``DEFAULT_TIMEOUT_CYCLES`` and :data:`TIMEOUT_IMAGES` initiation intervals, since a
    folded core may move no beat for several images' time while its layers compute).
    State the RTL does not reset starts at zero, or at random values drawn from
    ``random_init_seed`` when it is given. Use as a context manager or call :meth:`close`.
    """

    prefix = "ch"
    error = ClassifierInputError

    def __init__(self, rtl_dir: Path, *, build_root: Path | None = None,
                 timeout_cycles: int | None = None,
                 random_init_seed: int | None = None) -> None:
        self.rtl_dir = Path(rtl_dir)
        self.info: dict[str, Any] = _read_info(self.rtl_dir)
        if timeout_cycles is None:
            timeout_cycles = max(DEFAULT_TIMEOUT_CYCLES,
                                 TIMEOUT_IMAGES * int(self.info["initiation_interval"]))
        self.timeout_cycles = self._int("timeout_cycles", timeout_cycles, 1, 2**62)
        inp, out = self.info["input"], self.info["output"]
        self.input_shape: tuple[int, int, int] = tuple(int(d) for d in inp["shape"])  # type: ignore[assignment]
        self.element_bits = int(inp["element_bits"])
        self.element_signed = bool(inp["element_signed"])
        self.num_classes = int(out["classes"])
        self.score_bits = int(out["score_bits"])
        self.score_fraction = int(out["score_fraction"])
        self.score_signed = bool(out.get("score_signed", True))
        self.initiation_interval = int(self.info["initiation_interval"])
        if random_init_seed is not None:
            self._int("random_init_seed", random_init_seed, 0, 2**31 - 1)
        library = build_classifier_harness(self.rtl_dir, build_root=build_root)
        self._open(library, _declare, random_init_seed=random_init_seed)
        self._in_words = self._lib.ch_in_words()
        self._out_words = self._lib.ch_out_words()
        for what, bits, words in (("s_axis_tdata", inp["tdata_bits"], self._in_words),
                                  ("m_axis_tdata", out["tdata_bits"], self._out_words)):
            if words != (1 if int(bits) <= 32 else -(-int(bits) // 32)):
                raise SimulationError(
                    f"{self.library}: {what} is {words} words, rtl.json says {bits} bits")
        self.reset()

    @property
    def code_range(self) -> tuple[int, int]:
        """Smallest and largest input code (E-bit two's complement or unsigned)."""
        e = self.element_bits
        return (-(1 << (e - 1)), (1 << (e - 1)) - 1) if self.element_signed else (0, (1 << e) - 1)

    def check_codes(self, codes: object) -> np.ndarray:
        """Return ``codes`` as int64 if it is a batch the core accepts, else raise."""
        h, w, c = self.input_shape
        expected = f"(N, {h}, {w}, {c})"
        if not isinstance(codes, np.ndarray):
            raise ClassifierInputError(f"codes: expected a numpy array, got {type(codes).__name__}")
        if codes.ndim != 4 or tuple(codes.shape[1:]) != self.input_shape or codes.shape[0] < 1:
            raise ClassifierInputError(
                f"codes shape: expected {expected} with N >= 1, got {tuple(codes.shape)}")
        if codes.dtype == np.bool_ or not np.issubdtype(codes.dtype, np.integer):
            raise ClassifierInputError(f"codes dtype: expected an integer dtype, got {codes.dtype}")
        lo, hi = self.code_range
        bad = int(np.count_nonzero((codes < lo) | (codes > hi)))
        if bad:
            kind = "signed" if self.element_signed else "unsigned"
            raise ClassifierInputError(
                f"codes range: expected {kind} {self.element_bits}-bit codes in [{lo}, {hi}], "
                f"got {bad} values outside (min {int(codes.min())}, max {int(codes.max())})")
        return codes.astype(np.int64)

    def classify(self, codes: np.ndarray, *, idle: float = 0.0, backpressure: float = 0.0,
                 seed: int = 0, timeout_cycles: int | None = None) -> ClassifyResult:
        """Stream the images ``codes`` (N, H, W, C) back to back; return scores, labels, cycles.

        ``codes`` are the input codes (value = code * 2**-element_fraction). ``idle`` is
        the probability that the source leaves tvalid low in a cycle in which it could
        offer a pixel, ``backpressure`` the probability that the sink holds tready low;
        both draw from a generator seeded with ``seed``. ``timeout_cycles`` (default: the
        harness's) bounds the consecutive cycles in which no beat moves.
        """
        x = self.check_codes(codes)
        idle, backpressure, seed, timeout = self._run_settings(idle, backpressure, seed,
                                                               timeout_cycles)
        n = len(x)
        h, w, c = self.input_shape
        beats = _pack(x.reshape(n * h * w, c), self.element_bits, self._in_words)
        out = np.zeros((n, self._out_words), dtype=np.uint32)
        stats = np.zeros(3 * n + 1, dtype=np.uint64)
        rc = self._lib.ch_run(self._handle(), beats.reshape(-1), out.reshape(-1), n, h * w,
                              idle, backpressure, seed, timeout, 32, stats)
        if rc:
            raise self._fail(rc)
        scores, labels, status = self._decode(out)
        damaged = np.flatnonzero(status & int(STATUS_DAMAGED))
        if len(damaged):
            self.reset()
            raise StreamProtocolError(
                f"result {int(damaged[0])}: status 0x{int(status[damaged[0]]):02X} marks a "
                f"damaged image, expected none (every image was sent with tlast in time)")
        st = stats[: 3 * n].reshape(n, 3).astype(np.int64)
        return ClassifyResult(scores=scores, labels=labels,
                              stats=CycleStats(first_in=st[:, 0], last_in=st[:, 1],
                                               result=st[:, 2], cycles=int(stats[3 * n])))

    def _decode(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, labels, status) of rows of output words (:class:`ClassifierOutputLayout`)."""
        lay = ClassifierOutputLayout(n_classes=self.num_classes, score_bits=self.score_bits)
        s = self.score_bits
        scores = np.stack([_field(out, i * s, s, self.score_signed)
                           for i in range(self.num_classes)], axis=1)
        labels = _field(out, lay.label_lsb, lay.status_lsb - lay.label_lsb, False)
        status = _field(out, lay.status_lsb, lay.payload_bits - lay.status_lsb, False)
        return scores, labels, status

    def run_beats(self, pixels: np.ndarray, last: np.ndarray, n_results: int, *,
                  idle: float = 0.0, backpressure: float = 0.0, seed: int = 0,
                  timeout_cycles: int | None = None, drain_cycles: int = 0) -> BeatsResult:
        """Stream raw input beats with the given ``tlast`` flags; expect ``n_results`` results.

        For framing-fault tests: ``pixels`` (B, C) input codes, one pixel per beat,
        ``last`` (B,) the ``tlast`` of each beat, ``n_results`` the result beats the
        framing policy predicts (:mod:`fpgacnn.spec.cnn_framing`). More results, a
        result without ``tlast``, or one within ``drain_cycles`` after the last
        expected one is :class:`~fpgacnn.spec.errors.StreamProtocolError`; a stall of
        ``timeout_cycles`` :class:`~fpgacnn.spec.errors.StreamTimeoutError` (the model
        is reset after either). The core is not reset before the run.
        """
        c = self.input_shape[2]
        if not isinstance(pixels, np.ndarray) or pixels.ndim != 2 or pixels.shape[1] != c:
            raise ClassifierInputError(f"pixels: expected an array (B, {c}), got "
                                       f"{getattr(pixels, 'shape', type(pixels).__name__)}")
        flags = np.asarray(last)
        if flags.shape != (len(pixels),):
            raise ClassifierInputError(f"last: expected shape ({len(pixels)},), got {flags.shape}")
        n_results = self._int("n_results", n_results, 0, 2**40)
        drain = self._int("drain_cycles", drain_cycles, 0, 2**40)
        idle, backpressure, seed, timeout = self._run_settings(idle, backpressure, seed,
                                                               timeout_cycles)
        lo, hi = self.code_range
        if len(pixels) and (pixels.min() < lo or pixels.max() > hi):
            raise ClassifierInputError(f"pixels: expected codes in [{lo}, {hi}], got "
                                       f"[{int(pixels.min())}, {int(pixels.max())}]")
        beats = (_pack(pixels.astype(np.int64), self.element_bits, self._in_words)
                 if len(pixels) else np.zeros((1, self._in_words), dtype=np.uint32))
        out = np.zeros((max(n_results, 1), self._out_words), dtype=np.uint32)
        stats = np.zeros(1, dtype=np.uint64)
        rc = self._lib.ch_run_beats(self._handle(), beats.reshape(-1),
                                    np.ascontiguousarray(flags.astype(np.uint8)), len(pixels),
                                    out.reshape(-1), n_results, idle, backpressure, seed,
                                    timeout, drain, stats)
        if rc:
            raise self._fail(rc)
        scores, labels, status = self._decode(out[:n_results])
        return BeatsResult(scores=scores, labels=labels, status=status, cycles=int(stats[0]))
