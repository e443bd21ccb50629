"""The configuration of a board build, serialised to JSON in its output folder."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from fpgacnn.spec.edge import (
    DEFAULT_MAX_HEIGHT,
    DEFAULT_MAX_WIDTH,
    MAX_FRAME_HEIGHT,
    MAX_FRAME_WIDTH,
    SUPPORTED_PPC,
)
from fpgacnn.spec.errors import ConfigError

#: Name of the serialised configuration inside the output folder.
CONFIG_FILE = "build_config.json"


class EdgeInput(enum.Enum):
    """What the edge core's DMA carries (the one place this is decided: a build option,
    recorded in the tree's ``build_config.json`` and, through the edge core's
    ``stream_in_bits`` in the package manifest, read by the driver). Default
    :attr:`COLOR` (:attr:`BuildConfig.edge_input`)."""

    #: 8-bit gray pixels; the host converts a colour frame to gray
    GRAY = "gray"
    #: 24-bit BGR pixels as OpenCV delivers them, each beat padded to the DMA's width
    #: (fpgacnn.spec.dma); ``fcnn_rgb2gray`` in the fabric makes the edge core's gray
    COLOR = "color"


class ClassifierInput(enum.Enum):
    """Where the classifier's input image is cut from the frame (a build option, recorded
    in the tree's ``build_config.json``; the emulated board and the driver read the design
    it gives). Default :attr:`FABRIC` (:attr:`BuildConfig.classifier_input`); a model
    whose input rule the crop block cannot make is refused at ``generate`` with a
    :class:`~fpgacnn.boards.sources.BuildInputError` that names ``--classifier-input host``."""

    #: the host crops and downscales (numpy) and sends the image through the classifier
    #: DMA's MM2S channel
    HOST = "host"
    #: the fabric: the edge DMA's stream is broadcast to the edge path and to
    #: ``fcnn_crop_scale_dma``, which feeds the classifier; the classifier DMA only receives
    FABRIC = "fabric"


class CoreFlow(enum.Enum):
    """How the classifier core becomes hardware."""

    RTL = "rtl"  # the open RTL backend's SystemVerilog (hw/build/<model>/rtl/filelist.f)
    HLS = "hls"  # hls4ml's Vitis HLS project, synthesised and exported as IP by the build


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    """Everything that decides the generated tree of one board build.

    ``model_dir`` is the model's firmware folder (``hw/build/<model>/``: the
    hls4ml conversion and, for the RTL flow, ``rtl/filelist.f``).
    ``template_dir`` is an optional folder searched before the shipped
    templates, to override them or fill their hook blocks.
    """

    board: str
    model: str
    model_dir: Path
    out_dir: Path
    core_flow: CoreFlow = CoreFlow.HLS
    edge_ppc: int = 1
    edge_max_width: int = DEFAULT_MAX_WIDTH
    edge_max_height: int = DEFAULT_MAX_HEIGHT
    #: the whole frame path in the PL by default: colour frames to the edge DMA,
    #: ``fcnn_rgb2gray``, and the classifier's crop in the fabric (the host only moves
    #: frames); ``GRAY`` / ``HOST`` are the explicit host-side options
    edge_input: EdgeInput = EdgeInput.COLOR
    classifier_input: ClassifierInput = ClassifierInput.FABRIC
    jobs: int = 2
    template_dir: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.core_flow, CoreFlow):
            raise ConfigError(f"core_flow must be a CoreFlow, got {self.core_flow!r}")
        if not isinstance(self.edge_input, EdgeInput):
            raise ConfigError(f"edge_input must be an EdgeInput, got {self.edge_input!r}")
        if not isinstance(self.classifier_input, ClassifierInput):
            raise ConfigError(f"classifier_input must be a ClassifierInput, got "
                              f"{self.classifier_input!r}")
        if self.edge_ppc not in SUPPORTED_PPC:
            raise ConfigError(f"edge_ppc must be one of {SUPPORTED_PPC}, got {self.edge_ppc}")
        if not 1 <= self.edge_max_width <= MAX_FRAME_WIDTH or \
                not 1 <= self.edge_max_height <= MAX_FRAME_HEIGHT:
            raise ConfigError(f"edge frame maxima must be 1..{MAX_FRAME_WIDTH} x "
                              f"1..{MAX_FRAME_HEIGHT}, got "
                             f"{self.edge_max_width}x{self.edge_max_height}")
        if self.jobs < 1:
            raise ConfigError(f"jobs must be at least 1, got {self.jobs}")
        if self.template_dir is not None and not Path(self.template_dir).is_dir():
            raise ConfigError(f"template_dir must be an existing folder of templates, got "
                              f"{str(self.template_dir)!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (enums by value, paths as strings)."""
        d = asdict(self)
        d["core_flow"] = self.core_flow.value
        d["edge_input"] = self.edge_input.value
        d["classifier_input"] = self.classifier_input.value
        for k in ("model_dir", "out_dir", "template_dir"):
            d[k] = None if d[k] is None else str(d[k])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildConfig:
        """Inverse of :meth:`to_dict`."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in data.items() if k in known}
        d["core_flow"] = CoreFlow(d["core_flow"])
        # a tree written before the options existed has the gray, host-cropped design
        d["edge_input"] = EdgeInput(d.get("edge_input", EdgeInput.GRAY.value))
        d["classifier_input"] = ClassifierInput(d.get("classifier_input",
                                                      ClassifierInput.HOST.value))
        for k in ("model_dir", "out_dir", "template_dir"):
            if d.get(k) is not None:
                d[k] = Path(d[k])
        return cls(**d)

    def write(self, out_dir: Path) -> Path:
        """Write ``build_config.json`` into ``out_dir``; return its path."""
        path = Path(out_dir) / CONFIG_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path
