"""Handmade QKeras models (bit widths 2..8) and session-wide conversions.

Every model is converted and its C-sim compiled once per session; tests get
them through fixtures (no imports from this file, so any pytest import mode works).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.convert import ConversionResult, convert, from_model
from fpgacnn.hw.convert.examples import EXAMPLES
from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.models._keras import keras

TINY_MODELS = EXAMPLES


def random_on_grid(t: FixedType, shape: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    """``n`` random inputs on ``t``'s grid, including both range ends."""
    rng = np.random.default_rng(seed)
    lo, hi = round(t.min / t.lsb), round(t.max / t.lsb)
    codes = rng.integers(lo, hi + 1, size=(n, *shape))
    codes[0], codes[1] = lo, hi
    return codes * t.lsb


N_RANDOM = 300


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, Callable[[], keras.Model]]:
    """Factories of the handmade models, by name."""
    return TINY_MODELS


@pytest.fixture(scope="session")
def on_grid() -> Callable[[FixedType, tuple[int, ...], int, int], np.ndarray]:
    """The random on-grid input generator."""
    return random_on_grid


@pytest.fixture(scope="session")
def tiny_conversions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ConversionResult]:
    """The conv models converted with 300 random on-grid inputs as test data.

    ``dense_only`` is converted by the command-line tests instead (one C-sim
    compile fewer); they check its bit-exactness the same way.
    """
    out: dict[str, ConversionResult] = {}
    for i, (name, make) in enumerate(TINY_MODELS.items()):
        if name == "dense_only":
            continue
        model = make()
        t_in = plan_model(model)[0].result
        x = random_on_grid(t_in, tuple(model.input_shape[1:]), N_RANDOM, seed=10 + i)
        out[name] = convert(from_model(model, calibration=x, test_x=x),
                            Path(tmp_path_factory.mktemp(name)))
    return out
