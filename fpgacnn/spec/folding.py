"""The folding record: how parallel each layer of the classifier core is (stdlib only).

A :class:`Folding` says, for every QConv2D/QDense layer of a model in model
order, how the open-RTL generator builds it (:class:`LayerFolding`):

- :attr:`Impl.UNROLLED`: the fully unrolled per-pixel kernel (convolutions only;
  one padded input pixel per clock; ``pe = simd = 1``, ``rom_style = ""``);
- :attr:`Impl.FOLDED`: the folded matrix-vector unit ``fcnn_cnn_mvu`` computing
  ``pe`` outputs x ``simd`` inputs per clock, its weights in a ROM of
  ``rom_style`` ``"block"`` (BRAM) or ``"distributed"`` (LUTRAM), its products in
  LUTs or in DSP slices (``multipliers`` ``"lut"`` or ``"dsp"``).

The folding solver (``fpgacnn.hw.fold.solve``) writes it, ``fpgacnn convert``
saves it as ``folding.json`` (:data:`FOLDING_FILE`) beside its outputs, an
expert may edit that file and feed it back (``--folding``): it is checked
(:meth:`Folding.from_json` here for the record, ``fpgacnn.hw.fold.check_folding``
against the model's layer shapes), never silently changed.

JSON layout (:meth:`Folding.to_json`)::

    {"schema": 1, "model": "cifar10", "board": "pynq-z2", "clock_mhz": 100.0,
     "target_rate": 3000.0,              # images/s asked for; null = fastest that fits
     "layers": [{"layer": "conv1", "impl": "unrolled", "pe": 1, "simd": 1,
                 "rom_style": "", "multipliers": "lut",
                 "cycles_per_image": 1156, "lut": 9000, "ff": 4000, "lutram": 0,
                 "bram36": 0.0, "dsp": 0},    # the solver's estimate (informational)
                ...],
     "estimate": {"cycles_per_image": ..., "lut": ..., ...}}  # whole core (informational)

The estimate fields (per layer, and ``estimate`` for the whole core) are the
solver's resource model; :meth:`Folding.from_json` accepts them (validated as
non-negative numbers), keeps them in :attr:`LayerFolding.estimate` /
:attr:`Folding.estimate`, and they take no part in equality: two foldings with
the same structure are equal whatever their estimates.

A FOLDED convolution's window comes either from the streaming sliding-window unit
``fcnn_cnn_swu`` (SIMD elements per beat; when SIMD divides Cin: :func:`conv_streams`)
or, for SIMD a multiple of Cin (small-Cin first layers), from the whole-window
generator ``fcnn_cnn_window`` (one K*K*Cin window per beat, stride 1 only); any other
SIMD is refused (:func:`conv_simd_error`).

Per-layer cycles per image (the solver and the generator's
``initiation_interval`` agree on it; :func:`conv_cycles`, :func:`dense_cycles`):
UNROLLED conv ``(H+2P)*(W+2P)``; FOLDED conv through the sliding-window unit
``max(H*W, OH*OW*(K*K*Cin/SIMD)*(Cout/PE))``, through the whole-window generator
``max((H+2P)*(W+2P), OH*OW*(K*K*Cin/SIMD)*(Cout/PE))``; FOLDED dense
``max(IN_LEN/C_IN, (IN_LEN/SIMD)*(N/PE))``. The core's initiation interval is
the maximum over its layers.

Every refusal is a :class:`FoldingError` (a :class:`~fpgacnn.spec.errors.ConfigError`)
with one line naming the field, what was expected and what came.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

#: File name of the folding record beside a conversion's outputs.
FOLDING_FILE = "folding.json"
#: Version of the JSON layout this module reads and writes.
FOLDING_SCHEMA = 1
#: The ROM styles of a folded layer's weight memory (Xilinx ``rom_style`` attribute).
ROM_STYLES = ("block", "distributed")
#: Where a folded unit multiplies: LUT logic (``fcnn_cnn_mvu`` USE_DSP = 0) or DSP slices
#: (USE_DSP = 1, one per PE x SIMD lane). Optional in JSON (absent = "lut").
MULTIPLIERS = ("lut", "dsp")


class FoldingError(ConfigError):
    """A folding record or a folding that the model or the board cannot take."""


class Impl(str, enum.Enum):
    """How one compute layer is built."""

    #: the fully unrolled per-pixel kernel (convolutions only): one pixel per clock
    UNROLLED = "unrolled"
    #: the folded matrix-vector unit ``fcnn_cnn_mvu`` (PE x SIMD per clock)
    FOLDED = "folded"


#: Names of the estimate fields (per layer and for the whole core), in JSON order.
ESTIMATE_FIELDS = ("cycles_per_image", "lut", "ff", "lutram", "bram36", "dsp")


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """The solver's resource estimate of a layer or of the whole core (informational).

    ``lutram`` counts the LUTs used as memory (they are part of ``lut``);
    ``bram36`` counts 36-Kbit block RAMs (an 18-Kbit half counts 0.5).
    """

    cycles_per_image: int = 0
    lut: int = 0
    ff: int = 0
    lutram: int = 0
    bram36: float = 0.0
    dsp: int = 0

    def __post_init__(self) -> None:
        for name in ESTIMATE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise FoldingError(f"estimate {name}: expected a non-negative number, "
                                   f"got {value!r}")

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON object (``bram36`` a float, the others integers)."""
        return {name: (float(self.bram36) if name == "bram36" else int(getattr(self, name)))
                for name in ESTIMATE_FIELDS}


def _fail(where: str, expected: str, got: Any) -> FoldingError:
    return FoldingError(f"{where}: expected {expected}, got {got!r}")


def _pos_int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(where, "a positive integer", value)
    return value


def _name(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, "a non-empty string", value)
    return value


def _pos_float(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise _fail(where, "a positive finite number", value)
    return float(value)


@dataclass(frozen=True, kw_only=True)
class LayerFolding:
    """The folding of one QConv2D/QDense layer (validated on construction)."""

    #: the Keras layer name
    layer: str
    impl: Impl
    #: outputs (output channels) computed in parallel; 1 for UNROLLED
    pe: int = 1
    #: input elements multiplied per clock; 1 for UNROLLED
    simd: int = 1
    #: "block" | "distributed" for FOLDED, "" for UNROLLED
    rom_style: str = ""
    #: "lut" | "dsp": the folded unit's products in LUTs or DSP slices ("lut" if UNROLLED)
    multipliers: str = "lut"
    #: the solver's estimate of this layer (informational, not compared)
    estimate: Estimate | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _name("layer", self.layer)
        if not isinstance(self.impl, Impl):
            raise _fail(f"layer '{self.layer}' impl", "one of 'unrolled', 'folded'", self.impl)
        _pos_int(f"layer '{self.layer}' pe", self.pe)
        _pos_int(f"layer '{self.layer}' simd", self.simd)
        if self.impl is Impl.UNROLLED:
            if (self.pe, self.simd) != (1, 1):
                raise FoldingError(f"layer '{self.layer}': an unrolled layer has pe = simd = 1, "
                                   f"got pe={self.pe} simd={self.simd}")
            if self.rom_style != "":
                raise _fail(f"layer '{self.layer}' rom_style", "'' for an unrolled layer",
                            self.rom_style)
        elif self.rom_style not in ROM_STYLES:
            raise _fail(f"layer '{self.layer}' rom_style", "'block' or 'distributed'",
                        self.rom_style)
        if self.multipliers not in MULTIPLIERS:
            raise _fail(f"layer '{self.layer}' multipliers", "'lut' or 'dsp'", self.multipliers)
        if self.impl is Impl.UNROLLED and self.multipliers != "lut":
            raise _fail(f"layer '{self.layer}' multipliers", "'lut' for an unrolled layer",
                        self.multipliers)
        if self.estimate is not None and not isinstance(self.estimate, Estimate):
            raise _fail(f"layer '{self.layer}' estimate", "an Estimate or None", self.estimate)

    def to_json(self) -> dict[str, Any]:
        """The layer as a JSON object (the estimate's fields flattened into it)."""
        d: dict[str, Any] = {"layer": self.layer, "impl": self.impl.value, "pe": self.pe,
                             "simd": self.simd, "rom_style": self.rom_style,
                             "multipliers": self.multipliers}
        if self.estimate is not None:
            d.update(self.estimate.to_json())
        return d


@dataclass(frozen=True, kw_only=True)
class Folding:
    """The folding of a whole classifier core (validated on construction)."""

    #: the model's name
    model: str
    #: the board it was solved for (None: no board, e.g. a hand-written folding)
    board: str | None
    #: the clock the rates refer to, MHz
    clock_mhz: float
    #: images/s asked for; None = the fastest that fits
    target_rate: float | None
    #: one per QConv2D/QDense layer, in model order
    layers: tuple[LayerFolding, ...]
    #: the solver's estimate of the whole core (informational, not compared)
    estimate: Estimate | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _name("model", self.model)
        if self.board is not None:
            _name("board", self.board)
        _pos_float("clock_mhz", self.clock_mhz)
        if self.target_rate is not None:
            _pos_float("target_rate", self.target_rate)
        if not isinstance(self.layers, tuple) or not self.layers \
                or not all(isinstance(lf, LayerFolding) for lf in self.layers):
            raise _fail("layers", "a non-empty tuple of LayerFolding", self.layers)
        seen: set[str] = set()
        for lf in self.layers:
            if lf.layer in seen:
                raise FoldingError(f"layers: layer '{lf.layer}' appears more than once")
            seen.add(lf.layer)
        if self.estimate is not None and not isinstance(self.estimate, Estimate):
            raise _fail("estimate", "an Estimate or None", self.estimate)

    def layer(self, name: str) -> LayerFolding:
        """The folding of layer ``name`` (FoldingError if it has none)."""
        for lf in self.layers:
            if lf.layer == name:
                return lf
        raise FoldingError(f"the folding has no layer '{name}' (it has: "
                           f"{', '.join(lf.layer for lf in self.layers)})")

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (:func:`from_json` reads it back)."""
        d: dict[str, Any] = {"schema": FOLDING_SCHEMA, "model": self.model, "board": self.board,
                             "clock_mhz": self.clock_mhz, "target_rate": self.target_rate,
                             "layers": [lf.to_json() for lf in self.layers]}
        if self.estimate is not None:
            d["estimate"] = self.estimate.to_json()
        return d

    @staticmethod
    def from_json(d: Any, *, source: str = "folding") -> Folding:
        """Validate a parsed JSON record and return the :class:`Folding`.

        Refuses unknown keys, missing keys, wrong types and out-of-range values with
        a :class:`FoldingError` whose message starts with ``source`` and names the field.
        """
        return _folding_from_json(d, source)


_TOP_KEYS = ("schema", "model", "board", "clock_mhz", "target_rate", "layers")
_LAYER_KEYS = ("layer", "impl", "pe", "simd", "rom_style")


def _estimate_from(where: str, d: dict[str, Any]) -> Estimate | None:
    values = {}
    for name in ESTIMATE_FIELDS:
        if name not in d:
            continue
        v = d[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or v < 0:
            raise _fail(f"{where}.{name}", "a non-negative number", v)
        if name != "bram36" and not isinstance(v, int):
            raise _fail(f"{where}.{name}", "a non-negative integer", v)
        values[name] = v
    return Estimate(**values) if values else None


def _check_keys(where: str, d: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    if not isinstance(d, dict):
        raise _fail(where, "a JSON object", type(d).__name__)
    unknown = sorted(set(d) - set(required) - set(optional))
    if unknown:
        raise FoldingError(f"{where}: unknown key '{unknown[0]}' (expected: "
                           f"{', '.join((*required, *optional))})")
    for key in required:
        if key not in d:
            raise FoldingError(f"{where}: missing key '{key}'")


def _folding_from_json(d: Any, source: str) -> Folding:
    _check_keys(source, d, _TOP_KEYS, ("estimate",))
    if d["schema"] != FOLDING_SCHEMA or isinstance(d["schema"], bool):
        raise _fail(f"{source}: schema", str(FOLDING_SCHEMA), d["schema"])
    model = _name(f"{source}: model", d["model"])
    board = None if d["board"] is None else _name(f"{source}: board", d["board"])
    clock = _pos_float(f"{source}: clock_mhz", d["clock_mhz"])
    rate = None if d["target_rate"] is None else _pos_float(f"{source}: target_rate",
                                                            d["target_rate"])
    if not isinstance(d["layers"], list) or not d["layers"]:
        raise _fail(f"{source}: layers", "a non-empty list", d["layers"])
    layers = []
    for i, ld in enumerate(d["layers"]):
        where = f"{source}: layers[{i}]"
        _check_keys(where, ld, _LAYER_KEYS, ("multipliers", *ESTIMATE_FIELDS))
        name = _name(f"{where}.layer", ld["layer"])
        try:
            impl = Impl(ld["impl"])
        except ValueError:
            raise _fail(f"{where}.impl", "'unrolled' or 'folded'", ld["impl"]) from None
        pe = _pos_int(f"{where}.pe", ld["pe"])
        simd = _pos_int(f"{where}.simd", ld["simd"])
        rom = ld["rom_style"]
        if impl is Impl.UNROLLED and (pe, simd) != (1, 1):
            raise FoldingError(f"{where} ('{name}'): an unrolled layer has pe = simd = 1, "
                               f"got pe={pe} simd={simd}")
        if impl is Impl.UNROLLED and rom != "":
            raise _fail(f"{where}.rom_style", "'' for an unrolled layer", rom)
        if impl is Impl.FOLDED and rom not in ROM_STYLES:
            raise _fail(f"{where}.rom_style", "'block' or 'distributed'", rom)
        mult = ld.get("multipliers", "lut")
        if mult not in MULTIPLIERS or (impl is Impl.UNROLLED and mult != "lut"):
            raise _fail(f"{where}.multipliers", "'lut'" if impl is Impl.UNROLLED
                        else "'lut' or 'dsp'", mult)
        layers.append(LayerFolding(layer=name, impl=impl, pe=pe, simd=simd, rom_style=rom,
                                   multipliers=mult, estimate=_estimate_from(where, ld)))
    names = [lf.layer for lf in layers]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise FoldingError(f"{source}: layers[{i}].layer: layer '{n}' appears more than once")
    estimate = None
    if "estimate" in d:
        _check_keys(f"{source}: estimate", d["estimate"], (), ESTIMATE_FIELDS)
        estimate = _estimate_from(f"{source}: estimate", d["estimate"])
    return Folding(model=model, board=board, clock_mhz=clock, target_rate=rate,
                   layers=tuple(layers), estimate=estimate)


#: The resource kinds of a part that the solver budgets, in JSON order.
RESOURCE_FIELDS = ("lut", "ff", "lutram", "bram36", "dsp")


@dataclass(frozen=True, kw_only=True)
class Resources:
    """A part's programmable-logic resources (or a budget of them).

    ``lut``: CLB LUTs; ``ff``: CLB flip-flops; ``lutram``: LUTs that can be
    distributed RAM/ROM (a subset of ``lut``); ``bram36``: 36-Kbit block RAMs;
    ``dsp``: DSP slices. A board file (``boards/defs/<board>.json``) carries its
    part's figures as ``"resources"`` (:meth:`from_json`).
    """

    lut: int
    ff: int
    lutram: int
    bram36: int
    dsp: int

    def __post_init__(self) -> None:
        for name in RESOURCE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _fail(f"resources.{name}", "a non-negative integer", value)

    def to_json(self) -> dict[str, int]:
        """The figures as a JSON object."""
        return {name: getattr(self, name) for name in RESOURCE_FIELDS}

    @staticmethod
    def from_json(d: Any, *, source: str = "resources") -> Resources:
        """Validate ``{"lut", "ff", "lutram", "bram36", "dsp"}`` (plus an optional
        ``"datasheet"`` string naming where the figures come from)."""
        _check_keys(source, d, RESOURCE_FIELDS, ("datasheet",))
        for name in RESOURCE_FIELDS:
            v = d[name]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _fail(f"{source}.{name}", "a non-negative integer", v)
        if "datasheet" in d:
            _name(f"{source}.datasheet", d["datasheet"])
        return Resources(**{name: d[name] for name in RESOURCE_FIELDS})


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a folding is solved for: a board's name, its part, PL clock and resources."""

    board: str
    part: str
    clock_mhz: float
    resources: Resources

    def __post_init__(self) -> None:
        _name("target board", self.board)
        _name("target part", self.part)
        _pos_float("target clock_mhz", self.clock_mhz)
        if not isinstance(self.resources, Resources):
            raise _fail("target resources", "a Resources", self.resources)


def read_folding(path: Path | str) -> Folding:
    """Read and validate a folding file; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise FoldingError(f"{path}: cannot read the folding file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FoldingError(f"{path}: invalid JSON: {exc.msg} at line {exc.lineno}") from None
    return Folding.from_json(data, source=str(path))


def write_folding(path: Path | str, folding: Folding) -> None:
    """Write ``folding`` as JSON (indented, one layer per block) to ``path``."""
    Path(path).write_text(json.dumps(folding.to_json(), indent=2) + "\n")


def conv_streams(cin: int, simd: int) -> bool:
    """Whether a FOLDED convolution with ``cin`` input channels at ``simd`` takes its window
    from the streaming sliding-window unit (SIMD divides Cin; module doc)."""
    return simd >= 1 and cin % simd == 0


def conv_simd_error(*, k: int, cin: int, simd: int, stride: int = 1) -> str | None:
    """Why a FOLDED convolution cannot have ``simd`` (one line), or None when it can.

    SIMD must divide Cin (the sliding-window unit's beats), or, at stride 1, be a
    multiple of Cin dividing K*K*Cin (the whole window in one beat, for small-Cin
    first layers)."""
    if conv_streams(cin, simd):
        return None
    if stride == 1 and simd % cin == 0 and (k * k * cin) % simd == 0:
        return None
    also = (f" or, at stride 1, a multiple of {cin} dividing its {k * k * cin} window "
            "elements") if stride == 1 else f" (stride {stride})"
    return f"simd must divide its {cin} input channels{also}, got {simd}"


def conv_cycles(*, impl: Impl, h: int, w: int, pad: int, k: int, cin: int, cout: int,
                pe: int = 1, simd: int = 1, stride: int = 1,
                out_hw: tuple[int, int] | None = None) -> int:
    """Cycles per image of a convolution on an (h, w, cin) input (see the module doc).

    ``out_hw`` is (OH, OW) when the padding is not ``pad`` on every side (Keras 'same'
    with a stride: the extra row/column at the bottom/right); default
    ``((h + 2*pad - k)//stride + 1, ...)``."""
    padded = (h + 2 * pad) * (w + 2 * pad)
    if impl is Impl.UNROLLED:
        return padded
    oh, ow = out_hw if out_hw is not None else ((h + 2 * pad - k) // stride + 1,
                                                (w + 2 * pad - k) // stride + 1)
    steps = h * w if conv_streams(cin, simd) else padded
    return max(steps, oh * ow * ((k * k * cin) // simd) * (cout // pe))


def dense_cycles(*, in_len: int, c_in: int, n: int, pe: int, simd: int) -> int:
    """Cycles per image of a folded dense layer (see the module doc)."""
    return max(in_len // c_in, (in_len // simd) * (n // pe))


__all__ = [
    "ESTIMATE_FIELDS",
    "Estimate",
    "FOLDING_FILE",
    "FOLDING_SCHEMA",
    "Folding",
    "FoldingError",
    "Impl",
    "LayerFolding",
    "RESOURCE_FIELDS",
    "ROM_STYLES",
    "MULTIPLIERS",
    "Resources",
    "Target",
    "conv_cycles",
    "conv_simd_error",
    "conv_streams",
    "dense_cycles",
    "read_folding",
    "write_folding",
]
