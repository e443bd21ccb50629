"""The C++ harness of the generated classifier core: bit-exact with QKeras, stalls, errors, lint.

Expected codes come from QKeras as in ``sim/fcnn_classifier`` (``_prepare``):
score codes = round(QKeras output * 2**score_fraction); the C-sim leg of that
chain is covered by the cocotb testbench.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.sources import load_source, random_on_grid
from fpgacnn.hw.rtlgen import generate_rtl
from fpgacnn.sim.classifier_harness import ClassifierHarness, ClassifierInputError, rtl_sources
from fpgacnn.sim.verilator_env import verilator_environ
from fpgacnn.spec.errors import ArtifactError, StreamTimeoutError

pytestmark = pytest.mark.sim

#: {no idle, idle} x {no backpressure, backpressure}, each with its own seed.
MATRIX = [(0.0, 0.0, 1), (0.3, 0.0, 2), (0.0, 0.3, 3), (0.3, 0.3, 4)]


def _expected(model, x: np.ndarray, info: dict) -> tuple[np.ndarray, np.ndarray]:
    """(input codes, QKeras score codes) for floats ``x`` on the input grid."""
    t_in = plan_model(model)[0].result
    y = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float64)
    scale = 2.0 ** info["output"]["score_fraction"]
    codes = np.round(y.reshape(len(x), -1) * scale).astype(np.int64)
    assert np.array_equal(codes / scale, y.reshape(len(x), -1)), "QKeras output off the grid"
    return np.round(np.asarray(x) / t_in.lsb).astype(np.int64), codes


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[ClassifierHarness, np.ndarray, np.ndarray, Path]:
    """The shipped digits model's core, its whole test split as codes and QKeras's scores."""
    src = load_source("digits")
    gen = generate_rtl(src.model, tmp_path_factory.mktemp("digits") / "rtl", name="digits")
    x, scores = _expected(src.model, src.test_x, gen.info)
    return ClassifierHarness(gen.out_dir), x, scores, gen.out_dir


@pytest.fixture(scope="module")
def two_conv(tmp_path_factory) -> tuple[ClassifierHarness, np.ndarray, np.ndarray]:
    """Handmade example: signed 6-bit 6x6x2 input, same + valid conv (random on-grid inputs)."""
    from fpgacnn.hw.convert.examples import conv_same_two_layers

    model = conv_same_two_layers()
    t_in = plan_model(model)[0].result
    xf = random_on_grid(t_in, tuple(model.input_shape[1:]), 150, seed=5)
    gen = generate_rtl(model, tmp_path_factory.mktemp("two_conv") / "rtl", name="two_conv")
    x, scores = _expected(model, xf, gen.info)
    return ClassifierHarness(gen.out_dir), x, scores


@pytest.mark.parametrize(("idle", "backpressure", "seed"), MATRIX)
def test_digits_bit_exact(digits, idle: float, backpressure: float, seed: int) -> None:
    h, x, scores, _ = digits
    assert len(x) >= 300
    got, labels, stats = h.classify(x, idle=idle, backpressure=backpressure, seed=seed)
    assert got.dtype == np.int64 and got.shape == scores.shape
    bad = np.flatnonzero(np.any(got != scores, axis=1))
    assert bad.size == 0, f"{bad.size} images differ (seed {seed}); first {bad[0]}"
    np.testing.assert_array_equal(labels, np.argmax(scores, axis=1))
    assert np.all(np.diff(stats.result) > 0)
    if idle == backpressure == 0.0:
        assert stats.initiation_interval == h.initiation_interval == 64
        assert len(set(stats.latency.tolist())) == 1


@pytest.mark.parametrize(("idle", "backpressure", "seed"), MATRIX)
def test_two_conv_bit_exact(two_conv, idle: float, backpressure: float, seed: int) -> None:
    h, x, scores = two_conv
    assert h.element_signed and x.min() < 0
    got, labels, _ = h.classify(x, idle=idle, backpressure=backpressure, seed=seed)
    np.testing.assert_array_equal(got, scores)
    np.testing.assert_array_equal(labels, np.argmax(scores, axis=1))


def test_reused_build_and_reproducible(digits) -> None:
    h, x, _, rtl_dir = digits
    again = ClassifierHarness(rtl_dir)
    assert again.library == h.library
    a = h.classify(x[:20], idle=0.4, backpressure=0.4, seed=9).stats
    b = again.classify(x[:20], idle=0.4, backpressure=0.4, seed=9).stats
    np.testing.assert_array_equal(a.result - a.first_in[0], b.result - b.first_in[0])


def test_timeout_then_usable(digits) -> None:
    h, x, scores, _ = digits
    with pytest.raises(StreamTimeoutError, match=r"^no stream progress for 3 cycles: input at "
                                                 r"image \d+ pixel \d+ .*results received"):
        h.classify(x[:4], idle=0.99, seed=1, timeout_cycles=3)
    np.testing.assert_array_equal(h.classify(x[:4]).scores, scores[:4])


@pytest.mark.parametrize(("codes", "message"), [
    ([[1]], "codes: expected a numpy array, got list"),
    (np.zeros((3, 8, 8), np.int64),
     r"codes shape: expected (N, 8, 8, 1) with N >= 1, got (3, 8, 8)"),
    (np.zeros((0, 8, 8, 1), np.int64),
     r"codes shape: expected (N, 8, 8, 1) with N >= 1, got (0, 8, 8, 1)"),
    (np.zeros((2, 8, 8, 1), np.float32), "codes dtype: expected an integer dtype, got float32"),
    (np.full((2, 8, 8, 1), 256, np.int16),
     r"codes range: expected unsigned 8-bit codes in [0, 255], got 128 values outside "
     r"(min 256, max 256)"),
    (np.full((1, 8, 8, 1), -1, np.int8),
     r"codes range: expected unsigned 8-bit codes in [0, 255], got 64 values outside "
     r"(min -1, max -1)"),
])
def test_bad_codes(digits, codes, message: str) -> None:
    h = digits[0]
    with pytest.raises(ClassifierInputError, match="^" + re.escape(message) + "$"):
        h.classify(codes)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"idle": 1.0}, "expected idle probability in [0, 1), got 1.0"),
    ({"backpressure": -0.1}, "expected backpressure probability in [0, 1), got -0.1"),
    ({"seed": -1}, f"expected seed in 0..{2**64 - 1}, got -1"),
    ({"timeout_cycles": 0}, f"expected timeout_cycles in 1..{2**62}, got 0"),
])
def test_bad_settings(digits, kwargs, message: str) -> None:
    h, x = digits[0], digits[1]
    with pytest.raises(ClassifierInputError, match="^" + re.escape(message) + "$"):
        h.classify(x[:1], **kwargs)


def test_signed_range_message(two_conv) -> None:
    h = two_conv[0]
    with pytest.raises(ClassifierInputError, match="^" + re.escape(
            "codes range: expected signed 6-bit codes in [-32, 31], got 1 values outside "
            "(min -33, max 0)") + "$"):
        codes = np.zeros((1, 6, 6, 2), np.int32)
        codes[0, 1, 2, 1] = -33
        h.classify(codes)


def test_not_a_core(tmp_path) -> None:
    with pytest.raises(ArtifactError, match=r"holds no generated core \(no rtl.json\)$"):
        ClassifierHarness(tmp_path)


def test_digits_core_lint_clean(digits) -> None:
    """The generated top and its blocks are clean under verilator --lint-only -Wall."""
    rtl_dir = digits[3]
    env = verilator_environ()
    exe = str(Path(env["VERILATOR_ROOT"]) / "bin" / "verilator")
    proc = subprocess.run([exe, "--lint-only", "-Wall", "-Wno-DECLFILENAME", "--top-module",
                           "fcnn_classifier", *map(str, rtl_sources(rtl_dir))],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "%Warning" not in proc.stderr, proc.stderr[-3000:]


@pytest.mark.parametrize(("fields", "bits"), [(1, 8), (3, 7), (12, 6), (20, 15)])
def test_pack_unpack_wide(fields: int, bits: int) -> None:
    """Beat packing is generic over TDATA width (VlWide beyond 64 bits): fields round-trip."""
    from fpgacnn.sim.classifier_harness import _field, _pack

    rng = np.random.default_rng(fields)
    v = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(50, fields))
    words = max(1, -(-fields * bits // 32))
    packed = _pack(v, bits, words)
    assert packed.shape == (50, words) and packed.dtype == np.uint32
    got = np.stack([_field(packed, i * bits, bits, True) for i in range(fields)], axis=1)
    np.testing.assert_array_equal(got, v)
    wide = sum(int(w) << (32 * i) for i, w in enumerate(packed[0]))
    assert wide == sum((int(x) & ((1 << bits) - 1)) << (i * bits) for i, x in enumerate(v[0]))
