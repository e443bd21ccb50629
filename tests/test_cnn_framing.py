"""The classifier's framing policy model and output layout (spec.cnn_framing, spec.cores)."""

from __future__ import annotations

import numpy as np
import pytest

from fpgacnn.spec.cnn_framing import FramingModel, frame_beats
from fpgacnn.spec.cores import (
    ClassifierOutputLayout,
    ClassifierStatus,
    classifier_core_spec,
)
from fpgacnn.spec.errors import UsageError

E, L, S = (int(ClassifierStatus.TLAST_EARLY), int(ClassifierStatus.TLAST_LATE),
           int(ClassifierStatus.FAULT_SEEN))


def _beats(*runs: tuple[int, int]) -> list[tuple[int, bool]]:
    """Runs of (length, tlast on the run's last beat): data counts up from 1."""
    out, k = [], 1
    for n, last in runs:
        for i in range(n):
            out.append((k, bool(last) and i == n - 1))
            k += 1
    return out


def test_in_time_images_pass_unchanged() -> None:
    imgs = frame_beats(_beats((4, 1), (4, 1)), pixels=4)
    assert [im.pixels.tolist() for im in imgs] == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert [im.status for im in imgs] == [0, 0]


def test_early_pads_with_zeros_then_frames_afresh() -> None:
    imgs = frame_beats(_beats((2, 1), (4, 1)), pixels=4)
    assert [im.pixels.tolist() for im in imgs] == [[1, 2, 0, 0], [3, 4, 5, 6]]
    assert [im.status for im in imgs] == [E | S, S]
    assert imgs[0].damaged and not imgs[1].damaged


def test_late_ends_at_the_count_and_drops_to_tlast() -> None:
    m = FramingModel(pixels=4)
    imgs = m.feed(_beats((6, 1), (4, 1)))
    assert [im.pixels.tolist() for im in imgs] == [[1, 2, 3, 4], [7, 8, 9, 10]]
    assert [im.status for im in imgs] == [L | S, S]
    assert m.dropped == 2


def test_missing_tlast_costs_the_next_image_too() -> None:
    m = FramingModel(pixels=4)
    imgs = m.feed(_beats((4, 0), (4, 1), (4, 1)))
    assert [im.pixels.tolist() for im in imgs] == [[1, 2, 3, 4], [9, 10, 11, 12]]
    assert [im.status for im in imgs] == [L | S, S] and m.dropped == 4


def test_pending_dropping_and_reset() -> None:
    m = FramingModel(pixels=4)
    assert m.feed(_beats((4, 0), (1, 0))) != [] and m.dropping and m.pending == 0
    m.reset()
    assert m.feed(_beats((3, 0))) == [] and m.pending == 3 and not m.dropping
    assert [im.status for im in m.feed([(9, True)])] == [0]  # sticky cleared by reset


def test_one_pixel_images_are_never_early() -> None:
    imgs = frame_beats([(1, True), (2, False), (3, True), (4, True)], pixels=1)
    assert [im.status for im in imgs] == [0, L | S, S]
    assert [int(im.pixels[0]) for im in imgs] == [1, 2, 4]


@pytest.mark.parametrize("pixels", [0, -1, 1.5, True])
def test_bad_pixel_count(pixels: object) -> None:
    with pytest.raises(UsageError, match=r"^pixels: expected an integer >= 1, got "):
        FramingModel(pixels=pixels)  # type: ignore[arg-type]


def test_output_layout_round_trip_and_width() -> None:
    lay = ClassifierOutputLayout(n_classes=10, score_bits=15)
    assert (lay.label_lsb, lay.status_lsb, lay.payload_bits, lay.tdata_bits) == (
        150, 158, 166, 168)
    rng = np.random.default_rng(1)
    for _ in range(50):
        scores = rng.integers(-(1 << 14), 1 << 14, size=10).tolist()
        label, status = int(rng.integers(0, 10)), int(rng.integers(0, 8))
        assert lay.decode(lay.encode(scores, label, status)) == (scores, label, status)
    spec = classifier_core_spec(input_shape=(8, 8, 1), score_bits=15, n_classes=10)
    assert spec.stream_out_bits == lay.tdata_bits


@pytest.mark.parametrize(("n", "bits", "message"), [
    (0, 8, r"^classes: expected 1\.\.256, got 0$"),
    (257, 8, r"^classes: expected 1\.\.256, got 257$"),
    (10, 0, r"^score bits: expected >= 1, got 0$")])
def test_output_layout_refuses(n: int, bits: int, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ClassifierOutputLayout(n_classes=n, score_bits=bits)
