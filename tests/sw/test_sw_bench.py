"""sw.bench: one row per backend and mode, with the stage timings the report table needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from fpgacnn.apps.bench_stream import markdown, measure

pytestmark = pytest.mark.sim


def test_measure_rows_and_table(sim_package: Path) -> None:
    rows = measure(sim_package, n_frames=2, warmup=0)
    assert [(r["backend"], r["classify"]) for r in rows] == [
        (b, c) for b in ("reference", "csim", "rtl") for c in (False, True)]
    assert rows[5]["engines"] == {"edge": "rtl", "classifier": "rtl"}
    assert rows[4]["edge_cycles"] == rows[5]["edge_cycles"] > 640 * 480 // 4
    assert "edge_hw" in rows[4]["ms"] and "edge_hw" not in rows[0]["ms"]
    table = markdown(rows).splitlines()
    assert len(table) == 8 and table[2].startswith("| reference | numpy | no | ")


def test_measure_host_on_the_emulated_board(board_tree) -> None:  # noqa: ANN001
    """The host-time row: every breakdown column, host within the total, a table line."""
    from fpgacnn.apps.bench_stream import HOST_COLUMNS, host_markdown, measure_host

    row = measure_host(board_tree("pynq-z2"), n_frames=2, warmup=0, label="z2")
    assert row["frames"] == 2 and row["engines"] == {"edge": "pynq", "classifier": "pynq"}
    ms = row["ms"]
    assert set(HOST_COLUMNS) <= set(ms) and min(ms.values()) >= 0.0
    assert 0.0 < ms["host"] <= ms["total"] and ms["hw_wait"] > 0.0
    table = host_markdown([row]).splitlines()
    assert len(table) == 3 and table[2].startswith("| z2 | ")
