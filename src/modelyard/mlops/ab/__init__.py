"""A/B and shadow analysis of serving endpoints, and promotion of the winner.

:func:`analyze_endpoint` reads an endpoint's inference table (live and shadow answers, late
labels from the monitors) and returns an :class:`ABResult`; :func:`promote_winner` moves a
significant winner through the registry's normal transition call. Names resolve lazily, so
``import modelyard.mlops.ab`` loads neither pandas nor scipy. See docs/ab-testing.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.mlops.ab.analysis import METRICS, analyze_endpoint
    from modelyard.mlops.ab.promote import EVIDENCE_TAG, promote_winner
    from modelyard.mlops.ab.result import ABResult, Comparison, VariantStats

__all__ = [
    "EVIDENCE_TAG",
    "METRICS",
    "ABResult",
    "Comparison",
    "VariantStats",
    "analyze_endpoint",
    "promote_winner",
]

_WHERE = {
    "METRICS": "modelyard.mlops.ab.analysis",
    "analyze_endpoint": "modelyard.mlops.ab.analysis",
    "EVIDENCE_TAG": "modelyard.mlops.ab.promote",
    "promote_winner": "modelyard.mlops.ab.promote",
    "ABResult": "modelyard.mlops.ab.result",
    "Comparison": "modelyard.mlops.ab.result",
    "VariantStats": "modelyard.mlops.ab.result",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'modelyard.mlops.ab' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
