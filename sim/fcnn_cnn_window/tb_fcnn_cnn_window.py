"""cocotb tests of ``fcnn_cnn_window`` (run by ``test_fcnn_cnn_window.py``)."""

from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from fpgacnn.sim.streams import StreamDriver, StreamSink

P = json.loads(os.environ["FCNN_TB_PARAMS"])
C, BW, W, H, K, PAD = (int(P[k]) for k in ("C", "BW", "W", "H", "K", "PAD"))
SEED = int(P.get("seed", 1))


def pack(values: np.ndarray, bw: int) -> int:
    """Pack a 1-D array of unsigned ints, element 0 in the low bits."""
    out = 0
    for i, v in enumerate(values.tolist()):
        out |= int(v) << (i * bw)
    return out


def windows(img: np.ndarray) -> list[int]:
    """Golden: zero-padded K x K windows in raster order, Keras (ky, kx, c) order, packed."""
    p = np.pad(img, ((PAD, PAD), (PAD, PAD), (0, 0)))
    oh, ow = p.shape[0] - K + 1, p.shape[1] - K + 1
    return [pack(p[y : y + K, x : x + K, :].reshape(-1), BW) for y in range(oh) for x in range(ow)]


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images(dut, idle: bool, backpressure: bool) -> None:
    """Several random images back to back: every window bit-exact, m_last on each image's last."""
    seed = SEED + 2 * idle + backpressure
    dut._log.info("seed %d", seed)
    rng = np.random.default_rng(seed)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    drv = StreamDriver(dut, "s", dut.clk, idle=0.3 if idle else 0.0, seed=seed)
    sink = StreamSink(dut, "m", dut.clk, backpressure=0.4 if backpressure else 0.0, seed=seed,
                      reset=dut.rst)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    cocotb.start_soon(sink.run())
    imgs = [rng.integers(0, 2**BW, size=(H, W, C)) for _ in range(3)]
    # extremes: all zeros and all ones
    imgs.append(np.full((H, W, C), 2**BW - 1))
    beats = []
    for img in imgs:
        flat = img.reshape(H * W, C)
        beats += [(pack(px, BW), int(i == H * W - 1)) for i, px in enumerate(flat)]
    await with_timeout(drv.send(beats), 2000, "us")
    expected = [w for img in imgs for w in windows(img)]
    per_image = len(expected) // len(imgs)

    async def drain() -> None:
        while len(sink.beats) < len(expected):
            await RisingEdge(dut.clk)

    await with_timeout(drain(), 2000, "us")
    await ClockCycles(dut.clk, 20)
    got = [d for d, _ in sink.beats]
    lasts = [i for i, (_, last) in enumerate(sink.beats) if last]
    assert len(got) == len(expected), f"{len(got)} windows, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g == e, f"window {i}: got {g:#x}, expected {e:#x}"
    assert lasts == [per_image * (n + 1) - 1 for n in range(len(imgs))]
    _ = random  # seeds are logged above
