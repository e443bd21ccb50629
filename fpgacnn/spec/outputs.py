"""Writing an output folder so that nothing of the user's is lost (stdlib only).

:func:`staged_output` gives a command a fresh temporary folder beside the
destination to write into, and moves it into place only when the work is
complete. So a failure or Ctrl-C leaves the previous output (or nothing), never
a half-written folder; and a destination is replaced only when it is empty or
``is_ours`` recognises it as something fpgacnn wrote — anything else is refused
before any work starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UsageError


def check_replaceable(dest: Path, is_ours: Callable[[Path], bool], what: str) -> None:
    """Raise :class:`UsageError` unless ``dest`` is missing, empty, or ``is_ours``."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"cannot write {what} to {str(dest)!r}: it is a file, not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not is_ours(dest):
        raise UsageError(f"cannot write {what} to {str(dest)!r}: the folder is not empty and "
                         "was not written by fpgacnn (nothing was changed; choose another "
                         "--out or empty it)")


def check_writable(path: Path) -> None:
    """Raise :class:`UsageError` unless a file can be written at ``path`` (its parent
    folders are created); nothing else is created."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"cannot write {str(path)!r}: it is a folder")
    ensure_dir(path.parent, f"the folder of {str(path)!r},")


def check_creatable(path: Path, what: str) -> None:
    """Raise :class:`UsageError` unless folder ``path`` exists or can be created; creates
    nothing (a probe folder in the nearest existing ancestor is made and removed)."""
    path = Path(path)
    anc = path
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot create {what} {str(path)!r}: it is a file")
    if not anc.is_dir():
        raise UsageError(f"cannot create {what} {str(path)!r}: {str(anc)!r} is a file")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".fpgacnn-probe-", dir=anc))
    except OSError as exc:
        raise UsageError(f"cannot create {what} {str(path)!r}: {exc.strerror}") from None


def ensure_dir(path: Path, what: str) -> Path:
    """Create folder ``path`` (and its parents) or raise :class:`UsageError` in one line."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {what} {str(path)!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {what} {str(path)!r}: the folder is not writable")
    return path


@contextmanager
def staged_output(dest: Path, *, is_ours: Callable[[Path], bool], what: str) -> Iterator[Path]:
    """Yield a temporary sibling of ``dest``; on success it replaces ``dest``.

    ``dest`` must be missing, empty or ``is_ours`` (checked first, see
    :func:`check_replaceable`). On an exception (Ctrl-C included) the temporary folder
    is removed and ``dest`` is left as it was.
    """
    dest = Path(dest)
    check_replaceable(dest, is_ours, what)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {str(dest)!r}: {exc.strerror}") from None
    try:
        yield tmp
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent))
            os.replace(dest, old / "previous")
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = ["check_creatable", "check_replaceable", "check_writable", "ensure_dir",
           "staged_output"]
