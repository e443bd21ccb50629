"""The generator's self-check (``fpgacnn.hw.rtlgen.selfcheck``): stages vs the traced model."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.canonical import canonicalize
from fpgacnn.hw.convert.fixed import FixedType
from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.rtlgen import RtlGenError
from fpgacnn.hw.rtlgen.selfcheck import check_stages, requantize
from fpgacnn.hw.rtlgen.stages import ConvStage, build_stages


def _compat():
    spec = importlib.util.spec_from_file_location(
        "compat_models", Path(__file__).with_name("compat_models.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("compat_models", mod)
    spec.loader.exec_module(mod)
    return mod.COMPAT_MODELS


def _staged(name: str):
    entry = _compat()[name]
    model = canonicalize(entry.build(0), input_type=entry.input_type).model
    plans = plan_model(model)
    return model, plans, build_stages(model, plans)


@pytest.mark.parametrize("name", ["conv_signed_activation", "conv_relu_inside",
                                  "hls4ml_btnn_ternary", "tutorial_part4_jet_mlp",
                                  "hls4ml_qconv2dbn"])
def test_stages_compute_the_model(name: str) -> None:
    check_stages(*_staged(name))


def test_a_relu_the_model_does_not_have_is_caught() -> None:
    """The defect the compatibility suite once found (a ReLU applied after a signed
    ``quantized_bits`` activation) stops the generation, naming the layer."""
    model, plans, stages = _staged("conv_signed_activation")
    conv = next(s for s in stages if isinstance(s, ConvStage) and s.quantize and not s.relu)
    bad = [dataclasses.replace(s, relu=True) if s is conv else s for s in stages]
    act = [la.name for la in model.layers][[la.name for la in model.layers].index(conv.layer) + 1]
    with pytest.raises(RtlGenError, match=rf"^layer '{act}' \({conv.name}\): the generated "
                                          r"arithmetic disagrees with the model on \d+ of 8"):
        check_stages(model, plans, bad)


def test_a_wrong_alignment_is_caught() -> None:
    model, plans, stages = _staged("tutorial_part4_jet_mlp")
    bad = [dataclasses.replace(s, prod_shift=s.prod_shift + 1) if i == 0 else s
           for i, s in enumerate(stages)]
    with pytest.raises(RtlGenError, match="generator self-check"):
        check_stages(model, plans, bad)


def test_requantize_rounds_half_to_even_and_saturates() -> None:
    acc = np.array([-9, -6, -5, -3, -2, 2, 3, 5, 6, 7, 9, 100, -100])
    t = FixedType(width=4, integer=4, signed=True)         # codes -8..7
    got = requantize(acc, 1, t)                             # acc / 2, half to even
    want = np.clip(np.round(acc / 2), -8, 7)                # numpy rounds half to even
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(requantize(acc, 1, t, relu=True), np.maximum(want, 0))
