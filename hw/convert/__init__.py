"""QKeras -> hls4ml firmware (Vitis HLS, io_stream) with a bit-exact C simulation.

:func:`convert` first puts the model in its inference form (:func:`canonicalize`),
then plans every fixed-point type from the model's quantizers,
checks them against calibration data, writes the hls4ml project, compiles
its C simulation and verifies it against QKeras. TensorFlow and hls4ml are
imported only when a function needs them.
"""

from .canonical import CanonicalModel, Notice, canonicalize, parse_input_type
from .config import Backend, ConvertConfig, IOType, Strategy
from .convert import BitExactReport, ConversionResult, ModelSource, convert, from_model
from .errors import (
    ConversionDirError,
    PredictInputError,
    RangeOverflowError,
    UnsupportedLayerError,
)
from .fixed import FixedType, Overflow, Rounding
from .predict import predict
from .sources import load_source

__all__ = [
    "Backend",
    "BitExactReport",
    "CanonicalModel",
    "Notice",
    "canonicalize",
    "parse_input_type",
    "ConversionResult",
    "ModelSource",
    "convert",
    "from_model",
    "load_source",
    "predict",
    "ConversionDirError",
    "ConvertConfig",
    "FixedType",
    "IOType",
    "Overflow",
    "PredictInputError",
    "RangeOverflowError",
    "Rounding",
    "Strategy",
    "UnsupportedLayerError",
]
