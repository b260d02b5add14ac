"""schemathesis hooks: schema-valid requests may be refused only by the listed business rules.

Loaded by the run through ``SCHEMATHESIS_HOOKS``. The built-in ``positive_data_acceptance``
check is replaced by ``positive_data_acceptance_except_business_rules``: a request the
document calls valid must be accepted, unless the answer is one of the refusals below, each
a rule the schema cannot express (state of the account or the product, uniqueness, a
live token), named with its operation, status, error code and, for field errors, the
fields and messages. Anything else a schema-valid request is refused with fails the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import schemathesis

ACCEPTED: Final = frozenset({401, 403, 404, 409, 429})
"""Besides 2xx/3xx, as the built-in check: credentials, ownership, concurrency, limits."""


@dataclass(frozen=True)
class Rule:
    status: int
    code: str
    reason: str
    fields: Mapping[str, tuple[str, ...]] | None = None
    """Field → message prefixes the refusal may carry (None: a refusal without fields)."""


_STATE: Final = Rule(
    422, "invalid_product_state", "the product's status, images or runs (spec 20 §4.4)"
)
_LIMIT: Final = Rule(402, "limit_exceeded", "the plan's monthly allowance is used up")
_TAKEN = "has already been taken"
_UNSUPPORTED = "contains unsupported marketplaces"

RULES: Final[Mapping[str, tuple[Rule, ...]]] = {
    "postApiV1AuthRegister": (
        Rule(
            422,
            "validation_failed",
            "an e-mail address is unique; the confirmation must equal the password; the "
            "supported marketplaces are a deployment setting",
            {
                # The address rules (NFC, no invisible characters, one @ with a dotted
                # domain) are stricter than any `format: email` a generator knows.
                "email": (_TAKEN, "is invalid", "must have"),
                "password_confirmation": ("does not match confirmation",),
                "selected_marketplaces": (_UNSUPPORTED,),
            },
        ),
    ),
    "patchApiV1Me": (
        Rule(
            422,
            "validation_failed",
            "the supported marketplaces are a deployment setting",
            {"selected_marketplaces": (_UNSUPPORTED,)},
        ),
    ),
    "postApiV1AuthConfirm": (
        Rule(
            422,
            "validation_failed",
            "only a live, unused confirmation token confirms",
            {"token": ("is invalid or expired",)},
        ),
    ),
    "postApiV1ProductTabs": (
        Rule(
            422,
            "validation_failed",
            "tab names are unique per seller; at most 50 tabs; a new tab needs a name (the "
            "schema is shared with partial updates)",
            # JSON Schema counts 1.0 as an integer; the contract reads JSON integers only.
            {"name": (_TAKEN, "can't be blank"), "base": ("at most",), "position": ("is invalid",)},
        ),
    ),
    "patchApiV1ProductTabsById": (
        Rule(422, "validation_failed", "tab names are unique per seller", {"name": (_TAKEN,)}),
    ),
    "postApiV1Exports": (
        Rule(422, "export_failed", "an export needs at least one matching product"),
        Rule(422, "too_many_active_jobs", "at most two exports run at once"),
    ),
    "postApiV1Imports": (
        Rule(
            422,
            "validation_failed",
            "the decoded archive must be a safe ZIP in the export format, within the size limit",
            {"archive_base64": ("must be", "is not"), "archive": ("",)},
        ),
        Rule(422, "import_failed", "the archive is not an importable export"),
        Rule(422, "too_many_active_jobs", "at most two imports run at once"),
    ),
    "putApiV1Storefront": (
        Rule(
            422,
            "validation_failed",
            "slugs are unique, not reserved and need 3 characters after normalisation",
            {"slug": ("",)},
        ),
    ),
    "postApiV1StorefrontPages": (
        Rule(
            422,
            "validation_failed",
            "page slugs are unique per storefront and derived from the title; a new page "
            "needs a title and a body (the schema is shared with partial updates)",
            {
                "slug": ("",),
                "title": ("can't be blank",),
                "body": ("can't be blank",),
                # Spec 40 §5.5: the label defaults to the title, so a title over 40
                # characters without a label fails on the label.
                "menu_label": ("can't be blank", "should be at most 40"),
                # JSON Schema counts 5.0 as an integer; the contract reads JSON integers only.
                "position": ("is not a number",),
            },
        ),
        Rule(422, "storefront_not_found", "pages need a saved storefront"),
    ),
    "patchApiV1StorefrontPagesByPageId": (
        Rule(
            422,
            "validation_failed",
            "page slugs are unique per storefront; a blank label takes the title, which may "
            "be longer than a label (spec 40 §5.5)",
            {"slug": ("",), "menu_label": ("should be at most 40",)},
        ),
    ),
    "putApiV1StorefrontPagesOrder": (
        Rule(
            422,
            "validation_failed",
            "a reorder lists every existing page exactly once",
            {"page_ids": ("must list every page exactly once",)},
        ),
        Rule(422, "reorder_failed", "a reorder lists every existing page exactly once"),
    ),
    "postApiV1StorefrontAssetsByKindPrepareUpload": (
        Rule(422, "storefront_not_found", "branding needs a saved storefront"),
    ),
    "patchApiV1ProductsById": (
        Rule(
            422,
            "validation_failed",
            "publishing needs a title and a finalized photo; a SKU is unique per seller; a "
            "tab must be one of the seller's",
            {"storefront_enabled": ("",), "sku": (_TAKEN,), "product_tab_id": ("is invalid",)},
        ),
    ),
    "postApiV1Products": (
        Rule(
            422,
            "validation_failed",
            "a SKU is unique per seller; a tab must be one of the seller's",
            {"sku": (_TAKEN,), "product_tab_id": ("is invalid",)},
        ),
    ),
    "postApiV1ProductsByIdPrepareUploads": (_STATE, _LIMIT),
    "postApiV1ProductsByIdFinalizeUploads": (
        _STATE,
        _LIMIT,
        Rule(422, "invalid_uploads", "the ids must be this product's uploaded originals"),
    ),
    "postApiV1ProductsByIdReprocess": (_STATE, _LIMIT),
    "postApiV1ProductsByIdGenerateLifestyleImages": (_STATE, _LIMIT),
    "postApiV1ProductsByIdGenerateMarketplaceVideo": (
        _STATE,
        _LIMIT,
        Rule(
            422,
            "validation_failed",
            "the video-enabled marketplaces are a deployment setting",
            {"marketplace": ("",)},
        ),
    ),
    "deleteApiV1ProductsByIdImagesByImageId": (_STATE,),
    "putApiV1ProductsByIdImagesStorefrontOrder": (
        Rule(
            422,
            "validation_failed",
            "each image at most once",
            {"image_ids": ("contains duplicate image ids",)},
        ),
    ),
}


def _body(response: Any) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _matches(rule: Rule, status: int, error: Mapping[str, Any]) -> bool:
    if rule.status != status or error.get("code") != rule.code:
        return False
    if rule.fields is None:
        return True
    fields = error.get("fields")
    if not isinstance(fields, dict) or not fields:
        return False
    for name, messages in fields.items():
        allowed = rule.fields.get(name)
        if allowed is None or not isinstance(messages, list):
            return False
        if not all(
            isinstance(m, str) and any(m.startswith(prefix) for prefix in allowed) for m in messages
        ):
            return False
    return True


def business_refusal(operation_id: str, status: int, body: Mapping[str, Any]) -> Rule | None:
    """The listed rule that explains this refusal, if any."""
    error = body.get("error")
    if not isinstance(error, dict):
        return None
    for rule in RULES.get(operation_id, ()):
        if _matches(rule, status, error):
            return rule
    return None


def _integral_float(value: Any) -> bool:
    """Whether ``value`` holds a float with an integer value (``1.0``) anywhere."""
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_integral_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_integral_float(item) for item in value)
    return False


INTEGERS_ONLY: Final = Rule(
    422,
    "validation_failed",
    "JSON Schema counts 1.0 as an integer; the contract reads integers as JSON integers only",
)


@schemathesis.check
def positive_data_acceptance_except_business_rules(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if 200 <= status < 400 or status in ACCEPTED or status >= 500:
        return None
    operation_id = case.operation.definition.raw.get("operationId", "")
    if business_refusal(operation_id, status, _body(response)) is not None:
        return None
    body = _body(response)
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    if (
        _integral_float(getattr(case, "body", None))
        and status == INTEGERS_ONLY.status
        and error.get("code") == INTEGERS_ONLY.code
    ):
        return None
    raise AssertionError(
        f"A schema-valid request to {operation_id} was refused with {status} and no business "
        f"rule explains it: {response.content[:500]!r}"
    )
