"""REST endpoint modules; each exposes ``ENDPOINTS: list[Endpoint]`` (see ``server.routing``)."""

__all__: list[str] = []
