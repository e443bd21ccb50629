"""Calibration range check: observed layer outputs vs. their fixed-point types."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import RangeOverflowError
from .plan import LayerPlan

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class LayerRange:
    """The observed output range of one layer on the calibration data."""

    name: str
    min: float
    max: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "min": self.min, "max": self.max}


def observe_ranges(model: Any, x: np.ndarray, *, batch_size: int = 256) -> list[LayerRange]:
    """Run ``x`` through ``model`` and return every layer's output min/max (input included)."""
    from fpgacnn.models._keras import keras

    layers = model.layers
    probe = keras.Model(model.inputs, [layer.output for layer in layers[1:]])
    outs = probe.predict(x, batch_size=batch_size, verbose=0)
    if not isinstance(outs, list):
        outs = [outs]
    ranges = [LayerRange(name=layers[0].name, min=float(np.min(x)), max=float(np.max(x)))]
    for layer, out in zip(layers[1:], outs, strict=True):
        ranges.append(LayerRange(name=layer.name, min=float(np.min(out)), max=float(np.max(out))))
    return ranges


def check_ranges(plans: list[LayerPlan], ranges: list[LayerRange]) -> None:
    """Raise :class:`RangeOverflowError` for the first layer whose range its type cannot hold."""
    by_name = {r.name: r for r in ranges}
    for plan in plans:
        r = by_name[plan.name]
        t = plan.result
        if not t.contains(r.min, r.max):
            raise RangeOverflowError(
                f"layer '{plan.name}' ({plan.class_name}): calibration range "
                f"[{r.min:g}, {r.max:g}] overflows {t.hls()} (range [{t.min:g}, {t.max:g}])"
            )
        log.debug("%s: [%g, %g] fits %s", plan.name, r.min, r.max, t.hls())
