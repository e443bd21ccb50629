"""The bad-input table: every command x the classes of bad input of issue 14.

Each row runs ``fpgacnn.cli.main`` in this process on one bad input and asserts
exit status 2 and exactly one line on stderr, ``fpgacnn COMMAND: error: ...``,
naming what was wrong (a pattern per row). In-process, an unexpected exception
(a traceback) fails the row; nothing may be written where it was refused.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.cli import main

ZOO_MODEL = Path(__file__).resolve().parents[1] / "models" / "zoo" / "digits" / "model.h5"


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming ``width`` x ``height`` 8-bit gray, no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bad (and a few good) inputs, made once."""
    import cv2

    d = tmp_path_factory.mktemp("bad")
    f: dict[str, Path] = {}
    f["a_file"] = d / "a_file"
    f["a_file"].write_text("not a folder\n")
    f["under_file"] = f["a_file"] / "sub"           # cannot be created: parent is a file
    f["empty_h5"] = d / "empty.h5"
    f["empty_h5"].write_bytes(b"")
    f["trunc_h5"] = d / "trunc.h5"
    f["trunc_h5"].write_bytes(ZOO_MODEL.read_bytes()[:2000])
    f["text_h5"] = d / "text.h5"
    f["text_h5"].write_text("this is not HDF5\n")
    f["npz"] = d / "x.npz"
    np.savez(f["npz"], x=np.zeros((2, 8, 8, 1)))
    f["empty_npy"] = d / "empty.npy"
    np.save(f["empty_npy"], np.zeros((0, 8, 8, 1)))
    f["good_npy"] = d / "x.npy"
    np.save(f["good_npy"], np.zeros((2, 8, 8, 1)))
    f["good_png"] = d / "good.png"
    cv2.imwrite(str(f["good_png"]), np.full((32, 48), 128, np.uint8))
    f["huge_png"] = d / "huge.png"
    f["huge_png"].write_bytes(_png_header(60000, 60000))
    f["wide_png"] = d / "wide.png"
    cv2.imwrite(str(f["wide_png"]), np.zeros((3, 70000), np.uint8))
    f["float_tif"] = d / "float.tif"
    cv2.imwrite(str(f["float_tif"]), np.full((16, 16), 0.5, np.float32))
    f["not_image"] = d / "not_image.png"
    f["not_image"].write_text("not an image\n")
    f["bad_folder"] = d / "images"
    f["bad_folder"].mkdir()
    cv2.imwrite(str(f["bad_folder"] / "a.png"), np.full((32, 48), 128, np.uint8))
    (f["bad_folder"] / "b.png").write_bytes(b"\x89PNG broken")
    f["pkg_nonjson"] = d / "pkg_nonjson"
    f["pkg_nonjson"].mkdir()
    (f["pkg_nonjson"] / "manifest.json").write_text("{ not json")
    f["pkg_partial"] = d / "pkg_partial"
    f["pkg_partial"].mkdir()
    (f["pkg_partial"] / "manifest.json").write_text(json.dumps({"schema_version": 1}))
    f["pkg_edge"] = d / "pkg_edge"
    f["pkg_edge"].mkdir()
    from fpgacnn.spec.cores import edge_core_spec
    from fpgacnn.spec.package import write_package

    write_package(f["pkg_edge"], cores=[edge_core_spec(ppc=1, max_width=64, max_height=64)],
                  model=None, clock_hz=100_000_000)
    return f


Row = tuple[str, Callable[[dict[str, Path], Path], list[str]], str]

#: id -> (command, argv maker (files, tmp) -> argv after the command, message pattern)
TABLE: dict[str, Row] = {
    # outputs that cannot be written
    "edge --out under a file": ("edge", lambda f, t: [
        str(f["good_png"]), "--backend", "reference", "--out", str(f["under_file"] / "o.png")],
        r"a_file"),
    "demo --out under a file": ("demo", lambda f, t: [
        "--out", str(f["under_file"]), "--no-stream"], r"a_file"),
    "convert --out under a file": ("convert", lambda f, t: [
        str(ZOO_MODEL), "--out", str(f["under_file"])], r"a_file"),
    "predict --output under a file": ("predict", lambda f, t: [
        str(f["pkg_edge"]), "--input", str(f["good_npy"]), "--output",
        str(f["under_file"] / "y.npy")], r"cannot create .*Not a directory"),
    "build --out under a file": ("build", lambda f, t: [
        "--board", "pynq-z2", "--model", "digits", "--out", str(f["under_file"])], r"a_file"),
    "stream --save-dir under a file": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--save-dir", str(f["under_file"])],
        r"a_file"),
    "package --out under a file": ("package", lambda f, t: [
        "--out", str(f["under_file"]), "--no-csim"], r"a_file"),
    "train --out under a file": ("train", lambda f, t: [
        "digits", "--out", str(f["under_file"]), "--epochs", "1"], r"a_file"),
    # model files that are not models
    "convert empty .h5": ("convert", lambda f, t: [str(f["empty_h5"]), "--out", str(t / "o")],
                          r"empty\.h5"),
    "convert truncated .h5": ("convert", lambda f, t: [str(f["trunc_h5"]), "--out",
                                                      str(t / "o")], r"trunc\.h5"),
    "convert non-HDF5 .h5": ("convert", lambda f, t: [str(f["text_h5"]), "--out", str(t / "o")],
                             r"text\.h5"),
    "evaluate non-HDF5 .h5": ("evaluate", lambda f, t: [str(f["text_h5"])], r"text\.h5"),
    # batches
    "predict .npz": ("predict", lambda f, t: [
        str(f["pkg_edge"]), "--input", str(f["npz"]), "--output", str(t / "y.npy")],
        r"expected one array in a \.npy file, got an \.npz"),
    "predict empty .npy": ("predict", lambda f, t: [
        str(f["pkg_edge"]), "--input", str(f["empty_npy"]), "--output", str(t / "y.npy")],
        r"at least one input, got shape \(0, 8, 8, 1\)"),
    "predict given a package": ("predict", lambda f, t: [
        str(f["pkg_edge"]), "--input", str(f["good_npy"]), "--output", str(t / "y.npy")],
        r"pkg_edge' is not a conversion folder"),
    # packages
    "stream non-JSON manifest": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_nonjson"])],
        r"not valid JSON"),
    "stream incomplete manifest": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_partial"])],
        r"missing keys"),
    # images
    "edge PNG claiming 60000x60000": ("edge", lambda f, t: [
        str(f["huge_png"]), "--backend", "reference", "--out", str(t / "o.png")],
        r"huge\.png"),
    "edge 70000x3 image on rtl": ("edge", lambda f, t: [
        str(f["wide_png"]), "--backend", "rtl", "--out", str(t / "o.png")],
        r"70000x3 pixels exceeds"),
    "edge float TIFF": ("edge", lambda f, t: [
        str(f["float_tif"]), "--backend", "reference", "--out", str(t / "o.png")],
        r"float\.tif"),
    "edge not an image": ("edge", lambda f, t: [
        str(f["not_image"]), "--backend", "reference", "--out", str(t / "o.png")],
        r"not_image\.png"),
    "stream folder with an undecodable file": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_edge"]),
        "--no-classify", "--backend", "reference"], r"b\.png"),
    "demo --images unknown": ("demo", lambda f, t: [
        "--images", "no_such_image", "--out", str(t / "demo"), "--no-stream"],
        r"no_such_image"),
    # options
    "build --templates missing": ("build", lambda f, t: [
        "--board", "pynq-z2", "--model", "digits", "--out", str(t / "b"), "--templates",
        str(t / "nonexistent")], r"nonexistent"),
    "stream --timeout inf": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_edge"]),
        "--timeout", "inf"], r"got inf"),
    "stream --fps 0": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_edge"]),
        "--fps", "0"], r"--fps"),
    "stream --max-frames -1": ("stream", lambda f, t: [
        "--source", f"images:{f['bad_folder']}", "--package", str(f["pkg_edge"]),
        "--max-frames", "-1"], r"--max-frames must be >= 1, got -1"),
}


@pytest.mark.parametrize("row", list(TABLE), ids=list(TABLE))
def test_bad_input_is_one_line_exit_2(row: str, files: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    command, argv, pattern = TABLE[row]
    rc = main([command, *argv(files, tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert re.fullmatch(rf"fpgacnn {command}: error: [^\n]*{pattern}[^\n]*\n", err), err
    assert "Traceback" not in err
