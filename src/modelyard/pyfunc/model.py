"""Custom Python models (MLflow's ``mlflow.pyfunc.model``): :class:`PythonModel` and its context.

The classes live in :mod:`modelyard.models.python_model` (the model format layer, so that flavors
can use them without importing ``pyfunc``); this module keeps the import path that models pickled
by earlier modelyard releases refer to.
"""

from modelyard.models.python_model import PythonModel, PythonModelContext

__all__ = ["PythonModel", "PythonModelContext"]
