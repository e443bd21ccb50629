"""The host runtime: what runs on the PYNQ board (numpy and :mod:`fpgacnn.spec` only).

- :mod:`.pipeline`: ``Pipeline.open(package_dir, backend=...)``, ``process``, ``stream``;
- :mod:`.sources`: camera, video file, image folder and HDMI-in frame sources;
- :mod:`.image_io`: image files (OpenCV, from the ``[io]`` extra, imported when used);
- :mod:`.backends.pynq`: the ``pynq`` backend (the board's cores behind AXI DMAs).

The deployment package's schema, the frame checks and crop rule, the register
maps and the engine interfaces are the contracts layer (:mod:`fpgacnn.spec`).
The other backends (``rtl``, ``csim``, ``reference``) live with the tools they
need and are found by name through the backend registry
(:func:`fpgacnn.spec.engines.get_backend`), so this package imports none of them.
"""
