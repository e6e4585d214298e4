"""What a flavor module provides, written down as protocols.

A flavor is a module (``modelyard.flavors.sklearn`` ...) that knows how to write one kind of
model into a model directory and read it back. Its ``LOADER_MODULE`` is the value written to
``flavors.python_function.loader_module``; for the built-in flavors that is MLflow's module name
(``mlflow.sklearn``), so MLflow's ``pyfunc.load_model`` loads our models, and modelyard maps the
same names back to its own flavors (see ``modelyard.flavors.loaders``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from modelyard.models.mlmodel import Model

__all__ = ["Flavor", "PyFuncImpl"]


@runtime_checkable
class PyFuncImpl(Protocol):
    """The object a flavor's pyfunc loader returns; ``PyFuncModel`` wraps it."""

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any: ...


class Flavor(Protocol):
    FLAVOR_NAME: str
    LOADER_MODULE: str

    def save_model(self, model: Any, path: str | Path, **kwargs: Any) -> Model:
        """Write ``model`` into the new directory ``path``; return the written ``MLmodel``."""
        ...

    def load_model(self, model_uri: str, dst_path: str | None = None, **kwargs: Any) -> Any:
        """The native model object stored at ``model_uri``."""
        ...

    def load_pyfunc(self, model_dir: Path, mlmodel: Model, **kwargs: Any) -> PyFuncImpl:
        """A predict-capable object for the local model directory ``model_dir``."""
        ...
