"""The hls4ml shim: Keras 2 for hls4ml inside the block, the original module after it."""

from __future__ import annotations

import sys

import pytest

from fpgacnn.hw.convert._hls4ml_shim import keras2_for_hls4ml
from fpgacnn.models._keras import keras as tf_keras


def test_keras_is_tf_keras_inside_and_restored_after() -> None:
    before = sys.modules.get("keras")
    with keras2_for_hls4ml() as hls4ml:
        import keras

        assert keras is tf_keras
        assert keras.__version__.startswith("2.")
        assert hls4ml.__version__ == "1.3.0"
    assert sys.modules.get("keras") is before


def test_restored_on_error() -> None:
    before = sys.modules.get("keras")
    with pytest.raises(RuntimeError, match=r"^boom$"), keras2_for_hls4ml():
        raise RuntimeError("boom")
    assert sys.modules.get("keras") is before


def test_hls4ml_takes_keras2_parser_for_qkeras(tiny_models) -> None:
    """Under the shim hls4ml parses a QKeras model (its Keras-3 parser would fail)."""
    model = tiny_models["dense_only"]()
    with keras2_for_hls4ml() as hls4ml:
        conf = hls4ml.utils.config_from_keras_model(model, granularity="name")
    assert conf["LayerName"]["fc_a"]["Precision"]["weight"].startswith("fixed<4,1")
