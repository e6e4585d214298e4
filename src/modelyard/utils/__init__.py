"""Small helpers with no dependencies beyond the standard library."""

__all__: list[str] = []  # import from the submodules (``names``, ``time``)
