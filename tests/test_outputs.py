"""Output folders: nothing of the user's is lost, a failure leaves the previous output."""

from __future__ import annotations

from pathlib import Path

import pytest

from fpgacnn.cli import main
from fpgacnn.spec.errors import UsageError
from fpgacnn.spec.outputs import staged_output


def _ours(path: Path) -> bool:
    return (path / "ours.txt").is_file()


def test_a_complete_output_replaces_ours(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "ours.txt").write_text("old")
    with staged_output(dest, is_ours=_ours, what="a result") as tmp:
        (tmp / "ours.txt").write_text("new")
        assert not (dest / "ours.txt").read_text() == "new"
    assert (dest / "ours.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left


@pytest.mark.parametrize("interrupt", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failure_leaves_the_previous_output(tmp_path: Path, interrupt: BaseException) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "ours.txt").write_text("old")
    with pytest.raises(type(interrupt)), staged_output(dest, is_ours=_ours, what="a result") as tmp:
        (tmp / "ours.txt").write_text("half")
        raise interrupt
    assert (dest / "ours.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_of_the_user_is_refused_before_any_work(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError, match=r"^cannot write a result to '.*mine': the folder is not "
                                         r"empty and was not written by fpgacnn"):
        with staged_output(dest, is_ours=_ours, what="a result"):
            raise AssertionError("no work may start")
    assert (dest / "thesis.tex").read_text() == "years of work"


def test_package_never_deletes_a_folder_with_someone_elses_manifest(tmp_path: Path,
                                                                    capsys) -> None:  # noqa: ANN001
    dest = tmp_path / "project"
    dest.mkdir()
    (dest / "manifest.json").write_text('{"name": "my web app"}')
    (dest / "index.html").write_text("<html></html>")
    assert main(["package", "--out", str(dest), "--no-csim"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fpgacnn package: error: cannot write a package to '{dest}': the "
                          "folder is not empty")
    assert sorted(p.name for p in dest.iterdir()) == ["index.html", "manifest.json"]


@pytest.mark.parametrize(("argv", "what"), [
    (["convert", "digits", "--no-rtl"], "a conversion"),
    (["build", "--board", "pynq-z2", "--model", "digits"], "a board build tree"),
])
def test_convert_and_build_never_touch_a_folder_of_the_user(tmp_path: Path, capsys, argv,
                                                            what) -> None:  # noqa: ANN001
    dest = tmp_path / "mine"
    (dest / "rtl").mkdir(parents=True)
    (dest / "rtl" / "notes.txt").write_text("keep me")
    (dest / "package").mkdir()
    (dest / "package" / "data.bin").write_bytes(b"\x00\x01")
    assert main([*argv, "--out", str(dest)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {what} to '{dest}': the folder is not empty" in err
    assert (dest / "rtl" / "notes.txt").read_text() == "keep me"
    assert (dest / "package" / "data.bin").read_bytes() == b"\x00\x01"


def test_generate_rtl_never_replaces_a_folder_it_did_not_write(tmp_path: Path) -> None:
    from fpgacnn.hw.rtlgen import generate_rtl

    dest = tmp_path / "core"
    dest.mkdir()
    (dest / "top.sv").write_text("module top; endmodule\n")
    with pytest.raises(UsageError, match=r"^cannot write an RTL core to "):
        generate_rtl(object(), dest)
    assert (dest / "top.sv").is_file()


@pytest.mark.parametrize(("argv", "message"), [
    (["stream", "--source", "images:/nonexistent", "--save-dir", "/proc/fpgacnn_test/x"],
     "fpgacnn stream: error: cannot create the --save-dir folder '/proc/fpgacnn_test/x': "),
    (["build", "--board", "pynq-z2", "--model", "digits", "--out", "/proc/fpgacnn_test/b"],
     "fpgacnn build: error: cannot create the build tree folder '/proc/fpgacnn_test/b': "),
])
def test_an_unwritable_output_folder_is_one_line(capsys, argv, message) -> None:  # noqa: ANN001
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.splitlines()) == 1
