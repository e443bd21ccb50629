"""Applications on top of every layer: the subcommands of ``fpgacnn``, the demo, benchmarks.

``cli_<name>`` modules implement ``fpgacnn <name>`` (``add_arguments``/``run``);
the rest are what they call: the edge and streaming demos, the benchmarks
(edge core, classifier cores, streaming), yosys resource runs, simulation
deployment packages and drawing. This layer may import every other one.
"""
