"""Rules every backend shares: validation, limits, truncation (tracking) and stages/aliases
(registry). The server and the client both call stores only through these services."""

__all__: list[
    str
] = []  # the services live in submodules (``services.tracking``, ``services.registry``, ...)
