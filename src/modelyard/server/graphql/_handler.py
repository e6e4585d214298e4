"""Parse, bound, validate and run one GraphQL request against the REST handlers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from modelyard.errors import InvalidParameterValue, ModelyardError
from modelyard.server.endpoints import experiments, metric_intervals, registry, runs
from modelyard.server.errors import json_response
from modelyard.server.graphql._schema import SDL
from modelyard.server.routing import Call
from modelyard.wire import WireArgs, loads

__all__ = ["graphql_endpoint"]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
Resolver = Callable[..., Any]


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(k): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _rest(call: Call, handler: Callable[[Call], Any], fields: dict[str, Any]) -> Any:
    """The REST answer of ``handler`` for ``fields`` (snake_case), as the REST API gives it."""
    clean = {k: v for k, v in fields.items() if v is not None}
    return handler(Call(call.request, WireArgs.from_json(clean), {}, call.ctx))


def _input(kwargs: dict[str, Any]) -> dict[str, Any]:
    value = kwargs.get("input") or {}
    return _snake_keys(dict(value)) if isinstance(value, dict) else {}


def _finite(value: Any) -> float | None:
    # GraphQL's Float has no NaN or infinities (REST sends them as strings): they read as null
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _root_resolvers() -> dict[tuple[str, str], Resolver]:
    def on(handler: Callable[[Call], Any]) -> Resolver:
        return lambda _src, info, **kw: _rest(info.context, handler, _input(kw))

    def echo(_src: Any, _info: Any, inputString: str | None = None) -> Any:
        return {"output": inputString}

    def run_experiment(src: Any, info: Any) -> Any:
        experiment_id = (src.get("info") or {}).get("experiment_id")
        answer = _rest(info.context, experiments.get_experiment, {"experiment_id": experiment_id})
        return answer.get("experiment")

    def run_model_versions(src: Any, info: Any) -> Any:
        run_id = str((src.get("info") or {}).get("run_id", "")).replace("'", "")
        answer = _rest(
            info.context, registry.search_model_versions, {"filter": f"run_id = '{run_id}'"}
        )
        return answer.get("model_versions", [])

    def metric_value(src: Any, _info: Any) -> float | None:
        return _finite(src.get("value"))

    return {
        ("Query", "test"): echo,
        ("Mutation", "testMutation"): echo,
        ("Query", "mlflowGetExperiment"): on(experiments.get_experiment),
        ("Query", "mlflowGetRun"): on(runs.get_run),
        ("Query", "mlflowListArtifacts"): on(runs.list_artifacts),
        ("Query", "mlflowGetMetricHistoryBulkInterval"): on(
            metric_intervals.get_metric_history_bulk_interval
        ),
        ("Query", "mlflowSearchModelVersions"): on(registry.search_model_versions),
        ("Query", "mlflowSearchRuns"): on(runs.search_runs),
        ("Mutation", "mlflowSearchRuns"): on(runs.search_runs),
        ("Mutation", "mlflowSearchDatasets"): on(experiments.search_datasets),
        ("MlflowRun", "experiment"): run_experiment,
        ("MlflowRun", "modelVersions"): run_model_versions,
        ("MlflowMetric", "value"): metric_value,
        ("MlflowMetricWithRunId", "value"): metric_value,
        ("MlflowModelMetric", "value"): metric_value,
    }


@cache
def _schema() -> Any:
    from graphql import build_schema

    return build_schema(SDL)


@cache
def _resolvers() -> dict[tuple[str, str], Resolver]:
    return _root_resolvers()


#: What an unset scalar field reads as: MLflow answers GraphQL from protobuf messages, whose
#: unset fields have these defaults (never null), and its UI relies on it.
_UNSET = {"String": "", "LongString": "0", "Int": 0, "Float": 0.0, "Boolean": False}


def _field_resolver(source: Any, info: Any, **kwargs: Any) -> Any:
    custom = _resolvers().get((info.parent_type.name, info.field_name))
    if custom is not None:
        return custom(source, info, **kwargs)
    value = source.get(_snake(info.field_name)) if isinstance(source, dict) else None
    kind = str(getattr(info.return_type, "name", ""))
    if value is None:
        if not isinstance(source, dict):
            return None
        if _is_list(info):
            return []  # an unset repeated field is an empty list in protobuf, never null
        return _UNSET.get(kind)
    if kind == "LongString":
        return str(value)  # 64-bit numbers travel as strings (JavaScript has 53-bit integers)
    return value


def _is_list(info: Any) -> bool:
    from graphql import GraphQLList, GraphQLNonNull

    kind = info.return_type
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)


def _request_fields(call: Call) -> tuple[str, dict[str, Any] | None, str | None]:
    raw = call.args.raw()
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise InvalidParameterValue("Missing value for required parameter 'query'.")
    variables = raw.get("variables")
    if isinstance(variables, str):  # GET: variables travel as a JSON string
        try:
            variables = loads(variables) if variables.strip() else None
        except ModelyardError:
            raise InvalidParameterValue("Invalid value for parameter 'variables'.") from None
    if variables is not None and not isinstance(variables, dict):
        raise InvalidParameterValue("Invalid value for parameter 'variables': expected an object.")
    operation = raw.get("operationName") or raw.get("operation_name")
    if operation is not None and not isinstance(operation, str):
        raise InvalidParameterValue("Invalid value for parameter 'operationName'.")
    return query, variables, operation


def graphql_endpoint(call: Call) -> Any:
    from graphql import GraphQLError, execute, parse, validate

    # graphql-core is loaded by the first GraphQL request, not when the server starts
    from modelyard.server.graphql._limits import MAX_TOKENS, check_document

    query, variables, operation = _request_fields(call)
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        return json_response({"data": None, "errors": [exc.message]}, status=400)
    refused = check_document(document)
    if refused is not None:
        return {"data": None, "errors": [refused]}
    schema = _schema()
    problems = validate(schema, document)
    if problems:
        return {"data": None, "errors": [p.message for p in problems]}
    result = execute(
        schema,
        document,
        context_value=call,
        variable_values=variables,
        operation_name=operation,
        field_resolver=_field_resolver,
    )
    errors = [e.message for e in result.errors] if result.errors else None  # type: ignore[union-attr]
    return {"data": result.data, "errors": errors}  # type: ignore[union-attr]
