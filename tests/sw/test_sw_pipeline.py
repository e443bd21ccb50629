"""Pipeline: same bits on reference, csim and rtl; crop rule; bad input; stream; errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.apps.stream_demo import digit_frame, photo
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.spec.errors import BackendError, ClassifierUnavailableError, FrameError
from fpgacnn.spec.frames import CropRule, Region, classifier_codes
from fpgacnn.spec.preprocess import InputSpec
from fpgacnn.sw.pipeline import Pipeline

pytestmark = pytest.mark.sim


@pytest.fixture(scope="module")
def frames(digits) -> tuple[list[np.ndarray], list[int]]:  # noqa: ANN001
    """Real digits on real photos: gray and BGR 640x480 frames, odd sizes, plus the truth."""
    codes, labels = digits
    out, truth = [], []
    for i, (name, k) in enumerate([("camera", 0), ("astronaut", 11), ("coins", 22),
                                   ("coffee", 33), ("rocket", 44), ("page", 55)]):
        out.append(digit_frame(codes[k], photo(name)))
        truth.append(int(labels[k]))
        if i == 0:  # an odd size: 7-pixel blocks of a 56-pixel square, 101 wide
            out.append(digit_frame(codes[k], photo(name), width=101, height=56))
            truth.append(int(labels[k]))
    return out, truth


@pytest.fixture(scope="module")
def results(sim_package: Path, frames) -> dict[str, list]:  # noqa: ANN001
    got = {}
    for backend, kw in (("reference", {}), ("csim", {}), ("rtl", {}),
                        ("rtl+csim", {"classifier_backend": "csim"})):
        name, backend = backend, backend.split("+")[0]
        with Pipeline.open(sim_package, backend, **kw) as pipe:
            got[name] = [pipe.process(f) for f in frames[0]]
    return got


def test_same_bits_on_every_backend(results, frames) -> None:  # noqa: ANN001
    ref = results["reference"]
    for backend in ("csim", "rtl", "rtl+csim"):
        for a, b in zip(ref, results[backend], strict=True):
            assert np.array_equal(a.edges, b.edges)
            assert np.array_equal(a.scores, b.scores) and a.label == b.label
    for r, frame in zip(ref, frames[0], strict=True):
        gray = frame if frame.ndim == 2 else None
        if gray is not None:
            assert np.array_equal(r.edges, sobel_edges(gray))
    assert results["rtl"][0].engines == {"edge": "rtl", "classifier": "rtl"}
    assert results["rtl+csim"][0].engines == {"edge": "rtl", "classifier": "csim"}
    # the classifier core's time: at least one image's pixels at one pixel per clock
    assert results["rtl"][0].timings["classify_hw"] >= 8 * 8 / 100e6
    assert results["reference"][0].engines == {"edge": "numpy", "classifier": "keras"}
    assert results["rtl"][0].edge_cycles > 640 * 480 // 4
    assert results["rtl"][0].timings["edge_hw"] == results["rtl"][0].edge_cycles / 100e6


def test_host_time_is_every_stage_on_a_host_backend(results) -> None:  # noqa: ANN001
    """``timings.host`` exists everywhere; on backends that compute on the host nothing
    waits on hardware, so host is the sum of the frame's stages, within its total."""
    for backend, rs in results.items():
        for r in rs:
            t = r.timings
            assert t["hw_wait"] == 0.0, backend
            stages = t["check"] + t["gray"] + t["edge"] + t["crop"] + t["classify"]
            assert t["host"] == pytest.approx(stages, rel=1e-9, abs=1e-12)
            assert 0.0 < t["host"] <= t["total"]
            assert r.to_json()["timings"]["host"] == t["host"]


def test_digits_in_frames_are_recognised(results, frames) -> None:  # noqa: ANN001
    labels = [r.label for r in results["reference"]]
    assert np.mean(np.array(labels) == np.array(frames[1])) >= 0.85
    r = results["reference"][0]
    assert r.label_name == str(r.label) and r.scores.dtype == np.int64
    assert np.array_equal(r.score_values, r.scores / 2.0 ** r.fraction)


def test_crop_rule_gives_the_training_codes(digits) -> None:  # noqa: ANN001
    codes, _ = digits
    spec = InputSpec(height=8, width=8)
    for k in (3, 17):
        frame = digit_frame(codes[k], photo("astronaut"))
        assert frame.shape == (480, 640, 3)
        assert np.array_equal(classifier_codes(frame, CropRule(), spec)[..., 0], codes[k])
    assert CropRule().box(480, 640) == (0, 80, 480, 480)
    assert CropRule(fraction=0.5).box(480, 640) == (120, 200, 240, 240)
    assert CropRule(region=Region.FULL).box(480, 640) == (0, 0, 480, 640)
    with pytest.raises(ValueError, match=r"^CropRule.fraction must be in \(0, 1\], got 0$"):
        CropRule(fraction=0)


@pytest.mark.parametrize(("frame", "message"), [
    ([[1, 2]], r"expected a numpy array, got list"),
    (np.full((4, 4), np.nan), r"frame contains NaN \(16 values\)"),
    (np.zeros((4, 4), np.float32), r"expected dtype uint8, got float32"),
    (np.zeros((4, 4, 2), np.uint8), r"expected 1, 3 or 4 channels, got 2"),
    (np.zeros((2, 4, 4, 3), np.uint8), r"expected a frame of shape \(h, w\) or \(h, w, c\), "
                                       r"got shape \(2, 4, 4, 3\)"),
    (np.zeros((0, 4), np.uint8), r"expected a non-empty frame, got shape \(0, 4\)"),
    (np.zeros((481, 64), np.uint8), r"frame of 64x481 pixels exceeds the package's maximum "
                                    r"640x480"),
])
def test_bad_frames_are_refused_before_the_backend(sim_package: Path, frame, message) -> None:  # noqa: ANN001
    with Pipeline.open(sim_package, "reference", classify=False) as pipe:
        with pytest.raises(FrameError, match=rf"^{message}$"):
            pipe.process(frame)
        assert pipe.process(np.zeros((4, 4), np.uint8)).index == 0  # nothing was counted


def test_stream_yields_in_order_and_stops(sim_package: Path, frames) -> None:  # noqa: ANN001
    with Pipeline.open(sim_package, "rtl", classify=False, threshold=100) as pipe:
        out = list(pipe.stream(iter(frames[0]), max_frames=3))
    assert [r.index for r in out] == [0, 1, 2]
    assert out[0].label is None and out[0].scores is None and "classify" not in out[0].timings
    gray = frames[0][0]
    assert np.array_equal(out[0].edges, sobel_edges(gray, 100))


def test_open_errors(sim_package: Path, tmp_path: Path) -> None:
    from fpgacnn.apps.sim_package import build_sim_package

    no_csim = build_sim_package(tmp_path / "no_csim", csim=False).path
    with pytest.raises(ClassifierUnavailableError,
                       match=r"^package '.*no_csim' has no generated classifier RTL \(model\."
                             r"files\['rtl'\]\); rebuild it with `fpgacnn package`, or pass "
                             r"classifier_backend='csim'$"):
        Pipeline.open(no_csim, "rtl")
    with pytest.raises(BackendError, match=r"^backend must be one of \['pynq', 'rtl', 'csim', "
                                           r"'reference'\], got 'fpga'$"):
        Pipeline.open(sim_package, "fpga")
    with pytest.raises(BackendError, match=r"^threshold must be an int in 0..4095, got 5000$"):
        Pipeline.open(sim_package, "reference", threshold=5000)
    with pytest.raises(BackendError, match=r"^package '.*' is a simulation package \(no "
                                           r"bitstream\); use backend 'rtl', 'csim' or "
                                           r"'reference'$"):
        Pipeline.open(sim_package, "pynq")
    pipe = Pipeline.open(sim_package, "reference", classify=False)
    pipe.close()
    with pytest.raises(BackendError, match=r"^the pipeline is closed$"):
        pipe.process(np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_stream_refuses_a_bad_max_frames_before_reading(bad) -> None:  # noqa: ANN001
    from fpgacnn.spec.errors import UsageError

    pipe = Pipeline.__new__(Pipeline)  # the check comes before the engines are touched

    def frames():
        raise AssertionError("no frame may be read")
        yield  # pragma: no cover

    with pytest.raises(UsageError, match=rf"^max_frames must be None or an int >= 0, got "
                                         rf"{re.escape(repr(bad))}$"):
        pipe.stream(frames(), max_frames=bad)
