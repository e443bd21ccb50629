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
