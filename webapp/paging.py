"""Keyset pagination: a page of rows, whether more follow, and where the next page starts."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of a list; `next_before` is the cursor of the «Показать ещё» link."""

    rows: list
    more: bool
    next_before: object = None


def keyset(rows: list, size: int, key: Callable = lambda row: row["id"]) -> Page:
    """Cut `size + 1` fetched rows to a page: the extra row only says that more follow."""
    page = rows[:size]
    more = len(rows) > size
    return Page(page, more, key(page[-1]) if more and page else None)
