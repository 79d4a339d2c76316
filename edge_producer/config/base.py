"""The base of every edge config section, and the field types they share."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError("start_time must carry a timezone, e.g. 2026-11-25T08:00:00Z")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Size = tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_reference(value: str | None) -> str | None:
    if value is not None and not value.startswith("env:"):
        raise ValueError(
            "secrets never live in the config file: write env:NAME and set the environment "
            "variable NAME"
        )
    return value


Secret = Annotated[str, AfterValidator(_env_reference)]
"""A secret named by ``env:NAME``: the config holds the variable's name, never its value."""


def resolve_secret(reference: str | None) -> str | None:
    """The value of the ``env:NAME`` variable (None stays None); a clear error when unset."""
    if reference is None:
        return None
    name = reference.removeprefix("env:")
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"the environment variable {name} is not set ({reference} in the config)")
    return value
