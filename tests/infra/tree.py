"""Walk parsed YAML/JSON trees in the infra structure tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(
    node: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str | None, Any]]:
    """Yield (path, key, value) for every mapping entry, and (path, None, item) for list items."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, str(key), value
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield path, None, item
            yield from walk(item, (*path, str(i)))
