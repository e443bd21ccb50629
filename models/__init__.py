"""The QKeras model zoo, data sets and training (``fpgacnn.models``).

Light modules (numpy only, safe on the board): :mod:`.preprocess` (the one
definition of the input grid), :mod:`.registry` (model names), :mod:`.quant`,
:mod:`.configs`, :mod:`.augment`, :mod:`.errors`, :mod:`.data` (TensorFlow
only for a download).

Modules that import TensorFlow (through :mod:`._keras`, which selects Keras 2
for QKeras): :mod:`.arch` (one architecture per module), :mod:`.checks`
(what the hardware flow accepts), :mod:`.training`, :mod:`.distill`,
:mod:`.artifacts` (save / load), :mod:`.evaluation`.

Typical use::

    from fpgacnn.models.artifacts import load_run
    from fpgacnn.models.evaluation import dataset_of

    saved = load_run("digits")          # the shipped, trained model
    data = dataset_of(saved)            # its test split, as input codes
"""
