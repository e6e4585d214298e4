"""The stores: tracking, registry, artifacts, jobs, auth, webhooks (one interface and its
implementations per kind, chosen by URI scheme)."""

__all__: list[str] = []  # every store kind is a subpackage
