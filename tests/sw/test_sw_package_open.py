"""A package whose manifest was edited (its build id recomputed) is refused at
``Pipeline.open`` with one line naming the field, never later with IndexError,
KeyError or ValueError (spec.package_check). The package is the session's digits
simulation package (with its C-sim conversion and generated RTL core)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fpgacnn.spec.package import MANIFEST_FILE, PackageSchemaError, derive_build_id
from fpgacnn.sw.pipeline import Pipeline


def _classifier(d: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in d["cores"] if c["kind"] == "classifier")


def _edge(d: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in d["cores"] if c["kind"] == "edge")


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(d: dict[str, Any]) -> None:
        cur = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value
    return edit


def _shape(h: int, w: int, c: int) -> Callable[[dict[str, Any]], None]:
    """input_shape edited consistently in the manifest: only the model files disagree."""
    def edit(d: dict[str, Any]) -> None:
        d["model"]["input_shape"] = [h, w, c]
        d["model"]["preprocessing"]["input"].update(height=h, width=w)
        cls = _classifier(d)
        cls.update(max_height=h, max_width=w)
    return edit


def _drop_class(d: dict[str, Any]) -> None:
    d["model"]["classes"] = d["model"]["classes"][:-1]


def _drop_class_and_width(d: dict[str, Any]) -> None:
    _drop_class(d)
    n, bits = len(d["model"]["classes"]), d["model"]["scores"]["bits"]
    _classifier(d)["stream_out_bits"] = -(-(n * bits + 16) // 8) * 8


EDITS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("edge ppc 3", lambda d: _edge(d).update(ppc=3),
     r"core 'edge'\.ppc: expected one of \(1, 2, 4, 8\), got 3$"),
    ("edge params", lambda d: _edge(d)["params"].update(PPC=8),
     r"cores\['edge'\]\.params\.PPC: expected 4 \(the core's ppc\), got 8$"),
    ("classifier ppc 3", lambda d: _classifier(d).update(ppc=3),
     r"cores\['classifier'\]\.ppc: expected 1 \(the classifier takes one pixel per beat\), "
     r"got 3$"),
    ("classifier frame", lambda d: _classifier(d).update(max_width=9),
     r"cores\['classifier'\]\.max_height/max_width: expected \[8, 8\] \(model\.input_shape\), "
     r"got \[8, 9\]$"),
    ("stream_out_bits", lambda d: _classifier(d).update(stream_out_bits=160),
     r"cores\['classifier'\]\.stream_out_bits: expected 168 \(10 scores of 15 bits, label, "
     r"status, whole bytes\), got 160$"),
    ("stream_in_bits", lambda d: _classifier(d).update(stream_in_bits=24),
     r"cores\['classifier'\]\.stream_in_bits: expected one pixel of 1 channels"),
    ("input_shape alone", _set("model", "input_shape", value=[16, 16, 1]),
     r"model\.preprocessing\.input: expected the shape of model\.input_shape \[16, 16, 1\], "
     r"got \[8, 8, 1\]$"),
    ("input_shape vs model files", _shape(16, 16, 1),
     r"model\.files\.card \(model/model\.json\): input shape: expected \[16, 16, 1\] "
     r"\(model\.input_shape\), got \[8, 8, 1\]$"),
    ("classes count", _drop_class,
     r"cores\['classifier'\]\.stream_out_bits: expected 152 \(9 scores .*, got 168$"),
    ("classes count vs model files", _drop_class_and_width,
     r"model\.files\.card \(model/model\.json\): classes: expected \[.*\] \(model\.classes\), "
     r"got \[.*'9'\]$"),
    ("duplicate classes", lambda d: d["model"]["classes"].__setitem__(1, "0"),
     r"model\.classes: expected unique names"),
    ("score bits type", _set("model", "scores", "bits", value="15"),
     r"model\.scores\.bits: expected an integer in 1\.\.64, got '15'$"),
    ("score fraction vs conversion", _set("model", "scores", "fraction", value=3),
     r"model\.files\.csim \(csim/conversion\.json\): output\.type fraction bits: expected 3 "
     r"\(model\.scores\.fraction\), got 7$"),
    ("no input spec", lambda d: d["model"]["preprocessing"].pop("input"),
     r"model\.preprocessing\.input: expected the model's input spec \(an object\), got None$"),
    ("bad crop region", _set("model", "preprocessing", "region", value="left"),
     r"model\.preprocessing: expected a crop rule"),
    ("bad colour", _set("model", "preprocessing", "input", "color", value="cmyk"),
     r"model\.preprocessing\.input: expected an input spec"),
    ("classifier input unknown", lambda d: _classifier(d)["params"].update(input="dma"),
     r"cores\['classifier'\]\.params\.input: expected 'fabric' or 'host', got 'dma'$"),
    ("fabric crop of a bilinear model",
     _set("model", "preprocessing", "input", "resize", value="bilinear"),
     r"cores\['classifier'\]\.params\.input: expected 'host' \(the crop block cannot cut "
     r"this input: the fabric crop-and-downscale implements resize 'area' only, got "
     r"'bilinear' .*\), got 'fabric'$"),
    ("no model", _set("model", value=None),
     r"model: expected the model of classifier core 'classifier', got None$"),
]


@pytest.fixture(scope="module")
def clean(sim_package: Path) -> dict[str, Any]:
    return json.loads((sim_package / MANIFEST_FILE).read_text())


@pytest.mark.parametrize(("edit", "message"), [(e, m) for _, e, m in EDITS],
                         ids=[n for n, _, _ in EDITS])
def test_edited_manifest_refused_at_open(sim_package: Path, clean: dict[str, Any],
                                         tmp_path: Path, edit, message: str) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(sim_package, pkg)
    data = json.loads(json.dumps(clean))
    edit(data)
    data["build_id"] = derive_build_id(data)
    (pkg / MANIFEST_FILE).write_text(json.dumps(data, indent=2))
    with pytest.raises(PackageSchemaError, match=r"^manifest\.json: " + message) as info:
        Pipeline.open(pkg, "reference", classify=False)
    assert "\n" not in str(info.value)


def test_clean_package_opens(sim_package: Path) -> None:
    with Pipeline.open(sim_package, "reference", classify=False) as p:
        assert p.package.manifest.model is not None
