"""``fpgacnn edge``: real image files in, RTL and reference outputs identical, clear errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from fpgacnn.cli import main
from fpgacnn.spec.edge import sobel_edges
from fpgacnn.sw.image_io import fit_frame

SUMMARY_RTL = (
    r"^{img}: {w}x{h}, rtl PPC={ppc}: \d+ cycles, latency \d+ cycles, "
    r"bit-exact with the reference model -> {out}$"
)


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real photos written as files: PNG and JPEG, gray and colour, all within 640x480."""
    d = tmp_path_factory.mktemp("images")
    files = {
        "camera.png": skimage.data.camera()[:480, :],  # gray PNG, 512x480
        "coins.jpg": skimage.data.coins(),  # gray JPEG
        "astronaut.png": fit_frame(_bgr(skimage.data.astronaut()), 400, 300),  # colour PNG
        "coffee.jpg": _bgr(skimage.data.coffee()),  # colour JPEG, 600x400
        "chelsea.png": _bgr(skimage.data.chelsea()),  # colour PNG, 451x300
    }
    paths = {}
    for name, img in files.items():
        paths[name] = d / name
        assert cv2.imwrite(str(paths[name]), img)
    return paths


def expected_gray(path: Path) -> np.ndarray:
    """The documented conversion, done independently: decode as BGR, cv2.COLOR_BGR2GRAY."""
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)


def read_out(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None and img.dtype == np.uint8 and img.ndim == 2
    return img


@pytest.mark.sim
@pytest.mark.parametrize(
    ("name", "ppc", "threshold"),
    [
        pytest.param("camera.png", 1, 0, marks=pytest.mark.xdist_group("edge_harness_ppc1")),
        pytest.param("coins.jpg", 2, 0, marks=pytest.mark.xdist_group("edge_harness_ppc2")),
        pytest.param("astronaut.png", 4, 0, marks=pytest.mark.xdist_group("edge_harness_ppc4")),
        pytest.param("coffee.jpg", 8, 100, marks=pytest.mark.xdist_group("edge_harness_ppc8")),
        pytest.param("chelsea.png", 1, 300, marks=pytest.mark.xdist_group("edge_harness_ppc1")),
    ],
)
def test_rtl_equals_reference(
    images: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    ppc: int,
    threshold: int,
) -> None:
    img = images[name]
    ref_out, rtl_out = tmp_path / "ref.png", tmp_path / "sub" / "rtl.png"
    t = ["--threshold", str(threshold)]
    assert main(["edge", str(img), "--backend", "reference", "--out", str(ref_out), *t]) == 0
    assert main(["edge", str(img), "--out", str(rtl_out), "--ppc", str(ppc), *t]) == 0
    ref, rtl = read_out(ref_out), read_out(rtl_out)
    np.testing.assert_array_equal(rtl, ref)
    np.testing.assert_array_equal(ref, sobel_edges(expected_gray(img), threshold))
    h, w = ref.shape
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{img}: {w}x{h}, reference model -> {ref_out}"
    pattern = SUMMARY_RTL.format(
        img=re.escape(str(img)), w=w, h=h, ppc=ppc, out=re.escape(str(rtl_out))
    )
    assert re.match(pattern, lines[1]), lines[1]


@pytest.mark.sim
@pytest.mark.xdist_group("edge_harness_ppc1")
def test_subprocess_rtl(images: dict[str, Path], tmp_path: Path) -> None:
    """The installed entry point, as a user runs it, also on a colour JPEG."""
    img = images["coffee.jpg"]
    out = tmp_path / "edges.png"
    proc = subprocess.run(
        [sys.executable, "-m", "fpgacnn", "edge", str(img), "--backend", "rtl", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.match(
        SUMMARY_RTL.format(img=re.escape(str(img)), w=600, h=400, ppc=1, out=re.escape(str(out))),
        proc.stdout.strip(),
    ), proc.stdout
    np.testing.assert_array_equal(read_out(out), sobel_edges(expected_gray(img)))


def test_gray_file_is_not_altered(images: dict[str, Path], tmp_path: Path) -> None:
    """A gray PNG goes through unchanged: the reference output is the golden of its pixels."""
    out = tmp_path / "e.png"
    assert (
        main(["edge", str(images["camera.png"]), "--backend", "reference", "--out", str(out)]) == 0
    )
    np.testing.assert_array_equal(read_out(out), sobel_edges(skimage.data.camera()[:480, :]))


# -- errors --------------------------------------------------------------------------------


def _err(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err.strip()


def test_missing_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = tmp_path / "nope.png"
    err = _err(capsys, ["edge", str(img), "--out", str(tmp_path / "o.png")])
    assert err == f"fpgacnn edge: error: cannot read image '{img}': no such file"


def test_undecodable_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = tmp_path / "text.png"
    img.write_text("not a picture\n")
    err = _err(capsys, ["edge", str(img), "--out", str(tmp_path / "o.png")])
    assert err == (
        f"fpgacnn edge: error: cannot read image '{img}': not an image format OpenCV can decode"
    )
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    err = _err(capsys, ["edge", str(empty), "--out", str(tmp_path / "o.png")])
    assert err.endswith("not an image format OpenCV can decode")


def test_directory_as_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _err(capsys, ["edge", str(tmp_path), "--out", str(tmp_path / "o.png")])
    assert err == f"fpgacnn edge: error: cannot read image '{tmp_path}': not a file"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--ppc", "3"], "--ppc must be one of 1, 2, 4, 8, got 3"),
        (["--ppc", "0"], "--ppc must be one of 1, 2, 4, 8, got 0"),
        (["--threshold", "-1"], "--threshold must be in 0..4095, got -1"),
        (["--threshold", "4096"], "--threshold must be in 0..4095, got 4096"),
    ],
)
def test_bad_options(
    images: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: list[str],
    message: str,
) -> None:
    err = _err(
        capsys, ["edge", str(images["coins.jpg"]), "--out", str(tmp_path / "o.png"), *option]
    )
    assert err == f"fpgacnn edge: error: {message}"
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("out", ["o.xyz", "o"])
def test_unwritable_output_format(
    images: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str
) -> None:
    what = "'.xyz'" if out.endswith(".xyz") else "'no extension'"
    err = _err(capsys, ["edge", str(images["coins.jpg"]), "--out", str(tmp_path / out)])
    assert err == (
        f"fpgacnn edge: error: cannot write image '{tmp_path / out}': OpenCV cannot encode {what}"
    )


def test_non_integer_ppc_is_an_argparse_error(
    images: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["edge", str(images["coins.jpg"]), "--out", str(tmp_path / "o.png"), "--ppc", "two"])
    assert exc.value.code == 2
    assert "argument --ppc: invalid int value: 'two'" in capsys.readouterr().err


def test_subprocess_error_exit_code(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fpgacnn",
            "edge",
            str(tmp_path / "x.png"),
            "--out",
            str(tmp_path / "o.png"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"fpgacnn edge: error: cannot read image '{tmp_path / 'x.png'}': no such file"
    )
    assert proc.stdout == ""


def test_help_documents_the_gray_conversion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["edge", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "ITU-R BT.601 (Y = 0.299 R + 0.587 G + 0.114 B, rounded; exactly cv2.COLOR_BGR2GRAY)"
        in text
    )


def test_too_wide_refused_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A frame wider than any core can be built for is refused before a harness is built.

    With an empty build root the old code printed "building the RTL simulation" and built
    a 65535-wide harness before refusing the frame (two lines, half a minute).
    """
    monkeypatch.setenv("FPGACNN_SIM_BUILD", str(tmp_path / "simbuild"))
    wide = tmp_path / "wide.png"
    cv2.imwrite(str(wide), np.zeros((3, 70000), np.uint8))
    rc = main(["edge", str(wide), "--backend", "rtl", "--out", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert rc == 2
    assert re.fullmatch(
        r"fpgacnn edge: error: frame of 70000x3 pixels exceeds the core's maximum "
        r"65535x65534\n", err), err
    assert not (tmp_path / "simbuild").exists()
    assert not (tmp_path / "o.png").exists()
