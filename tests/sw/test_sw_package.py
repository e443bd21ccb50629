"""Deployment packages: round trip, and refusal of tampered, incomplete or foreign packages."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from fpgacnn.spec.cores import EDGE_REGISTERS, classifier_core_spec, edge_core_spec
from fpgacnn.spec.package import (
    MANIFEST_FILE,
    BuildIdMismatchError,
    CoreKind,
    CoreSpec,
    ModelSpec,
    PackageFileError,
    PackageHashError,
    PackageNotFoundError,
    PackageSchemaError,
    derive_build_id,
    load_package,
    write_package,
)


def _model() -> ModelSpec:
    return ModelSpec(
        name="digits", input_shape=(8, 8, 1), classes=tuple(str(i) for i in range(10)),
        preprocessing={"region": "center_square"}, scores={"bits": 16, "fraction": 8,
                                                         "signed": True},
        files={"keras": "model/model.h5"},
    )


def _board_package(root: Path) -> Path:
    (root / "model").mkdir(parents=True)
    (root / "model" / "model.h5").write_bytes(b"\x89HDF fake model bytes")
    (root / "overlay.bit").write_bytes(bytes(range(256)) * 4)
    (root / "overlay.hwh").write_text("<MODULES/>")
    write_package(
        root, cores=[edge_core_spec(ppc=4, max_width=640, max_height=480,
                                    base_address=0x43C0_0000, dma="axi_dma_edge"),
                     classifier_core_spec(input_shape=(8, 8, 1), score_bits=16, n_classes=10,
                                          base_address=0x43C1_0000, dma="axi_dma_cls")],
        model=_model(), clock_hz=100_000_000, board="pynq-z2", bitstream="overlay.bit",
        hwh="overlay.hwh", created="2026-01-01T00:00:00+00:00",
    )
    return root


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    pkg = load_package(_board_package(tmp_path / "pkg"))
    m = pkg.manifest
    assert m.board == "pynq-z2" and m.clock_hz == 100_000_000 and m.bitstream == "overlay.bit"
    edge = pkg.core(CoreKind.EDGE)
    assert edge is not None and edge.registers == dict(EDGE_REGISTERS)
    assert (edge.ppc, edge.stream_in_bits, edge.max_width, edge.base_address) == (
        4, 32, 640, 0x43C0_0000)
    cls = pkg.core(CoreKind.CLASSIFIER)
    # 10 scores x 16 bits + the label + the status byte
    assert cls is not None and cls.stream_in_bits == 8 and cls.stream_out_bits == 176
    assert m.model == _model()
    assert sorted(m.files) == ["model/model.h5", "overlay.bit", "overlay.hwh"]
    data = json.loads((tmp_path / "pkg" / MANIFEST_FILE).read_text())
    assert data["build_id"] == derive_build_id(data) == pkg.build_id
    assert list(data) == ["schema_version", "build_id", "created", "board", "clock_hz",
                          "cores", "model", "bitstream", "hwh", "files"]


def test_changed_file_is_refused(tmp_path: Path) -> None:
    root = _board_package(tmp_path / "pkg")
    expected = json.loads((root / MANIFEST_FILE).read_text())["files"]["overlay.bit"]
    (root / "overlay.bit").write_bytes(b"another bitstream")
    actual = hashlib.sha256(b"another bitstream").hexdigest()
    with pytest.raises(PackageHashError,
                       match=rf"^package file 'overlay.bit': sha256 expected {expected}, "
                             rf"got {actual}$"):
        load_package(root)


def test_missing_and_extra_files_are_refused(tmp_path: Path) -> None:
    root = _board_package(tmp_path / "pkg")
    shutil.copy(root / "overlay.hwh", root / "stray.txt")
    with pytest.raises(PackageFileError,
                       match=r"^package has files not in manifest.json: \['stray.txt'\]$"):
        load_package(root)
    (root / "stray.txt").unlink()
    (root / "overlay.hwh").unlink()
    with pytest.raises(PackageFileError, match=r"^package file 'overlay.hwh' is missing$"):
        load_package(root)


def test_build_id_must_match_content_and_expectation(tmp_path: Path) -> None:
    root = _board_package(tmp_path / "pkg")
    pkg = load_package(root)
    with pytest.raises(BuildIdMismatchError,
                       match=rf"^package build id '{pkg.build_id}' does not match the "
                             r"expected '0123456789abcdef'$"):
        load_package(root, expected_build_id="0123456789abcdef")
    data = json.loads((root / MANIFEST_FILE).read_text())
    data["clock_hz"] = 125_000_000
    (root / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(BuildIdMismatchError,
                       match=rf"^build id '{pkg.build_id}' in manifest.json does not match "
                             rf"its content \(expected '{derive_build_id(data)}'\); the "
                             r"manifest was edited after the build$"):
        load_package(root)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(schema_version=2), r"schema_version: expected 1, got 2"),
    (lambda d: d.pop("files"), r"top level: missing keys \['files'\]"),
    (lambda d: d["cores"][0].update(kind="dsp"),
     r"cores\[0\].kind: expected one of \['edge', 'classifier'\], got 'dsp'"),
    (lambda d: d["cores"][0]["registers"].update(CTRL=2),
     r"core 'edge'.registers.CTRL: expected a multiple of 4, got 2"),
    (lambda d: d["model"].update(input_shape=[8, 8]),
     r"model.input_shape: expected \[height, width, channels\], got \(8, 8\)"),
    (lambda d: d.update(bitstream="../x.bit"),
     r"bitstream: expected a relative path inside the package, got '../x.bit'"),
])
def test_schema_errors_name_the_field(tmp_path: Path, edit, message: str) -> None:  # noqa: ANN001
    root = _board_package(tmp_path / "pkg")
    data = json.loads((root / MANIFEST_FILE).read_text())
    edit(data)
    (root / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(PackageSchemaError, match=rf"^manifest.json: {message}$"):
        load_package(root)


def test_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageNotFoundError, match=r"^'.*nowhere' is not a package: no such "
                                                   r"folder$"):
        load_package(tmp_path / "nowhere")
    with pytest.raises(PackageNotFoundError, match=r"^'.*' is not a package: no manifest.json$"):
        load_package(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{")
    with pytest.raises(PackageSchemaError, match=r"^manifest.json: not valid JSON \(.*\)$"):
        load_package(tmp_path)


def test_constructors_validate_eagerly() -> None:
    with pytest.raises(PackageSchemaError,
                       match=r"^manifest.json: core 'e'.vlnv: expected "
                             r"vendor:library:name:version, got 'edge'$"):
        CoreSpec(name="e", kind=CoreKind.EDGE, vlnv="edge", base_address=None, registers={},
                 stream_in_bits=8, stream_out_bits=8, ppc=1, max_width=8, max_height=8)
    with pytest.raises(PackageSchemaError,
                       match=r"^manifest.json: model.input_shape\[2\]: expected 1 or 3 "
                             r"channels, got 2$"):
        ModelSpec(name="m", input_shape=(8, 8, 2), classes=("a",), preprocessing={},
                  scores={"bits": 8, "fraction": 0, "signed": False}, files={})


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ppc", 3, r"core 'edge'\.ppc: expected one of \(1, 2, 4, 8\), got 3"),
    ("stream_in_bits", 16, r"core 'edge'\.stream_in_bits/stream_out_bits: expected \[32 or 96, "
                           r"32\] \(8 or 24 \* ppc in, 8 \* ppc out\), got \[16, 32\]"),
    ("max_height", 65535, r"core 'edge'\.max_height: expected "),
])
def test_edited_edge_core_is_refused_whole_at_open(tmp_path: Path, field, value, message) -> None:  # noqa: ANN001
    import json

    from fpgacnn.spec.package import derive_build_id

    (tmp_path / "pkg").mkdir()
    write_package(tmp_path / "pkg", cores=[edge_core_spec(ppc=4, max_width=64, max_height=48)],
                  model=None, clock_hz=100_000_000)
    path = tmp_path / "pkg" / "manifest.json"
    data = json.loads(path.read_text())
    data["cores"][0][field] = value
    data["build_id"] = derive_build_id(data)  # an edit that recomputed the id
    path.write_text(json.dumps(data))
    with pytest.raises(PackageSchemaError, match=r"^manifest.json: " + message):
        load_package(tmp_path / "pkg")
