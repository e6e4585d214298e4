"""The tracking store: ``base.TrackingStore``, the SQL and REST implementations and the scheme
registry (``registry.get_tracking_store``)."""

__all__: list[str] = []  # import from the submodules
