"""Rules every backend shares: validation, limits, truncation (tracking) and stages/aliases
(registry). The server and the client both call stores only through these services."""
