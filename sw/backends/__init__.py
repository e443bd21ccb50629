"""Backends of :class:`fpgacnn.sw.pipeline.Pipeline`: ``pynq``, ``rtl``, ``csim``, ``reference``.

Each module imports its heavy dependency (pynq, the Verilator harness, hls4ml,
TensorFlow) only when a backend is opened, so ``fpgacnn.sw`` stays numpy-only.
"""
