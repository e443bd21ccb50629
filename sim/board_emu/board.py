"""The emulated board: a generated build tree's design, running, behind PYNQ's API.

:class:`EmulatedBoard` ``(tree)`` reads the tree (:mod:`.tree`), instantiates every
address-mapped IP and every core behind a DMA (:mod:`.devices`) and offers a module
object that stands in for ``pynq`` (:meth:`EmulatedBoard.module`: ``Overlay``,
``allocate``, ``DefaultIP``, ``MMIO``). The cores behind the DMAs are the Verilated
RTL: the edge core through :class:`~fpgacnn.sim.edge_harness.EdgeHarness` (its
PPC and frame maxima from the Tcl's CONFIG of the edge cell, its sources the tree's
``src/edge/`` copies), the classifier of the
RTL flow through :class:`~fpgacnn.sim.classifier_harness.ClassifierHarness` (the
conversion folder ``build_config.json`` names, whose ``rtl/`` files the tree copied;
the copies must be identical), the classifier of the HLS flow through the
conversion's hls4ml C simulation (what Vitis HLS synthesises; bit-exact by the
project's equivalence chain). Harness builds are cached, so a second board of the
same design costs no build.

Fault switches: ``board.dma(name).faults`` (:class:`~.devices.DmaFaults`: hang,
short packet, DMASR error bits), ``board.build_id`` (``set_hardware_id``, ``core_id``:
a bitstream of another build / another IP there), ``board.missing`` (IP names the
overlay lacks, e.g. ``{"classifier_dma"}``), ``wait_limit`` (polls after which
``_SDMAChannel.wait`` raises instead of spinning forever).
"""

from __future__ import annotations

import contextlib
import copy
import filecmp
import json
import logging
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fpgacnn.spec.cores import ClassifierOutputLayout
from fpgacnn.spec.errors import SimulationError

from .devices import (
    AxiDma,
    BuildIdBlock,
    ClassifierCore,
    CropScale,
    EdgeCore,
    FrameBroadcast,
    Pad,
    Unmodelled,
    stream_stage,
)
from .pynq_api import MMIO, DefaultIP, Overlay, PynqBuffer
from .tree import BlockDesign, BuildTreeError, ip_dict, read_block_design, read_config

log = logging.getLogger(__name__)

#: First DDR address the emulated allocator hands out (page-aligned buffers follow).
DDR_BASE = 0x1000_0000
PAGE = 4096


class Memory:
    """The device's view of DDR: one region per allocated buffer."""

    def __init__(self) -> None:
        self.regions: dict[int, bytearray] = {}
        self.freed: list[int] = []
        self._next = DDR_BASE

    def allocate(self, nbytes: int) -> int:
        addr = self._next
        self.regions[addr] = bytearray(nbytes)
        self._next += -(-max(nbytes, 1) // PAGE) * PAGE + PAGE
        return addr

    def free(self, addr: int) -> None:
        self.regions.pop(addr, None)
        self.freed.append(addr)

    def _find(self, addr: int, n: int) -> tuple[bytearray, int] | None:
        for base, mem in self.regions.items():
            if base <= addr and addr + n <= base + len(mem):
                return mem, addr - base
        return None

    def device_read(self, addr: int, n: int) -> bytes | None:
        """``n`` bytes at ``addr``, or None when that is not allocated memory."""
        hit = self._find(addr, n)
        return None if hit is None else bytes(hit[0][hit[1]:hit[1] + n])

    def device_write(self, addr: int, data: bytes) -> bool:
        """Write ``data`` at ``addr``; False when that is not allocated memory."""
        hit = self._find(addr, len(data))
        if hit is None:
            return False
        hit[0][hit[1]:hit[1] + len(data)] = data
        return True

    @property
    def live(self) -> int:
        """Buffers allocated and not freed."""
        return len(self.regions)


class EmulatedBoard:
    """The design of build tree ``tree`` on an emulated board (see the module docstring)."""

    def __init__(self, tree: Path | str, *, wait_limit: int | None = None,
                 harness_build_root: Path | None = None) -> None:
        self.tree = Path(tree)
        self.config = read_config(self.tree)
        self.design: BlockDesign = read_block_design(self.tree)
        self.wait_limit = wait_limit
        self.memory = Memory()
        self.now = 0
        self.loaded: list[str] = []
        self.events: list[tuple[Any, ...]] = []
        self.register_writes: list[tuple[str, int, int]] = []
        self.missing: set[str] = set()
        self._build_root = harness_build_root
        self._paused = 0
        self._ip = ip_dict(self.design)
        self.devices: dict[str, Any] = {}
        self.dmas: dict[str, AxiDma] = {}
        self._instantiate()

    # -- construction ---------------------------------------------------------------------
    def _instantiate(self) -> None:
        d = self.design
        for name, entry in self._ip.items():
            if "phys_addr" not in entry:
                continue
            cell = d.cell(name)
            kind = cell.vlnv.split(":")[2]
            if kind == "fcnn_build_id":
                self.devices[name] = BuildIdBlock(cell)
            elif kind not in ("axi_dma", "fcnn_edge_dma", "fcnn_crop_scale_dma"):
                self.devices[name] = Unmodelled(cell)
        for dma_cell in d.cells_of("axi_dma"):
            back_pin, pads_out = d.toward(f"{dma_cell.name}/S_AXIS_S2MM")
            if not dma_cell.int("c_include_mm2s", 1):  # receives what another DMA's frame made
                core_name = back_pin.split("/")[0]
                if core_name not in self.devices:
                    raise BuildTreeError(f"{dma_cell.name} receives from {core_name}, which no "
                                         "DMA's stream reaches")
                core: Any = self.devices[core_name]
                pads_in: list[Any] = []
            else:
                core_pin, pads_in = d.follow(f"{dma_cell.name}/M_AXIS_MM2S")
                core_name = core_pin.split("/")[0]
                if d.cell(core_name).vlnv.split(":")[2] == "fcnn_axis_broadcast":
                    core = self._broadcast(d.cell(core_name), dma_cell, pads_in)
                    core_name = back_pin.split("/")[0]
                else:
                    core = self._core(d.cell(core_name), dma_cell, pads_in)
                    self.devices[core_name] = core
                if back_pin.split("/")[0] != core_name:
                    raise BuildTreeError(f"{dma_cell.name} sends to {core_name} but receives "
                                         f"from {back_pin.split('/')[0]}")
            dma = AxiDma(self, dma_cell, core, [stream_stage(p) for p in pads_in],
                         [Pad(p) for p in pads_out])
            self.devices[dma_cell.name] = self.dmas[dma_cell.name] = dma

    def _core(self, cell: Any, dma_cell: Any, pads_in: list[Any]) -> Any:
        kind = cell.vlnv.split(":")[2]
        if kind == "fcnn_edge_dma":
            from fpgacnn.sim.edge_harness import EdgeHarness
            from fpgacnn.sim.edge_harness_build import default_sources

            # the tree's copies of the core's files (fcnn_edge_core.f), not the checkout's
            sources = [self.tree / "src" / "edge" / f.name for f in default_sources()]
            missing = [str(f) for f in sources if not f.is_file()]
            if missing:
                raise BuildTreeError(f"the tree lacks edge core sources {missing}")
            harness = EdgeHarness(ppc=cell.int("PPC"), max_width=cell.int("MAX_WIDTH"),
                                  max_height=cell.int("MAX_HEIGHT"), sources=sources,
                                  build_root=self._build_root)
            return EdgeCore(self, cell, harness)
        in_bytes = stream_stage(pads_in[-1]).out_bytes if pads_in else \
            dma_cell.int("c_m_axis_mm2s_tdata_width") // 8
        return self._classifier(cell, in_bytes)

    def _broadcast(self, cell: Any, dma_cell: Any, pads_in: list[Any]) -> FrameBroadcast:
        """The fabric classifier input: ``cell`` (fcnn_axis_broadcast) to the edge path
        (m0_axis) and to the crop block feeding the classifier (m1_axis)."""
        d = self.design
        edge_pin, stages = d.follow(f"{cell.name}/m0_axis")
        edge = self._core(d.cell(edge_pin.split("/")[0]), dma_cell, pads_in + stages)
        self.devices[edge_pin.split("/")[0]] = edge
        crop_pin, between = d.follow(f"{cell.name}/m1_axis")
        crop_cell = d.cell(crop_pin.split("/")[0])
        if between or crop_cell.vlnv.split(":")[2] != "fcnn_crop_scale_dma":
            raise BuildTreeError(f"{cell.name}/m1_axis reaches {crop_pin}, not the crop block")
        crop = CropScale(self, crop_cell)
        self.devices[crop_cell.name] = crop
        cls_pin, crop_pads = d.follow(f"{crop_cell.name}/m_axis")
        in_bytes = stream_stage(crop_pads[-1]).out_bytes if crop_pads else crop.out_bytes
        classifier = self._classifier(d.cell(cls_pin.split("/")[0]), in_bytes)
        self.devices[cls_pin.split("/")[0]] = classifier
        return FrameBroadcast(edge, [stream_stage(c) for c in stages], crop, classifier,
                              [stream_stage(p) for p in crop_pads])

    def _classifier(self, cell: Any, in_bytes: int) -> ClassifierCore:
        model_dir = Path(self.config["model_dir"])
        conv = json.loads((model_dir / "conversion.json").read_text())
        shape = tuple(int(v) for v in conv["input"]["shape"])
        out_type = conv["output"]["type"]
        layout = ClassifierOutputLayout(n_classes=len(conv["classes"]),
                                        score_bits=int(out_type["width"]))
        if self.config["core_flow"] == "rtl":
            classify = self._rtl_classifier(model_dir)
        else:
            classify = self._csim_classifier(model_dir)
        return ClassifierCore(self, cell, shape=shape, layout=layout,  # type: ignore[arg-type]
                              classify=classify, in_bytes=in_bytes)

    def _rtl_classifier(self, model_dir: Path) -> Any:
        from fpgacnn.sim.classifier_harness import ClassifierHarness, rtl_sources

        rtl_dir = model_dir / "rtl"
        for src in rtl_sources(rtl_dir):
            # the tree keeps the file's place under rtl/ (or, in older trees, its name)
            copy = self.tree / "src" / "classifier" / src.resolve().relative_to(
                rtl_dir.resolve())
            if not copy.is_file():
                copy = self.tree / "src" / "classifier" / src.name
            if not copy.is_file() or not filecmp.cmp(src, copy, shallow=False):
                raise BuildTreeError(f"{copy} is not the generated core's {src.name} in "
                                     f"{rtl_dir} (the conversion changed after fpgacnn build)")
        harness = ClassifierHarness(rtl_dir, build_root=self._build_root)
        self._harnesses = [harness]

        def classify(codes: np.ndarray) -> tuple[list[int], int]:
            res = harness.classify(codes[None])
            return [int(v) for v in res.scores[0]], int(res.labels[0])
        return classify

    def _csim_classifier(self, model_dir: Path) -> Any:
        from fpgacnn.hw.convert.engine import CsimClassifierEngine

        engine = CsimClassifierEngine(conv_dir=model_dir)

        def classify(codes: np.ndarray) -> tuple[list[int], int]:
            raw, _ = engine.scores(codes.astype(np.uint8))
            return [int(v) for v in raw], int(np.argmax(raw))
        return classify

    # -- the bus --------------------------------------------------------------------------
    def _decode(self, addr: int) -> tuple[Any, int]:
        for name, entry in self._ip.items():
            base = entry.get("phys_addr")
            if base is not None and base <= addr < base + entry["addr_range"]:
                if name not in self.devices:
                    break
                return self.devices[name], addr - base
        raise SimulationError(f"bus error: nothing answers at 0x{addr:X}")

    def bus_read(self, addr: int) -> int:
        """An AXI4-Lite read from the PS."""
        dev, off = self._decode(addr)
        return int(dev.read(off)) & 0xFFFF_FFFF

    def bus_write(self, addr: int, value: int) -> None:
        """An AXI4-Lite write from the PS."""
        dev, off = self._decode(addr)
        dev.write(off, value)

    def tick(self) -> None:
        """One unit of time: every DMA moves what it can (none while :meth:`paused`)."""
        if self._paused:
            return
        self.now += 1
        for dma in self.dmas.values():
            dma.step()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Register reads inside take no emulated time (see :meth:`_SDMAChannel.transfer
        <fpgacnn.sim.board_emu.pynq_api._SDMAChannel.transfer>`)."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    # -- what the tests and the user see --------------------------------------------------
    def ip_dict(self) -> dict[str, dict[str, Any]]:
        """``Overlay.ip_dict`` (without the IPs switched off by ``missing``)."""
        return {k: copy.deepcopy(v) for k, v in self._ip.items() if k not in self.missing}

    def dma(self, name: str) -> AxiDma:
        """The DMA cell ``name``."""
        return self.dmas[name]

    @property
    def build_id(self) -> BuildIdBlock:
        """The build-id block."""
        return next(d for d in self.devices.values() if isinstance(d, BuildIdBlock))

    @property
    def edge(self) -> EdgeCore:
        """The edge core."""
        return next(d for d in self.devices.values() if isinstance(d, EdgeCore))

    @property
    def classifier(self) -> ClassifierCore:
        """The classifier core."""
        return next(d for d in self.devices.values() if isinstance(d, ClassifierCore))

    @property
    def live_buffers(self) -> int:
        """Buffers allocated and not freed."""
        return self.memory.live

    def allocate(self, shape: Any, dtype: Any = "u4", target: Any = None,
                 **kwargs: Any) -> PynqBuffer:
        """``pynq.allocate``: a zeroed, page-aligned, cacheable buffer."""
        buf = np.zeros(shape, dtype).view(PynqBuffer)
        buf.board, buf.coherent, buf.freed = self, False, False
        buf.device_address = self.memory.allocate(buf.nbytes)
        return buf

    def module(self) -> types.ModuleType:
        """A module object standing in for ``pynq`` on this board."""
        mod = types.ModuleType("pynq", "fpgacnn's emulated board (fpgacnn.sim.board_emu)")
        mod.Overlay = lambda bitfile_name, *a, **k: Overlay(self, bitfile_name, *a, **k)  # type: ignore[attr-defined]
        mod.allocate = self.allocate  # type: ignore[attr-defined]
        mod.DefaultIP = lambda description: DefaultIP(self, description)  # type: ignore[attr-defined]
        mod.MMIO = lambda base_addr, length=4, **k: MMIO(self, base_addr, length)  # type: ignore[attr-defined]
        mod.board = self  # type: ignore[attr-defined]
        return mod

    def close(self) -> None:
        """Release the simulators."""
        for dev in self.devices.values():
            h = getattr(dev, "h", None)
            if h is not None:
                h.close()
        for h in getattr(self, "_harnesses", []):
            h.close()
