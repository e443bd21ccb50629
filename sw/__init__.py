"""The host runtime (what runs on the PYNQ board). Imports only numpy at module level.

- :mod:`.pipeline`: ``Pipeline.open(package_dir, backend=...)``, ``process``, ``stream``;
- :mod:`.package`: the deployment package (``manifest.json``, sha256, build id);
- :mod:`.sources`: camera, video file, image folder and HDMI-in frame sources;
- :mod:`.preprocessing`: frame checks and the classifier's crop rule;
- :mod:`.backends`: ``pynq`` (board), ``rtl``, ``csim``, ``reference``;
- :mod:`.build_package`, :mod:`.demo`, :mod:`.bench`: simulation packages, the demo and
  measurements (these need the ``[dev]`` extras).
"""
