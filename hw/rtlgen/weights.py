"""Weight memories of the folded layers: the ``$readmemh`` files ``fcnn_cnn_mvu`` loads.

Word layout (the MVU contract): a layer's weights ``w[i][n]`` (IN_LEN x N, integer
mantissas, WW-bit two's complement) folded as PE x SIMD make (N/PE)*(IN_LEN/SIMD)
words of PE*SIMD*WW bits; word ``a = nf*(IN_LEN/SIMD) + sf`` holds
``w[sf*SIMD + s][nf*PE + p]`` at bits ``[(p*SIMD + s)*WW +: WW]``.
:func:`weight_fields` is the numpy reference of that layout (fields, lowest first),
:func:`weight_words` packs them, :func:`write_mem` writes one hex word per line
(``$readmemh``), :func:`read_mem` and :func:`unfold_weights` invert it (tests).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Folder of the weight memories inside a generated core.
MEM_SUBDIR = "mem"


def mem_name(stage: str) -> str:
    """File name of the weight memory of stage ``stage`` (``<stage>_w.mem``)."""
    return f"{stage}_w.mem"


def weight_fields(w: np.ndarray, pe: int, simd: int) -> np.ndarray:
    """(words, PE*SIMD) array: field ``p*SIMD + s`` of word ``nf*SF + sf`` is
    ``w[sf*SIMD + s, nf*PE + p]``."""
    in_len, n = w.shape
    if n % pe or in_len % simd:
        raise ValueError(f"weights {in_len}x{n} do not fold as PE={pe} x SIMD={simd}")
    sf, nf = in_len // simd, n // pe
    f = np.asarray(w).reshape(sf, simd, nf, pe).transpose(2, 0, 3, 1)  # (nf, sf, p, s)
    return f.reshape(nf * sf, pe * simd)


def pack_fields(fields: np.ndarray, width: int) -> list[int]:
    """Each row of two's-complement ``width``-bit fields (field 0 lowest) as an integer."""
    mask = (1 << width) - 1
    out = []
    for row in np.asarray(fields, dtype=np.int64):
        v = 0
        for j, x in enumerate(row.tolist()):
            v |= (int(x) & mask) << (j * width)
        out.append(v)
    return out


def weight_words(w: np.ndarray, pe: int, simd: int, ww: int) -> list[int]:
    """The ROM words of ``w`` (IN_LEN x N) folded as PE x SIMD, ``ww``-bit weights."""
    lo, hi = -(1 << (ww - 1)), (1 << (ww - 1)) - 1
    if w.size and (int(w.min()) < lo or int(w.max()) > hi):
        raise ValueError(f"weights outside the {ww}-bit range [{lo}, {hi}]: "
                         f"{int(w.min())}..{int(w.max())}")
    return pack_fields(weight_fields(w, pe, simd), ww)


def write_mem(path: Path, words: list[int], bits: int) -> Path:
    """Write ``words`` of ``bits`` bits as ``$readmemh`` text: one hex word per line."""
    digits = max(1, -(-bits // 4))
    Path(path).write_text("".join(f"{v:0{digits}x}\n" for v in words))
    return Path(path)


def read_mem(path: Path) -> list[int]:
    """The words of a file :func:`write_mem` wrote."""
    return [int(ln, 16) for ln in Path(path).read_text().split()]


def unfold_weights(words: list[int], in_len: int, n: int, pe: int, simd: int,
                   ww: int) -> np.ndarray:
    """Inverse of :func:`weight_words`: the IN_LEN x N signed weights of ROM ``words``."""
    sf, nf = in_len // simd, n // pe
    w = np.zeros((in_len, n), dtype=np.int64)
    for a, v in enumerate(words):
        f, s_f = divmod(a, sf)
        for p in range(pe):
            for s in range(simd):
                x = (v >> ((p * simd + s) * ww)) & ((1 << ww) - 1)
                w[s_f * simd + s, f * pe + p] = x - (1 << ww) if x >> (ww - 1) else x
    if len(words) != sf * nf:
        raise ValueError(f"{len(words)} words, expected {sf * nf}")
    return w
