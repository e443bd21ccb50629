"""Framing-fault campaign on the generated digits classifier core, against the policy's model.

Each episode resets the core and streams a few test images of the shipped
``digits`` model whose ``tlast`` is randomly in time, early (1..P-1 pixels
sent), late (1..3 extra pixels) or missing, then clean images. The
transaction-level model :class:`fpgacnn.spec.cnn_framing.FramingModel` says
which images the core computes (padding included) and the status of each; the
core, driven by the C++ harness with random idle and backpressure, must give:

- exactly those results (a missing or extra result is a *policy violation*),
  each with the model's status byte (else a policy violation);
- no stall (a watchdog timeout is a *deadlock*);
- scores and label of every result bit-exact with the same image classified on a
  clean stream after reset (every good image after a fault included).

A short run is in the default suite; the long one is ``slow``. Seeds are printed;
replay one episode with ``FCNN_FAULT_SEED=<seed> pytest tests/test_classifier_faults.py``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import numpy as np
import pytest

from fpgacnn.hw.convert.plan import plan_model
from fpgacnn.hw.convert.sources import load_source
from fpgacnn.hw.rtlgen import generate_rtl
from fpgacnn.sim.classifier_harness import ClassifierHarness
from fpgacnn.spec.cnn_framing import FramingModel
from fpgacnn.spec.cores import ClassifierStatus
from fpgacnn.spec.errors import StreamProtocolError, StreamTimeoutError

pytestmark = pytest.mark.sim

#: Base seed of the campaign (episode k runs with seed BASE + k).
BASE_SEED = int(os.environ.get("FCNN_FAULT_SEED", "20261124"))


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[ClassifierHarness, np.ndarray]:
    """The shipped digits model's core and its test split as input codes (N, P, C)."""
    src = load_source("digits")
    gen = generate_rtl(src.model, tmp_path_factory.mktemp("digits") / "rtl", name="digits")
    t_in = plan_model(src.model)[0].result
    x = np.round(np.asarray(src.test_x) / t_in.lsb).astype(np.int64)
    h, w, c = gen.input_shape
    return ClassifierHarness(gen.out_dir), x.reshape(len(x), h * w, c)


@dataclass
class Tally:
    """What a campaign found."""

    episodes: int = 0
    images_sent: int = 0
    framed: int = 0
    results: int = 0
    faults: int = 0
    violations: list[str] = field(default_factory=list)
    deadlocks: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def _episode(rng: random.Random, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(pixels (B, C), tlast (B,), images, faulty images) of one episode: images in time,
    early (1..P-1 pixels), late (P+1..P+3) or without tlast, then 2 clean images."""
    p = x.shape[1]
    rows, lasts, faults = [], [], 0
    count = rng.randint(2, 6)
    for k in range(count + 2):
        img = x[rng.randrange(len(x))]
        kind = "ok" if k >= count else rng.choice(["ok", "early", "late", "missing"])
        n = p
        if kind == "early":
            n = rng.randint(1, p - 1)
        elif kind == "late":
            n = p + rng.randint(1, 3)
        px = np.concatenate([img, x[rng.randrange(len(x))]])[:n]
        flags = np.zeros(n, dtype=np.uint8)
        if kind != "missing":
            flags[-1] = 1
        faults += kind != "ok"
        rows.append(px)
        lasts.append(flags)
    return np.concatenate(rows), np.concatenate(lasts), count + 2, faults


def _framed_images(pixels: np.ndarray, last: np.ndarray, p: int) -> tuple[np.ndarray, list[int]]:
    """The policy model's images (N, P, C) as codes (padding 0) and their status bytes."""
    # frame beat numbers 1..B (0 is the model's padding), then take the pixels by number
    images = FramingModel(pixels=p).feed(zip(range(1, len(pixels) + 1), last.tolist(),
                                             strict=True))
    padded = np.concatenate([np.zeros((1, pixels.shape[1]), dtype=np.int64), pixels])
    codes = np.stack([padded[im.pixels] for im in images]) if images else np.zeros(
        (0, p, pixels.shape[1]), dtype=np.int64)
    return codes, [im.status for im in images]


def _campaign(h: ClassifierHarness, x: np.ndarray, episodes: int, base: int) -> Tally:
    """Run ``episodes`` episodes with seeds ``base``, ``base + 1``, ...; count what went wrong."""
    tally = Tally()
    p = x.shape[1]
    shape = h.input_shape
    drain = 4 * h.initiation_interval + 256
    for e in range(episodes):
        seed = base + e
        rng = random.Random(seed)
        pixels, last, sent, faults = _episode(rng, x)
        codes, status = _framed_images(pixels, last, p)
        tally.episodes += 1
        tally.faults += faults
        tally.images_sent += sent
        tally.framed += len(status)
        # golden: the same images on a clean stream, after reset
        h.reset()
        ref = h.classify(codes.reshape(len(codes), *shape))
        idle, bp = rng.choice([0.0, 0.3]), rng.choice([0.0, 0.3])
        h.reset()
        try:
            got = h.run_beats(pixels, last, len(status), idle=idle, backpressure=bp, seed=seed,
                              timeout_cycles=20 * p + 2000, drain_cycles=drain)
        except StreamTimeoutError as err:
            tally.deadlocks.append(f"seed {seed}: {err}")
            continue
        except StreamProtocolError as err:
            tally.violations.append(f"seed {seed}: {err}")
            continue
        tally.results += len(got.status)
        if got.status.tolist() != status:
            tally.violations.append(f"seed {seed}: status {got.status.tolist()}, expected "
                                    f"{status}")
        bad = np.flatnonzero(np.any(got.scores != ref.scores, axis=1)
                             | (got.labels != ref.labels))
        if len(bad):
            tally.mismatches.append(f"seed {seed}: results {bad.tolist()} differ from the "
                                    f"clean run")
    return tally


def _report(tally: Tally, base: int) -> None:
    print(f"classifier fault campaign: seeds {base}..{base + tally.episodes - 1}, "
          f"{tally.episodes} episodes, {tally.images_sent} images sent ({tally.faults} with a "
          f"framing fault), {tally.framed} framed by the policy, {tally.results} results; "
          f"{len(tally.violations)} policy "
          f"violations, {len(tally.deadlocks)} deadlocks, {len(tally.mismatches)} results "
          f"not bit-exact")
    problems = tally.violations + tally.deadlocks + tally.mismatches
    assert not problems, "\n".join(problems[:10])


def test_fault_campaign_short(digits) -> None:
    """24 episodes (about 100 images, ~60% with a fault): 0 violations, deadlocks, mismatches."""
    h, x = digits
    tally = _campaign(h, x, 24, BASE_SEED)
    _report(tally, BASE_SEED)
    assert tally.faults > 0 and tally.results > tally.episodes


@pytest.mark.slow
def test_fault_campaign_long(digits) -> None:
    """1,500 episodes under random idle/backpressure."""
    h, x = digits
    tally = _campaign(h, x, 1500, BASE_SEED + 1_000_000)
    _report(tally, BASE_SEED + 1_000_000)


def test_clean_stream_reports_no_fault(digits) -> None:
    """In-time images: status 0 on every result, none damaged."""
    h, x = digits
    h.reset()
    n = 5
    pixels = x[:n].reshape(-1, x.shape[2])
    last = np.tile(np.eye(1, x.shape[1], x.shape[1] - 1, dtype=np.uint8)[0], n)
    got = h.run_beats(pixels, last, n, backpressure=0.3, seed=3)
    assert got.status.tolist() == [0] * n


def test_one_fault_costs_one_image(digits) -> None:
    """An image 2 pixels short: it is padded and flagged; the next images are exact."""
    h, x = digits
    p = x.shape[1]
    h.reset()
    ref = h.classify(x[:4].reshape(4, *h.input_shape))
    pixels = np.concatenate([x[0][: p - 2], x[1], x[2], x[3]])
    last = np.zeros(len(pixels), dtype=np.uint8)
    last[[p - 3, 2 * p - 3, 3 * p - 3, 4 * p - 3]] = 1
    h.reset()
    got = h.run_beats(pixels, last, 4)
    early, seen = int(ClassifierStatus.TLAST_EARLY), int(ClassifierStatus.FAULT_SEEN)
    assert got.status.tolist() == [early | seen, seen, seen, seen]
    np.testing.assert_array_equal(got.scores[1:], ref.scores[1:])
