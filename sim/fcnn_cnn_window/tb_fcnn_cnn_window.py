"""cocotb tests of ``fcnn_cnn_window`` (run by ``test_fcnn_cnn_window.py``)."""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np

from fpgacnn.sim.tb import AxisTB, pack

P = json.loads(os.environ["FCNN_TB_PARAMS"])
C, BW, W, H, K, PAD = (int(P[k]) for k in ("C", "BW", "W", "H", "K", "PAD"))
SEED = int(P.get("seed", 1))


def windows(img: np.ndarray) -> list[int]:
    """Golden: zero-padded K x K windows in raster order, Keras (ky, kx, c) order, packed."""
    p = np.pad(img, ((PAD, PAD), (PAD, PAD), (0, 0)))
    oh, ow = p.shape[0] - K + 1, p.shape[1] - K + 1
    return [pack(p[y : y + K, x : x + K, :].reshape(-1), BW) for y in range(oh) for x in range(ow)]


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Several random images back to back: every window bit-exact, m_last on each image's last."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    imgs = [rng.integers(0, 2**BW, size=(H, W, C)) for _ in range(3)]
    imgs.append(np.full((H, W, C), 2**BW - 1))       # extreme: all ones
    for img in imgs:
        flat = img.reshape(H * W, C)
        tb.send_beats((pack(px, BW), int(i == H * W - 1)) for i, px in enumerate(flat))
    expected = [w for img in imgs for w in windows(img)]
    per_image = len(expected) // len(imgs)
    beats = await tb.recv_beats(len(expected))
    got = [d for d, _ in beats]
    lasts = [i for i, (_, last) in enumerate(beats) if last]
    assert len(got) == len(expected), f"{len(got)} windows, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"window {i}: got {g:#x}, expected {e:#x}"
    assert lasts == [per_image * (n + 1) - 1 for n in range(len(imgs))]
