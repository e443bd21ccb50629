"""Finish a board build's deployment package once Vivado has written the bitstream.

``python -m fpgacnn.boards.finalize OUT`` (the last line of ``build.sh``)
reads ``OUT/package_spec.json`` written by ``fpgacnn build``, checks that
``OUT/package/`` holds the bitstream and the ``.hwh``, and writes
``package/manifest.json`` through :func:`fpgacnn.spec.package.write_package`
(sha256 of every file, build id).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fpgacnn.spec.cores import EDGE_REGISTERS
from fpgacnn.spec.errors import ArtifactError
from fpgacnn.spec.package import CoreKind, CoreSpec, ModelSpec, Package, write_package

SPEC_FILE = "package_spec.json"
PACKAGE_DIR = "package"


class PackageBuildError(ArtifactError):
    """The build tree cannot be turned into a package yet."""


def package_specs(spec: dict) -> tuple[list[CoreSpec], ModelSpec]:
    """The cores and model of a ``package_spec.json``, as the package schema wants them."""
    e, c, m = spec["edge"], spec["classifier"], spec["model"]
    edge = CoreSpec(
        name="edge", kind=CoreKind.EDGE, vlnv=e["vlnv"],
        base_address=e["base_address"], registers=dict(EDGE_REGISTERS),
        stream_in_bits=8 * e["ppc"], stream_out_bits=8 * e["ppc"], ppc=e["ppc"],
        max_width=e["max_width"], max_height=e["max_height"], dma=e["dma"],
        params={"PPC": e["ppc"], "MAX_WIDTH": e["max_width"], "MAX_HEIGHT": e["max_height"]})
    h, w, _ = c["input_shape"]
    classifier = CoreSpec(
        name="classifier", kind=CoreKind.CLASSIFIER, vlnv=c["vlnv"], base_address=None,
        registers={}, stream_in_bits=c["stream_in_bits"], stream_out_bits=c["stream_out_bits"],
        ppc=1, max_width=w, max_height=h, dma=c["dma"], params={"flow": c["flow"]})
    model = ModelSpec(name=m["name"], input_shape=tuple(m["input_shape"]),
                      classes=tuple(m["classes"]), preprocessing=m["preprocessing"],
                      scores=m["scores"],
                      files=m["files"])
    return [edge, classifier], model


def finalize_package(out_dir: Path) -> Package:
    """Write ``package/manifest.json`` of the build tree ``out_dir``; return the package."""
    out_dir = Path(out_dir)
    spec_path = out_dir / SPEC_FILE
    if not spec_path.is_file():
        raise PackageBuildError(f"{spec_path} is missing: {out_dir} is not a tree written by "
                                "fpgacnn build")
    spec = json.loads(spec_path.read_text())
    pkg = out_dir / PACKAGE_DIR
    for key in ("bitstream", "hwh"):
        if not (pkg / spec[key]).is_file():
            raise PackageBuildError(f"{pkg / spec[key]} is missing: run Vivado first "
                                    f"({out_dir / 'build.sh'})")
    cores, model = package_specs(spec)
    return write_package(pkg, cores=cores, model=model, clock_hz=spec["clock_hz"],
                         board=spec["board"], bitstream=spec["bitstream"], hwh=spec["hwh"],
                         hardware=spec["hardware"])


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m fpgacnn.boards.finalize OUT``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m fpgacnn.boards.finalize OUT", file=sys.stderr)
        return 2
    try:
        package = finalize_package(Path(args[0]))
    except PackageBuildError as exc:
        print(f"finalize: error: {exc}", file=sys.stderr)
        return 2
    print(f"package {package.path} (build {package.build_id})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
