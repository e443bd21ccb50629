"""The rtl backend's frame path front (fpgacnn.sim.frame_harness, fpgacnn.sim.engine): the
Verilated fcnn_rgb2gray and fcnn_crop_scale give the host's numpy bits (gray_of,
classifier_codes) on real photos, refuse bad frames with one typed line, and run inside
the pipeline the way the board does.

The default suite builds two fronts: PPC 4 colour with a gray 8x8 model at 640x480 (the
default simulation package's, so the pipeline tests reuse it) and PPC 2 gray input; the
RGB-model (PPC 1 and 8) and PPC 1 gray builds run behind ``slow``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fpgacnn.spec.crop_scale import min_crop_width
from fpgacnn.spec.errors import ConfigError, FrameError
from fpgacnn.spec.frames import CropRule, Region, classifier_codes, gray_of
from fpgacnn.spec.preprocess import ColorMode, InputSpec, ResizeMethod

pytestmark = pytest.mark.sim

GRAY8 = InputSpec(height=8, width=8, color=ColorMode.GRAY, resize=ResizeMethod.AREA)
RGB8 = InputSpec(height=8, width=8, color=ColorMode.RGB, resize=ResizeMethod.AREA)
#: Rules the same build takes (the crop box and INVERT are registers): the default centred
#: square, the whole frame (odd, non-square boxes), a smaller inverted square.
RULES = (CropRule(), CropRule(region=Region.FULL),
         CropRule(fraction=0.6, invert=True))


def _bgr(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return np.ascontiguousarray(img[:, :, 2::-1]) if img.ndim == 3 else img


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """Real photos, colour (BGR) and gray, cut to odd sizes that fit 640x480."""
    return [_bgr("astronaut")[37:338, 20:475],   # 455x301 colour
            _bgr("camera")[100:161, 3:100],      # 97x61 gray
            _bgr("coffee")[:400, :600],          # 600x400 colour
            _bgr("coins")[:303, :384]]           # 384x303 gray


@pytest.fixture(scope="module")
def front() -> Iterator[Callable[..., object]]:
    """``front(ppc, color, spec) -> FrameHarness`` at 640x480, one per parameter set."""
    from fpgacnn.sim.frame_harness import FrameHarness

    made: dict[tuple, FrameHarness] = {}

    def make(ppc: int, color: bool, spec: InputSpec | None, rule: CropRule | None = None):
        key = (ppc, color, spec)
        if key not in made:
            made[key] = FrameHarness(ppc=ppc, max_width=640, max_height=480, color=color,
                                     rule=CropRule() if spec is not None else None, spec=spec)
        h = made[key]
        if rule is not None:
            h.rule = rule
        return h

    yield make
    for h in made.values():
        h.close()


def _check_front(h, photos: list[np.ndarray], spec: InputSpec, *, color: bool) -> None:  # noqa: ANN001
    for rule in RULES:
        h.rule = rule
        for k, photo in enumerate(photos):
            frame = photo if color or photo.ndim == 2 else gray_of(photo)
            if rule.box(*frame.shape[:2])[3] < min_crop_width(h.ppc, spec.width):
                with pytest.raises(FrameError, match=r"^the fabric crop takes a crop box at "):
                    h.run([frame])  # the board's driver refuses it too
                continue
            res = h.run([frame], idle=0.2 if k == 1 else 0.0,
                        backpressure=0.3 if k == 1 else 0.0, seed=k)
            want = classifier_codes(frame, rule, spec)
            assert res.codes is not None and np.array_equal(res.codes[0], want), (rule, k)
            if color:
                assert res.gray is not None and np.array_equal(res.gray[0], gray_of(frame))
            else:
                assert res.gray is None


@pytest.mark.parametrize(("ppc", "color", "spec"), [
    (4, True, GRAY8),  # the default package's front (colour frames, gray model)
    (2, False, GRAY8),  # gray edge input: the crop block alone (each frame sent whole,
                        # though its codes are complete before the frame's last beat)
    pytest.param(1, True, RGB8, marks=pytest.mark.slow),  # three value channels
    pytest.param(8, True, RGB8, marks=pytest.mark.slow),
    pytest.param(1, False, GRAY8, marks=pytest.mark.slow),
])
def test_front_matches_numpy(front, photos, ppc: int, color: bool, spec: InputSpec) -> None:  # noqa: ANN001
    """Gray and codes bit for bit equal to gray_of / classifier_codes, for every rule, on
    colour and gray photos of odd sizes, also under idle and backpressure."""
    _check_front(front(ppc, color, spec), photos, spec, color=color)


def test_front_back_to_back_frames_and_identity(front, photos) -> None:  # noqa: ANN001
    """Several frames of one size in one run: each frame's own codes; the crop block's
    identification registers are the contracts layer's parameters."""
    h = front(4, True, GRAY8, CropRule())
    frames = [photos[2], photos[2][:, ::-1].copy(), photos[2][::-1].copy()]
    res = h.run(frames)
    for f, codes, gray in zip(frames, res.codes, res.gray, strict=True):
        assert np.array_equal(codes, classifier_codes(f, CropRule(), GRAY8))
        assert np.array_equal(gray, gray_of(f))
    assert res.first_in[1] > res.last_in[0] and res.last_code[2] > res.last_code[1]
    assert h.read_register("CFG_OUT_WIDTH") == 8 and h.read_register("CFG_IN_CHANNELS") == 3
    assert h.read_register("FRAME_WIDTH") == 600


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_front_bad_input(front, photos) -> None:  # noqa: ANN001
    """Bad frames and settings: a typed one-line error naming expected and got, and the
    harness still works afterwards."""
    from fpgacnn.sim.frame_harness import FrameHarness

    h = front(4, True, GRAY8, CropRule())
    with pytest.raises(FrameError) as e:  # the crop box is 20 columns, the block takes 32
        h.run([photos[0][:20, :40]])
    assert re.fullmatch(r"the fabric crop takes a crop box at least 32 pixels wide .* a "
                        r"40x20 frame's is 20 .*", _one_line(e))
    with pytest.raises(FrameError, match=r"^frame 0: expected dtype uint8, got float32$"):
        h.run([photos[0].astype(np.float32)])
    with pytest.raises(FrameError, match=r"frame 0: .*the harness's maximum"):
        h.run([np.zeros((481, 640, 3), np.uint8)])
    with pytest.raises(FrameError, match=r"^frame 1: expected the size of frame 0, 455x301, "
                                         r"got 97x61$"):
        h.run([photos[0], photos[1]])
    with pytest.raises(ConfigError, match=r"^expected idle probability in \[0, 1\), got 1.5$"):
        h.run([photos[0]], idle=1.5)
    res = h.run([photos[0]])  # still in step
    assert np.array_equal(res.codes[0], classifier_codes(photos[0], CropRule(), GRAY8))
    with pytest.raises(ConfigError, match=r"^the fabric crop-and-downscale implements resize "
                                          r"'area' only, got 'bilinear'"):
        FrameHarness(ppc=1, max_width=64, max_height=64, color=True, rule=CropRule(),
                     spec=InputSpec(height=8, width=8, color=ColorMode.GRAY,
                                    resize=ResizeMethod.BILINEAR))
    with pytest.raises(ConfigError, match=r"^a gray frame path without the crop block"):
        FrameHarness(ppc=1, max_width=64, max_height=64, color=False)


def test_gray_front_refuses_colour(front, photos) -> None:  # noqa: ANN001
    """A gray-input front (the board's gray edge DMA) takes (h, w) frames only."""
    h = front(2, False, GRAY8, CropRule())
    with pytest.raises(FrameError, match=r"^frame 0: expected a 2-D gray frame \(height, "
                                         r"width\), got shape \(301, 455, 3\)$"):
        h.run([photos[0]])


# -- the pipeline --------------------------------------------------------------------------

def test_rtl_pipeline_runs_the_front(sim_package: Path, photos) -> None:  # noqa: ANN001
    """On the default package (colour edge input, fabric classifier input) the rtl
    backend's classifier takes its codes from the simulated crop block and its edge core
    the simulated gray: same labels, scores and edges as the reference backend; a crop box
    the block refuses is the board's FrameError; with the C-sim classifier the host crops
    and the edge core still takes the RTL's gray."""
    from fpgacnn.spec.crop_scale import crops_in_fabric
    from fpgacnn.spec.package import CoreKind, load_package
    from fpgacnn.sw.pipeline import Pipeline

    pkg = load_package(sim_package)
    edge = pkg.core(CoreKind.EDGE)
    assert crops_in_fabric(pkg) and edge is not None and edge.stream_in_bits == 24 * edge.ppc
    frames = [photos[0], photos[1], photos[3]]
    with Pipeline.open(sim_package, "reference") as ref:
        want = [ref.process(f) for f in frames]
    with Pipeline.open(sim_package, "rtl") as pipe:
        cls, eng = pipe._classifier, pipe._edge  # noqa: SLF001
        assert cls.crops_frames and eng.takes_color
        got = list(pipe.stream(iter(frames)))
        with pytest.raises(FrameError, match=r"^the fabric crop takes a crop box at least 32 "):
            pipe.process(photos[0][:30, :60])
        again = pipe.process(frames[0])  # in step after the refusal
    for a, b in zip(want, [*got, again], strict=False):
        assert np.array_equal(a.edges, b.edges)
        assert np.array_equal(a.scores, b.scores) and a.label == b.label
    assert np.array_equal(again.scores, want[0].scores)
    assert set(got[0].timings) == set(want[0].timings) | {"edge_hw", "classify_hw"}
    with Pipeline.open(sim_package, "rtl", classifier_backend="csim") as pipe:
        assert not getattr(pipe._classifier, "crops_frames", False)  # noqa: SLF001
        assert pipe._edge.takes_color  # noqa: SLF001 - still the RTL's gray
        r = pipe.process(frames[0])
    assert np.array_equal(r.scores, want[0].scores)


def test_sim_package_frame_path_options(tmp_path: Path) -> None:
    """Unknown frame path options are refused in one line before any work."""
    from fpgacnn.apps.sim_package import build_sim_package
    from fpgacnn.spec.errors import UsageError

    with pytest.raises(UsageError, match=r"^edge_input must be one of \['color', 'gray'\], "
                                         r"got 'rgb'$"):
        build_sim_package(tmp_path / "a", edge_input="rgb")
    with pytest.raises(UsageError, match=r"^classifier_input must be one of \['fabric', "
                                         r"'host'\], got 'pl'$"):
        build_sim_package(tmp_path / "b", classifier_input="pl")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize("params", [
    {"PPC": 4, "IN_CHANNELS": 3, "CROP": 1},
    {"PPC": 1, "IN_CHANNELS": 3, "CROP": 0},
    {"PPC": 2, "IN_CHANNELS": 1, "CROP": 1},
    {"PPC": 8, "IN_CHANNELS": 3, "CROP": 1, "OUT_CHANNELS": 3},
])
def test_front_wrapper_lint_clean(params: dict[str, int]) -> None:
    """The harness's wrapper is valid HDL on its own (verilator --lint-only -Wall) in each
    configuration the rtl backend builds."""
    import subprocess

    from fpgacnn.sim.frame_harness import TOPLEVEL, front_sources
    from fpgacnn.sim.verilator_env import verilator_environ, verilator_executable

    cmd = [verilator_executable(), "--lint-only", "-Wall", "--top-module", TOPLEVEL,
           *(f"-G{k}={v}" for k, v in params.items()), *map(str, front_sources())]
    res = subprocess.run(cmd, env=verilator_environ(), capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr
