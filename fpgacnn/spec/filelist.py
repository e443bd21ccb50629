"""RTL file lists: a ``.f`` file beside each top-level module, as verilog-axis keeps them.

Format (a subset of the simulators' ``-f`` files): one source path per line,
relative to the ``.f`` file's folder; ``-f OTHER.f`` includes another list (its
files come first, in its own order); blank lines and lines starting with ``#``
or ``//`` are ignored. A file listed twice is compiled once, where it first
appears. The lists are the one place that says which files a module needs: the
tests, the harness builds, the board builds, the RTL generator and the lint test
read them (stdlib only).
"""

from __future__ import annotations

from pathlib import Path

from .errors import ArtifactError


def read_filelist(path: Path | str) -> list[Path]:
    """The source files of the ``.f`` list at ``path``, resolved, in compile order.

    Raises :class:`~fpgacnn.spec.errors.ArtifactError` naming the list and line when
    a listed file or included list does not exist, or an include loops.
    """
    out: list[Path] = []
    _read(Path(path).resolve(), out, ())
    return out


def _read(path: Path, out: list[Path], stack: tuple[Path, ...]) -> None:
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise ArtifactError(f"RTL file list include loop: {chain}")
    if not path.is_file():
        raise ArtifactError(f"RTL file list {str(path)!r} does not exist")
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "//")):
            continue
        if line.startswith("-f ") or line.startswith("-f\t"):
            _read((path.parent / line[2:].strip()).resolve(), out, (*stack, path))
            continue
        if line.startswith(("+", "-")):
            raise ArtifactError(f"{path}:{n}: unsupported option '{line}' (files and -f only)")
        src = (path.parent / line).resolve()
        if not src.is_file():
            raise ArtifactError(f"{path}:{n}: file {line} does not exist")
        if src not in out:
            out.append(src)


def write_filelist(path: Path, sources: list[str], *, comment: str = "") -> Path:
    """Write a ``.f`` list of ``sources`` (paths relative to ``path``'s folder)."""
    head = [f"# {line}" for line in comment.splitlines()] if comment else []
    path.write_text("\n".join([*head, *sources]) + "\n")
    return path


__all__ = ["read_filelist", "write_filelist"]
