"""The single place where the model zoo imports TensorFlow, Keras and QKeras.

Every module of :mod:`fpgacnn.models` that needs Keras imports ``keras``,
``tf`` or ``qkeras`` from here, never from TensorFlow directly.

Why: QKeras 0.9 (and tensorflow-model-optimization) are Keras-2 code. From
TensorFlow 2.16 on, ``tf.keras`` is Keras 3 unless the environment variable
``TF_USE_LEGACY_KERAS=1`` is set *before TensorFlow is first imported*; then
``tf.keras`` is the ``tf_keras`` package (Keras 2), which QKeras, tfmot and
hls4ml's Keras-2 parser all need. Setting the variable anywhere else, or after
TensorFlow was imported, silently gives Keras 3 and QKeras layers that fail
in obscure ways, so this module sets it, refuses to load when TensorFlow was
already imported without it, and checks that QKeras ended up on Keras 2.
"""

from __future__ import annotations

import os
import sys

_LEGACY_ON = ("1", "true", "True")  # the values TensorFlow accepts
if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") not in _LEGACY_ON:
    # TensorFlow binds `tensorflow.keras` when it is imported: too late to switch.
    raise ImportError(
        "tensorflow was imported before fpgacnn.models without TF_USE_LEGACY_KERAS=1, so "
        "tf.keras is Keras 3 and QKeras cannot work; import fpgacnn.models first or set "
        "TF_USE_LEGACY_KERAS=1 in the environment"
    )
# Must happen before the first `import tensorflow` (see the module docstring).
os.environ["TF_USE_LEGACY_KERAS"] = "1"
# TensorFlow's C++ start-up messages (no CUDA device, oneDNN, CPU flags) are noise for
# a CPU-only tool; a user who wants them sets the variable explicitly.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import qkeras  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402
from qkeras.utils import _add_supported_quantized_objects  # noqa: E402

if not issubclass(qkeras.QConv2D, keras.layers.Conv2D):  # pragma: no cover - defensive
    raise ImportError("QKeras was imported on Keras 3; import fpgacnn.models before qkeras")


def custom_objects() -> dict[str, object]:
    """Return the QKeras classes Keras needs to deserialize a saved QKeras model."""
    objects: dict[str, object] = {}
    _add_supported_quantized_objects(objects)
    return objects


def versions() -> dict[str, str]:
    """Return the versions of the deep-learning stack, for metrics and bug reports."""
    import tensorflow_model_optimization as tfmot

    return {
        "tensorflow": tf.__version__,
        "tf_keras": keras.__version__,
        "qkeras": getattr(qkeras, "__version__", "unknown"),
        "tensorflow_model_optimization": tfmot.__version__,
    }


__all__ = ["custom_objects", "keras", "qkeras", "tf", "versions"]
