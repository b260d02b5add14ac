"""Merging component schemas from request and response Structs into one document."""

from __future__ import annotations

from enum import StrEnum

import msgspec
import pytest

from reseller_entrypoints.http.openapi_components import (
    ERROR_SCHEMAS,
    merge_components,
    struct_components,
)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Paint(msgspec.Struct, kw_only=True):
    colour: Colour
    shade: Colour | None


class Brush(msgspec.Struct, kw_only=True):
    colour: Colour


def test_a_shared_enum_is_one_string_typed_component() -> None:
    merged = merge_components(struct_components([Paint]), struct_components([Brush]))
    assert merged["Colour"] == {"title": "Colour", "type": "string", "enum": ["blue", "red"]}
    assert merged["Brush"]["properties"]["colour"] == {"$ref": "#/components/schemas/Colour"}
    assert list(merged) == sorted(merged)


def test_one_name_with_two_meanings_is_refused() -> None:
    other = {"Colour": {"type": "string", "enum": ["green"]}}
    with pytest.raises(ValueError, match="'Colour' is defined twice"):
        merge_components(struct_components([Paint]), other)


def test_error_envelopes_reference_their_typed_bodies() -> None:
    merged = merge_components(ERROR_SCHEMAS)
    validation = merged["ValidationErrorBody"]["properties"]["fields"]
    assert validation == {"$ref": "#/components/schemas/FieldErrors"}
    entry = merged["FieldErrors"]["additionalProperties"]["anyOf"]
    assert {"type": "array", "items": {"$ref": "#/components/schemas/FieldErrors"}} in entry
    assert {"type": "array", "items": {"type": "string"}} in entry
