"""The classifier's crop and downscale in the fabric (``hw/rtl/fcnn_crop_scale.sv``), numpy only.

The block computes, for a frame streamed into it, exactly what the runtime computes on
the host with :func:`fpgacnn.spec.frames.classifier_codes`: the crop box of the
package's :class:`~fpgacnn.spec.frames.CropRule`, BGR(A) -> RGB, then
:func:`fpgacnn.spec.preprocess.to_codes` with the model's
:class:`~fpgacnn.spec.preprocess.InputSpec`. It implements the integer area resize
(``ResizeMethod.AREA``, downscaling or keeping the size) and ``full_scale`` 256 (8-bit
pixels are their own codes); :func:`hdl_parameters` refuses any other rule with a
:class:`~fpgacnn.spec.errors.ConfigError`, and a crop box smaller than the model's
input is refused by the block itself (``ERROR.BAD_SIZE``).

- :func:`hdl_parameters`: the block's HDL parameters for a model and a frame source;
- :func:`min_crop_width`: the narrowest crop box the block takes at PPC pixels per beat;
- :func:`register_values`: what the host writes into its registers
  (:data:`fpgacnn.spec.cores.CROP_MAP`) for a frame size;
- :func:`frame_registers`: the same, refusing a frame whose crop box the block would
  refuse (what the pynq driver and the ``rtl`` backend's harness write);
- :func:`crops_in_fabric`: whether a package's classifier input is cut by the block
  (:data:`CLASSIFIER_INPUT_PARAM` of its classifier core);
- :func:`golden`: the numpy golden model for any crop box (the testbench's reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .cores import CROP_MAP
from .edge import SUPPORTED_PPC
from .errors import ConfigError, FrameError
from .frames import CropRule
from .preprocess import InputSpec, ResizeMethod, to_codes

if TYPE_CHECKING:
    from .package import Package

#: The classifier core's ``params`` key (:class:`~fpgacnn.spec.package.CoreSpec`) that says
#: where its input image is cut: :data:`FABRIC_INPUT` (this block, fed from the frame
#: stream) or ``"host"`` (the host crops in numpy and sends the image).
CLASSIFIER_INPUT_PARAM = "input"
#: :data:`CLASSIFIER_INPUT_PARAM` of a classifier fed by this block (``--classifier-input
#: fabric``).
FABRIC_INPUT = "fabric"

#: The only ``CropRule.full_scale`` the block takes (8-bit pixels are their own codes).
FABRIC_FULL_SCALE = 256


def hdl_parameters(
    rule: CropRule,
    spec: InputSpec,
    *,
    in_channels: int,
    max_width: int,
    max_height: int,
    bgr: bool = True,
    ppc: int = 1,
) -> dict[str, int]:
    """HDL parameters of ``fcnn_crop_scale`` for a model (``spec``, ``rule``) and a source.

    ``in_channels`` is 1 for a gray stream, 3 for a 24-bit colour stream (``bgr``: B in
    the low byte, as OpenCV frames lie in memory); ``ppc`` pixels per beat (the edge
    core's). :class:`ConfigError` naming what the block takes when the rule needs
    anything but the area resize at ``full_scale`` 256, or the sizes are out of range
    (the narrowest crop box, :func:`min_crop_width`, must fit the maximum frame).
    """
    if spec.resize is not ResizeMethod.AREA:
        raise ConfigError(f"the fabric crop-and-downscale implements resize 'area' only, got "
                          f"{spec.resize.value!r} (use the host path or an area model)")
    if rule.full_scale != FABRIC_FULL_SCALE:
        raise ConfigError(f"the fabric crop-and-downscale takes full_scale "
                          f"{FABRIC_FULL_SCALE} (8-bit frames), got {rule.full_scale}")
    if in_channels not in (1, 3):
        raise ConfigError(f"in_channels must be 1 (gray) or 3 (colour), got {in_channels!r}")
    if spec.width < 2 or spec.width > max_width or spec.height > max_height:
        raise ConfigError(f"the model input {spec.width}x{spec.height} must be at least 2 "
                          f"pixels wide and fit the maximum frame {max_width}x{max_height}")
    if not (1 <= max_width <= 65535 and 1 <= max_height <= 65535):
        raise ConfigError(f"maximum frame must be 1..65535 x 1..65535, got "
                          f"{max_width}x{max_height}")
    if ppc not in SUPPORTED_PPC:
        raise ConfigError(f"ppc must be one of {SUPPORTED_PPC}, got {ppc!r}")
    if min_crop_width(ppc, spec.width) > max_width:
        raise ConfigError(f"at {ppc} pixels per clock the crop box is at least "
                          f"{min_crop_width(ppc, spec.width)} pixels wide ({ppc} x the model "
                          f"input width {spec.width}), more than the maximum frame width "
                          f"{max_width}")
    return {
        "PPC": ppc,
        "IN_CHANNELS": in_channels,
        "BGR": int(bool(bgr)),
        "OUT_CHANNELS": spec.color.channels,
        "OUT_WIDTH": spec.width,
        "OUT_HEIGHT": spec.height,
        "MAX_WIDTH": max_width,
        "MAX_HEIGHT": max_height,
    }


def min_crop_width(ppc: int, out_width: int) -> int:
    """The fewest crop columns the block takes at ``ppc`` pixels per beat: ``ppc *
    out_width`` (an output column then spans at least one beat, so a beat reaches at most
    two output columns, which the block sums in one clock). A narrower box is refused
    with ``ERROR.BAD_SIZE`` (and by the driver before the frame is sent)."""
    return ppc * out_width


def register_values(rule: CropRule, height: int, width: int) -> dict[str, int]:
    """Register name -> value (:data:`~fpgacnn.spec.cores.CROP_MAP`) for ``height`` x ``width``
    frames: the frame size, the rule's crop box and ``CTRL`` (``ENABLE``, ``INVERT``)."""
    y0, x0, rows, cols = rule.box(height, width)
    ctrl = CROP_MAP["CTRL"]
    enable, invert = ctrl.field("ENABLE").mask, ctrl.field("INVERT").mask
    return {
        "FRAME_WIDTH": width, "FRAME_HEIGHT": height,
        "CROP_X": x0, "CROP_Y": y0, "CROP_WIDTH": cols, "CROP_HEIGHT": rows,
        "CTRL": enable | (invert if rule.invert else 0),
    }


def frame_registers(rule: CropRule, height: int, width: int, *, ppc: int,
                    out_width: int) -> dict[str, int]:
    """:func:`register_values` for ``height`` x ``width`` frames, or :class:`FrameError`
    when the rule's crop box is narrower than :func:`min_crop_width` (the block would
    refuse the frame with ``ERROR.BAD_SIZE``)."""
    regs = register_values(rule, height, width)
    least = min_crop_width(ppc, out_width)
    if regs["CROP_WIDTH"] < least:
        raise FrameError(f"the fabric crop takes a crop box at least {least} pixels wide "
                         f"(PPC x the model input width); a {width}x{height} frame's is "
                         f"{regs['CROP_WIDTH']} (send larger frames, or build with "
                         f"--classifier-input host)")
    return regs


def crops_in_fabric(package: Package) -> bool:
    """True when ``package``'s classifier input is cut by this block from the frame stream
    (its classifier core's ``params[CLASSIFIER_INPUT_PARAM]`` is :data:`FABRIC_INPUT`)."""
    from .package import CoreKind

    core = package.core(CoreKind.CLASSIFIER)
    return core is not None and core.params.get(CLASSIFIER_INPUT_PARAM) == FABRIC_INPUT


def golden(
    frame: np.ndarray,
    box: tuple[int, int, int, int],
    spec: InputSpec,
    *,
    invert: bool = False,
    bgr: bool = True,
) -> np.ndarray:
    """The block's output image ``(H, W, C)`` uint8 for a uint8 frame and a crop box.

    ``frame`` is (h, w) gray or (h, w, 3) colour in the stream's byte order (``bgr``);
    ``box`` is ``(y0, x0, rows, cols)``. Equal to
    :func:`~fpgacnn.spec.frames.classifier_codes` when ``box`` is the rule's box and
    the frame is BGR.
    """
    y0, x0, rows, cols = box
    crop = frame[y0:y0 + rows, x0:x0 + cols]
    if crop.ndim == 3 and bgr:
        crop = crop[:, :, ::-1]
    return to_codes(crop[None], spec, full_scale=FABRIC_FULL_SCALE, invert=invert)[0]


__all__ = ["CLASSIFIER_INPUT_PARAM", "FABRIC_FULL_SCALE", "FABRIC_INPUT", "crops_in_fabric",
           "frame_registers", "golden", "hdl_parameters", "min_crop_width", "register_values"]
