"""The context-manager protocol for the edge's resources that have a ``close()``."""

from __future__ import annotations

from typing_extensions import Self  # typing.Self is 3.11+; the edge runs on 3.10 too


class Closing:
    """``with x:`` closes ``x`` at the end of the block."""

    def close(self) -> None:
        """Release the resource."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
