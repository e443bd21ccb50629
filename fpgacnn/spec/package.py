"""The deployment package: what the board and the simulators load (numpy/stdlib only).

A package is a folder::

    manifest.json          this module's schema (below)
    <bitstream>.bit/.hwh   board packages only (``Manifest.bitstream`` / ``.hwh``)
    model/model.h5         the QKeras model (``reference`` backend), when there is a model
    csim/                  an ``fpgacnn convert`` folder (``csim`` backend), optional
    ...                    anything else; every file except manifest.json is hashed

``manifest.json`` holds ``schema_version`` (:data:`SCHEMA_VERSION`), ``build_id``,
``created`` (ISO 8601 UTC), ``board`` (None for simulation packages), ``clock_hz``,
``cores`` (a list of :class:`CoreSpec`), ``model`` (a :class:`ModelSpec` or None),
``bitstream`` / ``hwh`` (relative paths or None) and ``files`` (relative path ->
sha256 of every file of the folder except ``manifest.json``).

``build_id`` is derived from the content: the first 16 hex digits of the sha256 of
the canonical JSON of everything in the manifest except ``build_id`` and
``created``. So a package whose files or description were changed after it was
written no longer matches its build id. :func:`load_package` refuses a package
whose schema is wrong (:class:`PackageSchemaError`), whose files are missing,
extra or differ from their sha256 (:class:`PackageFileError`,
:class:`PackageHashError`), or whose build id does not match
(:class:`BuildIdMismatchError`), with messages naming expected and actual values.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .edge import MAX_FRAME_HEIGHT, MAX_FRAME_WIDTH, SUPPORTED_PPC
from .errors import ArtifactError
from .hashing import sha256_file, sha256_text

log = logging.getLogger(__name__)

#: Version of the manifest layout this module reads and writes.
SCHEMA_VERSION = 1
#: The manifest's file name inside a package folder.
MANIFEST_FILE = "manifest.json"


class PackageError(ArtifactError):
    """Base class of every error about a deployment package."""


class PackageNotFoundError(PackageError):
    """The path is not a package folder (missing, or no manifest.json)."""


class PackageSchemaError(PackageError):
    """manifest.json is not valid JSON or does not follow the schema."""


class PackageFileError(PackageError):
    """A file listed in the manifest is missing, or a file in the folder is not listed."""


class PackageHashError(PackageError):
    """A file's sha256 differs from the manifest's."""


class BuildIdMismatchError(PackageError):
    """The build id differs from the one derived from the manifest or the one expected."""


class CoreKind(enum.Enum):
    """What a hardware core does."""

    EDGE = "edge"
    CLASSIFIER = "classifier"


def _fail(where: str, expected: str, got: Any) -> PackageSchemaError:
    return PackageSchemaError(f"{MANIFEST_FILE}: {where}: expected {expected}, got {got!r}")


def _int(where: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (
        hi is not None and value > hi
    ):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise _fail(where, f"an integer {rng}", value)
    return value


def _str(where: str, value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise _fail(where, "a non-empty string", value)
    return value


def _rel_path(where: str, value: Any) -> str:
    text = _str(where, value)
    p = Path(text)
    if p.is_absolute() or ".." in p.parts or "\\" in text or text == MANIFEST_FILE:
        raise _fail(where, "a relative path inside the package", value)
    return p.as_posix()


def _mapping(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "an object", value)
    return value


@dataclass(frozen=True, kw_only=True)
class CoreSpec:
    """One hardware core of the package.

    ``vlnv`` is the IP's vendor:library:name:version (drivers bind by it);
    ``base_address`` its AXI4-Lite base on the board (None in simulation packages);
    ``registers`` register name -> byte offset; ``stream_in_bits``/``stream_out_bits``
    the AXI4-Stream tdata widths; ``ppc`` pixels (edge) or input pixels (classifier)
    per beat; ``max_width``/``max_height`` the largest frame (edge) or the input
    size (classifier); ``dma`` the name of the AXI DMA that feeds it on the board
    (None in simulation packages); ``params`` the core's HDL parameters (what the
    ``rtl`` backend builds).
    """

    name: str
    kind: CoreKind
    vlnv: str
    base_address: int | None
    registers: Mapping[str, int]
    stream_in_bits: int
    stream_out_bits: int
    ppc: int
    max_width: int
    max_height: int
    dma: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate(f"core {self.name!r}")


    def validate(self, where: str) -> None:
        """Raise :class:`PackageSchemaError` (prefixed with ``where``) unless consistent."""
        _str(f"{where}.name", self.name)
        if not isinstance(self.kind, CoreKind):
            raise _fail(f"{where}.kind", "a CoreKind", self.kind)
        if len(_str(f"{where}.vlnv", self.vlnv).split(":")) != 4:
            raise _fail(f"{where}.vlnv", "vendor:library:name:version", self.vlnv)
        if self.base_address is not None:
            _int(f"{where}.base_address", self.base_address, 0, 2**64 - 1)
        regs = _mapping(f"{where}.registers", self.registers)
        for key, off in regs.items():
            _str(f"{where}.registers key", key)
            if _int(f"{where}.registers.{key}", off, 0, 0xFFFF) % 4:
                raise _fail(f"{where}.registers.{key}", "a multiple of 4", off)
        for name in ("stream_in_bits", "stream_out_bits"):
            bits = _int(f"{where}.{name}", getattr(self, name), 8, 4096)
            if bits % 8:
                raise _fail(f"{where}.{name}", "a multiple of 8", bits)
        _int(f"{where}.ppc", self.ppc, 1, 64)
        _int(f"{where}.max_width", self.max_width, 1, MAX_FRAME_WIDTH)
        _int(f"{where}.max_height", self.max_height, 1, MAX_FRAME_HEIGHT)
        if self.kind is CoreKind.EDGE:
            if self.ppc not in SUPPORTED_PPC:
                raise _fail(f"{where}.ppc", f"one of {SUPPORTED_PPC}", self.ppc)
            # input: 8 * ppc gray, or 24 * ppc BGR on a board whose frame path turns
            # colour to gray in the fabric (fcnn_rgb2gray before the core)
            if self.stream_in_bits not in (8 * self.ppc, 24 * self.ppc) or \
                    self.stream_out_bits != 8 * self.ppc:
                raise _fail(f"{where}.stream_in_bits/stream_out_bits",
                            f"[{8 * self.ppc} or {24 * self.ppc}, {8 * self.ppc}] "
                            "(8 or 24 * ppc in, 8 * ppc out)",
                            [self.stream_in_bits, self.stream_out_bits])
        if self.dma is not None:
            _str(f"{where}.dma", self.dma)
        _mapping(f"{where}.params", self.params)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the manifest's ``cores[i]``)."""
        return {
            "name": self.name, "kind": self.kind.value, "vlnv": self.vlnv,
            "base_address": self.base_address, "registers": dict(self.registers),
            "stream_in_bits": self.stream_in_bits, "stream_out_bits": self.stream_out_bits,
            "ppc": self.ppc, "max_width": self.max_width, "max_height": self.max_height,
            "dma": self.dma, "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "cores[?]") -> CoreSpec:
        """Rebuild from :meth:`to_dict` output; :class:`PackageSchemaError` on bad data."""
        d = _mapping(where, data)
        _require(where, d, ("name", "kind", "vlnv", "base_address", "registers",
                            "stream_in_bits", "stream_out_bits", "ppc", "max_width",
                            "max_height"))
        kinds = [k.value for k in CoreKind]
        if d["kind"] not in kinds:
            raise _fail(f"{where}.kind", f"one of {kinds}", d["kind"])
        return cls(
            name=d["name"], kind=CoreKind(d["kind"]), vlnv=d["vlnv"],
            base_address=d["base_address"],
            registers=dict(_mapping(f"{where}.registers", d["registers"])),
            stream_in_bits=d["stream_in_bits"], stream_out_bits=d["stream_out_bits"],
            ppc=d["ppc"], max_width=d["max_width"], max_height=d["max_height"],
            dma=d.get("dma"), params=dict(_mapping(f"{where}.params", d.get("params", {}))),
        )


#: ``manifest.hardware`` of a board package: the 64-bit hardware id the bitstream reports
#: (``id``, 16 hex digits), the IP that reports it (``ip``: its name in the overlay's
#: ``ip_dict``, at ``base_address``) and the offsets of its low and high 32-bit words.
HARDWARE_KEYS = ("id", "ip", "base_address", "low_offset", "high_offset")


def _hardware(value: Any) -> dict[str, Any]:
    d = _mapping("hardware", value)
    _require("hardware", d, HARDWARE_KEYS)
    hw_id = d["id"]
    if not (isinstance(hw_id, str) and len(hw_id) == 16
            and all(ch in "0123456789abcdef" for ch in hw_id)):
        raise _fail("hardware.id", "16 lower-case hex digits", hw_id)
    _str("hardware.ip", d["ip"])
    _int("hardware.base_address", d["base_address"], 0, 2**64 - 1)
    for key in ("low_offset", "high_offset"):
        if _int(f"hardware.{key}", d[key], 0, 0xFFFF) % 4:
            raise _fail(f"hardware.{key}", "a multiple of 4", d[key])
    return {k: d[k] for k in HARDWARE_KEYS}


#: ``manifest.image`` of a board package: the board image the package is built for, from the
#: board file (boards/defs): PYNQ image version, its Python, its numpy bound and the Vivado
#: the bitstream was built with.
IMAGE_KEYS = ("pynq", "python", "numpy", "vivado")


def _image(value: Any) -> dict[str, str]:
    d = _mapping("image", value)
    _require("image", d, IMAGE_KEYS)
    return {k: _str(f"image.{k}", d[k]) for k in IMAGE_KEYS}


def _require(where: str, d: Mapping[str, Any], keys: Sequence[str]) -> None:
    missing = [k for k in keys if k not in d]
    if missing:
        raise PackageSchemaError(f"{MANIFEST_FILE}: {where}: missing keys {missing}")


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """The classifier's model: what the runtime needs to feed it and read it.

    ``input_shape`` is (height, width, channels); ``classes`` the label of each
    score; ``preprocessing`` the rule that cuts the classifier's input from a frame
    (:class:`fpgacnn.spec.frames.CropRule` serialised; see there); ``scores``
    the score format (``{"bits", "fraction", "signed"}`` fixed point, as in hls4ml);
    ``files`` role -> relative path (``"keras"``: the QKeras model file,
    ``"csim"``: the ``fpgacnn convert`` folder, ``"card"``: the model card).
    """

    name: str
    input_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    preprocessing: Mapping[str, Any]
    scores: Mapping[str, Any]
    files: Mapping[str, str]

    def __post_init__(self) -> None:
        self.validate("model")

    def validate(self, where: str) -> None:
        """Raise :class:`PackageSchemaError` unless consistent."""
        _str(f"{where}.name", self.name)
        shape = self.input_shape
        if not isinstance(shape, tuple) or len(shape) != 3:
            raise _fail(f"{where}.input_shape", "[height, width, channels]", shape)
        for i, v in enumerate(shape):
            _int(f"{where}.input_shape[{i}]", v, 1, 65535)
        if shape[2] not in (1, 3):
            raise _fail(f"{where}.input_shape[2]", "1 or 3 channels", shape[2])
        if not isinstance(self.classes, tuple) or len(self.classes) < 1:
            raise _fail(f"{where}.classes", "a non-empty list of names", self.classes)
        for i, c in enumerate(self.classes):
            _str(f"{where}.classes[{i}]", c)
        _mapping(f"{where}.preprocessing", self.preprocessing)
        scores = _mapping(f"{where}.scores", self.scores)
        _require(f"{where}.scores", scores, ("bits", "fraction", "signed"))
        for role, path in _mapping(f"{where}.files", self.files).items():
            _rel_path(f"{where}.files.{role}", path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the manifest's ``model``)."""
        return {
            "name": self.name, "input_shape": list(self.input_shape),
            "classes": list(self.classes), "preprocessing": dict(self.preprocessing),
            "scores": dict(self.scores), "files": dict(self.files),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "model") -> ModelSpec:
        """Rebuild from :meth:`to_dict` output; :class:`PackageSchemaError` on bad data."""
        d = _mapping(where, data)
        _require(where, d, ("name", "input_shape", "classes", "preprocessing", "scores",
                            "files"))
        if not isinstance(d["input_shape"], list):
            raise _fail(f"{where}.input_shape", "[height, width, channels]", d["input_shape"])
        if not isinstance(d["classes"], list):
            raise _fail(f"{where}.classes", "a non-empty list of names", d["classes"])
        return cls(
            name=d["name"], input_shape=tuple(d["input_shape"]), classes=tuple(d["classes"]),
            preprocessing=dict(_mapping(f"{where}.preprocessing", d["preprocessing"])),
            scores=dict(_mapping(f"{where}.scores", d["scores"])),
            files=dict(_mapping(f"{where}.files", d["files"])),
        )


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The content of ``manifest.json`` (see the module docstring)."""

    schema_version: int
    build_id: str
    created: str
    board: str | None
    clock_hz: int
    cores: tuple[CoreSpec, ...]
    model: ModelSpec | None
    bitstream: str | None
    hwh: str | None
    files: Mapping[str, str]
    #: board packages: where the bitstream reports its hardware id (see :data:`HARDWARE_KEYS`)
    hardware: Mapping[str, Any] | None = None
    #: board packages: the board image they are built for (see :data:`IMAGE_KEYS`)
    image: Mapping[str, str] | None = None

    def core(self, kind: CoreKind) -> CoreSpec | None:
        """The first core of ``kind``, or None."""
        return next((c for c in self.cores if c.kind is kind), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, keys in schema order."""
        return {
            "schema_version": self.schema_version, "build_id": self.build_id,
            "created": self.created, "board": self.board, "clock_hz": self.clock_hz,
            "cores": [c.to_dict() for c in self.cores],
            "model": None if self.model is None else self.model.to_dict(),
            "bitstream": self.bitstream, "hwh": self.hwh, "files": dict(self.files),
            **({} if self.hardware is None else {"hardware": dict(self.hardware)}),
            **({} if self.image is None else {"image": dict(self.image)}),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Validate and rebuild; :class:`PackageSchemaError` names the first bad field."""
        d = _mapping("top level", data)
        if "schema_version" not in d:
            raise PackageSchemaError(f"{MANIFEST_FILE}: top level: missing keys "
                                     "['schema_version']")
        if d["schema_version"] != SCHEMA_VERSION:
            raise _fail("schema_version", str(SCHEMA_VERSION), d["schema_version"])
        _require("top level", d, ("build_id", "created", "board", "clock_hz", "cores",
                                  "model", "bitstream", "hwh", "files"))
        if not isinstance(d["cores"], list):
            raise _fail("cores", "a list", d["cores"])
        cores = tuple(CoreSpec.from_dict(c, f"cores[{i}]") for i, c in enumerate(d["cores"]))
        names = [c.name for c in cores]
        if len(set(names)) != len(names):
            raise _fail("cores", "unique core names", names)
        files = _mapping("files", d["files"])
        for path, digest in files.items():
            _rel_path("files key", path)
            if not isinstance(digest, str) or len(digest) != 64:
                raise _fail(f"files.{path}", "a sha256 hex digest", digest)
        board = d["board"]
        if board is not None:
            _str("board", board)
        man = cls(
            schema_version=SCHEMA_VERSION, build_id=_str("build_id", d["build_id"]),
            created=_str("created", d["created"]), board=board,
            clock_hz=_int("clock_hz", d["clock_hz"], 1),
            cores=cores, model=None if d["model"] is None else ModelSpec.from_dict(d["model"]),
            bitstream=None if d["bitstream"] is None else _rel_path("bitstream", d["bitstream"]),
            hwh=None if d["hwh"] is None else _rel_path("hwh", d["hwh"]),
            files=dict(files),
            hardware=None if d.get("hardware") is None else _hardware(d["hardware"]),
            image=None if d.get("image") is None else _image(d["image"]),
        )
        for role, path in (("bitstream", man.bitstream), ("hwh", man.hwh)):
            if path is not None and path not in man.files:
                raise _fail(role, f"a file listed in files ({sorted(man.files)})", path)
        if man.model is not None:
            for role, path in man.model.files.items():
                if path not in man.files and not any(f.startswith(path + "/")
                                                     for f in man.files):
                    raise _fail(f"model.files.{role}", "a file or folder listed in files",
                                path)
        return man


def derive_build_id(manifest: Mapping[str, Any]) -> str:
    """The build id of a manifest dict: sha256 of its canonical JSON without id and date."""
    body = {k: v for k, v in manifest.items() if k not in ("build_id", "created")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return sha256_text(text)[:16]


def _scan(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != MANIFEST_FILE
        and "__pycache__" not in p.parts
    }


@dataclass(frozen=True)
class Package:
    """A loaded, verified package: its folder and manifest."""

    path: Path
    manifest: Manifest

    @property
    def build_id(self) -> str:
        """The package's build id."""
        return self.manifest.build_id

    def file(self, relative: str) -> Path:
        """Absolute path of a file or folder of the package."""
        return self.path / relative

    def core(self, kind: CoreKind) -> CoreSpec | None:
        """The first core of ``kind``, or None."""
        return self.manifest.core(kind)


def write_package(
    out_dir: Path,
    *,
    cores: Sequence[CoreSpec],
    model: ModelSpec | None,
    clock_hz: int,
    board: str | None = None,
    bitstream: str | None = None,
    hwh: str | None = None,
    created: str | None = None,
    hardware: Mapping[str, Any] | None = None,
    image: Mapping[str, str] | None = None,
) -> Package:
    """Hash every file already in ``out_dir``, write ``manifest.json``, return the package.

    The caller puts the payload (bitstream, .hwh, model files, conversion folder) into
    ``out_dir`` first, under the relative paths the specs name. ``created`` defaults to
    now (UTC). The result is verified by :func:`load_package` before it is returned.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise PackageNotFoundError(f"cannot write a package into {str(out_dir)!r}: "
                                   "no such folder")
    created = created or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "build_id": "", "created": created,
        "board": board, "clock_hz": clock_hz, "cores": [c.to_dict() for c in cores],
        "model": None if model is None else model.to_dict(),
        "bitstream": bitstream, "hwh": hwh, "files": _scan(out_dir),
    }
    if hardware is not None:
        data["hardware"] = dict(hardware)
    if image is not None:
        data["image"] = dict(image)
    data["build_id"] = derive_build_id(data)
    Manifest.from_dict(data)  # validate before writing anything
    (out_dir / MANIFEST_FILE).write_text(json.dumps(data, indent=2) + "\n")
    log.info("wrote package %s (build %s, %d files)", out_dir, data["build_id"],
             len(data["files"]))
    return load_package(out_dir)


def load_package(path: Path | str, *, expected_build_id: str | None = None) -> Package:
    """Load and verify the package in folder ``path``.

    Checks, in order: the folder and manifest exist; the manifest parses and follows
    the schema; the build id equals the one derived from the manifest (and
    ``expected_build_id`` when given, e.g. the id the loaded bitstream reports);
    every listed file exists with its sha256 and no unlisted file is present.
    """
    root = Path(path)
    mpath = root / MANIFEST_FILE
    if not root.is_dir():
        raise PackageNotFoundError(f"{str(root)!r} is not a package: no such folder")
    if not mpath.is_file():
        raise PackageNotFoundError(f"{str(root)!r} is not a package: no {MANIFEST_FILE}")
    try:
        data = json.loads(mpath.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageSchemaError(f"{MANIFEST_FILE}: not valid JSON ({exc})") from exc
    manifest = Manifest.from_dict(data)
    derived = derive_build_id(data)
    if manifest.build_id != derived:
        raise BuildIdMismatchError(
            f"build id {manifest.build_id!r} in {MANIFEST_FILE} does not match its content "
            f"(expected {derived!r}); the manifest was edited after the build")
    if expected_build_id is not None and manifest.build_id != expected_build_id:
        raise BuildIdMismatchError(
            f"package build id {manifest.build_id!r} does not match the expected "
            f"{expected_build_id!r}")
    for rel, digest in manifest.files.items():
        f = root / rel
        if not f.is_file():
            raise PackageFileError(f"package file {rel!r} is missing")
        actual = sha256_file(f)
        if actual != digest:
            raise PackageHashError(
                f"package file {rel!r}: sha256 expected {digest}, got {actual}")
    extra = sorted(set(_scan_names(root)) - set(manifest.files))
    if extra:
        raise PackageFileError(f"package has files not in {MANIFEST_FILE}: {extra}")
    return Package(path=root.resolve(), manifest=manifest)


def is_package_dir(path: Path) -> bool:
    """Whether ``path`` holds a package fpgacnn wrote: a ``manifest.json`` of this schema
    family (an object with ``schema_version`` and ``build_id``), valid or not otherwise.

    This is the marker that lets a command replace the folder; a folder with any other
    ``manifest.json`` is the user's and is never replaced.
    """
    try:
        data = json.loads((Path(path) / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "schema_version" in data and "build_id" in data \
        and "files" in data


def _scan_names(root: Path) -> list[str]:
    return [
        p.relative_to(root).as_posix() for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() != MANIFEST_FILE
        and "__pycache__" not in p.parts
    ]


__all__ = [
    "MANIFEST_FILE",
    "is_package_dir",
    "SCHEMA_VERSION",
    "BuildIdMismatchError",
    "CoreKind",
    "CoreSpec",
    "Manifest",
    "ModelSpec",
    "Package",
    "PackageError",
    "PackageFileError",
    "PackageHashError",
    "PackageNotFoundError",
    "PackageSchemaError",
    "derive_build_id",
    "load_package",
    "sha256_file",
    "write_package",
]
