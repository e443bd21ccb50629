"""cocotb testbench for ``fcnn_cnn_maxpool`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_maxpool.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: C, BW, SIGNED, W, H, P, seed).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import with_timeout

from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
C = int(PARAMS.get("C", 1))
BW = int(PARAMS.get("BW", 8))
SIGNED = int(PARAMS.get("SIGNED", 0))
W = int(PARAMS.get("W", 4))
H = int(PARAMS.get("H", 4))
P = int(PARAMS.get("P", 2))
SEED = int(PARAMS.get("seed", 1))
LO, HI = (-(1 << (BW - 1)), (1 << (BW - 1)) - 1) if SIGNED else (0, (1 << BW) - 1)


def maxpool(img: np.ndarray) -> np.ndarray:
    """Keras MaxPooling2D(P, strides=P, padding='valid') of an (H, W, C) image."""
    oh, ow = H // P, W // P
    v = img[: oh * P, : ow * P].reshape(oh, P, ow, P, C)
    return v.max(axis=(1, 3))


def images(tb: AxisTB, count: int) -> list[np.ndarray]:
    """Random images, plus all-min, all-max and few-level (many ties) ones."""
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    out = [np.full((H, W, C), LO), np.full((H, W, C), HI)]
    out.append(rng.choice([LO, HI, 0], size=(H, W, C)))
    while len(out) < count:
        out.append(rng.integers(LO, HI + 1, size=(H, W, C)))
    return [o.astype(np.int64) for o in out]


def beats_of(img: np.ndarray) -> list[tuple[int, int]]:
    flat = img.reshape(H * W, C)
    return [(pack(px, BW), int(i == H * W - 1)) for i, px in enumerate(flat)]


async def check(tb: AxisTB, imgs: list[np.ndarray]) -> None:
    for img in imgs:
        tb.send_beats(beats_of(img))
    per = (H // P) * (W // P)
    beats = await tb.recv_beats(per * len(imgs))
    assert len(beats) == per * len(imgs), f"{len(beats)} beats, expected {per * len(imgs)}"
    for n, img in enumerate(imgs):
        exp = maxpool(img).reshape(per, C)
        for k in range(per):
            data, last = beats[n * per + k]
            got = unpack(data, C, BW, signed=bool(SIGNED))
            if got != exp[k].tolist():
                raise AssertionError(f"image {n} pixel {k}: got {got}, expected {exp[k].tolist()}")
            if last != int(k == per - 1):
                raise ProtocolError(f"image {n} pixel {k}: m_last={last}")


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images_matrix(dut, idle: bool, backpressure: bool) -> None:
    """Random and extreme images back to back under the idle/backpressure matrix: bit-exact."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    await check(tb, images(tb, 12))
    if not idle and not backpressure:
        span = tb.in_mon.span()
        assert span == len(tb.in_mon.cycles) - 1, f"not one pixel per clock: span {span}"


@cocotb.test()
async def reset_mid_image(dut) -> None:
    """A reset in the middle of an image restarts the position counters."""
    tb = AxisTB(dut, seed=SEED + 7, byte_lanes=1)
    tb.set_matrix(True, True)
    await tb.reset()
    (img,) = images(tb, 4)[3:]
    half = beats_of(img)[: H * W // 2 + 1]
    half[-1] = (half[-1][0], 1)          # framing is by count: s_axis_tlast is ignored
    tb.send_beats(half)
    await with_timeout(tb.source.wait(), 10000, "us")
    await tb.reset()
    tb.sink.clear()
    await check(tb, images(tb, 4))
