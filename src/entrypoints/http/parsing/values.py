"""Reading JSON values leniently: the shapes the contract accepts, problems for the rest."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from reseller_core.commands import InputProblems
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import FieldErrors

C = TypeVar("C")

NOT_AN_OBJECT = "Request body must be a JSON object"
JsonObject = dict[str, object]


class Parsed(NamedTuple, Generic[C]):
    """A command and what could not be read into it (``use_case(*parsed)`` passes both)."""

    command: C
    problems: InputProblems


def as_object(value: object) -> JsonObject | None:
    """The JSON object ``value`` is, or None (arrays, scalars, a malformed body)."""
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return value
    return None


def text_or_empty(value: object) -> str:
    """A string as is; anything else reads as ``""``, which no rule accepts as a value."""
    return value if isinstance(value, str) else ""


def text_or_none(value: object) -> str | None:
    """A string as is; any other value (or none) reads as absent."""
    return value if isinstance(value, str) else None


def string_list(
    value: object, field: str, problems: FieldErrors, *, message: str = IS_INVALID
) -> tuple[str, ...] | None:
    """A list of strings, a single string as a one-item list; else a problem and None."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    problems[field] = [message]
    return None


def finish(command: C, problems: FieldErrors, invalid_request: str | None = None) -> Parsed[C]:
    return Parsed(command, InputProblems(invalid_request=invalid_request, fields=problems))
