"""The contract every flavor meets, as a reusable pytest base class.

Subclass :class:`FlavorContract`, set ``flavor_name`` and implement :meth:`make_case` (a fitted
model, its input, and a ``save(model, path, **kwargs)`` function), then pytest collects the
checks::

    class TestSklearn(FlavorContract):
        flavor_name = "sklearn"

        def make_case(self):
            ...
            return FlavorCase(model, X, save=modelyard.sklearn.save_model,
                              load_native=modelyard.sklearn.load_model)

Checks: save → load (native and pyfunc) → the same predictions as the original model, with and
without a signature, with an input example (saved, re-readable, signature inferred); the
``MLmodel`` holds the MLflow 3.17 keys and a ``python_function`` block; the environment files
exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FlavorCase", "FlavorContract"]


@dataclass
class FlavorCase:
    model: Any
    model_input: Any
    save: Callable[..., Any]
    load_native: Callable[..., Any] | None = None
    predict: Callable[[Any, Any], Any] | None = None  # (model, input) -> predictions
    save_kwargs: dict[str, Any] = field(default_factory=dict)


def _as_array(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value)


def _assert_same(actual: Any, expected: Any) -> None:
    import numpy as np

    np.testing.assert_allclose(
        _as_array(actual).astype(float), _as_array(expected).astype(float), rtol=1e-6
    )


class FlavorContract:
    flavor_name: str = ""

    def make_case(self) -> FlavorCase:  # pragma: no cover - implemented by subclasses
        raise NotImplementedError

    # ---------------------------------------------------------------- helpers
    def expected(self, case: FlavorCase) -> Any:
        if case.predict is not None:
            return case.predict(case.model, case.model_input)
        return case.model.predict(case.model_input)

    def save(self, case: FlavorCase, path: Path, **kwargs: Any) -> Path:
        case.save(case.model, path, **{**case.save_kwargs, **kwargs})
        return path

    # ---------------------------------------------------------------- checks
    def test_mlmodel_keys(self, tmp_path: Path) -> None:
        import yaml

        case = self.make_case()
        path = self.save(case, tmp_path / "m")
        doc = yaml.safe_load((path / "MLmodel").read_text())
        for key in (
            "flavors",
            "model_uuid",
            "mlflow_version",
            "utc_time_created",
            "model_size_bytes",
        ):
            assert key in doc, key
        assert self.flavor_name in doc["flavors"]
        pyfunc = doc["flavors"]["python_function"]
        assert pyfunc["loader_module"].startswith("mlflow.")
        assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
        assert doc["mlflow_version"] == "3.17.2"
        for name in ("requirements.txt", "conda.yaml", "python_env.yaml"):
            assert (path / name).is_file(), name
        reqs = (path / "requirements.txt").read_text().splitlines()
        assert reqs[0] == "mlflow==3.17.2"

    def test_roundtrip_without_signature(self, tmp_path: Path) -> None:
        from modelyard.pyfunc import load_model

        case = self.make_case()
        path = self.save(case, tmp_path / "m")
        loaded = load_model(str(path))
        assert loaded.metadata.signature is None
        _assert_same(loaded.predict(case.model_input), self.expected(case))
        if case.load_native is not None:
            native = case.load_native(str(path))
            _assert_same(
                case.predict(native, case.model_input)
                if case.predict
                else native.predict(case.model_input),
                self.expected(case),
            )

    def test_roundtrip_with_signature(self, tmp_path: Path) -> None:
        from modelyard.models import infer_signature
        from modelyard.pyfunc import load_model

        case = self.make_case()
        signature = infer_signature(case.model_input, self.expected(case))
        path = self.save(case, tmp_path / "m", signature=signature)
        loaded = load_model(str(path))
        assert loaded.metadata.signature == signature
        _assert_same(loaded.predict(case.model_input), self.expected(case))

    def test_input_example(self, tmp_path: Path) -> None:
        from modelyard.pyfunc import load_model

        case = self.make_case()
        example = case.model_input[:3]
        path = self.save(case, tmp_path / "m", input_example=example)
        info = json.loads((path / "serving_input_example.json").read_text())
        assert set(info) & {"dataframe_split", "inputs"}
        loaded = load_model(str(path))
        signature = loaded.metadata.signature
        assert signature is not None and signature.inputs is not None
        reread = loaded.metadata.load_input_example(path)
        _assert_same(loaded.predict(reread), self.expected(case)[:3])
        _assert_same(loaded.predict(case.model_input), self.expected(case))
