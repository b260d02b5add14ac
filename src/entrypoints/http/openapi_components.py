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
            "used": {
                "type": ["integer", "string"],
                "description": (
                    "Units counted: recorded this month plus those held by work already "
                    "queued (a decimal string for `daily_cost_usd`)."
                ),
            },
            "limit": {
                "type": ["integer", "string"],
                "description": "The plan's limit, add-on credits not included.",
            },
            "upgrade_url": {"type": "string", "description": "Absolute URL."},
        },
        "additionalProperties": True,
    },
    "LimitExceededResponse": _envelope(
        "LimitExceededError", "402: a monthly plan limit or a daily safety ceiling is reached."
    ),
}


def struct_components(structs: Iterable[type[msgspec.Struct]]) -> dict[str, Any]:
    """Component schemas of ``structs`` and everything they reference, keyed by class name."""
    _, components = msgspec.json.schema_components(
        sorted(structs, key=lambda struct: struct.__name__), ref_template=REF + "{name}"
    )
    return components


def _type_string_enums(schema: Any) -> Any:
    """``schema`` with ``type: string`` on string enums (msgspec leaves it to the values),
    so that code generators need not infer it."""
    if isinstance(schema, dict):
        out = {key: _type_string_enums(value) for key, value in schema.items()}
        values = out.get("enum")
        if "type" not in out and values and all(isinstance(v, str) for v in values):
            out["type"] = "string"
        return out
    if isinstance(schema, list):
        return [_type_string_enums(item) for item in schema]
    return schema


def merge_components(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """One ``components.schemas`` map, sorted by name, string enums typed.

    Request and response Structs share nested types (enums above all), so a name may come
    from more than one part; it must mean the same schema each time.
    """
    merged: dict[str, Any] = {}
    for part in parts:
        for name, schema in part.items():
            typed = _type_string_enums(schema)
            if name in merged and merged[name] != typed:
                raise ValueError(f"OpenAPI component {name!r} is defined twice, differently")
            merged[name] = typed
    return dict(sorted(merged.items()))
