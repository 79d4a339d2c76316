"""The context-manager protocol for the edge's resources that have a ``close()``."""

from __future__ import annotations

from typing import Self


class Closing:
    """``with x:`` closes ``x`` at the end of the block."""

    def close(self) -> None:
        """Release the resource."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
