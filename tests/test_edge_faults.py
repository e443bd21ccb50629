"""Framing-fault campaign on the edge core, against the written policy's model.

The episodes (random small frames, ppc 1 and 4, each with random framing faults,
random idle and backpressure, then 2 good frames) run in the cocotb testbench
``sim/fcnn_edge_core/tb_fcnn_edge_faults.py``; the transaction-level model of
the malformed-stream policy in ``hw/rtl/fcnn_edge_core.md`` is
:class:`fpgacnn.spec.edge_framing.EdgeFramingModel`. Counted per run: episodes,
faults injected, policy violations (output frames, framing, fixed rows, ERROR,
DROP_COUNT, FRAME_COUNT differing from the model; every good frame after a fault
must be bit-exact) and deadlocks (no beat moving for 2,000 cycles with work
pending). The core is built once per parameter set (the cached cocotb build of
``sim/fcnn_edge_core``).

A short run is in the default suite; the long one is ``slow``. Seeds are printed;
replay from a seed with ``FCNN_EDGE_FAULT_SEED=<seed> pytest tests/test_edge_faults.py -k
"short and 4"`` (the short run of that PPC then starts at that seed; an episode's draw
depends on its seed and the PPC).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.spec.edge_framing import ERROR_BIT, EdgeFramingModel

TB_DIR = Path(runner.__file__).resolve().parent / "fcnn_edge_core"
#: Base seed of the campaign (episode k runs with seed BASE + k).
BASE_SEED = int(os.environ.get("FCNN_EDGE_FAULT_SEED", "20261124"))
#: The HDL parameter sets (the testbench's small builds, shared with sim/fcnn_edge_core).
MAX_W, MAX_H = 64, 48


def _campaign(ppc: int, episodes: int, base: int, tmp_path: Path) -> dict:
    summary = tmp_path / f"edge_faults_ppc{ppc}.json"
    params = {"PPC": ppc, "MAX_WIDTH": MAX_W, "MAX_HEIGHT": MAX_H}
    env = {"FCNN_EDGE_FAULT_PARAMS": json.dumps(
        {"seed": base, "episodes": episodes, "summary": str(summary), **params})}
    print(f"edge fault campaign ppc {ppc}: seeds {base}..{base + episodes - 1} "
          f"(replay: FCNN_EDGE_FAULT_SEED=<seed>)")
    try:
        runner.run(toplevel="fcnn_edge_core", sources=rtl_sources("fcnn_edge_core"),
                   parameters=params, test_module="tb_fcnn_edge_faults", test_dir=TB_DIR,
                   extra_env=env, seed=base)
    finally:
        if summary.exists():
            tally = json.loads(summary.read_text())
            print(f"edge fault campaign ppc {ppc}: seeds {tally['seeds'][0]}.."
                  f"{tally['seeds'][1]}, {tally['episodes']} episodes checked, "
                  f"{sum(tally['faults'].values())} faults injected {tally['faults']}, "
                  f"{tally['enable_holds']} SOFs held by CTRL.ENABLE = 0, "
                  f"{tally['frames']} output frames, {tally['good_after_fault']} good frames "
                  f"after a fault; {len(tally['violations'])} policy violations, "
                  f"{len(tally['deadlocks'])} deadlocks")
            for line in (tally["violations"] + tally["deadlocks"])[:20]:
                print("  " + line)
    return json.loads(summary.read_text())


@pytest.mark.sim
@pytest.mark.parametrize("ppc", [1, 4])
def test_edge_fault_campaign_short(ppc: int, tmp_path: Path) -> None:
    """10 episodes per build: 0 violations, 0 deadlocks, faults actually injected."""
    tally = _campaign(ppc, 10, BASE_SEED, tmp_path)
    assert tally["episodes"] == 10 and sum(tally["faults"].values()) > 0
    assert not tally["violations"] and not tally["deadlocks"]


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
def test_edge_fault_campaign_long(ppc: int, tmp_path: Path) -> None:
    """2,000 episodes per build, PPC 1, 2, 4 and 8 (8,000 in all; about a minute per build)."""
    tally = _campaign(ppc, 2000, BASE_SEED + 1_000_000, tmp_path)
    assert tally["episodes"] == 2000
    assert not tally["violations"] and not tally["deadlocks"]


def _beats(img: np.ndarray, *, sof: bool = True) -> list:
    h, w = img.shape
    return [([int(img[y, x])], sof and y == 0 and x == 0, x == w - 1)
            for y in range(h) for x in range(w)]


def test_model_good_frames() -> None:
    """Two good frames: two whole frames, no error, nothing dropped."""
    m = EdgeFramingModel(ppc=1, max_width=64, max_height=48)
    m.configure(5, 4)
    img = np.arange(20, dtype=np.uint8).reshape(4, 5)
    m.feed(_beats(img) + _beats(img))
    assert [f.exact_rows for f in m.frames] == [4, 4] and m.error == 0 and m.drops == 0
    np.testing.assert_array_equal(m.frames[1].pixels, img)


def test_model_faults() -> None:
    """The policy's table, fault by fault: bits, padding, fixed rows, drops."""
    img = np.arange(20, dtype=np.uint8).reshape(4, 5)
    good = _beats(img)
    m = EdgeFramingModel(ppc=1, max_width=64, max_height=48)
    m.configure(5, 4)
    early = good[:7] + good[8:]                       # row 1 one beat short
    early[6] = (early[6][0], False, True)
    m.feed(early + good)
    assert m.error == ERROR_BIT["EOL_EARLY"] and m.drops == len(good) - 8
    assert [f.exact_rows for f in m.frames] == [0, 4] and m.frames[0].pixels[1, 2] == 0
    m.reset()
    m.configure(5, 4)
    m.feed(good[:12] + good)                          # SOF cuts the frame in row 2
    assert m.error == ERROR_BIT["SOF_EARLY"] and m.drops == 0
    assert [f.exact_rows for f in m.frames] == [1, 4]
    m.reset()
    m.configure(5, 4)
    m.feed(_beats(img, sof=False) + good + good[5:8])  # no SOF, then a frame too long
    assert m.error == ERROR_BIT["SOF_MISSING"] | ERROR_BIT["FRAME_LONG"] and m.drops == 23
    m.reset()
    m.configure(65, 4)
    m.feed(good)
    assert m.error == ERROR_BIT["BAD_SIZE"] and m.frames == [] and m.drops == 20
