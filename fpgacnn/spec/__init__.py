"""The contracts layer: facts every other layer reads (numpy and the stdlib only).

- :mod:`.errors`: the root :class:`~.errors.FpgacnnError` and its typed hierarchy;
- :mod:`.edge`: the edge core's golden model, its limits and stream packing;
- :mod:`.preprocess`: the classifier's input rule (``InputSpec``, integer resize);
- :mod:`.frames`: frame checks, BT.601 gray, the classifier crop rule;
- :mod:`.cores`: the cores' register maps, identification values, VLNVs, the
  classifier's output beat (``ClassifierOutputLayout``, ``ClassifierStatus``);
- :mod:`.cnn_framing`: the classifier's framing policy and its transaction-level model;
- :mod:`.package`: the deployment package's schema, hashing and build id;
- :mod:`.package_check`: a package checked whole against its model files (at open);
- :mod:`.engines`: the engine interfaces and the backend registry.

Nothing here imports another fpgacnn package; everything else may import this.
"""
