"""Schema fragments for what the lenient body parsers accept beyond a command's types.

The OpenAPI document must describe exactly what the server accepts: a request the document
calls invalid must be refused, and one it calls valid must not be refused for its shape.
Where the contract asks the parser to be lenient (a single string for a list, a value that
is ignored when it is not a string) or a rule admits a fixed set of values (marketplace
ids, trimmed), the property's schema comes from here (``BodyDoc.overrides``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from reseller_core.domain.marketplaces import CATALOG_IDS
from reseller_core.domain.themes import THEMES


def ignored_unless_string(description: str) -> dict[str, Any]:
    """Any JSON value: a string is used, anything else is ignored (no ``type``)."""
    return {"description": f"{description} A value that is not a string is ignored."}


def _trimmed_choice(values: tuple[str, ...]) -> str:
    """A pattern for one of ``values`` with surrounding whitespace, or blank."""
    return r"^\s*(" + "|".join(re.escape(value) for value in values) + r")?\s*$"


def marketplace_ids(*, nullable: bool) -> dict[str, Any]:
    """``selected_marketplaces``: a list of ids or a single id.

    The ids are not enumerated: the supported set is a deployment setting
    (``RESELLER_SUPPORTED_MARKETPLACES``), so an unsupported id is a business-rule refusal.
    """
    # Any text: an unsupported id (NUL included) is the rule's refusal, or ignored when the
    # nested ``user`` value wins.
    any_text = {"type": "string", "pattern": r"^[\s\S]*$"}
    choices: list[dict[str, Any]] = [{"type": "array", "items": any_text}, dict(any_text)]
    if nullable:
        choices.append({"type": "null"})
    return {
        "description": (
            "Supported marketplace ids (by default " + ", ".join(CATALOG_IDS) + "), a list "
            "or a single id; each is trimmed, blanks and repeats are dropped, and the list "
            "is kept in catalogue order."
            + (" Null or `[]` keeps the default selection." if nullable else "")
        ),
        "anyOf": choices,
    }


EXPORT_REQUEST: Final = {
    "description": (
        "Optional; when an object, its `name` (a string, trimmed and cut to 160 characters; a "
        "dated default when blank) and `filters` are used, anything else exports everything."
    ),
    "properties": {
        "name": ignored_unless_string("The export's name."),
        "filters": {
            "description": (
                "As the product list's query parameters; a value that is not a valid string "
                "for its filter is dropped, never an error."
            ),
            "properties": {
                key: ignored_unless_string(description)
                for key, description in (
                    ("status", "A product status, or `all`."),
                    ("query", "Full-text search, as the product list."),
                    ("product_tab_id", "A product tab (ULID)."),
                    ("updated_from", "`YYYY-MM-DD`, inclusive."),
                    ("updated_to", "`YYYY-MM-DD`, inclusive."),
                    ("sort", "`title`, `status`, `price`, `updated_at` or `inserted_at`."),
                    ("dir", "`asc` or `desc`."),
                )
            },
        },
    },
}
_BASE64: Final = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$"
IMPORT_REQUEST: Final = {
    "type": "object",
    "required": ["filename", "archive_base64"],
    "properties": {
        "filename": {
            "type": "string",
            "description": "The archive's name: ends in `.zip`, at most 255 characters.",
            "pattern": r"^\s*[^\u0000\n\r]{0,251}\.[Zz][Ii][Pp]\s*$",
        },
        "archive_base64": {
            "type": "string",
            "description": "The archive as standard base64 with padding, no whitespace.",
            "pattern": _BASE64,
        },
    },
    "additionalProperties": True,
}


_TRIMMED_TEXT_LIST: Final = {
    "description": (
        "Up to 20 tags of at most 40 characters: a list of strings, one string of comma- or "
        "newline-separated tags, or null (no tags); each is trimmed, blanks and repeats dropped."
    ),
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "string"},
        {"type": "null"},
    ],
}
_IMAGE_TYPE: Final = (
    r"^\s*[Ii][Mm][Aa][Gg][Ee]/"
    r"([Jj][Pp][Ee]?[Gg]|[Pp][Nn][Gg]|[Ww][Ee][Bb][Pp]|[Hh][Ee][Ii][CcFf])\s*$"
)
_AMOUNT: Final = {
    "description": (
        "A JSON number or a numeric string (plain decimal notation; blank means none), or "
        "null; 0 to 9999999999.99, rounded half up to cents."
    ),
    "anyOf": [
        # Rounding comes first: what rounds into 0.00..9999999999.99 is accepted.
        {"type": "number", "exclusiveMinimum": -0.005, "exclusiveMaximum": 9999999999.995},
        {"type": "string", "pattern": r"^\s*(\+?(0*[0-9]{1,10}(\.[0-9]*)?|\.[0-9]+))?\s*$"},
        {"type": "null"},
    ],
}
_TAB_ID: Final = {
    "description": "One of the seller's product tabs (a ULID, any case), or null for none.",
    "anyOf": [
        {"type": "string", "pattern": r"^\s*[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}\s*$"},
        {"type": "null"},
    ],
}
NOT_BLANK: Final = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
"""Text with at least one visible character and no NUL (a required name or title)."""


def trimmed_text(max_len: int) -> str:
    """A pattern for required text whose *trimmed* length is 1 to ``max_len``, without NUL.

    The services count characters after trimming (a tab name of 80 letters with a leading
    space is accepted), which ``maxLength`` on the raw string cannot say: here the optional
    whitespace at either end is outside the counted run, which starts and ends with a
    visible character. Python's ``\\s`` and ``str.strip`` agree on what whitespace is.
    """
    return rf"^\s*[^\s\u0000]([^\u0000]{{0,{max_len - 2}}}[^\s\u0000])?\s*$"


_NAMED: Final = {
    "type": "string",
    "pattern": NOT_BLANK,
    "maxLength": 255,
}


def _positive(maximum: int, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "anyOf": [{"type": "integer", "minimum": 1, "maximum": maximum}, {"type": "null"}],
    }


COMPONENT_OVERRIDES: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "SellerFields": {
        "product_tab_id": _TAB_ID,
        "tags": _TRIMMED_TEXT_LIST,
        "price": _AMOUNT,
        "cost": _AMOUNT,
        "source": {
            "description": "`manual` (default) or `mobile`; only read at creation.",
            "anyOf": [{"type": "string", "enum": ["manual", "mobile"]}, {"type": "null"}],
        },
    },
    "ProductPatchFields": {
        "product_tab_id": _TAB_ID,
        "tags": _TRIMMED_TEXT_LIST,
        "price": _AMOUNT,
        "cost": _AMOUNT,
        "storefront_enabled": {
            "description": (
                'Publish on the storefront: true/false, "true"/"false", 1/0, "1"/"0", '
                '"on"/"off"; any other value is ignored.'
            )
        },
    },
    "SavePage": {
        "position": {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**31 - 1,
            "description": "Menu order, 1 or more; defaults to after the last page.",
        }
    },
    "SaveStorefront": {
        "theme_id": {
            "description": "A theme preset id (trimmed); blank or null means `desert-clay`.",
            "anyOf": [
                {"type": "string", "pattern": _trimmed_choice(tuple(t.id for t in THEMES))},
                {"type": "null"},
            ],
        },
        "currency": {
            "description": "An ISO 4217 code (trimmed, any case); blank or null means `USD`.",
            "anyOf": [
                {"type": "string", "pattern": r"^\s*([A-Za-z]{3})?\s*$"},
                {"type": "null"},
            ],
        },
        "title": {
            "type": "string",
            "pattern": trimmed_text(120),
            "description": "At most 120 characters; required (a storefront needs a title).",
        },
    },
    "SaveProductTab": {
        "position": _positive(2**31 - 1, "1 or more; on create defaults to the last + 1."),
        "name": {
            "type": "string",
            "pattern": trimmed_text(80),
            "description": "Trimmed; 1 to 80 characters; unique per seller ignoring case.",
        },
    },
    "PrepareAsset": {
        "filename": {
            "description": "At most 255 characters (blank or null: `asset`).",
            "anyOf": [{"type": "string", "maxLength": 255}, {"type": "null"}],
        },
        "content_type": {
            "type": "string",
            "description": "image/jpeg (or image/jpg), image/png or image/webp; trimmed, any case.",
            "pattern": (
                r"^\s*[Ii][Mm][Aa][Gg][Ee]/([Jj][Pp][Ee]?[Gg]|[Pp][Nn][Gg]|[Ww][Ee][Bb][Pp])\s*$"
            ),
        },
        "byte_size": _positive(10_000_000, "1 to 10000000 bytes."),
        "width": _positive(65_535, "Pixels, 1 to 65535."),
        "height": _positive(65_535, "Pixels, 1 to 65535."),
        "checksum": {
            "description": "At most 128 characters.",
            "anyOf": [{"type": "string", "maxLength": 128}, {"type": "null"}],
        },
    },
    "UploadIntent": {
        "filename": {**_NAMED, "description": "The client's file name (at most 255 characters)."},
        "content_type": {
            "type": "string",
            "description": (
                "image/jpeg (or image/jpg), image/png, image/webp, image/heic or image/heif; "
                "trimmed, any letter case."
            ),
            "pattern": _IMAGE_TYPE,
        },
    },
}
"""Properties of shared request components whose parser accepts more than the type says,
or whose rule admits fixed values (component name → property → schema)."""


COMPONENT_REQUIRED: Final[dict[str, tuple[str, ...]]] = {"PrepareAsset": ("content_type",)}
"""Keys a component's parser needs although the command gives them a neutral default."""
NO_NUL: Final = r"^[^\u0000]*$"
"""No text the server stores may hold NUL (it is refused as ``is invalid`` everywhere)."""


def without_nul(schema: Any) -> Any:
    """Every free string (no pattern, format or enum) of ``schema`` refuses NUL."""
    if isinstance(schema, dict):
        out = {key: without_nul(value) for key, value in schema.items()}
        free = not ({"pattern", "format", "enum", "const"} & out.keys())
        if out.get("type") == "string" and free:
            out["pattern"] = NO_NUL
        return out
    if isinstance(schema, list):
        return [without_nul(item) for item in schema]
    return schema


def with_component_overrides(schemas: dict[str, Any]) -> dict[str, Any]:
    """``schemas`` with ``COMPONENT_OVERRIDES`` and ``COMPONENT_REQUIRED`` applied
    (components that are present), and every free string refusing NUL."""
    for name, properties in COMPONENT_OVERRIDES.items():
        component = schemas.get(name)
        if not isinstance(component, dict):
            continue
        for key, schema in properties.items():
            if key in component.get("properties", {}):
                component["properties"][key] = dict(schema)
    for name, keys in COMPONENT_REQUIRED.items():
        component = schemas.get(name)
        if isinstance(component, dict):
            component["required"] = sorted({*component.get("required", []), *keys})
    return {name: without_nul(schema) for name, schema in schemas.items()}


def batch_of(component: str, *, nullable: bool) -> dict[str, Any]:
    """``uploads``: 1 to 10 items; where the key is optional, also ``[]`` or null (none)."""
    array = {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{component}"},
        "minItems": 0 if nullable else 1,
        "maxItems": 10,
    }
    if not nullable:
        return {**array, "description": "1 to 10 items."}
    return {
        "description": "Up to 10 items; `[]` or null for none.",
        "anyOf": [array, {"type": "null"}],
    }
