"""The one place where fpgacnn imports and calls hls4ml.

Why this shim exists: QKeras 0.9 is Keras-2 code and runs on ``tf_keras``
(``TF_USE_LEGACY_KERAS=1``, set by :mod:`fpgacnn.models._keras`). hls4ml 1.3
chooses between its Keras-2 and Keras-3 front-ends from ``import keras;
keras.__version__``. With TensorFlow >= 2.16 installed, the top-level ``keras``
package is Keras 3, so hls4ml hands a QKeras model to its Keras-3 parser,
which fails on it. Pointing ``sys.modules["keras"]`` at ``tf_keras`` for the
duration of every hls4ml call makes hls4ml take its Keras-2 path, where QKeras
layers are understood; afterwards the original module is restored so the rest
of the process is unaffected.

Every hls4ml call of :mod:`fpgacnn.hw.convert` goes through
:func:`keras2_for_hls4ml`; nothing else imports hls4ml.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from types import ModuleType

_MISSING = object()


@contextlib.contextmanager
def keras2_for_hls4ml() -> Iterator[ModuleType]:
    """Within the block, ``import keras`` gives ``tf_keras``; yield the ``hls4ml`` module.

    The previous ``sys.modules["keras"]`` entry (or its absence) is restored on
    exit, also when the block raises.
    """
    from fpgacnn.models._keras import keras as tf_keras  # sets TF_USE_LEGACY_KERAS first

    saved = sys.modules.get("keras", _MISSING)
    sys.modules["keras"] = tf_keras
    try:
        import hls4ml

        yield hls4ml
    finally:
        if saved is _MISSING:
            sys.modules.pop("keras", None)
        else:
            sys.modules["keras"] = saved  # type: ignore[assignment]


def hls4ml_version() -> str:
    """Return the installed hls4ml version (imports hls4ml under the shim)."""
    with keras2_for_hls4ml() as hls4ml:
        return str(hls4ml.__version__)
