"""Write the structural top of the classifier core: instances and wires, nothing else.

The top is data in Verilog form: one instance of a hand-written block per
stage (parameters carry the weights), the generated kernels, and exact
bit-level alignment between a kernel's minimal-width element packing and the
streams. Ports (DESIGN.md, classifier core): ``s_axis_*`` one pixel with all
its channels per beat (channel c at ``[c*E +: E]``, E the input element
width, TDATA padded to whole bytes), ``s_axis_tlast`` on the image's last
pixel; ``m_axis_*`` one beat per image: score k (raw code of the output type,
S bits) at ``[k*S +: S]``, the arg-max label in the 8 bits above, the framing
status byte above the label, TLAST set -- :class:`fpgacnn.spec.cores.ClassifierOutputLayout`,
the layout of the hls4ml top ``fcnn_axis_top``. The input is framed by
``fcnn_cnn_framer`` (the policy of :mod:`fpgacnn.spec.cnn_framing`: it reads
``s_axis_tlast``); each image's status waits in a small FIFO and joins its result.

Per the folding (:mod:`fpgacnn.hw.rtlgen.folding`) a convolution is either
unrolled (window -> alkaid kernel in ``fcnn_cnn_kshell``) or folded: when SIMD divides
Cin, sliding-window unit ``fcnn_cnn_swu`` (line buffer in a memory, SIMD elements per
beat, any stride) -> ``fcnn_cnn_mvu`` with C_IN = SIMD; when SIMD is a multiple of Cin
(small-Cin first layers), input FIFO -> ``fcnn_cnn_window`` (the whole K*K*Cin window per
beat) -> window queue -> ``fcnn_cnn_mvu`` with C_IN = IN_LEN. A dense layer is an
``fcnn_cnn_mvu`` fed one pixel per beat. When an activation follows a folded layer, its
MVU requantizes the sums fold by fold (``OUT_W``: the arithmetic of ``fcnn_cnn_requant``),
so no stream carries the N raw accumulators.
A model whose output is a feature map (the chain ends in a convolution or pooling)
gathers its H*W pixel beats into one beat of H*W*C scores (``fcnn_cnn_gather``, Keras
(H, W, C) order) before the arg-max.
Folded weights are not in the netlist: each MVU reads ``{MEM_DIR, "<stage>_w.mem"}``
(the top's string parameter ``MEM_DIR``, default "" = the tool's working folder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fpgacnn.spec.cores import LABEL_BITS, STATUS_BITS, ClassifierOutputLayout
from fpgacnn.spec.folding import Folding, Impl, LayerFolding

from .folding import default_folding, geometry, initiation_interval, streams, stride
from .kernel import KernelInfo, pack_offsets
from .stages import (
    ConvStage,
    DenseStage,
    PoolStage,
    RequantStage,
    Stage,
    ThresholdStage,
    score_count,
)
from .weights import mem_name

#: The template the netlist is rendered through.
TEMPLATES = Path(__file__).resolve().parent / "templates"


#: Image statuses the top holds between the framer and the results: more than the
#: images in flight, so the framer never waits for room (it may, safely: every image
#: whose last pixel passed the framer reaches the output without further input).
STATUS_FIFO_DEPTH = 8


def _bytes(bits: int) -> int:
    return -(-bits // 8) * 8


def _flat_literal(values: list[int], width: int) -> str:
    """Two's-complement values packed element 0 lowest, as a sized hex literal."""
    total, acc = 0, 0
    for i, v in enumerate(values):
        acc |= (int(v) & ((1 << width) - 1)) << (i * width)
        total += width
    return f"{total}'h{acc:x}"


@dataclass(frozen=True)
class Port:
    """A port of the top: direction (``input``/``output``), name, width in bits."""

    direction: str
    name: str
    width: int | None = None  # None: a scalar


@dataclass(frozen=True)
class Param:
    """A parameter of the top: name, default value (Verilog text), the comment above it."""

    name: str
    default: str
    comment: str


@dataclass(frozen=True)
class Item:
    """One element of the netlist body, rendered in order by the template.

    ``kind`` is ``comment`` (``text``), ``wire`` (``name``, ``width`` -- None for a
    scalar -- and an optional driver ``value``), ``assign`` (``lhs``, ``rhs``),
    ``instance`` (``module``, ``name``, ``params``, ``ports``) or ``blank``.
    """

    kind: str
    text: str = ""
    name: str = ""
    width: int | None = None
    value: str = ""
    lhs: str = ""
    rhs: str = ""
    module: str = ""
    params: tuple[tuple[str, str], ...] = ()
    ports: tuple[tuple[str, str], ...] = ()


@dataclass
class Netlist:
    """The structural top as data: its ports and an ordered body of wires, assigns and
    instances. :func:`render` turns it into SystemVerilog through one template."""

    name: str
    ports: list[Port] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)

    def comment(self, text: str) -> None:
        self.items.append(Item("comment", text=text))

    def blank(self) -> None:
        self.items.append(Item("blank"))

    def wire(self, name: str, width: int | None, value: str = "") -> None:
        self.items.append(Item("wire", name=name, width=width, value=value))

    def assign(self, lhs: str, rhs: str) -> None:
        self.items.append(Item("assign", lhs=lhs, rhs=rhs))

    def stream(self, prefix: str, width: int) -> None:
        """The four wires of an internal valid/ready stream ``<prefix>_data/valid/ready/last``."""
        self.wire(f"{prefix}_data", width)
        for sig in ("valid", "ready", "last"):
            self.wire(f"{prefix}_{sig}", None)

    def instance(self, module: str, inst: str, params: dict[str, object],
                 ports: dict[str, str]) -> None:
        self.items.append(Item("instance", module=module, name=inst,
                               params=tuple((k, str(v)) for k, v in params.items()),
                               ports=tuple(ports.items())))
        self.blank()


def render(netlist: Netlist) -> str:
    """The SystemVerilog text of ``netlist`` (template ``templates/top.sv.j2``)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    return env.get_template("top.sv.j2").render(n=netlist)


def _stream_ports(s: str, m: str) -> dict[str, str]:
    return {
        "clk": "clk", "rst": "rst",
        "s_axis_tdata": f"{s}_data", "s_axis_tvalid": f"{s}_valid",
        "s_axis_tready": f"{s}_ready", "s_axis_tlast": f"{s}_last",
        "m_axis_tdata": f"{m}_data", "m_axis_tvalid": f"{m}_valid",
        "m_axis_tready": f"{m}_ready", "m_axis_tlast": f"{m}_last",
    }


def _elem_expr(src: str, off: int, bits: int, signed: bool, shift: int, width: int) -> str:
    """Expression of ``width`` bits: src[off +: bits] extended and shifted left by ``shift``."""
    if bits == 0:
        return f"{width}'d0"
    pad = width - bits - shift
    if pad < 0:
        raise RuntimeError(f"internal error: element of {bits} bits << {shift} does not fit "
                           f"in {width} bits")
    parts = []
    if pad:
        fill = f"{src}[{off + bits - 1}]" if signed else "1'b0"
        parts.append(f"{{{pad}{{{fill}}}}}")
    parts.append(f"{src}[{off + bits - 1}:{off}]")
    if shift:
        parts.append(f"{shift}'d0")
    return "{" + ", ".join(parts) + "}"


def _str(text: str) -> str:
    return '"' + text + '"'


def build_netlist(module: str, stages: list[Stage], kernels: dict[str, KernelInfo],
                  folding: Folding | None = None) -> Netlist:
    """The structural top ``module`` as data (:class:`Netlist`).

    ``kernels`` holds the alkaid kernel of every unrolled convolution; ``folding``
    (default: :func:`~fpgacnn.hw.rtlgen.folding.default_folding`) says which are.
    """
    if folding is None:
        folding = default_folding(stages, module)
    fold: dict[str, LayerFolding] = {lf.layer: lf for lf in folding.layers}
    ii = initiation_interval(stages, folding)
    first, last = stages[0], stages[-1]
    h, w, c = first.in_shape
    e_in = first.in_type.width
    in_bits = _bytes(c * e_in)
    n_cls = score_count(stages)
    s_bits = last.out_type.width
    layout = ClassifierOutputLayout(n_classes=n_cls, score_bits=s_bits)
    out_bits = layout.tdata_bits

    t = Netlist(module, ports=[
        Port("input", "clk"), Port("input", "rst"),
        Port("input", "s_axis_tdata", in_bits), Port("input", "s_axis_tvalid"),
        Port("output", "s_axis_tready"), Port("input", "s_axis_tlast"),
        Port("output", "m_axis_tdata", out_bits), Port("output", "m_axis_tvalid"),
        Port("input", "m_axis_tready"), Port("output", "m_axis_tlast"),
    ], params=[Param("MEM_DIR", '""', "Folder of the weight memories <stage>_w.mem, with "
                     'its trailing "/" ("" = the working folder of the simulator or tool).')])
    t.comment(f"Input: {h}x{w}x{c} pixels of {first.in_type.hls()}; "
              f"output: {n_cls} scores of {last.out_type.hls()} + label.")
    t.comment("framing: pixels counted, tlast read (fpgacnn.spec.cnn_framing); one status "
              "per image")
    t.stream("x", c * e_in)
    t.wire("fr_status_data", STATUS_BITS)
    t.wire("fr_status_valid", None)
    t.wire("fr_status_ready", None)
    t.instance("fcnn_cnn_framer", "u_framer", {"DW": c * e_in, "PIXELS": h * w}, {
        "clk": "clk", "rst": "rst",
        "s_axis_tdata": f"s_axis_tdata[{c * e_in - 1}:0]", "s_axis_tvalid": "s_axis_tvalid",
        "s_axis_tready": "s_axis_tready", "s_axis_tlast": "s_axis_tlast",
        "m_axis_tdata": "x_data", "m_axis_tvalid": "x_valid",
        "m_axis_tready": "x_ready", "m_axis_tlast": "x_last",
        "m_status_tdata": "fr_status_data", "m_status_tvalid": "fr_status_valid",
        "m_status_tready": "fr_status_ready"})
    t.wire("st_data", STATUS_BITS)
    t.wire("st_valid", None)
    t.wire("st_ready", None)
    t.wire("st_count", STATUS_FIFO_DEPTH.bit_length())
    t.instance("fcnn_cnn_fifo", "u_status_fifo",
               {"WIDTH": STATUS_BITS, "DEPTH": STATUS_FIFO_DEPTH}, {
                   "clk": "clk", "rst": "rst",
                   "s_axis_tdata": "fr_status_data", "s_axis_tvalid": "fr_status_valid",
                   "s_axis_tready": "fr_status_ready",
                   "m_axis_tdata": "st_data", "m_axis_tvalid": "st_valid",
                   "m_axis_tready": "st_ready", "count": "st_count"})
    t.wire("_unused_st_count", None, "&{1'b0, st_count, 1'b0}")
    if in_bits > c * e_in:
        t.wire("_unused_pad", None, f"&{{1'b0, s_axis_tdata[{in_bits - 1}:{c * e_in}], 1'b0}}")
    t.blank()

    prev = "x"
    for i, st in enumerate(stages):
        sh, sw, sc = st.in_shape
        oc = st.out_shape[2]
        nxt = stages[i + 1] if i + 1 < len(stages) else None
        if isinstance(st, ConvStage) and fold[st.layer].impl is Impl.FOLDED:
            _folded_conv(t, st, fold[st.layer], prev, ii)
        elif isinstance(st, ConvStage):
            k = st.kernel
            ew = st.in_type.width
            ow = st.out_type.width
            kinfo = kernels[st.name]
            win_w = k * k * sc * ew
            t.comment(f"{st.name}: layer '{st.layer}', {k}x{k} conv pad {st.pad}, "
                      f"{sc} -> {oc} channels, relu={int(st.relu)}, out {st.out_type.hls()}")
            t.stream(f"{st.name}_win", win_w)
            t.instance("fcnn_cnn_window", f"u_{st.name}_window",
                       {"C": sc, "BW": ew, "W": sw, "H": sh, "K": k, "PAD": st.pad},
                       _stream_ports(prev, f"{st.name}_win"))
            in_offs = pack_offsets(kinfo.in_formats)
            out_offs = pack_offsets(kinfo.out_formats)
            kin_w = max(1, sum(b for _, b in in_offs))
            kout_w = max(1, sum(b for _, b in out_offs))
            t.wire(f"{st.name}_k_in", win_w)
            t.wire(f"{st.name}_k_inp", kin_w)
            t.wire(f"{st.name}_k_outp", kout_w)
            t.wire(f"{st.name}_k_out", oc * ow)
            f_in = st.in_type.fraction
            used = []
            for j, ((off, bits), fmt) in enumerate(zip(in_offs, kinfo.in_formats, strict=True)):
                if bits == 0:
                    continue
                if fmt[2] != f_in or bits > ew:
                    raise RuntimeError(f"internal error: {st.name}: kernel input {j} format "
                                       f"{fmt} does not match {st.in_type.hls()}")
                t.assign(f"{st.name}_k_inp[{off + bits - 1}:{off}]",
                         f"{st.name}_k_in[{j * ew + bits - 1}:{j * ew}]")
                used.append((j, bits))
            if not used:
                t.assign(f"{st.name}_k_inp", "1'b0")
            f_out = st.out_type.fraction
            for j, ((off, bits), fmt) in enumerate(zip(out_offs, kinfo.out_formats, strict=True)):
                if fmt[2] > f_out and bits:
                    raise RuntimeError(f"internal error: {st.name}: kernel output {j} has "
                                       f"{fmt[2]} fraction bits, more than {st.out_type.hls()}")
                expr = _elem_expr(f"{st.name}_k_outp", off, bits, bool(fmt[0]),
                                  f_out - fmt[2] if bits else 0, ow)
                t.assign(f"{st.name}_k_out[{(j + 1) * ow - 1}:{j * ow}]", expr)
            t.instance(kinfo.module, f"u_{st.name}_kernel", {},
                       {"clk": "clk", "model_inp": f"{st.name}_k_inp",
                        "model_out": f"{st.name}_k_outp"})
            lat = kinfo.latency + 1
            depth = 2
            while depth < lat + 2:
                depth *= 2
            t.stream(st.name, oc * ow)
            ports = _stream_ports(f"{st.name}_win", st.name)
            ports.update({"k_in_data": f"{st.name}_k_in", "k_out_data": f"{st.name}_k_out"})
            t.instance("fcnn_cnn_kshell", f"u_{st.name}_shell",
                       {"IN_W": win_w, "OUT_W": oc * ow, "LATENCY": lat, "DEPTH": depth}, ports)
            unused = [f"{st.name}_k_in[{j * ew + ew - 1}:{j * ew + b}]"
                      for j, b in used if b < ew]
            unused += [f"{st.name}_k_in[{(j + 1) * ew - 1}:{j * ew}]"
                       for j in range(k * k * sc) if j not in {u for u, _ in used}]
            if unused:
                t.wire(f"_unused_{st.name}", None, f"&{{1'b0, {', '.join(unused)}, 1'b0}}")
                t.blank()
        elif isinstance(st, PoolStage):
            t.comment(f"{st.name}: layer '{st.layer}', {st.pool}x{st.pool} max pool")
            t.stream(st.name, sc * st.in_type.width)
            t.instance("fcnn_cnn_maxpool", f"u_{st.name}",
                       {"C": sc, "BW": st.in_type.width, "SIGNED": int(st.in_type.signed),
                        "W": sw, "H": sh, "P": st.pool},
                       _stream_ports(prev, st.name))
        elif isinstance(st, DenseStage):
            lf = fold[st.layer]
            t.comment(f"{st.name}: layer '{st.layer}', dense {sh * sw * sc} -> {oc}, "
                      f"PE={lf.pe} x SIMD={lf.simd}, accumulator {st.out_type.hls()}")
            if isinstance(nxt, RequantStage):
                # the activation that follows is requantized inside the MVU, fold by fold
                t.comment(f"{nxt.name}: layer '{nxt.layer}', requantize to "
                          f"{nxt.out_type.hls()} (in u_{st.name}_mvu)")
                t.stream(nxt.name, oc * nxt.out_type.width)
                _mvu(t, st, lf, prev, nxt.name, in_len=sh * sw * sc, c_in=sc, n=oc,
                     w_width=st.w_width, accum=st.out_type.width,
                     bias=st.bias_acc, prod_shift=st.prod_shift, vectors=1,
                     requant=(nxt.out_type.width, int(nxt.out_type.signed), nxt.shift))
                prev = nxt.name
                continue
            t.stream(st.name, oc * st.out_type.width)
            _mvu(t, st, lf, prev, st.name, in_len=sh * sw * sc, c_in=sc, n=oc,
                 w_width=st.w_width, accum=st.out_type.width,
                 bias=st.bias_acc, prod_shift=st.prod_shift, vectors=1)
        elif isinstance(st, ThresholdStage):
            _threshold(t, st, prev, threshold_pe(stages, st, folding))
        elif isinstance(st, RequantStage) and prev == st.name:
            continue                                  # done inside the dense layer's MVU
        elif isinstance(st, RequantStage):
            t.comment(f"{st.name}: layer '{st.layer}', requantize to {st.out_type.hls()}")
            t.stream(st.name, oc * st.out_type.width)
            t.instance("fcnn_cnn_requant", f"u_{st.name}", {
                "C": oc, "IW": st.in_type.width, "OW": st.out_type.width,
                "O_SIGNED": int(st.out_type.signed), "SHIFT": st.shift,
            }, _stream_ports(prev, st.name))
        prev = st.name

    out_px = last.out_shape[0] * last.out_shape[1]
    if out_px > 1:
        # a feature map: its pixels gathered into one beat, Keras (H, W, C) order
        t.comment(f"gather: the {'x'.join(map(str, last.out_shape))} feature map as {n_cls} "
                  "scores (Keras (H, W, C) order)")
        t.stream("fm", n_cls * s_bits)
        t.instance("fcnn_cnn_gather", "u_gather",
                   {"DW": last.out_shape[2] * s_bits, "BEATS": out_px},
                   _stream_ports(prev, "fm"))
        prev = "fm"
    t.comment("arg-max and the output beat")
    t.stream("am", n_cls * s_bits + LABEL_BITS)
    t.instance("fcnn_cnn_argmax", "u_argmax",
               {"N": n_cls, "SW": s_bits, "SIGNED": int(last.out_type.signed)},
               _stream_ports(prev, "am"))
    t.assign(f"m_axis_tdata[{n_cls * s_bits - 1}:0]", f"am_data[{n_cls * s_bits + 7}:8]")
    t.assign(f"m_axis_tdata[{layout.status_lsb - 1}:{layout.label_lsb}]", "am_data[7:0]")
    t.assign(f"m_axis_tdata[{layout.payload_bits - 1}:{layout.status_lsb}]", "st_data")
    if out_bits > layout.payload_bits:
        t.assign(f"m_axis_tdata[{out_bits - 1}:{layout.payload_bits}]", "'0")
    # join: a result leaves with its image's status (the status is always there first)
    t.assign("m_axis_tvalid", "am_valid && st_valid")
    t.assign("am_ready", "m_axis_tready && st_valid")
    t.assign("st_ready", "m_axis_tready && am_valid")
    t.assign("m_axis_tlast", "am_last")
    return t


def _mvu(t: Netlist, st: Stage, lf: LayerFolding, src: str, dst: str, *, in_len: int,
         c_in: int, n: int, w_width: int, accum: int, bias: object, prod_shift: int,
         vectors: int, requant: tuple[int, int, int] | None = None) -> None:
    """One ``fcnn_cnn_mvu`` from stream ``src`` to stream ``dst`` (declared by the caller);
    its weights are in the memory file ``<stage>_w.mem``, not in the netlist. ``requant``
    (output width, signed, right shift): the MVU requantizes its sums (OUT_W > 0)."""
    rq = {} if requant is None else {"OUT_W": requant[0], "O_SIGNED": requant[1],
                                     "SHIFT": requant[2]}
    t.instance("fcnn_cnn_mvu", f"u_{st.name}_mvu", {
        "IN_LEN": in_len, "C_IN": c_in, "N": n, "PE": lf.pe, "SIMD": lf.simd,
        "XW": st.in_type.width, "X_SIGNED": int(st.in_type.signed), "WW": w_width,
        "ACC_W": accum, "PROD_SHIFT": prod_shift,
        "BIAS": _flat_literal([int(b) for b in bias], accum),  # type: ignore[attr-defined]
        "WEIGHT_FILE": "{MEM_DIR, " + _str(mem_name(st.name)) + "}",
        "ROM_STYLE": _str(lf.rom_style), "VECTORS": vectors, **rq,
        **({"USE_DSP": 1} if lf.multipliers == "dsp" else {}),
    }, _stream_ports(src, dst))


def threshold_pe(stages: list[Stage], st: ThresholdStage, folding: Folding) -> int:
    """Elements the threshold stage ``st`` compares per clock (its ``PE``).

    A folded conv/dense unit before it gives one output beat per
    ``T = (IN_LEN/SIMD) * (N/PE_mvu)`` clocks at most, so the stage may take
    ``C/PE + 2 <= T`` clocks per beat (``fcnn_cnn_threshold`` folded) without ever
    slowing it: the smallest such PE dividing C. After an unrolled convolution, at the
    input, or when nothing folded fits: PE = C (one beat per clock).
    """
    c = st.in_shape[2]
    i = stages.index(st)
    prod = stages[i - 1] if i > 0 else None
    lf = {f.layer: f for f in folding.layers}.get(prod.layer) if prod is not None else None
    if lf is None or lf.impl is not Impl.FOLDED:
        return c
    g = geometry(prod)
    t_vec = (g.in_len // lf.simd) * (g.n // lf.pe)
    return next((pe for pe in range(1, c) if c % pe == 0 and c // pe + 2 <= t_vec), c)


def _threshold(t: Netlist, st: ThresholdStage, src: str, pe: int) -> None:
    """One ``fcnn_cnn_threshold`` (``pe`` elements per clock) from stream ``src`` to the
    stream ``<stage>`` it declares; its table (threshold and level codes) is in its
    parameters."""
    c = st.in_shape[2]
    t.comment(f"{st.name}: layer '{st.layer}', threshold activation: {len(st.thresholds)} "
              f"thresholds on {st.in_type.hls()} -> {len(st.levels)} levels of "
              f"{st.out_type.hls()}, {pe} of {c} elements per clock")
    t.stream(st.name, c * st.out_type.width)
    t.instance("fcnn_cnn_threshold", f"u_{st.name}", {
        "C": c, "IW": st.in_type.width, "I_SIGNED": int(st.in_type.signed),
        "OW": st.out_type.width, "N": len(st.thresholds), "PE": pe,
        "THRESHOLDS": _flat_literal(st.thresholds, st.in_type.width),
        "LEVELS": _flat_literal(st.levels, st.out_type.width),
    }, _stream_ports(src, st.name))


def input_fifo_depth(st: ConvStage) -> int:
    """Pixels the FIFO before a folded convolution's window holds: its window's fill
    ((K-1) rows and K-1 pixels) plus two more rows, as a power of two."""
    w = st.in_shape[1]
    need = (st.kernel + 1) * w + st.kernel
    depth = 2
    while depth < need:
        depth *= 2
    return depth


#: Cycles beyond the window's fill walk that the queued windows must also cover
#: (the window's and the FIFO's own register stages).
WINDOW_FILL_MARGIN = 8


def window_fifo_depth(st: ConvStage, lf: LayerFolding, ii: int) -> int:
    """Windows queued between a folded convolution's window and its MVU (0: none).

    At the start of an image the window walks ``(K-1)`` padded rows and ``K-1``
    positions, one per clock, before its first window; the MVU meanwhile computes what
    it holds (two vectors: the one in progress and its input buffer) and a queue of D
    windows, ``T = (K*K*Cin/SIMD)*(Cout/PE)`` clocks each. The queue is there only
    when the layer could otherwise not keep the core's rate ``ii``.
    """
    g = geometry(st)
    t_vec = (g.in_len // lf.simd) * (g.n // lf.pe)
    wp = st.in_shape[1] + 2 * st.pad
    fill = (st.kernel - 1) * wp + st.kernel - 1 + WINDOW_FILL_MARGIN
    if g.vectors * t_vec + max(0, fill - 2 * t_vec) <= ii:
        return 0
    need = max(2, -(-fill // t_vec))
    depth = 2
    while depth < need:
        depth *= 2
    return depth


#: Line-buffer rows of a sliding-window unit beyond its minimum K + STRIDE: K rows let
#: the next image's first rows in while the last output row is read (no bubble between
#: images), two more take the bursts of a pooled input (the whole-window path's input FIFO).
SWU_EXTRA_ROWS = 2


def swu_rows(st: ConvStage) -> int:
    """Line-buffer rows (``ROWS``) of the sliding-window unit of ``st``."""
    return 2 * st.kernel + stride(st) + SWU_EXTRA_ROWS


def swu_ram_style(st: ConvStage) -> str:
    """``RAM_STYLE`` of the sliding-window unit's line buffer: LUTRAM when it costs fewer
    than about 100 LUTs per block RAM it would take (RAM64M: 3 bits x 64 words per 4
    LUTs; RAMB36: 72 bits x 512 words), else block RAM."""
    words = swu_rows(st) << max(1, (st.in_shape[1] - 1).bit_length())
    bits = st.in_shape[2] * st.in_type.width
    luts = 4 * -(-bits // 3) * -(-words // 64)
    brams = -(-bits // 72) * -(-words // 512)
    return "distributed" if luts <= 100 * brams else "block"


def _folded_conv(t: Netlist, st: ConvStage, lf: LayerFolding, prev: str, ii: int) -> None:
    """Sliding-window unit (SIMD per beat) or window (one window per beat) -> MVU ->
    requantization (when an activation follows)."""
    sh, sw, sc = st.in_shape
    oh, ow, oc = st.out_shape
    k = st.kernel
    g = geometry(st)
    acc_w = st.accum.width
    t.comment(f"{st.name}: layer '{st.layer}', {k}x{k} conv pad {st.pad} stride {stride(st)}, "
              f"{sc} -> {oc} channels, folded PE={lf.pe} x SIMD={lf.simd}, accumulator "
              f"{st.accum.hls()}, relu={int(st.relu)}, out {st.out_type.hls()}")
    if streams(st, lf):
        mvu_in = f"{st.name}_win"
        t.stream(mvu_in, lf.simd * st.in_type.width)
        t.instance("fcnn_cnn_swu", f"u_{st.name}_swu", {
            "C": sc, "BW": st.in_type.width, "W": sw, "H": sh, "K": k, "PAD": st.pad,
            "STRIDE": stride(st), "SIMD": lf.simd, "OH": oh, "OW": ow, "ROWS": swu_rows(st),
            "RAM_STYLE": _str(swu_ram_style(st)),
        }, _stream_ports(prev, mvu_in))
        c_in = lf.simd
    else:
        mvu_in = _whole_window(t, st, lf, prev, ii)
        c_in = g.in_len
    # With an activation, the MVU requantizes its sums fold by fold: RND_CONV + SAT into
    # the activation's type; an unsigned type clamps negatives to 0 (the ReLU), a signed
    # one (quantized_bits) saturates both ways.
    t.stream(st.name, oc * st.out_type.width)
    _mvu(t, st, lf, mvu_in, st.name, in_len=g.in_len, c_in=c_in, n=oc,
         w_width=st.w_width, accum=acc_w, bias=st.bias_acc,
         prod_shift=st.prod_shift, vectors=g.vectors,
         requant=((st.out_type.width, int(st.out_type.signed),
                   st.accum.fraction - st.out_type.fraction) if st.quantize else None))


def _whole_window(t: Netlist, st: ConvStage, lf: LayerFolding, prev: str, ii: int) -> str:
    """Input FIFO -> whole-window generator -> window queue (when needed); the stream
    the MVU reads."""
    sh, sw, sc = st.in_shape
    k = st.kernel
    g = geometry(st)
    win_w = g.in_len * st.in_type.width
    # The input FIFO lets the layer above run on while this one still computes the
    # last windows of an image or a burst of them (pooled rows arrive in bursts):
    # the core keeps the slowest layer's rate (the initiation interval) exactly.
    px_w = sc * st.in_type.width
    depth = input_fifo_depth(st)
    t.stream(f"{st.name}_in", px_w)
    t.wire(f"{st.name}_in_count", depth.bit_length())
    t.instance("fcnn_cnn_fifo", f"u_{st.name}_in_fifo", {"WIDTH": px_w + 1, "DEPTH": depth}, {
        "clk": "clk", "rst": "rst",
        "s_axis_tdata": f"{{{prev}_last, {prev}_data}}", "s_axis_tvalid": f"{prev}_valid",
        "s_axis_tready": f"{prev}_ready",
        "m_axis_tdata": f"{{{st.name}_in_last, {st.name}_in_data}}",
        "m_axis_tvalid": f"{st.name}_in_valid", "m_axis_tready": f"{st.name}_in_ready",
        "count": f"{st.name}_in_count"})
    t.wire(f"_unused_{st.name}_in_count", None, f"&{{1'b0, {st.name}_in_count, 1'b0}}")
    t.stream(f"{st.name}_win", win_w)
    t.instance("fcnn_cnn_window", f"u_{st.name}_window",
               {"C": sc, "BW": st.in_type.width, "W": sw, "H": sh, "K": k, "PAD": st.pad},
               _stream_ports(f"{st.name}_in", f"{st.name}_win"))
    mvu_in = f"{st.name}_win"
    wdepth = window_fifo_depth(st, lf, ii)
    if wdepth:
        # Windows queued ahead of the MVU cover the window's fill at the start of each
        # image (it walks (K-1) rows before its first window), so a layer that is the
        # bottleneck computes without a bubble.
        mvu_in = f"{st.name}_wq"
        t.stream(mvu_in, win_w)
        t.wire(f"{st.name}_wq_count", wdepth.bit_length())
        t.instance("fcnn_cnn_fifo", f"u_{st.name}_win_fifo",
                   {"WIDTH": win_w + 1, "DEPTH": wdepth}, {
                       "clk": "clk", "rst": "rst",
                       "s_axis_tdata": f"{{{st.name}_win_last, {st.name}_win_data}}",
                       "s_axis_tvalid": f"{st.name}_win_valid",
                       "s_axis_tready": f"{st.name}_win_ready",
                       "m_axis_tdata": f"{{{mvu_in}_last, {mvu_in}_data}}",
                       "m_axis_tvalid": f"{mvu_in}_valid", "m_axis_tready": f"{mvu_in}_ready",
                       "count": f"{st.name}_wq_count"})
        t.wire(f"_unused_{st.name}_wq_count", None, f"&{{1'b0, {st.name}_wq_count, 1'b0}}")
    return mvu_in


def write_top(module: str, stages: list[Stage], kernels: dict[str, KernelInfo],
              folding: Folding | None = None) -> str:
    """Return the SystemVerilog text of the structural top ``module``."""
    return render(build_netlist(module, stages, kernels, folding))
