"""SQL backend pieces shared by the tracking and registry stores: engine, schema, migrations."""

__all__: list[str] = []  # import from the submodules (``engine``, ``schema``, ``migrate``)
