"""The plan of one board design: cores, DMAs, address map, hardware id (no file I/O).

Everything the Tcl templates print comes from a :class:`Design`; the templates
hold Vivado syntax, this module holds the decisions.

Data movers: each core gets one AXI DMA in simple (register) mode, no
scatter-gather. The classifier's stream is packet-framed (``tlast`` on an
image's last pixel). The edge core itself speaks AXI4-Stream *video*
(``tuser`` = start of frame, ``tlast`` = end of line), which an AXI DMA cannot
produce; the packaged edge IP is therefore its DMA wrapper ``fcnn_edge_dma``,
which frames the DMA's MM2S stream itself (no ``tuser``, ``tlast`` only at the
end of the transfer; lines counted from the WIDTH/HEIGHT registers) and ends
each output frame with one ``tlast``: one transfer is one frame each way.

The edge path's input (:class:`~fpgacnn.boards.config.EdgeInput`, the build option
``edge_input``): ``gray``, the DMA carries PPC 8-bit pixels per beat; ``color``, it
carries PPC 24-bit BGR pixels per beat as OpenCV frames lie in memory, each beat
padded to the DMA's stream width by :func:`fpgacnn.spec.dma.dma_stream_bits` (the
rule the driver reads: e.g. 96 -> 128 bits at PPC 4), narrowed back by a subset
converter, and ``fcnn_rgb2gray`` (per pixel, framing passed through) makes the gray
stream the edge IP frames. The host then sends the frame it has and does no
colour-to-gray.

The classifier's input (:class:`~fpgacnn.boards.config.ClassifierInput`, the build
option ``classifier_input``): ``host``, the host crops and downscales each frame and
the classifier DMA's MM2S channel carries the image; ``fabric``, the edge DMA's stream
(after the colour path's subset converter, before ``fcnn_rgb2gray``) goes through
``fcnn_axis_broadcast`` to the edge path and to ``fcnn_crop_scale_dma`` (the crop
block behind the DMA's framing, PPC pixels per beat in, one pixel per clock through the
crop), which streams the classifier's image into the classifier; the classifier DMA
then has no MM2S channel. The crop block takes the colour frame itself (BT.601 gray
rounded once, after the resize, as the package's crop rule computes it), so its
image is the host's to the bit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpgacnn.spec.build_id import BUILD_ID_CELL, id_params
from fpgacnn.spec.dma import (
    DMA_LENGTH_BITS,  # noqa: F401 - re-exported
    DMA_STREAM_WIDTHS,
    DmaWidthError,
    dma_stream_bits,
)

from .address_map import Segment, place
from .board import Board, PsType
from .config import BuildConfig, ClassifierInput, CoreFlow, EdgeInput
from .sources import (
    BROADCAST_TOP,
    CROP_TOP,
    EDGE_TOP,
    HLS_FILES,
    RGB2GRAY_TOP,
    BuildInputError,
    ClassifierSources,
    tree_paths,
)

#: VLNVs of the IP this build packages (the edge IP is the DMA wrapper ``fcnn_edge_dma``).
EDGE_VLNV = f"fpgacnn:fpgacnn:{EDGE_TOP}:1.0"
HLS_CLASSIFIER_VLNV = "fpgacnn:hls:fcnn_classifier:1.0"
RGB2GRAY_VLNV = f"fpgacnn:fpgacnn:{RGB2GRAY_TOP}:1.0"
BROADCAST_VLNV = f"fpgacnn:fpgacnn:{BROADCAST_TOP}:1.0"
CROP_VLNV = f"fpgacnn:fpgacnn:{CROP_TOP}:1.0"
#: Block-design cells of the fabric classifier input.
CROP_CELL = "crop"
BROADCAST_CELL = "frame_bcast"
# DMA_STREAM_WIDTHS and DMA_LENGTH_BITS (re-exported for boards.build) live in the contracts
# layer, fpgacnn.spec.dma, which the pynq driver and the emulated board read too.


def edge_frame_bytes(cfg: BuildConfig) -> int:
    """Bytes of the largest edge frame: MAX_HEIGHT lines of ceil(MAX_WIDTH/PPC) beats."""
    return cfg.edge_max_height * -(-cfg.edge_max_width // cfg.edge_ppc) * cfg.edge_ppc


def dma_stream_width(bits: int, what: str) -> int:
    """The narrowest stream width a DMA accepts that holds ``bits``
    (:func:`fpgacnn.spec.dma.dma_stream_bits`, the rule the driver reads too)."""
    try:
        return dma_stream_bits(bits)
    except DmaWidthError:
        raise BuildInputError(f"{what} is {bits} bits wide; an AXI DMA stream carries at most "
                              f"{DMA_STREAM_WIDTHS[-1]}") from None


@dataclass(frozen=True, kw_only=True)
class StreamPad:
    """An AXI4-Stream subset converter from ``from_bits`` to ``to_bits`` of TDATA.

    Widening fills the new most significant bits with zeros; narrowing drops
    them (the DMA's stream is wider than the core's, the high bits are padding).
    """

    cell: str
    from_bits: int
    to_bits: int

    @property
    def tdata_remap(self) -> str:
        """The converter's TDATA_REMAP expression."""
        if self.to_bits <= self.from_bits:
            return f"tdata[{self.to_bits - 1}:0]"
        return f"{self.to_bits - self.from_bits}'b0,tdata[{self.from_bits - 1}:0]"


@dataclass(frozen=True, kw_only=True)
class Classifier:
    """The classifier core as instantiated in the block design."""

    flow: CoreFlow
    vlnv: str
    top: str
    clock_pin: str
    reset_pin: str
    reset_active_low: bool
    stream_in_bits: int
    stream_out_bits: int
    dma_in_bits: int
    dma_out_bits: int
    pad_in: StreamPad | None
    pad_out: StreamPad | None
    files: tuple[str, ...]  # tree-relative HDL files (RTL flow)


@dataclass(frozen=True, kw_only=True)
class CropPath:
    """The fabric classifier input: broadcast of the edge DMA's stream, crop block."""

    params: dict[str, int]  # fcnn_crop_scale_dma's HDL parameters
    in_bits: int  # the broadcast's and the crop block's input stream (PPC pixels)
    out_bits: int  # the crop block's output (one classifier pixel)
    pad_out: StreamPad | None  # crop output -> classifier input width
    broadcast_files: tuple[str, ...]  # tree-relative
    files: tuple[str, ...]  # tree-relative


@dataclass(frozen=True, kw_only=True)
class Design:
    """Everything the templates need for one board build."""

    cfg: BuildConfig
    board: Board
    hw_id: str  # 16 hex digits, reported by the build-id block (fpgacnn.spec.build_id)
    edge_files: tuple[str, ...]  # tree-relative
    build_id_files: tuple[str, ...]  # tree-relative
    edge_bits: int  # the edge IP's streams (8 bits per pixel)
    edge_input: EdgeInput = EdgeInput.GRAY
    edge_in_bits: int = 0  # what the edge DMA's MM2S carries per beat for the core (unpadded)
    edge_dma_in_bits: int = 0  # the edge DMA's MM2S stream width
    edge_pad_in: StreamPad | None = None  # DMA width -> edge_in_bits (colour path)
    rgb2gray_files: tuple[str, ...] = ()  # tree-relative (colour path)
    classifier: Classifier
    crop: CropPath | None = None  # the fabric classifier input
    segments: tuple[Segment, ...]
    interrupts: tuple[str, ...]  # cell/pin, in the order of the interrupt controller's inputs

    @property
    def is_mpsoc(self) -> bool:
        """Zynq UltraScale+ (zynq_ultra_ps_e) rather than Zynq-7000."""
        return self.board.ps is PsType.ZYNQMP

    @property
    def build_id_params(self) -> dict[str, int]:
        """The HDL parameters of the build-id block (``BUILD_ID_LO``/``BUILD_ID_HI``)."""
        return id_params(self.hw_id)

    @property
    def dma_masters(self) -> tuple[str, ...]:
        """The DMAs' AXI masters on the memory interconnect, in its slave-port order."""
        return ("edge_dma/M_AXI_MM2S", "edge_dma/M_AXI_S2MM") + \
            (() if self.crop else ("classifier_dma/M_AXI_MM2S",)) + ("classifier_dma/M_AXI_S2MM",)

    @property
    def bitstream_name(self) -> str:
        """The bitstream's file name in the package (``.hwh`` beside it, same base name)."""
        return f"fcnn_{self.board.name}.bit"

    @property
    def hwh_name(self) -> str:
        """The hardware handoff's file name in the package (what PYNQ's Overlay parses)."""
        return f"fcnn_{self.board.name}.hwh"

    def segment(self, cell: str) -> Segment:
        """The address segment of ``cell``."""
        return next(s for s in self.segments if s.cell == cell)

    def template_vars(self) -> dict[str, Any]:
        """The variables every template sees."""
        return {"d": self, "board": self.board, "cfg": self.cfg, "ps": self.board.profile,
                "CoreFlow": CoreFlow}


#: The AXI interrupt controller (Xilinx ``axi_intc``) between the DMAs' interrupts and the
#: PS, as PYNQ's own base overlays have it: PYNQ records an IP's interrupts only behind one.
INTC_CELL = "axi_intc_0"

#: The AXI4-Lite slaves of the block design as (cell, interface, address block[, pin]), in
#: address order from the control master's base (64 KiB each, boards.address_map).
SLAVES: tuple[tuple[str, ...], ...] = (
    (BUILD_ID_CELL, "s_axil", "reg0"),
    ("edge", "s_axil", "reg0"),
    ("edge_dma", "S_AXI_LITE", "Reg"),
    ("classifier_dma", "S_AXI_LITE", "Reg"),
    (INTC_CELL, "S_AXI", "Reg", "s_axi"),
)


#: The fabric classifier input's crop block, placed after :data:`SLAVES` (the others keep
#: their addresses).
CROP_SLAVE = (CROP_CELL, "s_axil", "reg0")


def address_map(board: Board, *, fabric_crop: bool = False) -> tuple[Segment, ...]:
    """The AXI4-Lite address map of the block design on ``board`` (what Vivado assigns);
    ``fabric_crop``: with the crop block of the fabric classifier input."""
    return tuple(place(SLAVES + ((CROP_SLAVE,) if fabric_crop else ()), board.master))


def _hash_files(h: Any, files: list[Path], root: Path | None = None) -> None:
    names = tree_paths(files, "") if root is None else \
        tuple(f.relative_to(root).as_posix() for f in files)
    for name, f in sorted(zip(names, files, strict=True)):
        h.update(name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())


def hardware_id(cfg: BuildConfig, board: Board, edge: list[Path], cls: ClassifierSources,
                templates: list[Path], build_id: list[Path] | None = None,
                rgb2gray: list[Path] | None = None,
                frame_path: list[Path] | None = None) -> str:
    """A 64-bit id of everything that decides the bitstream, as 16 hex digits.

    It covers the build configuration (not its paths), the board data, the
    bytes of every HDL/HLS source and of the templates; it is baked into the
    build-id block (``hw/rtl/fcnn_build_id.sv``, whose sources ``build_id`` it covers
    too) so the driver can tell which generated tree a loaded bitstream came from.
    """
    h = hashlib.sha256()
    conf = {k: v for k, v in cfg.to_dict().items()
            if k not in ("out_dir", "model_dir", "template_dir")}
    h.update(json.dumps({"cfg": conf, "board": board.to_dict()}, sort_keys=True).encode())
    _hash_files(h, edge)
    _hash_files(h, list(build_id or []))
    if cfg.edge_input is EdgeInput.COLOR:
        _hash_files(h, list(rgb2gray or []))
    if cfg.classifier_input is ClassifierInput.FABRIC:
        _hash_files(h, list(frame_path or []))
    _hash_files(h, templates)
    if cls.flow is CoreFlow.RTL:
        _hash_files(h, list(cls.rtl_files))
    else:
        _hash_files(h, cls.firmware_files() + [cls.model_dir / f for f in HLS_FILES],
                    cls.model_dir)
    return h.hexdigest()[:16]


def plan(cfg: BuildConfig, board: Board, edge: list[Path], cls: ClassifierSources,
         hw_id: str, build_id: list[Path] | None = None,
         rgb2gray: list[Path] | None = None,
         frame_path: tuple[list[Path], list[Path]] | None = None) -> Design:
    """Decide the block design of ``cfg`` on ``board`` (``rgb2gray``: the colour-to-gray
    block's sources, used when ``cfg.edge_input`` is colour; ``frame_path``: the
    broadcast's and the crop block's sources, used when ``cfg.classifier_input`` is
    fabric)."""
    frame = edge_frame_bytes(cfg)
    if frame >= 1 << DMA_LENGTH_BITS:
        raise ValueError(f"an edge frame of {cfg.edge_max_width}x{cfg.edge_max_height} is "
                         f"{frame} bytes; one AXI DMA transfer carries at most "
                         f"{(1 << DMA_LENGTH_BITS) - 1} (lower the edge frame maxima)")
    in_bits, out_bits = cls.stream_in_bits, cls.stream_out_bits
    dma_in = dma_stream_width(in_bits, "the classifier input stream")
    dma_out = dma_stream_width(out_bits, "the classifier output stream")
    if cls.flow is CoreFlow.HLS:
        vlnv, top, clk, rst, low = HLS_CLASSIFIER_VLNV, "fcnn_axis_top", "ap_clk", "ap_rst_n", True
        files: tuple[str, ...] = ()
    else:
        vlnv = f"fpgacnn:fpgacnn:{cls.rtl_top}:1.0"
        top, clk, rst, low = cls.rtl_top, "clk", "rst", False
        files = tree_paths(cls.rtl_files, "src/classifier")
    classifier = Classifier(
        flow=cls.flow, vlnv=vlnv, top=top, clock_pin=clk, reset_pin=rst, reset_active_low=low,
        stream_in_bits=in_bits, stream_out_bits=out_bits, dma_in_bits=dma_in,
        dma_out_bits=dma_out,
        pad_in=None if dma_in == in_bits else StreamPad(cell="classifier_in_pad",
                                                        from_bits=dma_in, to_bits=in_bits),
        pad_out=None if dma_out == out_bits else StreamPad(cell="classifier_out_pad",
                                                           from_bits=out_bits, to_bits=dma_out),
        files=files,
    )
    fabric = cfg.classifier_input is ClassifierInput.FABRIC
    segments = address_map(board, fabric_crop=fabric)
    color = cfg.edge_input is EdgeInput.COLOR
    edge_in = (24 if color else 8) * cfg.edge_ppc
    crop = _crop_path(cfg, cls, edge_in, frame_path) if fabric else None
    edge_dma_in = dma_stream_width(edge_in, "the edge core's input stream")
    if color and frame // cfg.edge_ppc * (edge_dma_in // 8) >= 1 << DMA_LENGTH_BITS:
        raise ValueError(f"a colour edge frame of {cfg.edge_max_width}x{cfg.edge_max_height} "
                         f"does not fit one AXI DMA transfer (lower the edge frame maxima)")
    return Design(
        edge_input=cfg.edge_input, edge_in_bits=edge_in, edge_dma_in_bits=edge_dma_in,
        edge_pad_in=StreamPad(cell="edge_in_pad", from_bits=edge_dma_in, to_bits=edge_in)
        if edge_dma_in != edge_in else None,
        rgb2gray_files=tree_paths(rgb2gray or [], "src/rgb2gray") if color else (),
        cfg=cfg, board=board, hw_id=hw_id,
        edge_files=tree_paths(edge, "src/edge"), edge_bits=8 * cfg.edge_ppc,
        build_id_files=tree_paths(build_id or [], "src/build_id"),
        classifier=classifier, crop=crop, segments=tuple(segments),
        interrupts=("edge_dma/mm2s_introut", "edge_dma/s2mm_introut")
        + (() if fabric else ("classifier_dma/mm2s_introut",)) + ("classifier_dma/s2mm_introut",),
    )


def _crop_path(cfg: BuildConfig, cls: ClassifierSources, edge_in_bits: int,
               frame_path: tuple[list[Path], list[Path]] | None) -> CropPath:
    """The fabric classifier input of ``cfg`` (:class:`BuildInputError` for a model input
    the crop block cannot make)."""
    from fpgacnn.spec.crop_scale import hdl_parameters
    from fpgacnn.spec.errors import ConfigError
    from fpgacnn.spec.frames import CropRule
    from fpgacnn.spec.preprocess import ColorMode, InputSpec

    h, w, c = cls.input_shape
    try:
        card = json.loads(cls.card.read_text()) if cls.card is not None else {}
        spec = InputSpec.from_dict(card["input"]) if "input" in card else InputSpec(
            height=h, width=w, color=ColorMode.GRAY if c == 1 else ColorMode.RGB)
        color = cfg.edge_input is EdgeInput.COLOR
        params = hdl_parameters(CropRule(), spec, in_channels=3 if color else 1,
                                max_width=cfg.edge_max_width, max_height=cfg.edge_max_height,
                                ppc=cfg.edge_ppc)
    except ConfigError as exc:
        raise BuildInputError(f"classifier_input fabric (the default): {exc}; build with "
                              f"--classifier-input host to crop on the host") from None
    out_bits = 8 * params["OUT_CHANNELS"]
    bc, crop = frame_path or ([], [])
    return CropPath(
        params=params, in_bits=edge_in_bits, out_bits=out_bits,
        pad_out=None if out_bits == cls.stream_in_bits else StreamPad(
            cell="crop_out_pad", from_bits=out_bits, to_bits=cls.stream_in_bits),
        broadcast_files=tree_paths(bc, "src/broadcast"), files=tree_paths(crop, "src/crop"))
