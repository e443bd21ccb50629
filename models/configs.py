"""Typed model configurations: the common base, validation and (de)serialisation.

Each architecture in :mod:`fpgacnn.models.arch` defines a frozen, keyword-only
dataclass derived from :class:`ModelConfig`. Fields are validated from their
type hints (positive ``int``, non-empty ``tuple[int, ...]``, ``Enum`` members,
:class:`~fpgacnn.models.quant.QuantConfig`), serialise to JSON with
:func:`config_to_dict` and come back with :func:`config_from_dict`;
:func:`config_with` applies ``KEY=VALUE`` overrides from the command line.
No TensorFlow here.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import ConfigError
from .quant import QuantConfig

C = TypeVar("C", bound="ModelConfig")


class Padding(enum.Enum):
    """Conv2D padding the hardware flow supports (stride is always 1)."""

    VALID = "valid"
    SAME = "same"


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Fields every zoo model has.

    ``quant`` is the quantization; ``None`` builds the float twin of the same
    architecture (used for the float baseline and as a distillation teacher).
    """

    quant: QuantConfig | None = QuantConfig()
    num_classes: int = 10

    def __post_init__(self) -> None:
        name = type(self).__name__
        for field, hint in typing.get_type_hints(type(self)).items():
            value = getattr(self, field)
            if hint is int:
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ConfigError(f"{name}.{field} must be a positive int, got {value!r}")
            elif hint == tuple[int, ...]:
                ok = isinstance(value, tuple) and len(value) > 0 and all(
                    isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
                )
                if not ok:
                    raise ConfigError(
                        f"{name}.{field} must be a non-empty tuple of positive ints, got {value!r}"
                    )
            elif isinstance(hint, type) and issubclass(hint, enum.Enum):
                if not isinstance(value, hint):
                    raise ConfigError(f"{name}.{field} must be a {hint.__name__}, got {value!r}")
        if self.quant is not None and not isinstance(self.quant, QuantConfig):
            raise ConfigError(f"{name}.quant must be a QuantConfig or None, got {self.quant!r}")


def _hints(cls: type[ModelConfig]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def config_to_dict(cfg: ModelConfig) -> dict[str, Any]:
    """Return ``cfg`` as JSON-ready data (enums by value, tuples as lists)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(cfg):
        value = getattr(cfg, field.name)
        if isinstance(value, QuantConfig):
            value = value.to_dict()
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


def _coerce(cls: type[ModelConfig], field: str, hint: Any, value: Any) -> Any:
    """Convert JSON data or a command-line string to the field's type."""
    name = cls.__name__
    try:
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if hint is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes"):
                return True
            if str(value).lower() in ("0", "false", "no"):
                return False
            raise ValueError(value)
        if hint == tuple[int, ...]:
            items = value.split(",") if isinstance(value, str) else value
            return tuple(int(v) for v in items)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return hint(value)
    except (TypeError, ValueError):
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            choices = ", ".join(m.value for m in hint)
            raise ConfigError(
                f"{name}.{field}: invalid value {value!r} (expected one of {choices})"
            ) from None
        raise ConfigError(f"{name}.{field}: invalid value {value!r}") from None
    return value


def config_from_dict(cls: type[C], data: Mapping[str, Any]) -> C:
    """Rebuild a config of class ``cls`` from :func:`config_to_dict` output."""
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for field, value in data.items():
        if field not in hints:
            raise ConfigError(f"{cls.__name__} has no field {field!r}")
        if field == "quant":
            kwargs[field] = None if value is None else QuantConfig.from_dict(value)
        else:
            kwargs[field] = _coerce(cls, field, hints[field], value)
    return cls(**kwargs)


def config_with(cfg: C, overrides: Mapping[str, str]) -> C:
    """Return ``cfg`` with string ``overrides`` (``{"filters": "8"}``) applied and validated."""
    hints = _hints(type(cfg))
    changes: dict[str, Any] = {}
    for field, text in overrides.items():
        if field not in hints or field == "quant":
            settable = ", ".join(f for f in hints if f != "quant")
            raise ConfigError(
                f"{type(cfg).__name__} has no settable field {field!r} (fields: {settable})"
            )
        changes[field] = _coerce(type(cfg), field, hints[field], text)
    return dataclasses.replace(cfg, **changes)


__all__ = [
    "ModelConfig",
    "Padding",
    "config_from_dict",
    "config_to_dict",
    "config_with",
]
