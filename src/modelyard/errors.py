"""The one error tree of modelyard.

Every error a user can cause or meet is a :class:`ModelyardError`. Each class carries the MLflow
``error_code`` name that the wire protocol uses; the HTTP status for a code lives in exactly one
place, :mod:`modelyard.wire.errors`, which every server and HTTP client of the package uses.

::

    ModelyardError (INTERNAL_ERROR)
    ├── InvalidParameterValue (INVALID_PARAMETER_VALUE)      bad input: a field, a filter, a path
    │   └── BadRequest (BAD_REQUEST)                          malformed request bodies (scoring)
    ├── ResourceDoesNotExist (RESOURCE_DOES_NOT_EXIST)        unknown experiment, run, model ...
    │   └── EndpointNotFound (ENDPOINT_NOT_FOUND)             unknown REST route
    ├── ResourceAlreadyExists (RESOURCE_ALREADY_EXISTS)       duplicate names
    ├── InvalidState (INVALID_STATE)                          operation not allowed in this state
    ├── ResourceConflict (RESOURCE_CONFLICT)                  a concurrent change won the race
    ├── PermissionDenied (PERMISSION_DENIED)
    ├── Unauthenticated (UNAUTHENTICATED)
    ├── RequestLimitExceeded (REQUEST_LIMIT_EXCEEDED)         oversized payloads, rate limits
    ├── TemporarilyUnavailable (TEMPORARILY_UNAVAILABLE)
    ├── NotImplementedByBackend (NOT_IMPLEMENTED)
    └── RemoteError                                           any other code a server sent back

``MlflowException`` is an alias of the root, so ``except MlflowException`` in user scripts that
were written for MLflow keeps working after ``import modelyard as mlflow``.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "EndpointNotFound",
    "InvalidParameterValue",
    "InvalidState",
    "MlflowException",
    "ModelyardError",
    "NotImplementedByBackend",
    "PermissionDenied",
    "RemoteError",
    "RequestLimitExceeded",
    "ResourceAlreadyExists",
    "ResourceConflict",
    "ResourceDoesNotExist",
    "TemporarilyUnavailable",
    "Unauthenticated",
    "error_from_code",
]


class ModelyardError(Exception):
    """Root of every modelyard error. ``error_code`` is MLflow's name for the failure."""

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    def __str__(self) -> str:
        return self.message

    def get_error_code(self) -> str:
        """MLflow-compatible accessor."""
        return self.error_code

    def to_dict(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameterValue(ModelyardError, ValueError):
    error_code = "INVALID_PARAMETER_VALUE"


class BadRequest(InvalidParameterValue):
    error_code = "BAD_REQUEST"


class ResourceDoesNotExist(ModelyardError, LookupError):
    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(ResourceDoesNotExist):
    error_code = "ENDPOINT_NOT_FOUND"


class ResourceAlreadyExists(ModelyardError):
    error_code = "RESOURCE_ALREADY_EXISTS"


class InvalidState(ModelyardError):
    error_code = "INVALID_STATE"


class ResourceConflict(ModelyardError):
    error_code = "RESOURCE_CONFLICT"


class PermissionDenied(ModelyardError, PermissionError):
    error_code = "PERMISSION_DENIED"


class Unauthenticated(ModelyardError):
    error_code = "UNAUTHENTICATED"


class RequestLimitExceeded(ModelyardError):
    error_code = "REQUEST_LIMIT_EXCEEDED"


class TemporarilyUnavailable(ModelyardError):
    error_code = "TEMPORARILY_UNAVAILABLE"


class NotImplementedByBackend(ModelyardError, NotImplementedError):
    error_code = "NOT_IMPLEMENTED"


class RemoteError(ModelyardError):
    """An error code a remote server returned that has no class of its own here."""


MlflowException = ModelyardError

_CLASS_BY_CODE: dict[str, type[ModelyardError]] = {
    cls.error_code: cls
    for cls in (
        InvalidParameterValue,
        BadRequest,
        ResourceDoesNotExist,
        EndpointNotFound,
        ResourceAlreadyExists,
        InvalidState,
        ResourceConflict,
        PermissionDenied,
        Unauthenticated,
        RequestLimitExceeded,
        TemporarilyUnavailable,
        NotImplementedByBackend,
    )
}


def error_from_code(error_code: str, message: str) -> ModelyardError:
    """Rebuild the typed error for a code received over the wire."""
    cls = _CLASS_BY_CODE.get(error_code)
    if cls is None:
        return RemoteError(message, error_code=error_code)
    return cls(message)
