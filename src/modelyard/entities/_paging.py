"""A page of results with the opaque token of the next page."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["PagedList"]


class PagedList(list[T], Generic[T]):
    """A list with a ``token`` for the next page (``None`` on the last page)."""

    def __init__(self, items: list[T] | tuple[T, ...] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token
