"""The one build function of every Verilated model: keys, folders, lock, log, typed errors.

No Verilator run here: the builds are stand-in callables; the real builds are
exercised by the harness tests and the cocotb testbenches.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpgacnn.sim import runner
from fpgacnn.sim.edge_harness_build import HarnessBuildError, HarnessParams, library_path
from fpgacnn.sim.verilator_build import (
    HarnessLibrary,
    VerilatorBuildError,
    build_failed,
    cached_build,
    digest,
    harness_root,
    run_logged,
)
from fpgacnn.spec.errors import ToolError


def _writer(calls: list[str], output: Path, text: str = "built"):
    def build(log_path: Path) -> None:
        calls.append(log_path.read_text())
        log_path.write_text("tool output\n")
        output.write_text(text)
    return build


def test_cached_build_builds_once_per_key(tmp_path: Path) -> None:
    out = tmp_path / "b" / "model"
    calls: list[str] = []
    assert cached_build(tmp_path / "b", "k1", _writer(calls, out), output=out, what="m",
                        record={"top": "m"})
    assert not cached_build(tmp_path / "b", "k1", _writer(calls, out), output=out, what="m")
    assert len(calls) == 1 and calls[0] == ""  # the log starts empty
    record = json.loads((tmp_path / "b" / "build.json").read_text())
    assert record["digest"] == "k1" and record["top"] == "m" and record["output"] == "model"
    assert (tmp_path / "b" / "build.log").read_text() == "tool output\n"
    assert (tmp_path / "b" / ".lock").is_file()
    # another key, or a lost output, builds again
    assert cached_build(tmp_path / "b", "k2", _writer(calls, out), output=out, what="m")
    out.unlink()
    assert cached_build(tmp_path / "b", "k2", _writer(calls, out), output=out, what="m")
    assert len(calls) == 3


def test_failed_build_leaves_no_record_and_names_the_log(tmp_path: Path) -> None:
    folder = tmp_path / "b"

    def failing(log_path: Path) -> None:
        run_logged(["sh", "-c", "echo first; echo 'the real error' >&2; exit 3"], env={},
                   log_path=log_path, what="the tool")

    with pytest.raises(VerilatorBuildError) as info:
        cached_build(folder, "k", failing, output=folder / "x", what="m")
    log_path = folder / "build.log"
    assert str(info.value) == (f"the tool failed (exit code 3; log: {log_path}):\n"
                               "$ sh -c echo first; echo 'the real error' >&2; exit 3\n"
                               "first\nthe real error")
    assert not (folder / "build.json").exists()
    assert isinstance(info.value, ToolError) and HarnessBuildError is VerilatorBuildError


def test_a_build_that_makes_nothing_is_an_error(tmp_path: Path) -> None:
    message = r"^m failed \(no x was made; log: .*build\.log\)$"
    with pytest.raises(VerilatorBuildError, match=message):
        cached_build(tmp_path, "k", lambda log_path: None, output=tmp_path / "x", what="m")
    assert str(build_failed("m", tmp_path / "none.log", "why")) == \
        f"m failed (why; log: {tmp_path / 'none.log'})"


def test_digest_covers_names_bytes_and_extra(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sv", tmp_path / "b.sv"
    a.write_text("module a; endmodule\n")
    b.write_text("module a; endmodule\n")
    base = digest([a], extra={"P": 1})
    assert len(base) == 16 and base == digest([a], extra={"P": 1})
    assert base != digest([b], extra={"P": 1})  # same bytes, other name
    assert base != digest([a], extra={"P": 2})
    a.write_text("module a; wire w; endmodule\n")
    assert base != digest([a], extra={"P": 1})


def test_harness_library_key_follows_its_inputs(tmp_path: Path) -> None:
    src = tmp_path / "top.sv"
    src.write_text("module top; endmodule\n")
    cpp = Path(__file__).resolve().parents[1] / "sim" / "harness" / "edge_harness.cpp"
    lib = HarnessLibrary(top="top", sources=(src,), harness=cpp, defines={"X": "1"})
    assert lib.path(tmp_path) == tmp_path / f"libedge_harness_{lib.key}.so"
    other = HarnessLibrary(top="top", sources=(src,), harness=cpp, defines={"X": "2"})
    assert other.key != lib.key
    with pytest.raises(VerilatorBuildError, match=r"^RTL source not found: .*missing\.sv$"):
        HarnessLibrary(top="top", sources=(tmp_path / "missing.sv",), harness=cpp).build(tmp_path)


def test_harness_builds_go_to_the_build_root_or_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FPGACNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FPGACNN_SIM_BUILD", raising=False)
    assert harness_root() == tmp_path / "cache" / "harness"
    monkeypatch.setenv("FPGACNN_SIM_BUILD", str(tmp_path / "sim"))
    assert harness_root() == tmp_path / "sim" / "harness"
    assert harness_root(tmp_path / "given") == tmp_path / "given" / "harness"
    params = HarnessParams(ppc=2, max_width=64, max_height=48)
    path = library_path(params, build_root=tmp_path / "given")
    assert path.parent == tmp_path / "given" / "harness" / "PPC2_W64_H48"
    assert path.name.startswith("libedge_harness_") and path.suffix == ".so"


def test_runner_builds_outside_an_installed_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FPGACNN_CACHE", str(tmp_path / "cache"))
    checkout = Path(runner.__file__).resolve().parent
    assert runner.default_build_root(checkout) == checkout / "build"
    wheel = tmp_path / "site-packages" / "fpgacnn" / "sim"
    wheel.mkdir(parents=True)
    assert runner.default_build_root(wheel) == tmp_path / "cache" / "sim"
