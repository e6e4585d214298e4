"""Authentication and authorization of the tracking server (``modelyard server --auth``).

One ASGI middleware (:class:`~modelyard.server.auth.middleware.AuthMiddleware`) sits in front of
the dispatcher: it resolves the route exactly as the dispatcher does, authenticates the caller
(HTTP basic, ``Authorization: Bearer <token>``, or the UI's session cookie) and applies the rule
of the route from :mod:`modelyard.server.auth.rules` (default-deny).
"""

from __future__ import annotations

from modelyard.server.auth.middleware import AuthMiddleware, build_auth_service

__all__ = ["AuthMiddleware", "build_auth_service"]
