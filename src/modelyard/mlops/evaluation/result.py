"""What an evaluation returns: metrics by MLflow name and the logged artifacts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EvaluationArtifact", "EvaluationResult"]


@dataclass
class EvaluationArtifact:
    """One logged artifact: its artifact ``uri`` and, while it exists, the local file."""

    uri: str
    local_path: str | None = None

    @property
    def content(self) -> bytes | None:
        """The file's bytes when the local copy is still present."""
        if self.local_path and os.path.exists(self.local_path):
            return Path(self.local_path).read_bytes()
        return None


@dataclass
class EvaluationResult:
    """Metrics (name → float) and artifacts (name → :class:`EvaluationArtifact`) of one run."""

    metrics: dict[str, float]
    artifacts: dict[str, EvaluationArtifact] = field(default_factory=dict)
    run_id: str | None = None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the metrics and artifact URIs as JSON files under ``path``."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        (root / "metrics.json").write_text(json.dumps(self.metrics, sort_keys=True))
        uris = {name: art.uri for name, art in self.artifacts.items()}
        (root / "artifacts_metadata.json").write_text(
            json.dumps({"run_id": self.run_id, "artifacts": uris}, sort_keys=True)
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EvaluationResult:
        """Read back what :meth:`save` wrote."""
        root = Path(path)
        metrics: dict[str, Any] = json.loads((root / "metrics.json").read_text())
        meta = json.loads((root / "artifacts_metadata.json").read_text())
        artifacts = {k: EvaluationArtifact(uri=v) for k, v in meta["artifacts"].items()}
        return cls(
            metrics={k: float(v) for k, v in metrics.items()},
            artifacts=artifacts,
            run_id=meta.get("run_id"),
        )
