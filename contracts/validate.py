"""Validate raw events against the JSON Schema files in ``contracts/schemas``.

This is the language-neutral check (what a non-Python consumer would run); the pydantic
models in :mod:`contracts.events` enforce the same contract plus the bbox ordering rule.
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import datetime
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import best_match

__all__ = [
    "ValidationError",
    "load_schema",
    "validate_event",
    "validate_gender_classification",
    "validate_person_detections",
]

_NAME_RE = re.compile(r"[a-z][a-z0-9_]*\.v[0-9]+")

_format_checker = FormatChecker(formats=())


@_format_checker.checks("date-time", raises=ValueError)
def _is_date_time(instance: object) -> bool:
    # The schema's pattern fixes the form; this rejects impossible dates such as month 13.
    if isinstance(instance, str):  # Python 3.10 (the edge on JetPack 6) does not read "Z"
        datetime.fromisoformat(instance[:-1] + "+00:00" if instance.endswith("Z") else instance)
    return True


def _is_finite_number(checker: Any, instance: object) -> bool:
    # JSON has no NaN/Infinity; Python's json module would accept them, so reject here.
    number = Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")
    return number and math.isfinite(instance)  # type: ignore[arg-type]


_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _is_finite_number),
)


@functools.cache
def _schema_text(stem: str) -> str:
    return (resources.files("contracts") / "schemas" / f"{stem}.json").read_text("utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Load a schema by name: ``"person_detections.v1"`` or the tag ``"person_detections/v1"``.

    Returns a fresh dict each call. Raises ValueError for a malformed name and
    FileNotFoundError for an unknown schema.
    """
    stem = name.removesuffix(".json").replace("/", ".")
    if not _NAME_RE.fullmatch(stem):
        raise ValueError(f"bad schema name {name!r}, expected e.g. 'person_detections.v1'")
    return json.loads(_schema_text(stem))


@functools.cache
def _validator(stem: str) -> Any:
    return _Validator(load_schema(stem), format_checker=_format_checker)


def validate_event(name: str, obj: Any) -> dict[str, Any]:
    """Validate ``obj`` (a dict, or JSON ``str``/``bytes``) against schema ``name``.

    Returns the validated dict. Raises ``jsonschema.ValidationError`` (the most relevant
    error) if invalid, ``json.JSONDecodeError`` if the text is not JSON.
    """
    if isinstance(obj, str | bytes | bytearray):
        obj = json.loads(obj)
    error = best_match(_validator(name.replace("/", ".")).iter_errors(obj))
    if error is not None:
        raise error
    return obj


def validate_person_detections(obj: Any) -> dict[str, Any]:
    """Validate one ``person_detections/v1`` event; see :func:`validate_event`."""
    return validate_event("person_detections.v1", obj)


def validate_gender_classification(obj: Any) -> dict[str, Any]:
    """Validate one ``gender_classifications/v1`` event; see :func:`validate_event`."""
    return validate_event("gender_classifications.v1", obj)
