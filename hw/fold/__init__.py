"""The folding solver: each layer's PE x SIMD so the classifier core fits a board.

- :func:`solve` -- model + :class:`~fpgacnn.spec.folding.Target` (+ images/s) ->
  :class:`~fpgacnn.spec.folding.Folding` (:mod:`.solver`);
- :func:`check_folding` -- an expert-edited folding against the model's layers
  (the generator's check, :func:`fpgacnn.hw.rtlgen.folding.check_folding`);
- :mod:`.resources` -- the resource model calibrated against yosys
  (``calibration_fold.json``);
- :func:`hls_settings` -- hls4ml's part, clock, strategy and reuse factors from the
  same folding (:mod:`.hls`).
"""

from __future__ import annotations

from typing import Any

from fpgacnn.spec.folding import Folding, FoldingError, Target

from .hls import hls_settings
from .solver import BUDGET_FRACTION, Budget, estimate_folding, over_budget, solve, solve_stages


def check_folding(folding: Folding, stages: list[Any]) -> None:
    """Raise :class:`FoldingError` naming the layer unless ``folding`` fits ``stages``."""
    from fpgacnn.hw.rtlgen.folding import check_folding as _check

    _check(folding, stages)


__all__ = ["BUDGET_FRACTION", "Budget", "Folding", "FoldingError", "Target", "check_folding",
           "estimate_folding", "hls_settings", "over_budget", "solve", "solve_stages"]
