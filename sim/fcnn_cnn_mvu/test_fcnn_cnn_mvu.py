"""pytest entry points: build ``fcnn_cnn_mvu`` per HDL parameter set, run its cocotb tests.

The weights are random (seeded; output 0 all minimum, output 1 all maximum) and reach
the RTL as the block's contract says: a ``$readmemh`` file of (N/PE)*(IN_LEN/SIMD) words
of PE*SIMD*WW bits, word ``nf*(IN_LEN/SIMD) + sf`` holding weight (i = sf*SIMD + s,
n = nf*PE + p) at bits ``[(p*SIMD + s)*WW +: WW]``, written here (from the contract, not
from the generator) into the block's build folder and passed as ``WEIGHT_FILE``. The
biases are a sized Verilog literal; ACC_W is the narrowest exact width. The cocotb tests
are in ``tb_fcnn_cnn_mvu.py``. Replay a failure with the logged seed:
``FCNN_TB_SEED=<n> pytest sim/fcnn_cnn_mvu``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fpgacnn.hw import rtl_sources
from fpgacnn.sim import runner
from fpgacnn.sim.tb import tb_seed, verilog_literal

HERE = Path(__file__).resolve().parent
TOPLEVEL = "fcnn_cnn_mvu"
SOURCES = rtl_sources(TOPLEVEL)
SEED = tb_seed()


def _shape(in_len: int, c_in: int, n: int, pe: int, simd: int, xw: int, x_signed: int,
           ww: int, *, prod_shift: int = 0, vectors: int = 1, use_dsp: int = 0,
           rom_style: str = "block") -> dict[str, object]:
    return {"IN_LEN": in_len, "C_IN": c_in, "N": n, "PE": pe, "SIMD": simd, "XW": xw,
            "X_SIGNED": x_signed, "WW": ww, "PROD_SHIFT": prod_shift, "VECTORS": vectors,
            "USE_DSP": use_dsp, "ROM_STYLE": rom_style}


#: Default suite: fully parallel, fully folded, conv-like (C_IN = IN_LEN) and dense-like
#: (C_IN < IN_LEN, SIMD both above and below C_IN), 1- and 2-bit weights, VECTORS > 1;
#: the three output stages (skid: one clock per vector; collect: SIMD = IN_LEN, PE < N;
#: direct: the rest).
SHAPES: dict[str, dict[str, object]] = {
    "conv_pe2_simd3_w2": _shape(18, 18, 4, 2, 3, 2, 0, 2, vectors=3),
    "dense_pe1_simd1_w1": _shape(12, 3, 3, 1, 1, 3, 1, 1, prod_shift=1, vectors=2,
                                 rom_style="distributed"),
    "parallel_pe4_simd8": _shape(8, 2, 4, 4, 8, 4, 1, 4, use_dsp=1, vectors=2),
    "dense_pe2_simd4_c2": _shape(16, 2, 6, 2, 4, 4, 0, 3),
    "collect_simd_full_pe2": _shape(6, 3, 6, 2, 6, 3, 1, 2, vectors=2),
    # requantized outputs (OUT_W > 0): SWU-fed conv (C_IN = SIMD) to 2-bit unsigned, and a
    # one-clock collect to 3-bit signed with a left shift
    "swu_conv_requant_u2": {**_shape(36, 4, 6, 3, 4, 2, 0, 2, vectors=3, prod_shift=1),
                            "OUT_W": 2, "O_SIGNED": 0, "SHIFT": 3},
    "collect_requant_s3": {**_shape(6, 3, 6, 2, 6, 3, 1, 2, vectors=2),
                           "OUT_W": 3, "O_SIGNED": 1, "SHIFT": -1},
}
#: Longer runs (``-m slow``): wider, deeper, input-bound and odd folds.
SLOW_SHAPES: dict[str, dict[str, object]] = {
    "conv_576_64_pe8_simd32_w2": _shape(576, 576, 64, 8, 32, 2, 0, 2, vectors=4),
    "dense_64_10_pe5_simd16_c8": _shape(64, 8, 10, 5, 16, 8, 1, 8, prod_shift=3),
    "dense_inbound_c1_simd4": _shape(32, 1, 2, 2, 4, 5, 0, 2, vectors=3),
    "conv_parallel_27_8": _shape(27, 27, 8, 8, 27, 8, 0, 8, vectors=5),
    "dense_c16_simd4_w1": _shape(48, 16, 4, 1, 4, 1, 0, 1, rom_style="distributed"),
    "folded_c4_pe1_simd1": _shape(8, 4, 5, 1, 1, 6, 1, 5, vectors=2, use_dsp=1),
}  # fmt: skip


def weight_words(w: list[list[int]], shape: dict[str, object]) -> list[int]:
    """The ROM words of weights ``w[i][n]`` (the contract's layout)."""
    in_len, n_out, pe, simd, ww = (int(shape[k]) for k in ("IN_LEN", "N", "PE", "SIMD", "WW"))
    sf_count, mask = in_len // simd, (1 << ww) - 1
    words = []
    for nf in range(n_out // pe):
        for sf in range(sf_count):
            word = 0
            for p in range(pe):
                for s in range(simd):
                    word |= (w[sf * simd + s][nf * pe + p] & mask) << ((p * simd + s) * ww)
            words.append(word)
    return words


def write_mem(path: Path, words: list[int], width: int) -> None:
    """A ``$readmemh`` file: one word per line, ``ceil(width/4)`` hex digits."""
    digits = -(-width // 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{v:0{digits}x}\n" for v in words))


def layer(name: str, shape: dict[str, object], seed: int
          ) -> tuple[dict[str, object], dict[str, object]]:
    """Random weights and biases; the memory file written; the HDL and testbench parameters."""
    rng = random.Random(f"{name}/{seed}")
    in_len, n, ww, xw = (int(shape[k]) for k in ("IN_LEN", "N", "WW", "XW"))
    shift = int(shape["PROD_SHIFT"])
    wmin, wmax = -(1 << (ww - 1)), (1 << (ww - 1)) - 1
    w = [[rng.randint(wmin, wmax) for _ in range(n)] for _ in range(in_len)]
    for row in w:
        row[0] = wmin
        if n > 1:
            row[1] = wmax
    xmag = (1 << (xw - 1)) if shape["X_SIGNED"] else (1 << xw) - 1
    bmag = 50 << shift
    b = [rng.randint(-bmag, bmag) for _ in range(n)]
    bound = bmag + (in_len * xmag * max(-wmin, wmax, 1) << shift)
    acc_w = bound.bit_length() + 1
    mem = runner.BUILD_ROOT / TOPLEVEL / "mem" / f"{name}_s{seed}.mem"
    write_mem(mem, weight_words(w, shape), int(shape["PE"]) * int(shape["SIMD"]) * ww)
    hdl = {**shape, "ROM_STYLE": f'"{shape["ROM_STYLE"]}"', "ACC_W": acc_w,
           "BIAS": verilog_literal(b, acc_w), "WEIGHT_FILE": f'"{mem}"'}
    tb = {**shape, "ACC_W": acc_w, "w": [v for row in w for v in row], "b": b, "seed": seed}
    return hdl, tb


def _run(name: str, shape: dict[str, object]) -> None:
    hdl, tb = layer(name, shape, SEED)
    runner.run(
        toplevel=TOPLEVEL,
        sources=SOURCES,
        parameters=hdl,
        test_module="tb_fcnn_cnn_mvu",
        test_dir=HERE,
        extra_env={"FCNN_TB_PARAMS": json.dumps(tb)},
        seed=SEED,
    )


@pytest.mark.sim
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fcnn_cnn_mvu(name: str) -> None:
    """Bit-exact under the idle x backpressure matrix, the steady-state rate and latency,
    and the vectors held while the output is blocked."""
    _run(name, SHAPES[name])


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_SHAPES))
def test_fcnn_cnn_mvu_slow(name: str) -> None:
    """The same tests at larger and odder foldings."""
    _run(name, SLOW_SHAPES[name])
