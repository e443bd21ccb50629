"""File hashing: the one sha256 helper of fpgacnn (stdlib only).

Packages, conversion records, the model zoo's run records and the Verilator
build caches all name files by the hex sha256 of their bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = ["sha256_file", "sha256_text"]
