"""Finish a board build's deployment package once Vivado has written the bitstream.

A board build keeps two records, each written once: ``build_config.json`` (the
build's inputs, :class:`~fpgacnn.boards.config.BuildConfig`, written when the tree is
generated) and ``package/manifest.json`` (the deployment package: cores, model,
addresses, hardware id, sha256 of every file; :mod:`fpgacnn.spec.package`), written
here. Between them, Vivado's ``reports/summary.txt`` records the hardware id it built
the bitstream with.

``python -m fpgacnn.boards.finalize OUT`` (the last line of ``build.sh``) reads the
inputs from ``OUT/build_config.json``, plans the design again (no vendor tool: the
same steps as ``fpgacnn build``), checks that ``OUT/package/`` holds the bitstream and
the ``.hwh`` and that the hardware id Vivado built is the one the inputs give now (so
the manifest cannot describe inputs that changed after the bitstream was built), and
writes ``package/manifest.json`` through :func:`fpgacnn.spec.package.write_package`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpgacnn.spec.build_id import hardware_record
from fpgacnn.spec.cores import EDGE_REGISTERS
from fpgacnn.spec.crop_scale import CLASSIFIER_INPUT_PARAM
from fpgacnn.spec.errors import ArtifactError, ConfigError, FpgacnnError
from fpgacnn.spec.frames import CropRule
from fpgacnn.spec.package import CoreKind, CoreSpec, ModelSpec, Package, write_package

from .config import CONFIG_FILE, BuildConfig
from .design import EDGE_VLNV, Design

if TYPE_CHECKING:
    from .sources import ClassifierSources

PACKAGE_DIR = "package"
#: Vivado's summary of the implemented design (scripts/implement.tcl): ``hw_id``, WNS, WHS.
SUMMARY_FILE = Path("reports") / "summary.txt"
#: Where the package keeps the model (the QKeras file and the card).
MODEL_FILES = {"keras": "model/model.h5", "card": "model/model.json"}


class PackageBuildError(ArtifactError):
    """The build tree cannot be turned into a package yet."""


def read_config(out_dir: Path) -> BuildConfig:
    """The inputs of the build tree ``out_dir`` (its ``build_config.json``)."""
    path = Path(out_dir) / CONFIG_FILE
    if not path.is_file():
        raise PackageBuildError(f"{path} is missing: {out_dir} is not a tree written by "
                                "fpgacnn build")
    try:
        return BuildConfig.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError, ConfigError) as exc:
        raise PackageBuildError(f"{path} is not a build configuration ({exc}); run fpgacnn "
                                "build again") from None


def built_hardware_id(out_dir: Path) -> str:
    """The hardware id Vivado built the bitstream with (``hw_id`` of ``reports/summary.txt``)."""
    path = Path(out_dir) / SUMMARY_FILE
    text = path.read_text() if path.is_file() else ""
    m = re.search(r"^hw_id ([0-9a-f]{16})$", text, flags=re.M)
    if m is None:
        raise PackageBuildError(f"{path} names no hw_id: run Vivado first "
                                f"({Path(out_dir) / 'build.sh'})")
    return m.group(1)


def package_contents(design: Design, cls: ClassifierSources, pkg: Path) -> dict[str, Any]:
    """The keyword arguments of :func:`write_package` for ``design`` (package folder ``pkg``)."""
    cfg, seg = design.cfg, {s.cell: s.offset for s in design.segments}
    edge = CoreSpec(
        name="edge", kind=CoreKind.EDGE, vlnv=EDGE_VLNV, base_address=seg["edge"],
        registers=dict(EDGE_REGISTERS), stream_in_bits=design.edge_in_bits,
        stream_out_bits=design.edge_bits, ppc=cfg.edge_ppc, max_width=cfg.edge_max_width,
        max_height=cfg.edge_max_height, dma="edge_dma",
        params={"PPC": cfg.edge_ppc, "MAX_WIDTH": cfg.edge_max_width,
                "MAX_HEIGHT": cfg.edge_max_height})
    c = design.classifier
    h, w, _ = cls.input_shape
    classifier = CoreSpec(
        name="classifier", kind=CoreKind.CLASSIFIER, vlnv=c.vlnv, base_address=None,
        registers={}, stream_in_bits=c.stream_in_bits, stream_out_bits=c.stream_out_bits,
        ppc=1, max_width=w, max_height=h, dma="classifier_dma",
        params={"flow": c.flow.value, CLASSIFIER_INPUT_PARAM: cfg.classifier_input.value})
    files = {role: rel for role, rel in MODEL_FILES.items() if (pkg / rel).is_file()}
    card = json.loads((pkg / MODEL_FILES["card"]).read_text())
    model = ModelSpec(name=cls.model, input_shape=cls.input_shape, classes=cls.classes,
                      preprocessing={**CropRule().to_dict(), "input": card["input"]},
                      scores={"bits": cls.score_bits, "fraction": cls.score_fraction,
                              "signed": cls.score_signed},
                      files=files)
    return {"cores": [edge, classifier], "model": model,
            "clock_hz": int(round(design.board.pl_clock.mhz * 1e6)), "board": design.board.name,
            "bitstream": design.bitstream_name, "hwh": design.hwh_name,
            "hardware": hardware_record(design.hw_id, seg["build_id"]),
            "image": design.board.image}


def finalize_package(out_dir: Path, *, design: Design | None = None,
                     classifier: ClassifierSources | None = None) -> Package:
    """Write ``package/manifest.json`` of the build tree ``out_dir``; return the package.

    ``design``/``classifier`` are the plan of the tree when the caller holds it (the
    ``--run`` steps); otherwise it is planned again from ``build_config.json``.
    """
    out_dir = Path(out_dir)
    if design is None or classifier is None:
        from .build import plan_tree

        state = plan_tree(read_config(out_dir))
        design, classifier = state.design, state.classifier
        assert design is not None and classifier is not None
    pkg = out_dir / PACKAGE_DIR
    for name in (design.bitstream_name, design.hwh_name):
        if not (pkg / name).is_file():
            raise PackageBuildError(f"{pkg / name} is missing: run Vivado first "
                                    f"({out_dir / 'build.sh'})")
    built = built_hardware_id(out_dir)
    if built != design.hw_id:
        raise PackageBuildError(
            f"the bitstream was built with hardware id {built}, the tree's inputs now give "
            f"{design.hw_id}: a source, template, board file or the configuration changed "
            f"after the tree was generated (run fpgacnn build again, then {out_dir / 'build.sh'})")
    return write_package(pkg, **package_contents(design, classifier, pkg))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m fpgacnn.boards.finalize OUT``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m fpgacnn.boards.finalize OUT", file=sys.stderr)
        return 2
    try:
        package = finalize_package(Path(args[0]))
    except (FpgacnnError, ValueError) as exc:
        print(f"finalize: error: {exc}", file=sys.stderr)
        return 2
    hw = package.manifest.hardware or {}
    print(f"package {package.path} (build {package.build_id}, hardware id {hw.get('id')})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
