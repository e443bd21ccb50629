"""Randomized framing-fault campaign on ``fcnn_edge_core`` (cocotb side; runs in the simulator).

Each episode resets the core, configures a random small size (8..24 x 4..12),
then streams a few frames of random pixels, each one good or carrying one
random fault: ``tlast`` early or late on a random line, ``tlast`` missing on a
line, no SOF, a SOF cutting the frame at a random beat, a stray ``tuser`` mid
frame, extra beats after the frame, a frame of another size than configured, a
bad size (``WIDTH``/``HEIGHT`` 0 or above the maximum), or a legal size change
between frames; then 2 good frames, the first of them sometimes offered while
``CTRL.ENABLE`` is 0 for a while (it must not be taken until ENABLE is set).
Input idle and output backpressure are random per episode. The transaction-level
model of the written policy, :class:`fpgacnn.spec.edge_framing.EdgeFramingModel`,
says what the core must do; the core must give exactly that:

- the model's output frames (count, size), each well formed (``tuser`` on the
  first beat, ``tlast`` on each line's last, zero high lanes), rows the policy
  fixes bit-exact with ``sobel_edges`` (a damaged frame's other rows are
  implementation-defined and not looked at), every good frame whole;
- the model's sticky ``ERROR`` bits, ``DROP_COUNT`` and ``FRAME_COUNT``;
- no stall: a *deadlock* is 2,000 cycles in which no beat moves while input
  remains or output is due.

Parameters come from ``FCNN_EDGE_FAULT_PARAMS`` (JSON: base ``seed``,
``episodes``, ``summary`` path); episode ``k`` runs with seed ``seed + k``; the
tally is written to ``summary`` (JSON) for the pytest side
(``tests/test_edge_faults.py``) to print and check.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import Counter

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from fpgacnn.sim.tb import StreamMonitor
from fpgacnn.spec.cores import CTRL_ENABLE, EDGE_REGISTERS, edge_error_names
from fpgacnn.spec.edge_framing import EdgeFramingModel

PARAMS = json.loads(os.environ.get("FCNN_EDGE_FAULT_PARAMS", "{}"))
#: A stall of this many cycles with work pending is a deadlock.
STALL_CYCLES = 2000
#: Fault kinds an episode draws from ("ok" is a good frame).
KINDS = ("ok", "eol_early", "eol_late", "eol_missing", "sof_missing", "sof_early",
         "tuser_glitch", "extra_beats", "wrong_size", "bad_size", "resize")

CTRL, ERROR, WIDTH, HEIGHT, THRESHOLD, FRAME_COUNT, DROP_COUNT = (
    EDGE_REGISTERS[n] for n in ("CTRL", "ERROR", "WIDTH", "HEIGHT", "THRESHOLD", "FRAME_COUNT",
                                "DROP_COUNT"))


def frame_beats(img: np.ndarray, ppc: int, *, sof: bool = True) -> list[list]:
    """The beats ``[pixels, tuser, tlast]`` of a well-formed frame (mutable, for faults)."""
    h, w = img.shape
    bpl = -(-w // ppc)
    beats = []
    for y in range(h):
        row = np.zeros(bpl * ppc, dtype=np.int64)
        row[:w] = img[y]
        for x in range(bpl):
            beats.append([row[x * ppc:(x + 1) * ppc].tolist(), sof and y == 0 and x == 0,
                          x == bpl - 1])
    return beats


def make_episode(seed: int, ppc: int, max_w: int, max_h: int) -> tuple[list, list[str]]:
    """Ops ``("config", w, h, thr)`` / ``("beats", beats)`` of one episode, and its faults.

    The draw depends on ``seed`` and ``ppc`` (each build sees other episodes).
    """
    rng = random.Random(seed * 16 + ppc)
    nrng = np.random.default_rng([seed, ppc])

    def size() -> tuple[int, int, int]:
        return rng.randint(8, 24), rng.randint(4, 12), rng.choice([0, 0, 0, 100, 400])

    def image(h: int, w: int) -> np.ndarray:
        return nrng.integers(0, 256, (h, w), dtype=np.uint8)

    w, h, thr = size()
    ops: list = [("config", w, h, thr)]
    faults: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(KINDS)
        bpl = -(-w // ppc)
        if kind == "eol_early" and bpl == 1:
            kind = "eol_missing"         # one beat per line: every beat is a line's last
        beats = frame_beats(image(h, w), ppc)
        if kind == "eol_early":          # a line 1..bpl-1 beats short
            y = rng.randrange(h)
            cut = rng.randint(1, bpl - 1)
            end = (y + 1) * bpl
            beats[end - cut - 1][2] = True
            del beats[end - cut:end]
        elif kind == "eol_late":         # a line 1..3 beats long
            y = rng.randrange(h)
            end = (y + 1) * bpl
            beats[end - 1][2] = False
            extra = [[nrng.integers(0, 256, ppc).tolist(), False, False]
                     for _ in range(rng.randint(1, 3))]
            extra[-1][2] = True
            beats[end:end] = extra
        elif kind == "eol_missing":      # a line's tlast missing
            beats[rng.randrange(h) * bpl + bpl - 1][2] = False
        elif kind == "sof_missing":
            beats[0][1] = False
        elif kind == "sof_early":        # the frame cut at a random beat by the next SOF
            beats = beats[: rng.randint(1, len(beats) - 1)]
        elif kind == "tuser_glitch":     # tuser on a random later beat
            beats[rng.randint(1, len(beats) - 1)][1] = True
        elif kind == "extra_beats":
            beats += [[nrng.integers(0, 256, ppc).tolist(), False, rng.random() < 0.3]
                      for _ in range(rng.randint(1, 5))]
        elif kind == "wrong_size":       # a frame of another size than configured
            w2, h2 = w, h
            while (w2, h2) == (w, h):
                w2, h2, _ = size()
            beats = frame_beats(image(h2, w2), ppc)
        elif kind == "bad_size":         # WIDTH or HEIGHT 0 or above the maximum
            bad = rng.choice([(0, h), (max_w + 1, h), (w, 0), (w, max_h + 1)])
            ops.append(("config", *bad, thr))
            ops.append(("beats", beats))
            beats = []
            ops.append(("config", w, h, thr))
        elif kind == "resize":           # a legal size change, then a good frame
            w, h, thr = size()
            ops.append(("config", w, h, thr))
            beats = frame_beats(image(h, w), ppc)
        if beats:
            ops.append(("beats", beats))
        if kind not in ("ok", "resize"):
            faults.append(kind)
    if rng.random() < 0.5:
        w, h, thr = size()
        ops.append(("config", w, h, thr))
    if rng.random() < 0.3:               # CTRL.ENABLE = 0 while the next SOF is offered
        ops.append(("hold", rng.randint(10, 80)))
    for _ in range(2):                   # the good frames after the faults
        ops.append(("beats", frame_beats(image(h, w), ppc)))
    return ops, faults


class FaultTB:
    """Clock, reset, a beat-exact input driver, a random-ready sink, monitors, registers."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.ppc = len(dut.s_axis_tdata) // 8
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for part in (self.axil.write_if, self.axil.read_if):   # thousands of accesses
            part.log.setLevel(logging.WARNING)
        self.in_mon = StreamMonitor(dut, "s_axis", period_ns=10)
        self.out_mon = StreamMonitor(dut, "m_axis", period_ns=10)
        self.backpressure = 0.0
        #: policy violations the driver saw (CTRL.ENABLE holds), per episode
        self.violations: list[str] = []
        self.rng = random.Random(0)
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tuser.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 1
        cocotb.start_soon(self._sink())

    async def _sink(self) -> None:
        while True:
            self.dut.m_axis_tready.value = int(self.rng.random() >= self.backpressure)
            await RisingEdge(self.dut.clk)

    async def reset(self) -> None:
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)
        self.in_mon.beats.clear()
        self.out_mon.beats.clear()

    async def send(self, beats: list[list], idle: float, hold: int = 0) -> bool:
        """Offer ``beats`` in order, each held until taken; False on a stall (deadlock).

        ``hold`` > 0: ``CTRL.ENABLE`` is 0; the first beat (a SOF) is offered for ``hold``
        cycles, in which it must not be taken (else :attr:`violations`), then ENABLE is set.
        """
        dut = self.dut
        for i, (pixels, tuser, tlast) in enumerate(beats):
            while self.rng.random() < idle and not (hold and i == 0):
                dut.s_axis_tvalid.value = 0
                await RisingEdge(dut.clk)
            word = 0
            for lane, v in enumerate(pixels):
                word |= int(v) << (8 * lane)
            dut.s_axis_tdata.value = word
            dut.s_axis_tuser.value = int(tuser)
            dut.s_axis_tlast.value = int(tlast)
            dut.s_axis_tvalid.value = 1
            if hold and i == 0:
                taken = len(self.in_mon.beats)
                await ClockCycles(dut.clk, hold)
                if len(self.in_mon.beats) != taken:
                    self.violations.append(f"a SOF was taken while CTRL.ENABLE was 0 "
                                           f"({hold} cycles offered)")
                # set ENABLE while the beat stays offered; the loop below sees it taken
                cocotb.start_soon(self.axil.write_dword(CTRL, CTRL_ENABLE))
            waited = 0
            while True:
                await RisingEdge(dut.clk)
                if int(dut.s_axis_tready.value):
                    break
                waited += 1
                if waited > STALL_CYCLES:
                    dut.s_axis_tvalid.value = 0
                    return False
        dut.s_axis_tvalid.value = 0
        return True

    async def drain(self, out_beats: int) -> bool:
        """Wait until ``out_beats`` output beats came (False on a stall), then 100 quiet cycles."""
        stall, seen = 0, len(self.out_mon.beats)
        while len(self.out_mon.beats) < out_beats:
            await RisingEdge(self.dut.clk)
            n = len(self.out_mon.beats)
            stall = 0 if n != seen else stall + 1
            seen = n
            if stall > STALL_CYCLES:
                return False
        await ClockCycles(self.dut.clk, 100)
        return True


def check_output(beats: list[tuple[int, ...]], model: EdgeFramingModel, ppc: int) -> list[str]:
    """Policy violations of the output ``beats`` against the model's frames (empty: none)."""
    problems = []
    pos = 0
    for n, f in enumerate(model.frames):
        bpl = -(-f.width // ppc)
        fb = beats[pos:pos + f.height * bpl]
        pos += f.height * bpl
        if len(fb) != f.height * bpl:
            return problems + [f"frame {n} ({f.height}x{f.width}): {len(fb)} beats, "
                               f"expected {f.height * bpl}"]
        img = np.zeros((f.height, bpl * ppc), dtype=np.uint8)
        for i, (data, user, last) in enumerate(fb):
            y, x = divmod(i, bpl)
            if user != int(i == 0) or last != int(x == bpl - 1):
                return problems + [f"frame {n} beat {i}: tuser={user} tlast={last}"]
            for lane in range(ppc):
                img[y, x * ppc + lane] = (data >> (8 * lane)) & 0xFF
        if np.any(img[:, f.width:]):
            problems.append(f"frame {n}: high lanes past the line end are not zero")
        exp = f.expected_rows()
        bad = np.argwhere(img[: f.exact_rows, : f.width] != exp)
        if len(bad):
            y, x = bad[0]
            what = "good frame" if not f.damaged else f"damaged ({','.join(f.faults)}) frame"
            problems.append(f"{what} {n} ({f.height}x{f.width}, {f.exact_rows} rows fixed): "
                            f"{len(bad)} pixels differ, first ({y},{x}) got {img[y, x]} "
                            f"expected {exp[y, x]}")
    if pos != len(beats):
        problems.append(f"{len(beats) - pos} output beats beyond the model's "
                        f"{len(model.frames)} frames")
    return problems


@cocotb.test()
async def fault_campaign(dut) -> None:
    """``episodes`` random fault episodes from seed ``seed``; the tally goes to ``summary``."""
    base, episodes = int(PARAMS.get("seed", 1)), int(PARAMS.get("episodes", 10))
    tb = FaultTB(dut)
    ppc = tb.ppc
    max_w, max_h = int(PARAMS["MAX_WIDTH"]), int(PARAMS["MAX_HEIGHT"])
    model = EdgeFramingModel(ppc=ppc, max_width=max_w, max_height=max_h)
    tally: dict = {"ppc": ppc, "seeds": [base, base + episodes - 1], "episodes": 0,
                   "faults": Counter(), "enable_holds": 0, "frames": 0, "good_after_fault": 0,
                   "violations": [], "deadlocks": []}
    for k in range(episodes):
        seed = base + k
        ops, faults = make_episode(seed, ppc, max_w, max_h)
        rng = random.Random(seed ^ 0x5EED)
        idle = rng.choice([0.0, 0.3])
        tb.backpressure = rng.choice([0.0, 0.3])
        tb.rng = random.Random(seed)
        await tb.reset()
        model.reset()
        dut._log.info("episode seed %d: %s (idle %.1f, backpressure %.1f)", seed,
                      faults or "no fault", idle, tb.backpressure)
        ok, hold = True, 0
        tb.violations.clear()
        for op in ops:
            if op[0] == "hold":
                hold = op[1]
                await tb.axil.write_dword(CTRL, 0)
            elif op[0] == "config":
                _, w, h, thr = op
                for reg, v in ((WIDTH, w), (HEIGHT, h), (THRESHOLD, thr)):
                    await tb.axil.write_dword(reg, v)
                await ClockCycles(dut.clk, 2)
                model.configure(w, h, thr)
            else:
                model.feed(op[1])
                if not await tb.send(op[1], idle, hold):
                    ok = False
                    break
                hold = 0
        expected_beats = sum(f.height * -(-f.width // ppc) for f in model.frames)
        if not ok or not await tb.drain(expected_beats):
            tally["deadlocks"].append(f"seed {seed} (ppc {ppc}, faults {faults}): stalled "
                                      f"with {len(tb.in_mon.beats)} beats in, "
                                      f"{len(tb.out_mon.beats)}/{expected_beats} out")
            continue
        problems = tb.violations + check_output(tb.out_mon.beats, model, ppc)
        err = int(await tb.axil.read_dword(ERROR))
        if err != model.error:
            problems.append(f"ERROR {edge_error_names(err)}, model {edge_error_names(model.error)}")
        drops = int(await tb.axil.read_dword(DROP_COUNT))
        if drops != model.drops:
            problems.append(f"DROP_COUNT {drops}, model {model.drops}")
        frames = int(await tb.axil.read_dword(FRAME_COUNT))
        if frames != model.frame_count:
            problems.append(f"FRAME_COUNT {frames}, model {model.frame_count}")
        if any(f.damaged for f in model.frames[-2:]):
            problems.append("episode error: a closing good frame is damaged in the model")
        for p in problems:
            tally["violations"].append(f"seed {seed} (ppc {ppc}, faults {faults}): {p}")
        tally["episodes"] += 1
        tally["faults"].update(faults)
        tally["enable_holds"] += sum(op[0] == "hold" for op in ops)
        tally["frames"] += len(model.frames)
        tally["good_after_fault"] += 2 if faults else 0
    summary = PARAMS.get("summary")
    if summary:
        with open(summary, "w") as fh:
            json.dump({**tally, "faults": dict(tally["faults"])}, fh, indent=1)
    problems = tally["violations"] + tally["deadlocks"]
    assert not problems, "\n".join(problems[:10])
