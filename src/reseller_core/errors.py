"""The domain error hierarchy.

Each error carries the stable API ``code`` of the contract; the HTTP entrypoint maps a code
to its status in one table, so the core never knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ItemErrors = dict[str, list[str]]
"""One nested input's field errors: field name → messages (``{}`` when the item is valid)."""
FieldError = list[str] | list[ItemErrors] | dict[str, list[str]]
"""A field's messages, a list aligned with a nested collection, or a map of nested keys."""
FieldErrors = dict[str, FieldError]
"""Field name → list of messages, or a nested map / aligned list for nested inputs."""


class DomainError(Exception):
    """Base of every error the use cases raise on purpose."""

    code: str = "domain_error"
    default_detail: str = "The request could not be completed"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)

    def extra(self) -> Mapping[str, Any]:
        """Additional keys rendered inside the error envelope."""
        return {}


class InvalidRequest(DomainError):
    """The body is not an object, or a required top-level key is missing or mistyped."""

    code = "invalid_request"
    default_detail = "Invalid request"


class Unauthorized(DomainError):
    """Missing, malformed, unknown, expired or revoked credentials."""

    code = "unauthorized"
    default_detail = "Missing or invalid bearer token"


class EmailNotConfirmed(DomainError):
    """A write-gated action by a user whose e-mail address is not confirmed."""

    code = "email_not_confirmed"
    default_detail = "Confirm your email address to use this action"


class NotFound(DomainError):
    """Unknown, foreign or malformed id: the three are indistinguishable on purpose."""

    code = "not_found"
    default_detail = "Not Found"


class LimitExceeded(DomainError):
    """A monthly plan limit or a daily safety ceiling is reached.

    The 402 body carries ``operation``, ``used``, ``limit`` and ``upgrade_url`` (decision
    Q-A1); ``addon_credits`` (the bucket's remaining credits) is for embedding callers.
    """

    code = "limit_exceeded"

    def __init__(
        self,
        *,
        operation: str,
        used: int | str,
        limit: int | str,
        addon_credits: int = 0,
        upgrade_url: str = "",
        detail: str | None = None,
    ) -> None:
        self.operation = operation
        self.used = used
        self.limit = limit
        self.addon_credits = addon_credits
        self.upgrade_url = upgrade_url
        if detail is None:
            detail = (
                f"Daily safety ceiling reached for {operation.removeprefix('daily_')}"
                if operation.startswith("daily_")
                else f"Monthly plan limit reached for {operation}"
            )
        super().__init__(detail)

    def extra(self) -> Mapping[str, Any]:
        return {
            "operation": self.operation,
            "used": self.used,
            "limit": self.limit,
            "upgrade_url": self.upgrade_url,
        }


class InvalidProductState(DomainError):
    """The product's status (or a missing image / an active run) forbids the action."""

    code = "invalid_product_state"
    default_detail = "Product status doesn't allow this action"


class ValidationFailed(DomainError):
    """Field validation errors; ``fields`` follows the contract's shape."""

    code = "validation_failed"
    default_detail = "Validation failed"

    def __init__(self, fields: FieldErrors, detail: str | None = None) -> None:
        self.fields = fields
        super().__init__(detail)

    def extra(self) -> Mapping[str, Any]:
        return {"fields": self.fields}

    def __str__(self) -> str:
        """``Validation failed: email: has already been taken; password: ...``: what failed."""
        problems = "; ".join(
            f"{field}: {', '.join(str(message) for message in messages)}"
            for field, messages in self.fields.items()
        )
        return f"{self.detail}: {problems}" if problems else self.detail


class InvalidUploads(DomainError):
    """Finalize names image ids that are not original uploads of this product."""

    code = "invalid_uploads"
    default_detail = "Uploads must belong to the selected product"


class RateLimited(DomainError):
    """Too many requests from one client for a rate-limited action."""

    code = "rate_limited"
    default_detail = "Too many requests; try again later"

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        self.retry_after_s = max(1, int(retry_after_s))
        super().__init__(detail)


class StorageUnavailable(DomainError):
    """Object storage is not configured. The detail stays generic; adapters log which setting."""

    code = "storage_unavailable"
    default_detail = "Object storage is not configured"


class UploadSigningFailed(DomainError):
    """Storage is configured, but a signed upload URL could not be produced."""

    code = "upload_signing_failed"
    default_detail = "Upload signing failed"


class DependencyUnavailable(DomainError):
    """A backing service (database, queue, cache) cannot be reached right now."""

    code = "service_unavailable"
    default_detail = "A backing service is unavailable; try again shortly"

    def __init__(self, dependency: str, detail: str | None = None) -> None:
        self.dependency = dependency
        super().__init__(detail)


class Conflict(DomainError):
    """A uniqueness or concurrency conflict the caller may resolve by retrying."""

    code = "conflict"
    default_detail = "The resource was changed concurrently; try again"


class IdempotencyKeyInUse(DomainError):
    """A request with the same ``Idempotency-Key`` is still being answered."""

    code = "idempotency_key_in_use"
    default_detail = "A request with this Idempotency-Key is in progress; retry shortly"


class IdempotencyKeyReused(DomainError):
    """The ``Idempotency-Key`` was used on this operation with another request body."""

    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used with a different request body"


class ExportFailed(DomainError):
    """An export could not be started (spec 50 §3.4)."""

    code = "export_failed"
    default_detail = "Could not start export"


class ImportFailed(DomainError):
    """An import could not be started (spec 50 §9): no payload, a bad archive, storage."""

    code = "import_failed"
    default_detail = "Could not start import"

    def __init__(self, detail: str | None = None, *, error_code: str | None = None) -> None:
        self.error_code = error_code
        super().__init__(detail)

    def extra(self) -> Mapping[str, Any]:
        """The archive rule that failed (decision Q17), e.g. ``invalid_archive_entry_path``."""
        return {"error_code": self.error_code} if self.error_code else {}


class TooManyActiveJobs(DomainError):
    """Decision Q6: the user already has two exports (or imports) queued or running."""

    code = "too_many_active_jobs"
    default_detail = "You already have 2 active jobs of this kind; wait for one to finish"


class StorefrontNotFound(DomainError):
    """Pages and branding assets need a saved storefront first (spec 40 §5.5, §5.9)."""

    code = "storefront_not_found"
    default_detail = "Save storefront details before creating pages"


class ReorderFailed(DomainError):
    """``PUT /storefront/pages/order`` named a page twice (spec 40 §5.8)."""

    code = "reorder_failed"
    default_detail = "page_ids contains duplicate values"
