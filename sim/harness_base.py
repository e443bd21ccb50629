"""The Python side every Verilated harness shares: lifecycle, errors, argument checks.

A harness library (``sim/harness/<name>.cpp`` on ``fcnn_harness.h``) exports the
common C API ``<prefix>_create``, ``_destroy``, ``_error``, ``_cycle`` and
``_reset`` (``FH_COMMON_API``) plus its own functions. :class:`VerilatedHarness`
loads it once per process, owns one model, frees it on :meth:`close` (also as a
context manager and on garbage collection) and turns the library's return codes
into the project's errors: 1 -> :class:`~fpgacnn.spec.errors.StreamTimeoutError`,
2 -> :class:`~fpgacnn.spec.errors.StreamProtocolError`, anything else ->
:class:`~fpgacnn.spec.errors.SimulationError`; the model is reset after a failure.
A core's harness subclass keeps only what differs (framing, packing, registers).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fpgacnn.spec.errors import (
    SimulationError,
    StreamProtocolError,
    StreamTimeoutError,
    UsageError,
)

from .verilator_build import load_library

#: Return codes of the harness C API (fcnn_harness.h).
RC_OK, RC_TIMEOUT, RC_PROTOCOL, RC_BAD_ARG = 0, 1, 2, 3
#: Default stall watchdog: cycles in which no beat moves before a run gives up.
DEFAULT_TIMEOUT_CYCLES = 100_000


def check_int(name: str, value: object, lo: int, hi: int,
              error: type[UsageError] = UsageError) -> int:
    """``value`` as an int in ``lo..hi``, else ``error`` naming expected and got."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise error(f"expected an integer {name}, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise error(f"expected {name} in {lo}..{hi}, got {value}")
    return int(value)


def check_probability(name: str, value: object, error: type[UsageError] = UsageError) -> float:
    """``value`` as a probability in [0, 1), else ``error``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise error(f"expected a number for {name}, got {type(value).__name__}")
    if not 0.0 <= float(value) < 1.0:
        raise error(f"expected {name} probability in [0, 1), got {value}")
    return float(value)


def _declare_common(lib: ctypes.CDLL, prefix: str) -> None:
    vp = ctypes.c_void_p
    for name, args, res in (
        ("create", [ctypes.c_int, ctypes.c_uint64], vp),
        ("destroy", [vp], None),
        ("error", [vp], ctypes.c_char_p),
        ("cycle", [vp], ctypes.c_uint64),
        ("reset", [vp, ctypes.c_int], None),
    ):
        fn = getattr(lib, f"{prefix}_{name}")
        fn.argtypes, fn.restype = args, res


class VerilatedHarness:
    """One simulated model in a harness library; subclasses add the core's own API.

    ``error`` is the class raised for bad arguments (a
    :class:`~fpgacnn.spec.errors.UsageError`).
    """

    #: prefix of the library's C functions (``eh`` for the edge core, ``ch`` for the
    #: classifier)
    prefix: str = ""
    #: class of argument errors
    error: type[UsageError] = UsageError
    #: default stall watchdog of a run: cycles in which no beat moves before it gives up
    timeout_cycles: int = DEFAULT_TIMEOUT_CYCLES

    def _int(self, name: str, value: object, lo: int, hi: int) -> int:
        """:func:`check_int` raising the harness's argument error."""
        return check_int(name, value, lo, hi, self.error)

    def _probability(self, name: str, value: object) -> float:
        """:func:`check_probability` raising the harness's argument error."""
        return check_probability(name, value, self.error)

    def _run_settings(self, idle: object, backpressure: object, seed: object,
                      timeout_cycles: object) -> tuple[float, float, int, int]:
        """The checked stream settings of a run: idle, backpressure, seed, stall timeout
        (``None``: the harness's ``timeout_cycles``)."""
        timeout = self.timeout_cycles if timeout_cycles is None else timeout_cycles
        return (self._probability("idle", idle),
                self._probability("backpressure", backpressure),
                self._int("seed", seed, 0, 2**64 - 1),
                self._int("timeout_cycles", timeout, 1, 2**62))

    def _open(self, library: Path, declare: Callable[[ctypes.CDLL], None], *,
              random_init_seed: int | None) -> None:
        """Load ``library`` (``declare`` sets the core's own function types), create the
        model (state the RTL does not reset: zero, or random from ``random_init_seed``)."""
        self._model: int | None = None
        self.library = library

        def declare_all(lib: ctypes.CDLL) -> None:
            _declare_common(lib, self.prefix)
            declare(lib)

        self._lib = load_library(library, declare_all)
        self._fn = lambda name: getattr(self._lib, f"{self.prefix}_{name}")
        self._model = self._fn("create")(int(random_init_seed is not None),
                                         random_init_seed or 0)

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        """Free the simulated model (idempotent)."""
        if getattr(self, "_model", None) is not None:
            self._fn("destroy")(self._model)
            self._model = None

    def __enter__(self):  # noqa: ANN204 - returns the subclass
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _handle(self) -> int:
        if getattr(self, "_model", None) is None:
            raise SimulationError("the harness is closed")
        return self._model  # type: ignore[return-value]

    # -- common API ----------------------------------------------------------------------
    @property
    def cycle(self) -> int:
        """Clock cycles simulated since the model was created."""
        return int(self._fn("cycle")(self._handle()))

    def reset(self, cycles: int = 4) -> None:
        """Hold ``rst`` high for ``cycles`` clock cycles, then release it."""
        self._fn("reset")(self._handle(), self._int("reset cycles", cycles, 1, 1 << 20))

    def _fail(self, rc: int) -> SimulationError:
        """The error of return code ``rc`` with the library's message; resets the model."""
        msg = self._fn("error")(self._handle()).decode(errors="replace")
        self.reset()
        if rc == RC_TIMEOUT:
            return StreamTimeoutError(msg)
        if rc == RC_PROTOCOL:
            return StreamProtocolError(msg)
        return SimulationError(msg)


__all__ = ["DEFAULT_TIMEOUT_CYCLES", "VerilatedHarness", "check_int", "check_probability"]
