"""Estimator serialization (skops, cloudpickle, pickle) and the skops trust policy.

skops refuses, by default, every type outside its own allow-list. Which extra types are
accepted:

* at **save** time: the types the caller lists in ``skops_trusted_types``, plus the *classes*
  defined by scikit-learn, XGBoost and LightGBM that skops flags (e.g. ``sklearn.tree._tree.Tree``
  inside every random forest, ``xgboost.core.Booster`` inside an ``XGBClassifier`` logged with
  the sklearn flavor). The accepted list is recorded in ``MLmodel``
  (``skops_trusted_types``), which is also what MLflow reads back. Any other type (a function
  such as ``_operator.neg``, a class from another package) fails the save unless the caller
  lists it.
* at **load** time: the caller's ``skops_trusted_types``, plus the recorded types that resolve
  to classes of those three libraries. Other recorded types (functions, other packages) are *not*
  trusted on the model's word (MLflow trusts the whole recorded list): pass them yourself, or
  ``trust_model_skops_types=True``.

Known residual risk, accepted for the default workflow (random forests must load): skops flags
``sklearn.tree._tree.Tree`` because a crafted file can make ``predict`` read out of bounds.

**Pickle formats run their author's code when loaded.** Load them only from trusted sources.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "CLOUDPICKLE",
    "FORMATS",
    "PICKLE",
    "SKOPS",
    "check_format",
    "dump_estimator",
    "load_estimator",
    "trusted_for_load",
]

SKOPS = "skops"
PICKLE = "pickle"
CLOUDPICKLE = "cloudpickle"
FORMATS = (SKOPS, PICKLE, CLOUDPICKLE)


def check_format(serialization_format: str) -> None:
    if serialization_format not in FORMATS:
        raise InvalidParameterValue(
            f"Unrecognized serialization format {serialization_format!r} for field "
            f"'serialization_format'; use one of {list(FORMATS)}"
        )


#: Packages whose own classes are trusted (functions never are).
LIBRARY_PACKAGES = ("sklearn", "xgboost", "lightgbm")


def is_library_class(name: str) -> bool:
    """True when ``name`` resolves to a class defined by one of :data:`LIBRARY_PACKAGES`."""
    if not isinstance(name, str) or name.split(".", 1)[0] not in LIBRARY_PACKAGES:
        return False
    module, _, attr = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return False
    module_of = str(getattr(obj, "__module__", "")).split(".", 1)[0]
    return isinstance(obj, type) and module_of in LIBRARY_PACKAGES


def dump_estimator(
    model: Any, file: Path, serialization_format: str, skops_trusted_types: list[str] | None
) -> list[str] | None:
    """Write ``model``; for skops return the trusted-types list to record (None when empty)."""
    check_format(serialization_format)
    if serialization_format == SKOPS:
        import skops.io

        skops.io.dump(model, file)
        caller = list(skops_trusted_types or [])
        found = [t for t in skops.io.get_untrusted_types(file=file) if t not in caller]
        refused = [t for t in found if not is_library_class(t)]
        if refused:
            file.unlink(missing_ok=True)
            raise InvalidParameterValue(
                f"The model references types skops does not trust: {refused}. If loading them is "
                "safe, list them in 'skops_trusted_types', or use serialization_format='cloudpickle'."
            )
        recorded = sorted(set(caller) | set(found))
        return recorded or None
    with open(file, "wb") as out:
        if serialization_format == CLOUDPICKLE:
            import cloudpickle

            cloudpickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            pickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)
    return None


def trusted_for_load(
    recorded: list[str] | None, caller: list[str] | None, trust_model_types: bool = False
) -> list[str]:
    """The skops types to accept when loading (see the module doc)."""
    trusted = list(caller or [])
    for name in recorded or []:
        if (trust_model_types or is_library_class(name)) and name not in trusted:
            trusted.append(name)
    return trusted


def load_estimator(file: Path, serialization_format: str, trusted: list[str] | None) -> Any:
    """Read an estimator written by :func:`dump_estimator` (or by MLflow)."""
    check_format(serialization_format)
    if serialization_format == SKOPS:
        import skops.io

        untrusted = [t for t in skops.io.get_untrusted_types(file=file) if t not in (trusted or [])]
        if untrusted:
            raise InvalidParameterValue(
                f"Refusing to load {file.name}: it contains types that are not trusted: "
                f"{untrusted}. Pass them in 'skops_trusted_types' if you trust this model."
            )
        return skops.io.load(file, trusted=list(trusted or []) or None)
    with open(file, "rb") as src:
        if serialization_format == CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(src)
        return pickle.load(src)
