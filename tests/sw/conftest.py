"""Session-wide fixtures of the sw tests: one simulation package (hls4ml C-sim compiled once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def sim_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulation package of the shipped digits model (PPC 4, 640x480, with csim/)."""
    from fpgacnn.apps.sim_package import build_sim_package

    out = tmp_path_factory.mktemp("pkg") / "digits_sim"
    build_sim_package(out)
    return out


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's load_digits: (1797, 8, 8) codes 0..255 and labels."""
    from fpgacnn.apps.stream_demo import digit_codes

    return digit_codes()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """scikit-image's camera photo, 512x512 gray."""
    import skimage.data

    return skimage.data.camera()
