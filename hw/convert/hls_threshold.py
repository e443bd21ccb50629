"""Threshold activations in the hls4ml flow: a custom layer through hls4ml's extension API.

hls4ml 1.3 refuses ``quantized_relu_po2``/``quantized_po2`` activations, and its
``binary_tanh`` maps 0 to +1 where QKeras gives -1 (QKeras rounds 0.5 half to even).
So every QActivation that the plan made a threshold activation (:mod:`.threshold`)
reaches hls4ml as a ``FcnnThreshold`` layer of the same name (:func:`threshold_view`)
whose C++ (``templates/nnet_fcnn_threshold.h``) compares each element with the
planned thresholds (weights of the input type) and outputs the planned levels (weights
of the output type): exactly the table the plan derived from the QKeras quantizer.

The registration (:func:`register`) is hls4ml's documented extension path (its
``test_extensions.py``): a Keras-layer handler, an IR layer, config and function-call
templates and the header as a custom source of the backend. Call it with the module
the shim yields (:func:`._hls4ml_shim.keras2_for_hls4ml`); it is idempotent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .plan import LayerPlan

#: The Keras (and hls4ml IR) class name of the threshold layer.
LAYER_CLASS = "FcnnThreshold"
#: The C++ of the layer (copied into the project's ``firmware/nnet_utils``).
HEADER = Path(__file__).resolve().parent / "templates" / "nnet_fcnn_threshold.h"

_CONFIG = """struct config{index} : nnet::fcnn_threshold_config {{
    static const unsigned n_in = {n_in};
    static const unsigned n_thresholds = {n_thresholds};
    typedef {threshold_t} threshold_t;
    typedef {level_t} level_t;
}};\n"""
_CALL = ("nnet::fcnn_threshold<{input_t}, {output_t}, {config}>({input}, {output}, "
         "{thresholds}, {levels});")

_registered: set[str] = set()
_classes: dict[str, Any] = {}


def keras_layer_class() -> Any:
    """The Keras layer ``FcnnThreshold(thresholds, levels)``: ``levels[#{t <= x}]`` per element."""
    if "keras" in _classes:
        return _classes["keras"]
    from fpgacnn.models._keras import keras, tf

    class FcnnThreshold(keras.layers.Layer):
        """``out = levels[k]``, ``k`` = the number of ``thresholds`` <= x (element-wise)."""

        def __init__(self, thresholds: list[float], levels: list[float], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.thresholds = [float(t) for t in thresholds]
            self.levels = [float(v) for v in levels]

        def call(self, inputs: Any) -> Any:
            t = tf.constant(self.thresholds, dtype=inputs.dtype)
            k = tf.reduce_sum(tf.cast(inputs[..., None] >= t, tf.int32), axis=-1)
            return tf.gather(tf.constant(self.levels, dtype=inputs.dtype), k)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "thresholds": self.thresholds,
                    "levels": self.levels}

    _classes["keras"] = FcnnThreshold
    return FcnnThreshold


def threshold_view(model: Any, plans: list[LayerPlan]) -> Any:
    """A copy of ``model`` with every threshold QActivation replaced by a ``FcnnThreshold`` of
    the same name (the other layers copied with their weights; ``model`` is not touched);
    ``model`` itself when it has none."""
    from fpgacnn.models._keras import custom_objects, keras

    by_name = {p.name: p for p in plans}
    if not any(p.threshold is not None for p in plans):
        return model
    cls = keras_layer_class()
    inp = keras.Input(shape=model.input_shape[1:], name=model.layers[0].name)
    x = inp
    with keras.utils.custom_object_scope(custom_objects()):
        for layer in model.layers[1:]:
            thr = by_name[layer.name].threshold if layer.name in by_name else None
            if thr is not None:
                copy = cls(list(thr.thresholds), list(thr.levels), name=layer.name)
                x = copy(x)
                continue
            copy = type(layer).from_config(layer.get_config())
            x = copy(x)
            copy.set_weights(layer.get_weights())
    return keras.Model(inp, x, name=model.name)


def register(hls4ml: Any, backend: str) -> None:
    """Teach hls4ml (the module the shim yields) the ``FcnnThreshold`` layer for ``backend``."""
    if backend in _registered:
        return
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.converters.keras_v2_to_hls import parse_default_keras_layer
    from hls4ml.model.layers import Layer

    ir = _classes.get("ir")
    if ir is None:
        class FcnnThresholdIR(Layer):
            """hls4ml IR of the threshold layer: output shape = input shape, two weight arrays."""

            def initialize(self) -> None:
                inp = self.get_input_variable()
                self.add_output_variable(inp.shape)
                out = self.get_output_variable()
                self.add_weights_variable(
                    name="thresholds", var_name="thr{index}",
                    data=np.asarray(self.get_attr("threshold_values"), dtype=np.float64),
                    precision=inp.type.precision)
                self.add_weights_variable(
                    name="levels", var_name="lvl{index}",
                    data=np.asarray(self.get_attr("level_values"), dtype=np.float64),
                    precision=out.type.precision)

        def parse(keras_layer: dict[str, Any], input_names: Any, input_shapes: Any,
                  data_reader: Any) -> tuple[dict[str, Any], list[Any]]:
            layer = parse_default_keras_layer(keras_layer, input_names)
            layer["class_name"] = LAYER_CLASS
            layer["n_in"] = int(np.prod(input_shapes[0][1:]))
            layer["threshold_values"] = list(keras_layer["config"]["thresholds"])
            layer["level_values"] = list(keras_layer["config"]["levels"])
            return layer, list(input_shapes[0])

        hls4ml.converters.register_keras_v2_layer_handler(LAYER_CLASS, parse)
        hls4ml.model.layers.register_layer(LAYER_CLASS, FcnnThresholdIR)
        _classes["ir"] = ir = FcnnThresholdIR

    class ConfigTemplate(LayerConfigTemplate):
        def __init__(self) -> None:
            super().__init__(ir)
            self.template = _CONFIG

        def format(self, node: Any) -> str:
            params = self._default_config_params(node)
            params["n_thresholds"] = len(node.get_attr("threshold_values"))
            params["threshold_t"] = node.get_weights("thresholds").type.name
            params["level_t"] = node.get_weights("levels").type.name
            return self.template.format(**params)

    class CallTemplate(FunctionCallTemplate):
        def __init__(self) -> None:
            super().__init__(ir, include_header=["nnet_utils/nnet_fcnn_threshold.h"])
            self.template = _CALL

        def format(self, node: Any) -> str:
            params = self._default_function_params(node)
            params["thresholds"] = node.get_weights("thresholds").name
            params["levels"] = node.get_weights("levels").name
            return self.template.format(**params)

    b = hls4ml.backends.get_backend(backend)
    b.register_template(ConfigTemplate)
    b.register_template(CallTemplate)
    b.register_source(HEADER)
    _registered.add(backend)
