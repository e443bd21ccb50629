"""The board's backend, ``pynq`` (:mod:`.pynq`; ``pynq`` is imported when it is opened).

The other backends (``rtl``, ``csim``, ``reference``) live with their tools and
register by name (:mod:`fpgacnn.spec.engines`).
"""
