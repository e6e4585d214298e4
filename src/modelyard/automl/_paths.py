"""Where AutoML writes its data copy and notebooks when no ``experiment_dir`` is given."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["default_output_dir"]


def default_output_dir(experiment_name: str) -> Path:
    """``./automl/<experiment name as a safe relative path>``: experiment names such as
    ``/Users/me@company.com/churn`` stay inside the current directory."""
    parts = [re.sub(r"[^\w.@-]+", "_", p) for p in experiment_name.split("/")]
    parts = [p for p in parts if p not in ("", ".", "..")] or ["experiment"]
    return Path.cwd() / "automl" / Path(*parts)
