"""The open-RTL step of a conversion: ``DIR/rtl/`` next to the hls4ml project.

:func:`add_rtl` generates the streaming classifier core
(:func:`fpgacnn.hw.rtlgen.generate_rtl`) into a conversion folder and records
the outcome under ``"rtl"`` in its ``manifest.json`` and ``report.json``: the
core's facts and the sha256 of every file, or ``{"error": "..."}`` when the
RTL backend cannot implement the model. A model the RTL backend refuses keeps
its hls4ml conversion; the error is logged and recorded, never dropped.
:func:`rtl_record` reads the record back for the ``rtl`` predict backend.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from .convert import MANIFEST_FILE, REPORT_FILE, sha256_file
from .errors import ConversionDirError

log = logging.getLogger(__name__)

#: Folder of the generated core inside a conversion folder.
RTL_DIR = "rtl"


def _update(path: Path, key: str, value: Any) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[key] = value
    path.write_text(json.dumps(data, indent=2) + "\n")


def add_rtl(conv_dir: Path, model: Any, *, name: str) -> dict[str, Any]:
    """Generate the RTL core of ``model`` into ``conv_dir/rtl``; record and return the outcome.

    Returns the record written under ``"rtl"``: ``{"dir", "top", "initiation_interval",
    "input", "output", "seconds", "files"}`` on success, ``{"error": message}`` when the
    generator refuses the model (:class:`~fpgacnn.hw.rtlgen.RtlGenError`); then
    ``conv_dir/rtl`` does not exist. Any other exception is a bug of the generator and
    propagates (it is never recorded as a refusal).
    """
    from fpgacnn.hw.rtlgen import RtlGenError, generate_rtl

    conv_dir = Path(conv_dir)
    out = conv_dir / RTL_DIR
    record: dict[str, Any]
    try:
        gen = generate_rtl(model, out, name=name)
    except RtlGenError as exc:
        shutil.rmtree(out, ignore_errors=True)
        msg = str(exc)
        log.warning("RTL not generated for %s: %s", name, msg)
        record = {"error": msg}
    else:
        files = sorted(p for p in out.rglob("*") if p.is_file())
        record = {
            "dir": RTL_DIR, "top": gen.top, "initiation_interval": gen.initiation_interval,
            "input": gen.info["input"], "output": gen.info["output"],
            "seconds": round(gen.seconds, 2),
            "files": {str(p.relative_to(out)): sha256_file(p) for p in files},
        }
    _update(conv_dir / MANIFEST_FILE, "rtl", record)
    _update(conv_dir / REPORT_FILE, "rtl", {k: v for k, v in record.items() if k != "files"})
    return record


def remove_rtl(conv_dir: Path) -> None:
    """Drop a stale ``conv_dir/rtl`` (a conversion made without RTL)."""
    shutil.rmtree(Path(conv_dir) / RTL_DIR, ignore_errors=True)


def rtl_record(conv_dir: Path, manifest: dict[str, Any]) -> Path:
    """Return the folder of the conversion's core, checking its files against the manifest.

    Raises :class:`ConversionDirError` when the conversion has no RTL (made with
    ``--no-rtl``, or the generator refused the model) or a file does not match.
    """
    conv_dir = Path(conv_dir)
    rec = manifest.get("rtl")
    if rec is None:
        raise ConversionDirError(
            f"'{conv_dir}' has no RTL core (converted with --no-rtl or by an older fpgacnn); "
            "run fpgacnn convert again without --no-rtl")
    if "error" in rec:
        raise ConversionDirError(f"'{conv_dir}' has no RTL core: {rec['error']}")
    out = conv_dir / rec["dir"]
    for rel, digest in rec["files"].items():
        p = out / rel
        if not p.is_file() or sha256_file(p) != digest:
            raise ConversionDirError(
                f"'{p}' is missing or does not match the sha256 in {conv_dir / MANIFEST_FILE}")
    return out
