"""Architectures of the model zoo, one per module.

Each module defines ``INPUT`` (an :class:`~fpgacnn.spec.preprocess.InputSpec`),
a config dataclass (also exported as ``Config``) derived from
:class:`~fpgacnn.models.configs.ModelConfig`, and
``build_model(cfg) -> keras.Model`` returning a model whose first layer after
the input is the input quantizer and whose outputs are class logits. Importing
an architecture imports TensorFlow; :mod:`fpgacnn.models.registry` names them
without doing so.
"""
