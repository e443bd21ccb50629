"""cocotb testbench for ``fcnn_cnn_dense`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_dense.py`` beside this file.
Parameters come from ``FCNN_TB_PARAMS`` (JSON: the HDL integers, the weights as
a list ``w`` (IN_LEN x N, row-major), the biases ``b`` and ``seed``).
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
IN_LEN = int(PARAMS.get("IN_LEN", 4))
C = int(PARAMS.get("C", 1))
N = int(PARAMS.get("N", 1))
XW = int(PARAMS.get("XW", 8))
X_SIGNED = int(PARAMS.get("X_SIGNED", 0))
ACC_W = int(PARAMS.get("ACC_W", 32))
PROD_SHIFT = int(PARAMS.get("PROD_SHIFT", 0))
G = int(PARAMS.get("G", 1))
WEIGHTS = np.array(PARAMS.get("w", [0] * (IN_LEN * N)), dtype=object).reshape(IN_LEN, N)
BIAS = np.array(PARAMS.get("b", [0] * N), dtype=object)
SEED = int(PARAMS.get("seed", 1))
XMIN, XMAX = (-(1 << (XW - 1)), (1 << (XW - 1)) - 1) if X_SIGNED else (0, (1 << XW) - 1)
BEATS = IN_LEN // C


def dense(x: np.ndarray) -> list[int]:
    """y[n] = BIAS[n] + sum_i (x[i] * w[i, n]) << PROD_SHIFT, exact (Python integers)."""
    y = BIAS + (np.asarray(x, dtype=object) @ WEIGHTS) * (1 << PROD_SHIFT)
    lim = 1 << (ACC_W - 1)
    assert all(-lim <= v < lim for v in y), "test bug: ACC_W too narrow for this sum"
    return [int(v) for v in y]


def vectors(tb: AxisTB, count: int) -> list[np.ndarray]:
    """Extreme vectors (all min, all max, alternating, zero) then random ones."""
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    out = [np.full(IN_LEN, XMAX), np.full(IN_LEN, XMIN), np.zeros(IN_LEN, dtype=np.int64),
           np.resize([XMIN, XMAX], IN_LEN)]
    while len(out) < count:
        out.append(rng.integers(XMIN, XMAX + 1, size=IN_LEN))
    return out


def beats_of(x: np.ndarray) -> list[tuple[int, int]]:
    return [(pack(x[k * C : (k + 1) * C], XW), int(k == BEATS - 1)) for k in range(BEATS)]


def check(beats: list[tuple[int, int]], xs: list[np.ndarray]) -> None:
    assert len(beats) == len(xs), f"{len(beats)} results, expected {len(xs)}"
    for n, ((data, last), x) in enumerate(zip(beats, xs, strict=True)):
        got, exp = unpack(data, N, ACC_W, signed=True), dense(x)
        if got != exp:
            raise AssertionError(f"image {n}: got {got}, expected {exp}")
        if last != 1:
            raise ProtocolError(f"image {n}: m_last=0")


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def images_matrix(dut, idle: bool, backpressure: bool) -> None:
    """Extreme and random vectors back to back under the idle/backpressure matrix: bit-exact."""
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    xs = vectors(tb, 16)
    for x in xs:
        tb.send_beats(beats_of(x))
    check(await tb.recv_beats(len(xs)), xs)
    if not idle and not backpressure:
        span = tb.in_mon.span()
        expected = (len(tb.in_mon.cycles) - 1) * (C // G)
        assert span == expected, f"throughput: span {span} cycles, expected {expected}"


@cocotb.test()
async def results_wait(dut) -> None:
    """With m_ready low, three images are still taken in whole; nothing is lost after."""
    tb = AxisTB(dut, seed=SEED + 11, byte_lanes=1)
    tb.set_matrix(False, True, p=1.0)
    await tb.reset()
    xs = vectors(tb, 7)[4:]
    for x in xs:
        tb.send_beats(beats_of(x))
    await ClockCycles(dut.clk, 3 * IN_LEN // G + 20)
    taken = len(tb.in_mon.cycles)
    assert taken == 3 * BEATS, f"{taken} beats taken"
    assert not tb.out_mon.beats
    tb.set_matrix(False, True, p=0.5)
    check(await tb.recv_beats(len(xs)), xs)
