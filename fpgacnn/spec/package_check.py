"""A deployment package checked whole, against itself and its model files (stdlib only).

:func:`~fpgacnn.spec.package.load_package` checks the manifest's schema field by
field, the build id and every file's hash. :func:`check_package` then checks
what the runtime will read, all at once, so an edited manifest (its build id
recomputed) is refused when the package is opened, with one line naming the
field, instead of failing later with an ``IndexError`` or ``KeyError`` when a
frame first needs the field:

- the edge core's HDL parameters agree with its ``ppc`` / ``max_width`` / ``max_height``;
- a classifier core has a model; it takes one pixel per beat (``ppc`` 1), its
  frame is the model's ``input_shape``, its output width is
  :class:`~fpgacnn.spec.cores.ClassifierOutputLayout` of the model's classes and
  score bits, its input width one pixel of whole bytes; its ``params["input"]``
  (:data:`~fpgacnn.spec.crop_scale.CLASSIFIER_INPUT_PARAM`), when present, is
  ``fabric`` or ``host``, and with ``fabric`` the crop block can apply the model's
  crop rule to the edge core's frames
  (:func:`~fpgacnn.spec.crop_scale.hdl_parameters`);
- the model: unique class names, at most 256 (the label is 8 bits), the score
  format (``bits`` 1..64, ``fraction`` an integer, ``signed`` a bool), the
  preprocessing (crop rule and input spec parse; the input spec's shape is
  ``input_shape``);
- the model files: the card (``files.card``) names the same classes and input;
  the conversion (``files.csim``, ``conversion.json``) has the same input shape,
  classes count and score type; the generated core (``files.rtl``, ``rtl.json``)
  has the same input shape, classes, score format and stream widths.

Every refusal is :class:`~fpgacnn.spec.package.PackageSchemaError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .cores import LABEL_BITS, ClassifierOutputLayout
from .crop_scale import CLASSIFIER_INPUT_PARAM, FABRIC_INPUT, hdl_parameters
from .errors import ConfigError, FpgacnnError
from .frames import CropRule
from .package import MANIFEST_FILE, CoreKind, CoreSpec, ModelSpec, Package, PackageSchemaError
from .preprocess import InputSpec

__all__ = ["check_package"]

#: The record of an ``fpgacnn convert`` folder and of a generated RTL core.
CONVERSION_RECORD = "conversion.json"
RTL_RECORD = "rtl.json"


def _fail(where: str, expected: str, got: Any) -> PackageSchemaError:
    return PackageSchemaError(f"{MANIFEST_FILE}: {where}: expected {expected}, got {got!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_edge(core: CoreSpec) -> None:
    where = f"cores[{core.name!r}].params"
    for key, value in (("PPC", core.ppc), ("MAX_WIDTH", core.max_width),
                       ("MAX_HEIGHT", core.max_height)):
        if key in core.params and core.params[key] != value:
            raise _fail(f"{where}.{key}", f"{value} (the core's {key.lower()})",
                        core.params[key])


def _check_model(model: ModelSpec) -> InputSpec:
    scores = model.scores
    if not _is_int(scores["bits"]) or not 1 <= scores["bits"] <= 64:
        raise _fail("model.scores.bits", "an integer in 1..64", scores["bits"])
    if not _is_int(scores["fraction"]) or abs(scores["fraction"]) > 64:
        raise _fail("model.scores.fraction", "an integer in -64..64", scores["fraction"])
    if not isinstance(scores["signed"], bool):
        raise _fail("model.scores.signed", "true or false", scores["signed"])
    n = len(model.classes)
    if n > 1 << LABEL_BITS:
        raise _fail("model.classes", f"at most {1 << LABEL_BITS} classes (8-bit label)", n)
    if len(set(model.classes)) != n:
        raise _fail("model.classes", "unique names", list(model.classes))
    pre = model.preprocessing
    try:
        CropRule.from_dict(pre)
    except (FpgacnnError, KeyError, TypeError, ValueError) as exc:
        raise _fail("model.preprocessing", "a crop rule (region, fraction, full_scale, "
                    "invert)", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(pre.get("input"), Mapping):
        raise _fail("model.preprocessing.input", "the model's input spec (an object)",
                    pre.get("input"))
    try:
        spec = InputSpec.from_dict(pre["input"])
    except (FpgacnnError, KeyError, TypeError, ValueError) as exc:
        raise _fail("model.preprocessing.input", "an input spec (height, width, color, "
                    "resize)", f"{type(exc).__name__}: {exc}") from None
    if spec.shape != model.input_shape:
        raise _fail("model.preprocessing.input", f"the shape of model.input_shape "
                    f"{list(model.input_shape)}", list(spec.shape))
    return spec


def _check_classifier(core: CoreSpec, model: ModelSpec) -> None:
    where = f"cores[{core.name!r}]"
    h, w, c = model.input_shape
    if core.ppc != 1:
        raise _fail(f"{where}.ppc", "1 (the classifier takes one pixel per beat)", core.ppc)
    if (core.max_height, core.max_width) != (h, w):
        raise _fail(f"{where}.max_height/max_width", f"[{h}, {w}] (model.input_shape)",
                    [core.max_height, core.max_width])
    widths = sorted({-(-(c * e) // 8) * 8 for e in range(1, 17)})
    if core.stream_in_bits not in widths:
        raise _fail(f"{where}.stream_in_bits", f"one pixel of {c} channels in whole bytes "
                    f"(one of {widths[:4]}...)", core.stream_in_bits)
    out = ClassifierOutputLayout(n_classes=len(model.classes),
                                 score_bits=model.scores["bits"]).tdata_bits
    if core.stream_out_bits != out:
        raise _fail(f"{where}.stream_out_bits", f"{out} ({len(model.classes)} scores of "
                    f"{model.scores['bits']} bits, label, status, whole bytes)",
                    core.stream_out_bits)


def _check_classifier_input(cls: CoreSpec, edge: CoreSpec | None, model: ModelSpec) -> None:
    where = f"cores[{cls.name!r}].params.{CLASSIFIER_INPUT_PARAM}"
    value = cls.params.get(CLASSIFIER_INPUT_PARAM)
    if value is None or value == "host":
        return
    if value != FABRIC_INPUT:
        raise _fail(where, f"{FABRIC_INPUT!r} or 'host'", value)
    if edge is None:
        raise _fail(where, "'host' (no edge core streams the frames to the crop block)", value)
    try:
        hdl_parameters(CropRule.from_dict(model.preprocessing),
                       InputSpec.from_dict(model.preprocessing["input"]),
                       in_channels=3 if edge.stream_in_bits == 24 * edge.ppc else 1,
                       max_width=edge.max_width, max_height=edge.max_height, ppc=edge.ppc)
    except ConfigError as exc:
        raise _fail(where, f"'host' (the crop block cannot cut this input: {exc})",
                    value) from None


def _record(package: Package, role: str, name: str) -> dict[str, Any] | None:
    model = package.manifest.model
    rel = None if model is None else model.files.get(role)
    if rel is None:
        return None
    path = package.file(rel) / name if name else package.file(rel)
    where = f"model.files.{role}"
    if not path.is_file():
        raise _fail(where, f"a file {path.relative_to(package.path).as_posix()!r} in the package",
                    "nothing")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(where, f"{path.name} as JSON", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(where, f"{path.name} holding an object", type(data).__name__)
    return data


def _get(data: Mapping[str, Any], where: str, *keys: str) -> Any:
    cur: Any = data
    for k in keys:
        if not isinstance(cur, Mapping) or k not in cur:
            raise _fail(where, f"a record with {'.'.join(keys)}", "none")
        cur = cur[k]
    return cur


def _same(where: str, theirs: Any, ours: Any, what: str) -> None:
    if theirs != ours:
        raise _fail(where, f"{ours!r} ({what})", theirs)


def _check_files(package: Package, model: ModelSpec, core: CoreSpec | None) -> None:
    shape = list(model.input_shape)
    card = _record(package, "card", "")
    if card is not None:
        w = f"model.files.card ({model.files['card']})"
        _same(f"{w}: classes", [str(c) for c in _get(card, w, "classes")], list(model.classes),
              "model.classes")
        spec = _get(card, w, "input")
        _same(f"{w}: input shape", [spec.get("height"), spec.get("width"), spec.get("channels")]
              if isinstance(spec, Mapping) else spec, shape, "model.input_shape")
    conv = _record(package, "csim", CONVERSION_RECORD)
    if conv is not None:
        w = f"model.files.csim ({model.files['csim']}/{CONVERSION_RECORD})"
        _same(f"{w}: input.shape", _get(conv, w, "input", "shape"), shape, "model.input_shape")
        _same(f"{w}: output.shape", _get(conv, w, "output", "shape"), [len(model.classes)],
              "one score per class of model.classes")
        t = _get(conv, w, "output", "type")
        if isinstance(t, Mapping):
            _same(f"{w}: output.type.width", t.get("width"), model.scores["bits"],
                  "model.scores.bits")
            if _is_int(t.get("width")) and _is_int(t.get("integer")):
                _same(f"{w}: output.type fraction bits", t["width"] - t["integer"],
                      model.scores["fraction"], "model.scores.fraction")
            _same(f"{w}: output.type.signed", t.get("signed"), model.scores["signed"],
                  "model.scores.signed")
    rtl = _record(package, "rtl", RTL_RECORD)
    if rtl is not None:
        w = f"model.files.rtl ({model.files['rtl']}/{RTL_RECORD})"
        _same(f"{w}: input.shape", _get(rtl, w, "input", "shape"), shape, "model.input_shape")
        out = _get(rtl, w, "output")
        for key, want, what in (("classes", len(model.classes), "len(model.classes)"),
                                ("score_bits", model.scores["bits"], "model.scores.bits"),
                                ("score_fraction", model.scores["fraction"],
                                 "model.scores.fraction")):
            _same(f"{w}: output.{key}", _get(out, w, key), want, what)
        if core is not None:
            _same(f"{w}: input.tdata_bits", _get(rtl, w, "input", "tdata_bits"),
                  core.stream_in_bits, f"cores[{core.name!r}].stream_in_bits")
            _same(f"{w}: output.tdata_bits", _get(out, w, "tdata_bits"), core.stream_out_bits,
                  f"cores[{core.name!r}].stream_out_bits")


def check_package(package: Package) -> None:
    """Check ``package`` whole (this module's docstring); :class:`PackageSchemaError` naming
    the first field that disagrees, with what was expected and what was found."""
    m = package.manifest
    for core in m.cores:
        if core.kind is CoreKind.EDGE:
            _check_edge(core)
    cls = m.core(CoreKind.CLASSIFIER)
    if m.model is None:
        if cls is not None:
            raise _fail("model", f"the model of classifier core {cls.name!r}", None)
        return
    _check_model(m.model)
    if cls is not None:
        _check_classifier(cls, m.model)
        _check_classifier_input(cls, m.core(CoreKind.EDGE), m.model)
    _check_files(package, m.model, cls)
