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


def test_frame_path_rates_from_simulation() -> None:
    """Cycles per frame and latency of the edge frame path come from the Verilated core:
    at least one beat per PPC pixels, the first edge pixel out a line (plus the Sobel
    pipeline and fcnn_rgb2gray) after the first pixel in, the last after the frame."""
    from fpgacnn.apps.bench_stream import RGB2GRAY_LATENCY, frame_path_rates, rates_markdown

    rows = frame_path_rates(ppcs=(4,), frames=2)
    assert [(r["ppc"], r["mode"]) for r in rows] == [(4, "720p60"), (4, "1080p60")]
    for r, (w, h) in zip(rows, ((1280, 720), (1920, 1080)), strict=True):
        beats = -(-w // 4)
        assert h * beats <= r["cycles_per_frame"] < 1.01 * h * beats
        assert beats + RGB2GRAY_LATENCY < r["first_out"] < 2 * beats
        assert h * beats < r["last_out"] <= r["cycles_per_frame"] + r["first_out"]
        assert r["fps"] == pytest.approx(100e6 / r["cycles_per_frame"])
        assert r["sustains"] == (r["fps"] >= 60)
    assert len(rates_markdown(rows).splitlines()) == 4


def test_bench_stream_report(board_tree, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from fpgacnn.apps.bench_stream import main

    assert main(["--tree", str(board_tree("pynq-z2")), "--out", str(tmp_path),
                 "--frames", "1"]) == 0
    text = (tmp_path / "stream_report.md").read_text()
    assert text == capsys.readouterr().out
    assert "| pynq-z2 digits, edge input gray, classifier input host | " in text
    assert text.count("| 8 | 1080p60 | ") == 1 and text.count("at 100 MHz") == 8


def test_bench_stream_fabric_row_has_no_host_crop(board_tree, tmp_path: Path,  # noqa: ANN001
                                                  capsys) -> None:  # noqa: ANN001
    """A --classifier-input fabric tree: its row names it and has the host breakdown
    with both engines on the board; the rates skipped."""
    from fpgacnn.apps.bench_stream import main, measure_host
    from fpgacnn.boards.config import ClassifierInput, EdgeInput

    tree = board_tree("pynq-z2", edge_input=EdgeInput.COLOR,
                      classifier_input=ClassifierInput.FABRIC)
    assert main(["--tree", str(tree), "--out", str(tmp_path), "--frames", "1",
                 "--no-rates"]) == 0
    text = capsys.readouterr().out
    assert "classifier input fabric | " in text and "cycle budget" not in text
    row = measure_host(tree, n_frames=2, warmup=0)
    assert row["engines"] == {"edge": "pynq", "classifier": "pynq"}
    assert set(row["ms"]) >= {"crop", "host_submit", "host_dma", "host_decode", "host"}
