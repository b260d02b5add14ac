"""Component schemas of the published OpenAPI document.

Success envelopes are generated from the response Structs in ``schemas`` (one component per
Struct, referenced directly, so ``data`` is always typed). Error envelopes are written here:
the server renders errors as plain mappings (``presenters.error_payload``), and their
``fields`` map is recursive, which a Struct cannot say. Every error body keeps
``additionalProperties`` open: an error may carry more keys (readiness' ``dependencies``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec

REF: Final = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _envelope(body: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["error"],
        "properties": {"error": ref(body)},
    }


_CODE: Final = {"type": "string", "description": "Stable snake_case code."}
_DETAIL: Final = {"type": "string", "description": "Human-readable text."}
_STATUS: Final = {"type": "integer", "description": "The HTTP status."}

ERROR_SCHEMAS: Final[Mapping[str, Any]] = {
    "SuccessEnvelope": {
        "type": "object",
        "description": (
            "The shape every JSON success shares: the payload sits under `data`. Each "
            "operation's response names its own envelope, whose `data` is typed."
        ),
        "required": ["data"],
        "properties": {"data": {"type": "object"}},
    },
    "ErrorBody": {
        "type": "object",
        "description": "Branch on `code` and the HTTP status; `detail` is informative.",
        "required": ["code", "detail", "status"],
        "properties": {"code": _CODE, "detail": _DETAIL, "status": _STATUS},
        "additionalProperties": True,
    },
    "ErrorEnvelope": _envelope("ErrorBody", "Every error response."),
    "FieldErrors": {
        "type": "object",
        "description": (
            "Field → list of messages. A nested collection (`uploads`) maps to a list "
            "aligned with the input, one map per entry (`{}` for a valid one); a nested "
            "map maps to a map of the same shape."
        ),
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": ref("FieldErrors")},
                {"type": "array", "items": {"type": "string"}},
                ref("FieldErrors"),
            ]
        },
    },
    "ValidationErrorBody": {
        "type": "object",
        "required": ["code", "detail", "status", "fields"],
        "properties": {
            "code": {"type": "string", "const": "validation_failed"},
            "detail": _DETAIL,
            "status": {"type": "integer", "const": 422},
            "fields": ref("FieldErrors"),
        },
        "additionalProperties": True,
    },
    "ValidationErrorEnvelope": _envelope(
        "ValidationErrorBody", "422 field validation: `fields` says what is wrong where."
    ),
    "LimitExceededError": {
        "type": "object",
        "required": ["code", "detail", "status", "operation", "used", "limit", "upgrade_url"],
        "properties": {
            "code": {"type": "string", "const": "limit_exceeded"},
            "detail": _DETAIL,
            "status": {"type": "integer", "const": 402},
            "operation": {
                "type": "string",
                "description": "The bucket (`ai_drafts`…) or `daily_<resource>`.",
            },
            "used": {"type": ["integer", "string"]},
            "limit": {"type": ["integer", "string"]},
            "addon_credits": {"type": "integer"},
            "upgrade_url": {"type": "string", "description": "Absolute URL."},
        },
        "additionalProperties": True,
    },
    "LimitExceededResponse": _envelope(
        "LimitExceededError", "402: a monthly plan limit or a daily safety ceiling is reached."
    ),
}


def struct_components(structs: Iterable[type[msgspec.Struct]]) -> dict[str, Any]:
    """Component schemas of ``structs`` and everything they reference, keyed by class name.

    A string enum is given ``type: string`` (msgspec leaves it to the values), so that code
    generators need not infer it.
    """
    _, components = msgspec.json.schema_components(
        sorted(structs, key=_name), ref_template=REF + "{name}"
    )
    for schema in components.values():
        _type_string_enums(schema)
    return components


def _name(struct: type[msgspec.Struct]) -> str:
    return struct.__name__


def _type_string_enums(schema: Any) -> None:
    if isinstance(schema, dict):
        values = schema.get("enum")
        if "type" not in schema and values and all(isinstance(v, str) for v in values):
            schema["type"] = "string"
        for value in schema.values():
            _type_string_enums(value)
    elif isinstance(schema, list):
        for item in schema:
            _type_string_enums(item)


def merge_components(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """One ``components.schemas`` map; a name defined twice must mean the same schema."""
    merged: dict[str, Any] = {}
    for part in parts:
        for name, schema in part.items():
            if name in merged and merged[name] != schema:
                raise ValueError(f"OpenAPI component {name!r} is defined twice, differently")
            merged[name] = schema
    return dict(sorted(merged.items()))
