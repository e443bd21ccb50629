"""Golden model of the edge-detection core (``hw/rtl/fcnn_edge_core.sv``).

The contract (DESIGN.md): output pixel = ``min(255, |Gx| + |Gy|)`` with the 3x3
Sobel kernels, ``Gx = [[-1,0,1],[-2,0,2],[-1,0,1]]`` and ``Gy = Gx.T``, over a
frame whose borders are replicated (OpenCV ``BORDER_REPLICATE``). With a
non-zero ``threshold`` the output is 255 where ``|Gx| + |Gy| >= threshold``
(the unclamped magnitude) and 0 elsewhere. Output size = input size.

Also here: how a frame is laid out on the video stream at ``ppc`` pixels per
clock (:func:`pack_frame` / :func:`unpack_frame`): each line is ``ceil(W/ppc)``
beats, pixel 0 in the low byte; when ``W`` is not a multiple of ``ppc`` the
unused high lanes of a line's last beat are zero on the output and ignored on
the input.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .frames import check_frame

# The edge core's limits, written once: the package schema, the board build config,
# the CLIs (argparse choices and help), the harness build and the drivers read these;
# tests/test_register_maps.py ties each to the RTL (its $fatal elaboration checks, its
# register widths and its parameter defaults).

#: Largest threshold the core's THRESHOLD register holds (12 bits); thresholds are
#: 0..MAX_THRESHOLD (0: magnitude output).
MAX_THRESHOLD = 4095
#: Pixels-per-clock values the core supports (``PPC``; fcnn_edge_sobel.sv stops others).
SUPPORTED_PPC = (1, 2, 4, 8)
#: Largest ``MAX_WIDTH`` the RTL elaborates (16-bit WIDTH register); frame widths are
#: 1..MAX_WIDTH.
MAX_FRAME_WIDTH = 65535
#: Largest ``MAX_HEIGHT`` the RTL elaborates (16-bit HEIGHT register; the datapath's
#: row counter needs one spare value); frame heights are 1..MAX_HEIGHT.
MAX_FRAME_HEIGHT = 65534
#: The RTL's default ``MAX_WIDTH`` / ``MAX_HEIGHT`` (1080p), the builds' defaults too.
DEFAULT_MAX_WIDTH = 1920
DEFAULT_MAX_HEIGHT = 1080


class EdgeConfigError(ConfigError):
    """A frame or setting the edge core cannot take (shape, dtype, threshold, ppc)."""


def _check_frame(frame: np.ndarray) -> np.ndarray:
    return check_frame(frame, channels=())


def sobel_magnitude(frame: np.ndarray) -> np.ndarray:
    """Return ``|Gx| + |Gy|`` (int32, unclamped; at most 1530) of a uint8 gray frame."""
    f = _check_frame(frame).astype(np.int32)
    p = np.pad(f, 1, mode="edge")
    h, w = f.shape

    def win(dy: int, dx: int) -> np.ndarray:
        return p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    gx = (win(-1, 1) + 2 * win(0, 1) + win(1, 1)) - (win(-1, -1) + 2 * win(0, -1) + win(1, -1))
    gy = (win(1, -1) + 2 * win(1, 0) + win(1, 1)) - (win(-1, -1) + 2 * win(-1, 0) + win(-1, 1))
    return np.abs(gx) + np.abs(gy)


def sobel_edges(frame: np.ndarray, threshold: int = 0) -> np.ndarray:
    """Return the edge core's output frame (uint8, same shape) for ``frame``.

    ``threshold`` 0 gives ``min(255, |Gx|+|Gy|)``; 1..4095 gives a 0/255 edge map.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise EdgeConfigError(f"expected an integer threshold, got {type(threshold).__name__}")
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise EdgeConfigError(f"expected threshold in 0..{MAX_THRESHOLD}, got {threshold}")
    mag = sobel_magnitude(frame)
    if threshold:
        return np.where(mag >= threshold, 255, 0).astype(np.uint8)
    return np.minimum(mag, 255).astype(np.uint8)


def _check_ppc(ppc: int) -> None:
    if ppc not in SUPPORTED_PPC:
        raise EdgeConfigError(f"expected ppc in {SUPPORTED_PPC}, got {ppc}")


def pack_frame(frame: np.ndarray, ppc: int) -> np.ndarray:
    """Lay ``frame`` out as stream beats: array (height, ceil(width/ppc)) of integers.

    Each element (uint64) is one beat's ``tdata``: ``8*ppc`` bits, pixel 0 in the low byte.
    """
    _check_ppc(ppc)
    f = _check_frame(frame)
    h, w = f.shape
    bpl = -(-w // ppc)
    padded = np.zeros((h, bpl * ppc), dtype=np.uint64)
    padded[:, :w] = f
    lanes = padded.reshape(h, bpl, ppc)
    shifts = (np.arange(ppc, dtype=np.uint64) * np.uint64(8))
    return np.bitwise_or.reduce(lanes << shifts, axis=2)


def unpack_frame(beats: np.ndarray, width: int, ppc: int) -> np.ndarray:
    """Inverse of :func:`pack_frame`: beats (height, ceil(width/ppc)) -> uint8 (height, width)."""
    _check_ppc(ppc)
    b = np.asarray(beats, dtype=np.uint64)
    if b.ndim != 2 or b.shape[1] != -(-width // ppc):
        raise EdgeConfigError(
            f"expected beats of shape (height, {-(-width // ppc)}), got {tuple(b.shape)}"
        )
    shifts = (np.arange(ppc, dtype=np.uint64) * np.uint64(8))
    lanes = (b[:, :, None] >> shifts) & np.uint64(0xFF)
    return lanes.reshape(b.shape[0], -1)[:, :width].astype(np.uint8)
