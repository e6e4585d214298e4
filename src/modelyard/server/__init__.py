"""The modelyard tracking server: a Starlette app speaking MLflow's REST protocol.

``create_app(ServerConfig(...))`` builds it; ``modelyard server`` (``modelyard.cli.server``)
runs it with uvicorn. API areas plug in as modules exposing ``ENDPOINTS: list[Endpoint]``.
"""

from modelyard.server.app import app_from_env, collect_endpoints, create_app
from modelyard.server.config import ServerConfig
from modelyard.server.routing import Call, Endpoint

__all__ = ["Call", "Endpoint", "ServerConfig", "app_from_env", "collect_endpoints", "create_app"]
