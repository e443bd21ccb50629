"""``fpgacnn build``: generation, --run without Vivado, user errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fpgacnn.cli import main

from .conftest import write_rtl_filelist


def _build(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["build", *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_build_writes_the_tree(capsys, tmp_path: Path, conversion: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _build(capsys, "--board", "pynq-z1", "--model", str(conversion),
                             "--out", str(out), "--edge-ppc", "2")
    assert code == 0
    lines = stdout.splitlines()
    # one line per step
    assert lines[:5] == [
        f"generating the pynq-z1 build tree in {out}",
        "  load_inputs: Load the board and check the edge core, build-id block and "
        "classifier sources",
        "  plan: Decide the design: DMAs, stream widths, address map, hardware id",
        "  write_tree: Copy the sources and render the Tcl, constraints and build.sh into "
        "cfg.out_dir",
        "  write_package_payload: Lay out package/ (the model) and the notebook beside it"]
    assert lines[5].startswith("wrote the pynq-z1 build tree (")
    assert f"build it on a machine with Vivado: {out / 'build.sh'}" in stdout
    cfg = json.loads((out / "build_config.json").read_text())
    assert (cfg["board"], cfg["model"], cfg["core_flow"], cfg["edge_ppc"]) == (
        "pynq-z1", "digits", "hls", 2)
    assert "CONFIG.PPC {2}" in (out / "scripts" / "block_design.tcl").read_text()


def test_run_without_vivado_fails_cleanly(capsys, tmp_path: Path, conversion: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "out"
    code, _, err = _build(capsys, "--board", "zcu104", "--model", str(conversion),
                          "--out", str(out), "--run")
    assert code == 2
    assert err == (f"fpgacnn build: error: vivado is not on PATH: nothing was run; the build tree "
                   f"is in {out} (source <Vivado>/settings64.sh, then run {out / 'build.sh'})\n")
    assert (out / "scripts" / "build.tcl").is_file() and not (out / "work").exists()


def test_run_without_vitis_hls_fails_cleanly(capsys, tmp_path: Path, conversion: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "vivado"
    fake.write_text("#!/bin/sh\nexit 99\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, _, err = _build(capsys, "--board", "kv260", "--model", str(conversion),
                          "--out", str(tmp_path / "out"), "--run")
    assert code == 2
    assert err.startswith("fpgacnn build: error: vitis_hls is not on PATH: nothing was run;")


def test_rtl_flow_without_filelist(capsys, tmp_path: Path, conversion: Path) -> None:
    code, _, err = _build(capsys, "--board", "kv260", "--model", str(conversion),
                          "--out", str(tmp_path / "out"), "--core-flow", "rtl")
    assert code == 2
    assert err == (f"fpgacnn build: error: the RTL flow needs {conversion / 'rtl' / 'filelist.f'}"
                   f", the classifier's file list written by the open RTL backend (run: fpgacnn "
                   f"convert digits --out {conversion}, without --no-rtl); or build with "
                   f"--core-flow hls\n")


def test_rtl_flow_with_filelist(capsys, tmp_path: Path, conversion: Path) -> None:
    write_rtl_filelist(conversion)
    code, _, _ = _build(capsys, "--board", "ultra96v2", "--model", str(conversion),
                        "--out", str(tmp_path / "out"), "--core-flow", "rtl")
    assert code == 0
    assert (tmp_path / "out" / "scripts" / "package_classifier.tcl").is_file()


def test_unknown_board(capsys, tmp_path: Path, conversion: Path) -> None:
    code, _, err = _build(capsys, "--board", "zybo", "--model", str(conversion),
                          "--out", str(tmp_path / "out"))
    assert code == 2
    assert err == ("fpgacnn build: error: unknown board 'zybo' (available: kv260, pynq-z1, "
                   "pynq-z2, ultra96v2, zcu102, zcu104)\n")


def test_a_model_name_without_conversion_is_converted_first_and_refused_if_unknown(
        capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FPGACNN_BUILD", str(tmp_path / "outputs"))
    name = f"no-such-model-{os.getpid()}"
    code, stdout, err = _build(capsys, "--board", "pynq-z2", "--model", name,
                               "--out", str(tmp_path / "out"))
    hw_build = tmp_path / "outputs" / "convert" / name
    assert code == 2
    assert stdout == (f"no conversion of {name} yet: converting it first (fpgacnn convert "
                      f"{name} --out {hw_build} --no-rtl)\n")
    assert err == (f"fpgacnn build: error: '{name}' is neither a model of the zoo (cifar10, cnv, "
                   f"digits, faces, gtsrb, mnist) nor a folder with model.json\n")
    assert not (tmp_path / "out").exists()
    # a wrong board is refused before any conversion
    code, stdout, err = _build(capsys, "--board", "nope", "--model", name,
                               "--out", str(tmp_path / "out"))
    assert code == 2 and stdout == "" and err.startswith("fpgacnn build: error: unknown board")


def test_an_out_that_cannot_be_made_is_refused_before_converting(
        capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old code converted digits first (minutes) and only then refused the --out."""
    monkeypatch.setenv("FPGACNN_BUILD", str(tmp_path / "outputs"))
    a_file = tmp_path / "a_file"
    a_file.write_text("the user's")
    code, stdout, err = _build(capsys, "--board", "pynq-z2", "--model", "digits",
                               "--out", str(a_file / "tree"))
    assert code == 2 and stdout == ""
    assert err == (f"fpgacnn build: error: cannot create the build tree folder "
                   f"{str(a_file / 'tree')!r}: {str(a_file)!r} is a file\n")
    assert not (tmp_path / "outputs").exists() and a_file.read_text() == "the user's"
    # so are the other options (here a --templates folder that does not exist)
    code, stdout, err = _build(capsys, "--board", "pynq-z2", "--model", "digits",
                               "--out", str(tmp_path / "tree"), "--templates",
                               str(tmp_path / "nonexistent"))
    assert code == 2 and stdout == "" and "nonexistent" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "tree").exists()


def test_build_converts_digits_itself_on_a_fresh_clone(capsys, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's command on a fresh clone: no conversion of digits exists; build converts
    it (the real conversion, RTL core included for the rtl flow), then writes the tree,
    one line per step (issue 12: it used to fail)."""
    monkeypatch.setenv("FPGACNN_BUILD", str(tmp_path / "outputs"))
    conv, out = tmp_path / "outputs" / "convert" / "digits", tmp_path / "out"
    code, stdout, err = _build(capsys, "--board", "pynq-z2", "--model", "digits",
                               "--out", str(out), "--core-flow", "rtl")
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0] == ("no conversion of digits yet: converting it first (fpgacnn convert "
                        f"digits --out {conv})")
    i = lines.index(f"converted digits -> {conv}")
    assert any(ln.startswith("  generating the RTL core") for ln in lines[1:i])
    assert all(ln.startswith("  ") for ln in lines[1:i])  # convert's own step lines
    j = lines.index(f"generating the pynq-z2 build tree in {out}")
    assert [ln.split(":")[0] for ln in lines[j + 1:j + 5]] == [
        "  load_inputs", "  plan", "  write_tree", "  write_package_payload"]
    assert lines[j + 5].startswith("wrote the pynq-z2 build tree (")
    assert (conv / "conversion.json").is_file() and (conv / "rtl" / "filelist.f").is_file()
    cfg = json.loads((out / "build_config.json").read_text())
    assert (cfg["model"], cfg["model_dir"], cfg["core_flow"]) == ("digits", str(conv), "rtl")
    assert (out / "src" / "classifier" / "fcnn_classifier.sv").is_file()
    # a second build finds the conversion and does not convert again
    code, stdout, _ = _build(capsys, "--board", "pynq-z2", "--model", "digits",
                             "--out", str(out), "--core-flow", "rtl")
    assert code == 0 and "converting" not in stdout


FAKE_TOOL = """#!{python}
# Stand-in for {name}: records its arguments; vivado writes what export.tcl would.
import json, re, sys
from pathlib import Path
args = sys.argv[1:]
script = Path(args[args.index("{flag}") + 1])
out = script.parent.parent
with open(out / "tools.log", "a") as log:
    log.write("{name} " + " ".join(args) + "\\n")
if "{name}" == "vivado":
    # export.tcl's bitstream and .hwh; implement.tcl's summary with build.tcl's fcnn_hw_id
    board = json.loads((out / "build_config.json").read_text())["board"]
    (out / "package" / f"fcnn_{{board}}.bit").write_bytes(b"bit")
    (out / "package" / f"fcnn_{{board}}.hwh").write_text("<hwh/>")
    hw_id = re.search(r"^set fcnn_hw_id (\\w+)$", script.read_text(), flags=re.M).group(1)
    (out / "reports" / "summary.txt").write_text(f"hw_id {{hw_id}}\\n")
"""


def test_run_with_tools_builds_the_package(capsys, tmp_path: Path, conversion: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from fpgacnn.spec.package import load_package

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, flag in (("vivado", "-source"), ("vitis_hls", "-f")):
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL.format(python=sys.executable, name=name, flag=flag))
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "out"
    code, stdout, err = _build(capsys, "--board", "pynq-z2", "--model", str(conversion),
                               "--out", str(out), "--run")
    assert (code, err) == (0, "")
    assert stdout.endswith(f"built {out / 'package'}\n")
    ran = (out / "tools.log").read_text().splitlines()
    assert ran == [f"vitis_hls -f {out / 'scripts' / 'hls_ip.tcl'}",
                   f"vivado -mode batch -nojournal -nolog -source {out / 'scripts' / 'build.tcl'}"]
    package = load_package(out / "package")
    assert package.manifest.bitstream == "fcnn_pynq-z2.bit"
    assert package.manifest.board == "pynq-z2"


def test_failing_vivado_is_reported(capsys, tmp_path: Path, conversion: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("vivado", "vitis_hls"):
        (bin_dir / name).write_text("#!/bin/sh\necho failed >&2\nexit 1\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "out"
    code, _, err = _build(capsys, "--board", "pynq-z2", "--model", str(conversion),
                          "--out", str(out), "--run", "--core-flow", "hls")
    assert code == 2
    log = out / "reports" / "vitis_hls.log"
    assert err == f"fpgacnn build: error: vitis_hls failed with exit code 1; see {log}\n"
    assert log.read_text() == "failed\n"


def test_a_missing_template_folder_is_refused(capsys, tmp_path: Path, conversion: Path) -> None:
    code, _, err = _build(capsys, "--board", "pynq-z2", "--model", str(conversion),
                          "--out", str(tmp_path / "out"), "--templates",
                          str(tmp_path / "nonexistent"))
    assert code == 2
    assert err == ("fpgacnn build: error: template_dir must be an existing folder of templates, "
                   f"got '{tmp_path / 'nonexistent'}'\n")
    assert not (tmp_path / "out").exists()
