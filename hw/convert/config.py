"""Conversion settings: a dataclass with Enums, serialised to JSON beside the outputs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fpgacnn.spec.errors import ConfigError

from .fixed import FixedType


class Backend(enum.Enum):
    """hls4ml backend (only Vitis HLS is targeted)."""

    VITIS = "Vitis"


class IOType(enum.Enum):
    """How layers pass tensors: streams (one pixel per beat), as the classifier core needs."""

    IO_STREAM = "io_stream"


class Strategy(enum.Enum):
    """hls4ml's implementation strategy for conv/dense layers."""

    LATENCY = "Latency"
    RESOURCE = "Resource"


@dataclass(frozen=True, kw_only=True)
class ConvertConfig:
    """What :func:`fpgacnn.hw.convert.convert` builds.

    ``part`` and ``clock_period_ns`` go into the HLS project (default: the
    Zynq-7020 of PYNQ-Z1/Z2 at 100 MHz; ``fpgacnn convert --board`` sets the
    board's, see :func:`fpgacnn.hw.fold.hls.hls_settings`). ``strategy`` and
    ``reuse_factor`` are the model-wide defaults; ``layer_strategy`` and
    ``layer_reuse`` set them per Keras layer name (the folding solver's choice:
    Latency for small layers, Resource with a reuse factor for folded ones).
    ``result_overrides`` replaces the
    derived output type of named layers (expert use; every type is still
    checked against calibration data, so an override that overflows fails).
    """

    backend: Backend = Backend.VITIS
    io_type: IOType = IOType.IO_STREAM
    strategy: Strategy = Strategy.LATENCY
    reuse_factor: int = 1
    part: str = "xc7z020clg400-1"
    clock_period_ns: float = 10.0
    layer_strategy: Mapping[str, Strategy] = field(default_factory=dict)
    layer_reuse: Mapping[str, int] = field(default_factory=dict)
    result_overrides: Mapping[str, FixedType] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, enum_type in (("backend", Backend), ("io_type", IOType),
                                ("strategy", Strategy)):
            if not isinstance(getattr(self, name), enum_type):
                raise ConfigError(f"ConvertConfig.{name} must be a {enum_type.__name__}, "
                                      f"got {getattr(self, name)!r}")
        if not isinstance(self.reuse_factor, int) or self.reuse_factor < 1:
            raise ConfigError(
                f"ConvertConfig.reuse_factor must be a positive int, got {self.reuse_factor!r}")
        if not self.clock_period_ns > 0:
            raise ConfigError(
                f"ConvertConfig.clock_period_ns must be > 0, got {self.clock_period_ns!r}")
        if not isinstance(self.part, str) or not self.part:
            raise ConfigError(f"ConvertConfig.part must be a non-empty string, got {self.part!r}")
        for key, value in self.layer_strategy.items():
            if not isinstance(value, Strategy):
                raise ConfigError(f"ConvertConfig.layer_strategy[{key!r}] must be a Strategy, "
                                  f"got {value!r}")
        for key, value in self.layer_reuse.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"ConvertConfig.layer_reuse[{key!r}] must be a positive int, "
                                  f"got {value!r}")
        for key, value in self.result_overrides.items():
            if not isinstance(value, FixedType):
                raise ConfigError(f"ConvertConfig.result_overrides[{key!r}] must be a "
                                      f"FixedType, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "backend": self.backend.value, "io_type": self.io_type.value,
            "strategy": self.strategy.value, "reuse_factor": self.reuse_factor,
            "part": self.part, "clock_period_ns": self.clock_period_ns,
            "layer_strategy": {k: v.value for k, v in self.layer_strategy.items()},
            "layer_reuse": dict(self.layer_reuse),
            "result_overrides": {k: v.to_dict() for k, v in self.result_overrides.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConvertConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            backend=Backend(data["backend"]), io_type=IOType(data["io_type"]),
            strategy=Strategy(data["strategy"]), reuse_factor=int(data["reuse_factor"]),
            part=str(data["part"]), clock_period_ns=float(data["clock_period_ns"]),
            layer_strategy={k: Strategy(v) for k, v in data.get("layer_strategy", {}).items()},
            layer_reuse={k: int(v) for k, v in data.get("layer_reuse", {}).items()},
            result_overrides={k: FixedType.from_dict(v)
                              for k, v in data.get("result_overrides", {}).items()},
        )
