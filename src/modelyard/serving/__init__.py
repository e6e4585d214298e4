"""Model deployment: the scoring server, serving endpoints and their building blocks.

Public modules: ``modelyard.serving.scoring`` (``serve_model``, ``create_scoring_app``) and
``modelyard.serving.endpoints`` (create/update/list/get/delete endpoints, tokens, inference
tables, ``serve_endpoints``). They are imported on first use, so ``import modelyard.serving``
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["endpoints", "scoring"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"modelyard.serving.{name}")
    raise AttributeError(f"module 'modelyard.serving' has no attribute {name!r}")
