"""The ``modelyard`` command line. Subcommands are imported only when they run."""

__all__: list[str] = []  # the command groups live in submodules (``modelyard.cli.main:cli``)
