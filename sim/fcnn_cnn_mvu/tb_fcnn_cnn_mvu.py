"""cocotb testbench for ``fcnn_cnn_mvu`` (runs inside the simulator).

The pytest entry points are in ``test_fcnn_cnn_mvu.py`` beside this file. Sizes come
from the DUT's ports (C_IN from ``s_axis_tdata``, N from ``m_axis_tdata``) checked
against ``FCNN_TB_PARAMS`` (JSON: the HDL integers, the weights as a list ``w``
(IN_LEN x N, row-major), the biases ``b`` and ``seed``); the weights reached the RTL
through the ``$readmemh`` file the pytest side wrote.

Golden model: the contract of the block, y[n] = BIAS[n] + sum_i (x[i] * w[i][n]) <<
PROD_SHIFT in Python integers (with OUT_W > 0 requantized: shifted right by SHIFT with
round half to even, or left, then saturated to OUT_W bits); m_axis_tlast on every
VECTORS-th vector.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from fpgacnn.hw.convert.fixed import requantize_codes
from fpgacnn.sim.tb import AxisTB, ProtocolError, pack, unpack

PARAMS = json.loads(os.environ.get("FCNN_TB_PARAMS", "{}"))
IN_LEN = int(PARAMS["IN_LEN"])
C_IN = int(PARAMS["C_IN"])
N = int(PARAMS["N"])
PE = int(PARAMS["PE"])
SIMD = int(PARAMS["SIMD"])
XW = int(PARAMS["XW"])
X_SIGNED = int(PARAMS["X_SIGNED"])
ACC_W = int(PARAMS["ACC_W"])
PROD_SHIFT = int(PARAMS["PROD_SHIFT"])
VECTORS = int(PARAMS["VECTORS"])
OUT_W = int(PARAMS.get("OUT_W", 0))
O_SIGNED = int(PARAMS.get("O_SIGNED", 0))
SHIFT = int(PARAMS.get("SHIFT", 0))
YW = OUT_W or ACC_W
WEIGHTS = np.array(PARAMS["w"], dtype=object).reshape(IN_LEN, N)
BIAS = np.array(PARAMS["b"], dtype=object)
SEED = int(PARAMS["seed"])
XMIN, XMAX = (-(1 << (XW - 1)), (1 << (XW - 1)) - 1) if X_SIGNED else (0, (1 << XW) - 1)
BEATS = IN_LEN // C_IN
#: Clocks per vector in steady state (the contract): compute or input, whichever is slower.
TOTAL = (IN_LEN // SIMD) * (N // PE)
PERIOD = max(TOTAL, BEATS)
#: Vectors the block takes while its output is blocked (the header's rule): the output
#: stage (two in the skid of a one-clock vector, else one register), one stalled vector,
#: and two banks -- one when the stalled vector still holds its bank (it stalls at its
#: first fold: N/PE > 1 and IN_LEN/SIMD >= 2).
SF, NF = IN_LEN // SIMD, N // PE
CAPACITY = 5 if TOTAL == 1 else (3 if NF > 1 and SF >= 2 else 4)


def mvu(x: np.ndarray) -> list[int]:
    """y[n] = BIAS[n] + sum_i (x[i] * w[i, n]) << PROD_SHIFT, exact (Python integers)."""
    y = BIAS + (np.asarray(x, dtype=object) @ WEIGHTS) * (1 << PROD_SHIFT)
    lim = 1 << (ACC_W - 1)
    assert all(-lim <= v < lim for v in y), "test bug: ACC_W too narrow for this sum"
    if not OUT_W:
        return [int(v) for v in y]
    return [requant(int(v)) for v in y]


def requant(v: int) -> int:
    """Round half to even by 2^SHIFT (left shift when negative), saturate to OUT_W bits."""
    return int(requantize_codes(v, SHIFT, OUT_W, bool(O_SIGNED)))


def check_sizes(dut) -> None:
    """The DUT's port widths are the ones the parameters say."""
    assert len(dut.s_axis_tdata) == C_IN * XW, f"s_axis_tdata: {len(dut.s_axis_tdata)} bits"
    assert len(dut.m_axis_tdata) == N * YW, f"m_axis_tdata: {len(dut.m_axis_tdata)} bits"


def vectors(tb: AxisTB, count: int) -> list[np.ndarray]:
    """Extreme vectors (all max, all min, zero, alternating) then random ones."""
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    out = [np.full(IN_LEN, XMAX), np.full(IN_LEN, XMIN), np.zeros(IN_LEN, dtype=np.int64),
           np.resize([XMIN, XMAX], IN_LEN)]
    while len(out) < count:
        out.append(rng.integers(XMIN, XMAX + 1, size=IN_LEN))
    return out[:count]


def send_images(tb: AxisTB, xs: list[np.ndarray]) -> None:
    """Queue the vectors, VECTORS per frame (input tlast on an image's last beat)."""
    assert len(xs) % VECTORS == 0
    beats = []
    for v, x in enumerate(xs):
        for k in range(BEATS):
            last = int(k == BEATS - 1 and v % VECTORS == VECTORS - 1)
            beats.append((pack(x[k * C_IN:(k + 1) * C_IN], XW), last))
    tb.send_beats(beats)


def check(beats: list[tuple[int, int]], xs: list[np.ndarray]) -> None:
    assert len(beats) == len(xs), f"{len(beats)} results, expected {len(xs)}"
    for v, ((data, last), x) in enumerate(zip(beats, xs, strict=True)):
        got, exp = unpack(data, N, YW, signed=bool(O_SIGNED or not OUT_W)), mvu(x)
        if got != exp:
            raise AssertionError(f"vector {v}: got {got}, expected {exp}")
        if last != int(v % VECTORS == VECTORS - 1):
            raise ProtocolError(f"vector {v}: m_axis_tlast={last} (VECTORS={VECTORS})")


def images(count: int) -> int:
    """``count`` vectors rounded up to whole images."""
    return -(-count // VECTORS) * VECTORS


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def vectors_matrix(dut, idle: bool, backpressure: bool) -> None:
    """Extreme and random vectors back to back under the idle/backpressure matrix: bit-exact,
    tlast on every VECTORS-th output."""
    check_sizes(dut)
    tb = AxisTB(dut, seed=SEED + 2 * idle + backpressure, byte_lanes=1)
    tb.set_matrix(idle, backpressure)
    await tb.reset()
    xs = vectors(tb, images(12))
    send_images(tb, xs)
    check(await tb.recv_beats(len(xs)), xs)


@cocotb.test()
async def heavy_backpressure(dut) -> None:
    """The output mostly blocked (90 % of clocks) and the input often idle: a folded unit's
    output stage and stalled pipeline are exercised on most vectors; bit-exact."""
    tb = AxisTB(dut, seed=SEED + 5, byte_lanes=1)
    tb.set_idle_generator(tb.pause_generator(0.5))
    tb.set_backpressure_generator(tb.pause_generator(0.9))
    await tb.reset()
    xs = vectors(tb, images(12))
    send_images(tb, xs)
    check(await tb.recv_beats(len(xs)), xs)


@cocotb.test()
async def steady_state_rate(dut) -> None:
    """No idle, no backpressure: one vector per max((IN_LEN/SIMD)*(N/PE), IN_LEN/C_IN) clocks,
    from the first output on (no extra cycles), and the input never waits longer than that."""
    tb = AxisTB(dut, seed=SEED + 7, byte_lanes=1)
    await tb.reset()
    xs = vectors(tb, images(10))
    send_images(tb, xs)
    check(await tb.recv_beats(len(xs)), xs)
    gaps = np.diff(tb.out_mon.cycles)
    assert all(g == PERIOD for g in gaps), f"output gaps {gaps.tolist()}, expected {PERIOD}"
    # The input side is the same rate, beat by beat when it is the bottleneck.
    span = tb.in_mon.span()
    assert span <= (len(xs) - 1) * PERIOD + BEATS, f"input span {span} cycles"
    latency = tb.out_mon.cycles[0] - tb.in_mon.cycles[BEATS - 1]
    dut._log.info("period %d clocks/vector (TOTAL %d, BEATS %d), first-result latency %d",
                  PERIOD, TOTAL, BEATS, latency)
    assert latency == TOTAL + 2, f"latency {latency}, expected {TOTAL + 2}"


@cocotb.test()
async def results_wait(dut) -> None:
    """With m_axis_tready low the block takes exactly CAPACITY vectors and no more; nothing is
    lost or duplicated after the output opens."""
    tb = AxisTB(dut, seed=SEED + 11, byte_lanes=1)
    tb.set_matrix(False, True, p=1.0)
    await tb.reset()
    xs = vectors(tb, images(CAPACITY + 3))
    send_images(tb, xs)
    await ClockCycles(dut.clk, (CAPACITY + 3) * (PERIOD + 2) + 20)
    taken = len(tb.in_mon.cycles)
    assert taken == CAPACITY * BEATS, f"{taken} beats taken, expected {CAPACITY * BEATS}"
    assert not tb.out_mon.beats
    tb.set_matrix(False, True, p=0.5)
    check(await tb.recv_beats(len(xs)), xs)
