"""The model registry store: ``base.RegistryStore``, the SQL and REST implementations and the
scheme registry (``registry.get_registry_store``)."""

__all__: list[str] = []  # import from the submodules
