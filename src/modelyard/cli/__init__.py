"""The ``modelyard`` command line. Subcommands are imported only when they run."""
