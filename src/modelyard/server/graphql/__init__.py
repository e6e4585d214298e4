"""``/graphql``: the GraphQL API that MLflow's web UI reads runs, experiments, artifacts, metric
histories, model versions and datasets through.

Every query field answers with the REST answer of the same call (the resolvers call the REST
handlers, so validation, limits and error codes are the REST API's). A document is bounded before
it runs (:mod:`modelyard.server.graphql._limits`), one operation per request. The answer is
MLflow's: ``{"data": ..., "errors": [message, ...] | null}`` with status 200; a request that is not
a GraphQL request at all (no ``query``, a batch list, bad JSON) is a 400 JSON error.
"""

from __future__ import annotations

from modelyard.server.graphql._handler import graphql_endpoint
from modelyard.server.routing import Endpoint

__all__ = ["ENDPOINTS"]

ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/graphql", graphql_endpoint, absolute=True),
    Endpoint("GET", "/graphql", graphql_endpoint, absolute=True),
]
