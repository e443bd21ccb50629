"""The C++ frame harness runs the edge core's RTL bit-exact with the golden model, fast.

One harness build per PPC (MAX 640x480), shared by all tests of the session and
grouped on one xdist worker. Seeds of randomised runs are in the test ids.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from fpgacnn.apps.cli_demo import load_photo
from fpgacnn.sim.edge_harness import CORE_ID, EdgeHarness, EdgeReg, maxima_for
from fpgacnn.sim.edge_harness_build import HarnessParams
from fpgacnn.spec.edge import EdgeConfigError, sobel_edges
from fpgacnn.spec.errors import StreamTimeoutError, UsageError
from fpgacnn.sw.image_io import fit_frame

log = logging.getLogger(__name__)

PPCS = (1, 2, 4, 8)
W, H = 640, 480
PHOTOS = ("camera", "coins", "astronaut")
#: {no idle, idle} x {no backpressure, backpressure}
MATRIX = list(itertools.product((0.0, 0.3), (0.0, 0.4)))
#: sizes as (width, height)
ODD_SIZES = ((3, 3), (5, 4), (17, 9), (64, 48), (1, 1), (1, 6), (7, 1), (2, 2), (639, 479))

pytestmark = pytest.mark.sim

Harnesses = dict[int, EdgeHarness]
Photos = dict[str, np.ndarray]


@pytest.fixture(scope="session")
def harnesses() -> Iterator[dict[int, EdgeHarness]]:
    """Lazily built harnesses, one per PPC (the build happens on first use)."""
    made: dict[int, EdgeHarness] = {}
    yield made
    for h in made.values():
        h.close()


def get(harnesses: dict[int, EdgeHarness], ppc: int) -> EdgeHarness:
    if ppc not in harnesses:
        harnesses[ppc] = EdgeHarness(ppc=ppc, max_width=W, max_height=H)
    h = harnesses[ppc]
    h.reset()
    return h


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {name: fit_frame(load_photo(name), W, H) for name in PHOTOS}


def group(ppc: int) -> pytest.MarkDecorator:
    return pytest.mark.xdist_group(f"edge_harness_ppc{ppc}")


def per_ppc(fn: Callable[..., None]) -> Callable[..., None]:
    """Parametrize over PPC, each value in its own xdist group (one build per worker)."""
    return pytest.mark.parametrize("ppc", [pytest.param(p, marks=group(p)) for p in PPCS])(fn)


def bpl(width: int, ppc: int) -> int:
    return -(-width // ppc)


# -- bit-exact on real photos -----------------------------------------------------------


@per_ppc
def test_photos_back_to_back_bit_exact(harnesses: Harnesses, photos: Photos, ppc: int) -> None:
    h = get(harnesses, ppc)
    frames = [photos[n] for n in PHOTOS]
    res = h.run(frames)
    for name, frame, out in zip(PHOTOS, frames, res.frames, strict=True):
        np.testing.assert_array_equal(out, sobel_edges(frame), err_msg=name)
    # cycle counts are sane: one beat per cycle at best, about one line of latency
    beats = bpl(W, ppc) * H
    steady = res.steady_state_cycles_per_frame
    assert steady is not None and beats <= steady <= beats + bpl(W, ppc) + 16
    for lat in res.latency:
        assert bpl(W, ppc) <= lat <= bpl(W, ppc) + 16
    for cyc in res.frame_cycles:
        assert cyc >= beats
    assert h.read_register(EdgeReg.FRAME_COUNT) == len(frames)
    assert h.read_register(EdgeReg.ERROR) == 0


@per_ppc
@pytest.mark.parametrize(("idle", "backpressure"), MATRIX)
def test_idle_backpressure_matrix(
    harnesses: Harnesses, photos: Photos, ppc: int, idle: float, backpressure: float
) -> None:
    h = get(harnesses, ppc)
    seed = 1000 * ppc + int(100 * idle) + int(10 * backpressure)
    log.info("seed %d", seed)
    frames = [photos["astronaut"], photos["coins"]]
    res = h.run(frames, threshold=0, idle=idle, backpressure=backpressure, seed=seed)
    for frame, out in zip(frames, res.frames, strict=True):
        np.testing.assert_array_equal(out, sobel_edges(frame), err_msg=f"seed {seed}")
    beats = bpl(W, ppc) * H
    assert res.steady_state_cycles_per_frame >= beats
    if idle or backpressure:  # stalls cost cycles
        assert res.steady_state_cycles_per_frame > beats + bpl(W, ppc)


@per_ppc
@pytest.mark.parametrize("threshold", [1, 80, 255, 700, 4095])
def test_thresholds(harnesses: Harnesses, photos: Photos, ppc: int, threshold: int) -> None:
    h = get(harnesses, ppc)
    frame = photos["camera"]
    out = h.run([frame], threshold=threshold, idle=0.1, backpressure=0.1, seed=threshold)
    np.testing.assert_array_equal(out.frames[0], sobel_edges(frame, threshold))
    assert h.read_register(EdgeReg.THRESHOLD) == threshold


@per_ppc
def test_odd_sizes_back_to_back(harnesses: Harnesses, photos: Photos, ppc: int) -> None:
    """Size changes between back-to-back frames go through WIDTH/HEIGHT while streaming."""
    h = get(harnesses, ppc)
    src = photos["coins"]
    frames = [src[:hh, min(200, W - ww) :][:, :ww].copy() for ww, hh in ODD_SIZES]
    frames += frames[::-1]
    for seed, (idle, bp) in enumerate(MATRIX):
        res = h.run(frames, threshold=0, idle=idle, backpressure=bp, seed=seed)
        for frame, out in zip(frames, res.frames, strict=True):
            np.testing.assert_array_equal(
                out, sobel_edges(frame), err_msg=f"{frame.shape} seed {seed}"
            )
        assert all(lat > 0 for lat in res.latency)
    assert h.read_register(EdgeReg.WIDTH) == ODD_SIZES[0][0]
    assert h.read_register(EdgeReg.HEIGHT) == ODD_SIZES[0][1]
    assert h.read_register(EdgeReg.FRAME_COUNT) == len(frames) * len(MATRIX)
    assert h.read_register(EdgeReg.ERROR) == 0


@per_ppc
def test_random_initial_state(ppc: int, photos: Photos) -> None:
    """State the RTL does not reset starts random: outputs must not depend on it."""
    with EdgeHarness(ppc=ppc, max_width=W, max_height=H, random_init_seed=7 + ppc) as h:
        frames = [photos["camera"], photos["camera"][:5, :9].copy()]
        res = h.run(frames)
        for frame, out in zip(frames, res.frames, strict=True):
            np.testing.assert_array_equal(out, sobel_edges(frame))


# -- registers and errors (one PPC is enough) ------------------------------------------


@pytest.mark.xdist_group("edge_harness_ppc1")
def test_identification_registers(harnesses: Harnesses) -> None:
    h = get(harnesses, 1)
    assert h.read_register(EdgeReg.CORE_ID) == CORE_ID
    assert h.read_register(EdgeReg.VERSION) == 0x0001_0000
    assert h.read_register(EdgeReg.CFG_PPC) == 1
    assert h.read_register(EdgeReg.CFG_MAX_WIDTH) == W
    assert h.read_register(EdgeReg.CFG_MAX_HEIGHT) == H
    assert h.read_register(0xFC) == 0  # unmapped
    h.write_register(EdgeReg.THRESHOLD, 123)
    assert h.read_register(EdgeReg.THRESHOLD) == 123


@pytest.mark.xdist_group("edge_harness_ppc1")
def test_process_is_run_of_one_frame(harnesses, photos) -> None:
    h = get(harnesses, 1)
    frame = photos["coins"][:48, :64].copy()
    np.testing.assert_array_equal(h.process(frame, threshold=90), sobel_edges(frame, 90))


@pytest.mark.xdist_group("edge_harness_ppc1")
def test_stalled_core_times_out_and_recovers(harnesses: Harnesses) -> None:
    h = get(harnesses, 1)
    h.write_register(EdgeReg.CTRL, 0)  # ENABLE = 0: no new frame is accepted
    frame = np.zeros((4, 5), np.uint8)
    msg = (
        r"^no stream progress for 200 cycles: input at frame 0 line 0 beat 0 "
        r"\(tvalid=1, s_axis_tready=0\), output at frame 0 line 0 beat 0 \(m_axis_tvalid=0\)$"
    )
    with pytest.raises(StreamTimeoutError, match=msg):
        h.run([frame], timeout_cycles=200)
    # the harness reset the model: ENABLE is back to 1 and frames flow again
    assert h.read_register(EdgeReg.CTRL) == 1
    np.testing.assert_array_equal(h.process(frame), sobel_edges(frame))


Z = np.zeros((4, 4), np.uint8)
TOO_BIG = r"pixels exceeds the core's maximum 640x480$"


@pytest.mark.xdist_group("edge_harness_ppc1")
@pytest.mark.parametrize(
    ("frames", "kwargs", "message"),
    [
        ([Z.astype(np.float32)], {}, r"^frame 0: expected dtype uint8, got float32$"),
        (
            [Z, np.zeros((4, 4, 3), np.uint8)],
            {},
            r"^frame 1: expected a 2-D gray frame \(height, width\), got shape \(4, 4, 3\)$",
        ),
        ([[1, 2]], {}, r"^frame 0: expected a numpy array, got list$"),
        (
            [np.zeros((0, 4), np.uint8)],
            {},
            r"^frame 0: expected a non-empty frame, got shape \(0, 4\)$",
        ),
        ([np.zeros((480, 641), np.uint8)], {}, r"^frame 0: frame of 641x480 " + TOO_BIG),
        ([np.zeros((481, 8), np.uint8)], {}, r"^frame 0: frame of 8x481 " + TOO_BIG),
        ([], {}, r"^expected at least one frame, got none$"),
        ([Z], {"threshold": 4096}, r"^expected threshold in 0\.\.4095, got 4096$"),
        ([Z], {"threshold": 2.0}, r"^expected an integer threshold, got float$"),
        ([Z], {"idle": 1.0}, r"^expected idle probability in \[0, 1\), got 1\.0$"),
        (
            [Z],
            {"backpressure": -0.1},
            r"^expected backpressure probability in \[0, 1\), got -0\.1$",
        ),
        ([Z], {"seed": -1}, r"^expected seed in 0\.\.18446744073709551615, got -1$"),
        ([Z], {"timeout_cycles": 0}, r"^expected timeout_cycles in 1\.\.\d+, got 0$"),
    ],
)
def test_run_validates_its_inputs(
    harnesses: Harnesses, frames: list, kwargs: dict, message: str
) -> None:
    h = get(harnesses, 1)
    with pytest.raises(UsageError, match=message):  # FrameError or EdgeConfigError
        h.run(frames, **kwargs)


@pytest.mark.xdist_group("edge_harness_ppc1")
@pytest.mark.parametrize(
    ("reg", "value", "message"),
    [
        (0x101, 0, r"^expected register offset in 0\.\.252, got 257$"),
        (0x0E, 0, r"^expected a register offset that is a multiple of 4, got 14$"),
        (EdgeReg.WIDTH, 2**32, r"^expected register value in 0\.\.4294967295, got 4294967296$"),
    ],
)
def test_register_access_is_validated(
    harnesses: Harnesses, reg: int, value: int, message: str
) -> None:
    h = get(harnesses, 1)
    with pytest.raises(EdgeConfigError, match=message):
        h.write_register(reg, value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ppc": 3}, r"^expected ppc in \(1, 2, 4, 8\), got 3$"),
        ({"max_width": 0}, r"^expected max_width in 1\.\.65535, got 0$"),
        ({"max_height": 65535}, r"^expected max_height in 1\.\.65534, got 65535$"),
        ({"max_width": 64.0}, r"^expected an integer max_width, got float$"),
    ],
)
def test_harness_parameters_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(EdgeConfigError, match=message):
        HarnessParams(**kwargs)
    with pytest.raises(EdgeConfigError, match=message):
        EdgeHarness(**kwargs)  # fails before building anything


def test_maxima_for_picks_shared_standard_sizes() -> None:
    assert maxima_for(640, 480) == (640, 480)
    assert maxima_for(3, 3) == (640, 480)
    assert maxima_for(512, 512) == (1280, 720)
    assert maxima_for(1920, 1080) == (1920, 1080)
    assert maxima_for(2000, 100) == (2048, 128)
