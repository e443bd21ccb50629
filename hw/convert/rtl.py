"""The open-RTL step of a conversion: ``DIR/rtl/`` next to the hls4ml project.

:func:`add_rtl` generates the streaming classifier core
(:func:`fpgacnn.hw.rtlgen.generate_rtl`) into a conversion folder. The step
writes its own record, once, and never rewrites the conversion's:

- generated: ``DIR/rtl/rtl.json``, the generator's record (the core's facts, its
  ``initiation_interval`` and the sha256 of every file of the core);
- refused (:class:`~fpgacnn.hw.rtlgen.RtlGenError`): ``DIR/rtl_refusal.json``
  ``{"error": message}``; the hls4ml conversion stays usable.

:func:`rtl_record` reads them back (for ``predict --backend rtl``, the ``rtl``
backend, simulation packages and board builds).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from fpgacnn.spec.hashing import sha256_file

from .errors import ConversionDirError

log = logging.getLogger(__name__)

#: Folder of the generated core inside a conversion folder.
RTL_DIR = "rtl"
#: The generator's record inside ``RTL_DIR``.
RTL_RECORD = "rtl.json"
#: The record of a refusal, beside ``RTL_DIR``.
REFUSAL_FILE = "rtl_refusal.json"


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {"dir": RTL_DIR, "top": record["top"],
            "initiation_interval": record["initiation_interval"],
            "folding": record.get("folding"),
            "input": record["input"], "output": record["output"],
            "seconds": record["seconds"], "files": record["sha256"]}


def add_rtl(conv_dir: Path, model: Any, *, name: str, folding: Any = None) -> dict[str, Any]:
    """Generate the RTL core of ``model`` into ``conv_dir/rtl``; return the outcome.

    ``folding`` (a :class:`~fpgacnn.spec.folding.Folding`, e.g. the solver's) is passed to
    the generator as given (None: its built-in default); a folding that does not fit the
    model raises :class:`~fpgacnn.spec.folding.FoldingError` (it is the caller's input,
    not a refusal of the model).

    Returns ``{"dir", "top", "initiation_interval", "folding", "input", "output",
    "seconds", "files"}`` on success, ``{"error": message}`` when the generator refuses the model
    (:class:`~fpgacnn.hw.rtlgen.RtlGenError`; then ``conv_dir/rtl`` does not exist and
    the refusal is recorded in ``conv_dir/rtl_refusal.json``). Any other exception is a
    bug of the generator and propagates (it is never recorded as a refusal). While the
    generator runs, ``rtl_refusal.json`` says it did not finish, so an interrupted run
    leaves a folder that says so.
    """
    from fpgacnn.hw.rtlgen import RtlGenError, generate_rtl
    from fpgacnn.spec.errors import UnsupportedLayerError

    conv_dir = Path(conv_dir)
    remove_rtl(conv_dir)
    # until the core is complete the folder says so: a run killed while generating
    # leaves this refusal, not a folder that looks converted without RTL
    (conv_dir / REFUSAL_FILE).write_text(json.dumps(
        {"error": "the RTL generation did not finish (interrupted); run fpgacnn convert "
                  "again"}, indent=2) + "\n")
    try:
        gen = generate_rtl(model, conv_dir / RTL_DIR, name=name, folding=folding)
    except (RtlGenError, UnsupportedLayerError) as exc:
        # UnsupportedLayerError: what the hls4ml flow converts and the RTL plan refuses
        # (a strided convolution)
        shutil.rmtree(conv_dir / RTL_DIR, ignore_errors=True)
        log.warning("RTL not generated for %s: %s", name, exc)
        record = {"error": str(exc)}
        (conv_dir / REFUSAL_FILE).write_text(json.dumps(record, indent=2) + "\n")
        return record
    (conv_dir / REFUSAL_FILE).unlink()
    return _summary(gen.info)


def remove_rtl(conv_dir: Path) -> None:
    """Drop the RTL step's outputs (``conv_dir/rtl`` and a recorded refusal)."""
    shutil.rmtree(Path(conv_dir) / RTL_DIR, ignore_errors=True)
    (Path(conv_dir) / REFUSAL_FILE).unlink(missing_ok=True)


def has_rtl(conv_dir: Path) -> bool:
    """Whether the conversion has a generated core (its record exists)."""
    return (Path(conv_dir) / RTL_DIR / RTL_RECORD).is_file()


def rtl_record(conv_dir: Path) -> Path:
    """Return the folder of the conversion's core, checking its files against its record.

    Raises :class:`ConversionDirError` when the conversion has no RTL (made with
    ``--no-rtl``, or the generator refused the model) or a file does not match.
    """
    conv_dir = Path(conv_dir)
    out = conv_dir / RTL_DIR
    rec_path = out / RTL_RECORD
    if not rec_path.is_file():
        refusal = conv_dir / REFUSAL_FILE
        if refusal.is_file():
            raise ConversionDirError(f"'{conv_dir}' has no RTL core: "
                                     f"{json.loads(refusal.read_text())['error']}")
        raise ConversionDirError(
            f"'{conv_dir}' has no RTL core (converted with --no-rtl or by an older fpgacnn); "
            "run fpgacnn convert again without --no-rtl")
    rec = json.loads(rec_path.read_text())
    for rel, digest in rec["sha256"].items():
        p = out / rel
        if not p.is_file() or sha256_file(p) != digest:
            raise ConversionDirError(f"'{p}' is missing or does not match the sha256 in {rec_path}")
    return out


def read_rtl_summary(conv_dir: Path) -> dict[str, Any]:
    """The summary :func:`add_rtl` returned, read back from the checked record."""
    out = rtl_record(conv_dir)
    return _summary(json.loads((out / RTL_RECORD).read_text()))
