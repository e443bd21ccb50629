"""cocotb tests of ``fcnn_cnn_swu`` (run by ``test_fcnn_cnn_swu.py``).

Golden model: numpy window extraction (zero padding PAD on the top/left, zeros past the
bottom/right edge, stride), each window cut into K*K*C/SIMD beats of SIMD elements in the
Keras (ky, kx, c) order.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.sim.tb import AxisTB, pack

P = json.loads(os.environ["FCNN_TB_PARAMS"])
C, BW, W, H, K, PAD, STRIDE, SIMD = (int(P[k]) for k in
                                     ("C", "BW", "W", "H", "K", "PAD", "STRIDE", "SIMD"))
OH = int(P.get("OH", (H + 2 * PAD - K) // STRIDE + 1))
OW = int(P.get("OW", (W + 2 * PAD - K) // STRIDE + 1))
SEED = int(P.get("seed", 1))
BEATS = OH * OW * K * K * C // SIMD          # output beats per image


def beats(img: np.ndarray) -> list[int]:
    """Golden: every window of ``img`` (H, W, C) as its SIMD-element beats, packed."""
    big = np.zeros((H + 2 * K + OH * STRIDE, W + 2 * K + OW * STRIDE, C), dtype=np.int64)
    big[PAD:PAD + H, PAD:PAD + W] = img          # top/left PAD, zeros everywhere else
    out = []
    for oy in range(OH):
        for ox in range(OW):
            win = big[oy * STRIDE:oy * STRIDE + K, ox * STRIDE:ox * STRIDE + K].reshape(-1)
            out += [pack(win[i:i + SIMD], BW) for i in range(0, win.size, SIMD)]
    return out


def send_images(tb: AxisTB, imgs: list[np.ndarray]) -> None:
    for img in imgs:
        flat = img.reshape(H * W, C)
        tb.send_beats((pack(px, BW), int(i == H * W - 1)) for i, px in enumerate(flat))


def random_images(tb: AxisTB, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    imgs = [rng.integers(0, 2**BW, size=(H, W, C)) for _ in range(n - 1)]
    return [*imgs, np.full((H, W, C), 2**BW - 1)]        # extreme: all ones


def check(got: list[tuple[int, int]], imgs: list[np.ndarray]) -> None:
    expected = [b for img in imgs for b in beats(img)]
    assert len(got) == len(expected), f"{len(got)} beats, expected {len(expected)}"
    for i, ((g, _), e) in enumerate(zip(got, expected, strict=True)):
        window = (i % BEATS) * SIMD // (K * K * C)
        assert g == e, f"beat {i} (image {i // BEATS}, window {window}): got {g:#x}, " \
                       f"expected {e:#x}"
    lasts = [i for i, (_, last) in enumerate(got) if last]
    assert lasts == [BEATS * (n + 1) - 1 for n in range(len(imgs))], lasts


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Random images back to back: every beat bit-exact, m_axis_tlast on each image's last."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    imgs = random_images(tb, 4)
    send_images(tb, imgs)
    check(await tb.recv_beats(len(imgs) * BEATS), imgs)


@cocotb.test()
async def steady_state_rate(dut) -> None:
    """No idle, no backpressure: after the first image one image per max(H*W, BEATS) clocks
    (the output's image ends that far apart), and the output runs one beat per clock when
    it is the bottleneck."""
    tb = AxisTB(dut, seed=SEED + 5, byte_lanes=1)
    await tb.reset()
    n = 6
    imgs = random_images(tb, n)
    send_images(tb, imgs)
    got = await tb.recv_beats(n * BEATS)
    check(got, imgs)
    ends = [tb.out_mon.cycles[BEATS * (i + 1) - 1] for i in range(n)]
    period = max(H * W, BEATS)
    gaps = np.diff(ends)[1:].tolist()        # from the second image on
    dut._log.info("image period %s clocks, expected %d", gaps, period)
    assert gaps == [period] * (n - 2), f"image periods {gaps}, expected {period}"
