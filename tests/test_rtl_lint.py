"""Every hand-written RTL file is lint-clean under ``verilator --lint-only -Wall``."""

from __future__ import annotations

import subprocess

import pytest

from fpgacnn.hw import RTL_DIR, rtl_sources
from fpgacnn.sim.verilator_env import verilator_environ, verilator_executable
from fpgacnn.spec.filelist import read_filelist


def _lint(top: str, params: dict[str, int | str]) -> subprocess.CompletedProcess:
    """Lint ``top`` with the files of its list ``hw/rtl/<top>.f``."""
    cmd = [verilator_executable(), "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in params.items()]
    cmd += [str(f) for f in rtl_sources(top)]
    return subprocess.run(cmd, env=verilator_environ(), capture_output=True, text=True)


@pytest.mark.parametrize("ppc", [1, 2, 4, 8])
@pytest.mark.parametrize("size", [(1920, 1080), (640, 480), (3, 1)])
def test_edge_core_lint_clean(ppc: int, size: tuple[int, int]) -> None:
    params = {"PPC": ppc, "MAX_WIDTH": size[0], "MAX_HEIGHT": size[1]}
    res = _lint("fcnn_edge_core", params)
    assert res.returncode == 0, res.stderr
    assert "%Warning" not in res.stderr, res.stderr


def test_bad_ppc_stops_elaboration() -> None:
    res = _lint("fcnn_edge_core", {"PPC": 3})
    assert res.returncode != 0
    assert "PPC must be 1, 2, 4 or 8, got 3" in res.stderr


# CNN core building blocks (each needs the skid buffer): top -> parameter sets.
CNN_BLOCKS: dict[str, list[dict[str, int | str]]] = {
    "fcnn_cnn_maxpool": [
        {"C": 16, "BW": 4, "W": 6, "H": 6, "P": 2},
        {"C": 3, "BW": 8, "SIGNED": 1, "W": 7, "H": 5, "P": 2},
        {"C": 2, "BW": 4, "W": 8, "H": 8, "P": 4},
        {"C": 1, "BW": 1, "W": 1, "H": 1, "P": 1},
    ],
    "fcnn_cnn_requant": [
        {"C": 4, "IW": 12, "OW": 4, "SHIFT": 4},
        {"C": 4, "IW": 20, "OW": 8, "O_SIGNED": 1, "SHIFT": 0},
        {"C": 2, "IW": 16, "OW": 8, "SHIFT": -2},
        {"C": 1, "IW": 4, "OW": 8, "O_SIGNED": 1, "SHIFT": 7},
    ],
    "fcnn_cnn_threshold": [
        {"C": 10, "IW": 20, "OW": 2, "N": 1, "THRESHOLDS": "20'h00001", "LEVELS": "4'b0111"},
        {"C": 1, "IW": 4, "I_SIGNED": 0, "OW": 8, "N": 15},
        {"C": 2, "IW": 64, "OW": 32, "N": 63},
        {"C": 32, "IW": 27, "OW": 11, "N": 10, "PE": 8},
        {"C": 4, "IW": 8, "I_SIGNED": 0, "OW": 4, "N": 3, "PE": 1},
    ],
    "fcnn_cnn_argmax": [{"N": 10, "SW": 16}, {"N": 1, "SW": 1}, {"N": 256, "SW": 8},
                        {"N": 144, "SW": 8, "SIGNED": 0}],
    "fcnn_cnn_mvu": [
        {"IN_LEN": 576, "C_IN": 576, "N": 64, "PE": 8, "SIMD": 32, "XW": 2, "WW": 2,
         "ACC_W": 14, "VECTORS": 16, "WEIGHT_FILE": '"w.mem"'},
        {"IN_LEN": 12, "C_IN": 3, "N": 6, "PE": 2, "SIMD": 1, "XW": 3, "X_SIGNED": 1, "WW": 1,
         "ACC_W": 9, "PROD_SHIFT": 1, "ROM_STYLE": '"distributed"'},
        {"IN_LEN": 16, "C_IN": 2, "N": 4, "PE": 4, "SIMD": 16, "XW": 4, "WW": 4, "ACC_W": 12,
         "USE_DSP": 1, "VECTORS": 3},
        {"IN_LEN": 32, "C_IN": 2, "N": 6, "PE": 2, "SIMD": 4, "XW": 8, "WW": 8, "ACC_W": 24,
         "BIAS": "144'h" + "7f" * 18},
        {"IN_LEN": 1, "C_IN": 1, "N": 1, "PE": 1, "SIMD": 1, "XW": 1, "WW": 1, "ACC_W": 2},
        {"IN_LEN": 8, "C_IN": 8, "N": 6, "PE": 2, "SIMD": 8, "XW": 2, "WW": 2, "ACC_W": 8},
        {"IN_LEN": 8, "C_IN": 8, "N": 4, "PE": 2, "SIMD": 8, "XW": 2, "WW": 2, "ACC_W": 8},
        {"IN_LEN": 576, "C_IN": 32, "N": 64, "PE": 8, "SIMD": 32, "XW": 2, "WW": 2,
         "ACC_W": 14, "OUT_W": 2, "SHIFT": 4},
        {"IN_LEN": 12, "C_IN": 12, "N": 4, "PE": 4, "SIMD": 12, "XW": 3, "X_SIGNED": 1,
         "WW": 3, "ACC_W": 10, "OUT_W": 4, "O_SIGNED": 1, "SHIFT": -2},
    ],
}
CNN_BAD: list[tuple[str, dict[str, int], str]] = [
    ("fcnn_cnn_maxpool", {"W": 3, "H": 4, "P": 4}, "W and H must be >= P, got W=3 H=4 P=4"),
    ("fcnn_cnn_requant", {"O_SIGNED": 2}, "O_SIGNED must be 0 or 1, got 2"),
    ("fcnn_cnn_argmax", {"N": 257}, "N must be 1..256, got 257"),
    ("fcnn_cnn_threshold", {"N": 64}, "N must be 1..63, got 64"),
    ("fcnn_cnn_threshold", {"C": 4, "PE": 3}, "PE must divide C, got C=4 PE=3"),
    ("fcnn_cnn_argmax", {"SIGNED": 2}, "SIGNED must be 0 or 1, got 2"),
    ("fcnn_cnn_mvu", {"OUT_W": 33}, "need OUT_W 0..32, O_SIGNED 0 or 1, SHIFT -32..64, got 33"),
    ("fcnn_cnn_mvu", {"IN_LEN": 12, "C_IN": 4, "SIMD": 3},
     "SIMD % C_IN == 0 or C_IN % SIMD == 0, got IN_LEN=12 C_IN=4 SIMD=3"),
    ("fcnn_cnn_mvu", {"N": 6, "PE": 4}, "need N % PE == 0, got N=6 PE=4"),
    ("fcnn_cnn_mvu", {"ROM_STYLE": '"bram"'},
     'ROM_STYLE must be "block" or "distributed", got "bram"'),
]


@pytest.mark.parametrize(
    ("top", "params"),
    [(top, p) for top, sets in CNN_BLOCKS.items() for p in sets],
    ids=lambda v: v if isinstance(v, str) else "_".join(f"{k}{str(x)[:8]}" for k, x in v.items()),
)
def test_cnn_block_lint_clean(top: str, params: dict[str, int | str]) -> None:
    res = _lint(top, params)
    assert res.returncode == 0, res.stderr
    assert "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize(("top", "params", "message"), CNN_BAD, ids=[b[0] for b in CNN_BAD])
def test_cnn_block_bad_parameters_stop_elaboration(
    top: str, params: dict[str, int], message: str
) -> None:
    res = _lint(top, params)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr


# Stream plumbing of the classifier and the DMA-framed edge core: top -> parameter sets.
PLUMBING: dict[str, list[dict[str, int]]] = {
    "fcnn_cnn_window": [
        {"C": 1, "BW": 8, "W": 8, "H": 8, "K": 3, "PAD": 0},
        {"C": 3, "BW": 4, "W": 7, "H": 6, "K": 5, "PAD": 2},
        {"C": 2, "BW": 3, "W": 4, "H": 3, "K": 1, "PAD": 0},
    ],
    "fcnn_cnn_swu": [
        {"C": 64, "BW": 2, "W": 30, "H": 30, "K": 3, "PAD": 0, "SIMD": 32},
        {"C": 3, "BW": 8, "W": 7, "H": 6, "K": 5, "PAD": 2, "STRIDE": 2, "SIMD": 1,
         "RAM_STYLE": '"distributed"'},
        {"C": 4, "BW": 1, "W": 1, "H": 1, "K": 1, "SIMD": 4},
        {"C": 8, "BW": 4, "W": 8, "H": 8, "K": 3, "PAD": 1, "STRIDE": 2, "SIMD": 2,
         "OH": 4, "OW": 4, "ROWS": 5},
    ],
    "fcnn_cnn_kshell": [
        {"IN_W": 72, "OUT_W": 96, "LATENCY": 3, "DEPTH": 8},
        {"IN_W": 8, "OUT_W": 8, "LATENCY": 1, "DEPTH": 4},
        {"IN_W": 8, "OUT_W": 8, "LATENCY": 0, "DEPTH": 2},
    ],
    "fcnn_cnn_fifo": [{"WIDTH": 9, "DEPTH": 16}],
    "fcnn_cnn_gather": [{"DW": 32, "BEATS": 36}, {"DW": 8, "BEATS": 1}, {"DW": 1, "BEATS": 2}],
    "fcnn_cnn_framer": [{"DW": 8, "PIXELS": 784}, {"DW": 24, "PIXELS": 5},
                        {"DW": 1, "PIXELS": 1}],
    "fcnn_edge_dma": [{"PPC": 1}, {"PPC": 8, "MAX_WIDTH": 640, "MAX_HEIGHT": 480}],
    "fcnn_build_id": [{}, {"BUILD_ID_LO": 0xFEDCBA98, "BUILD_ID_HI": 0xFFFFFFFF}],
    "fcnn_rgb2gray": [{"PPC": 1}, {"PPC": 4, "BGR": 0}, {"PPC": 8}],
    "fcnn_axis_broadcast": [{"DATA_W": 8}, {"DATA_W": 64}],
    "fcnn_crop_scale": [
        {},
        {"IN_CHANNELS": 3, "OUT_CHANNELS": 1, "OUT_WIDTH": 28, "OUT_HEIGHT": 28,
         "MAX_WIDTH": 640, "MAX_HEIGHT": 480},
        {"IN_CHANNELS": 3, "BGR": 0, "OUT_CHANNELS": 3, "OUT_WIDTH": 32, "OUT_HEIGHT": 32},
        {"IN_CHANNELS": 1, "OUT_CHANNELS": 3, "OUT_WIDTH": 2, "OUT_HEIGHT": 1,
         "MAX_WIDTH": 7, "MAX_HEIGHT": 3},
        {"PPC": 2, "IN_CHANNELS": 1, "OUT_CHANNELS": 1, "OUT_WIDTH": 3, "OUT_HEIGHT": 2,
         "MAX_WIDTH": 17, "MAX_HEIGHT": 5},
        {"PPC": 8, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "MAX_WIDTH": 640, "MAX_HEIGHT": 480},
    ],
    "fcnn_crop_scale_dma": [
        {},
        {"PPC": 4, "IN_CHANNELS": 3, "OUT_CHANNELS": 1, "MAX_WIDTH": 640, "MAX_HEIGHT": 480},
        {"PPC": 8, "IN_CHANNELS": 3, "OUT_CHANNELS": 3, "OUT_WIDTH": 32, "OUT_HEIGHT": 32},
    ],
}
PLUMBING_BAD: list[tuple[str, dict[str, int], str]] = [
    ("fcnn_cnn_window", {"K": 3, "PAD": 3}, "PAD must be 0..K-1, got 3"),
    ("fcnn_cnn_swu", {"C": 8, "SIMD": 3}, "need C % SIMD == 0, got C=8 SIMD=3"),
    ("fcnn_cnn_swu", {"K": 3, "STRIDE": 2, "ROWS": 4}, "ROWS must be >= K + STRIDE = 5, got 4"),
    ("fcnn_cnn_swu", {"H": 8, "OH": 9}, "OH=9 OW=6 windows do not fit the 8x8 image"),
    ("fcnn_cnn_kshell", {"LATENCY": 4, "DEPTH": 4}, "DEPTH (4) must exceed LATENCY (4)"),
    ("fcnn_cnn_fifo", {"DEPTH": 6}, "DEPTH must be a power of two >= 2, got 6"),
    ("fcnn_cnn_framer", {"PIXELS": 0}, "PIXELS must be >= 1, got 0"),
    ("fcnn_cnn_gather", {"BEATS": 0}, "BEATS must be >= 1, got 0"),
    ("fcnn_rgb2gray", {"PPC": 3}, "PPC must be 1, 2, 4 or 8, got 3"),
    ("fcnn_crop_scale", {"IN_CHANNELS": 2}, "IN_CHANNELS must be 1 or 3, got 2"),
    ("fcnn_crop_scale_dma", {"PPC": 3}, "PPC must be 1, 2, 4 or 8, got 3"),
    ("fcnn_crop_scale", {"PPC": 6}, "PPC must be 1, 2, 4 or 8, got 6"),
    ("fcnn_crop_scale", {"PPC": 8, "OUT_WIDTH": 32, "MAX_WIDTH": 255},
     "PPC * OUT_WIDTH (256) must not exceed MAX_WIDTH (255)"),
    ("fcnn_crop_scale", {"OUT_WIDTH": 1},
     "need 2 <= OUT_WIDTH <= MAX_WIDTH and 1 <= OUT_HEIGHT <= MAX_HEIGHT, got OUT_WIDTH=1"),
]


@pytest.mark.parametrize(
    ("top", "params"),
    [(top, p) for top, sets in PLUMBING.items() for p in sets],
    ids=lambda v: v if isinstance(v, str) else "_".join(f"{k}{x}" for k, x in v.items()),
)
def test_plumbing_lint_clean(top: str, params: dict[str, int]) -> None:
    res = _lint(top, params)
    assert res.returncode == 0, res.stderr
    assert "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize(("top", "params", "message"), PLUMBING_BAD,
                         ids=[b[0] for b in PLUMBING_BAD])
def test_plumbing_bad_parameters_stop_elaboration(
    top: str, params: dict[str, int], message: str
) -> None:
    res = _lint(top, params)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr


def test_every_rtl_file_is_linted() -> None:
    """No RTL file escapes the lint tests above (add new cores to this module)."""
    on_disk = set(RTL_DIR.glob("*.sv"))
    tops = ["fcnn_edge_core", *CNN_BLOCKS, *PLUMBING]
    linted = {f for top in tops for f in rtl_sources(top)}
    assert on_disk == linted


def test_every_module_has_a_file_list_that_parses() -> None:
    """verilog-axis style: ``<module>.f`` beside ``<module>.sv``, ending with the module."""
    for sv in sorted(RTL_DIR.glob("*.sv")):
        flist = sv.with_suffix(".f")
        assert flist.is_file(), f"{sv.name} has no file list {flist.name}"
        files = read_filelist(flist)
        assert files[-1] == sv.resolve(), f"{flist.name} must list {sv.name} last"
        assert len(set(files)) == len(files)
    assert {p.stem for p in RTL_DIR.glob("*.f")} == {p.stem for p in RTL_DIR.glob("*.sv")}
