"""The whole frame path of the default board design in one simulation (slow).

:func:`fpgacnn.apps.bench_frame_path.run_frames` builds ``fcnn_frame_path_top``
(broadcast -> rgb2gray -> edge DMA wrapper, and -> crop -> the default package's
generated classifier) and runs ``sim/fcnn_frame_path/tb_fcnn_frame_path.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("ppc", [1, 4, 8])
def test_frame_path_bit_exact(ppc: int, tmp_path: Path) -> None:
    """Three 96x72 colour frames back to back under the idle x backpressure matrix: every
    edge map and score beat equal to the reference backend's."""
    from fpgacnn.apps.bench_frame_path import run_frames

    run_frames(ppc, tmp_path, (96, 72), 3)
