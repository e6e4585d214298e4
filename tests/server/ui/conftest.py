"""Fixtures for the browser tests: a live server seeded through the public client, and one
headless chromium (CDP) per module."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_browser import Browser, chromium_or_skip
from ui_seed import seed_ui

from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[str, dict[str, str]]]:
    chromium_or_skip()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = ServerConfig(
            backend_store_uri=f"sqlite:///{root / 's.db'}",
            artifacts_destination=str(root / "art"),
        )
        with LiveServer(config) as url:
            yield url, seed_ui(url, root)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium_or_skip()
    with Browser() as b:
        yield b
