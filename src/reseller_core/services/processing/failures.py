"""How a run fails: the stage failure, the stop signals, and the stored failure report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from reseller_core.domain.runs import ERROR_MESSAGES, RunErrorCode, is_retryable
from reseller_core.ports import AIProviderError


class PipelineFailure(Exception):
    """A stage failed in a way the run reports with ``code`` (spec 30 §5.4)."""

    def __init__(
        self,
        code: RunErrorCode,
        *,
        retryable: bool | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.retryable = is_retryable(code) if retryable is None else retryable
        self.details = dict(details or {})
        super().__init__(ERROR_MESSAGES[code])


class LostClaim(Exception):
    """The run is no longer ``running`` under this worker's attempt: stop writing."""


class ProductGone(Exception):
    """The product was deleted while its run was being processed."""


def product_deleted() -> PipelineFailure:
    """The failure recorded when a run's product no longer exists."""
    return PipelineFailure(
        RunErrorCode.PROCESSOR_ERROR, retryable=False, details={"reason": "product_deleted"}
    )


def jsonable(details: Mapping[str, Any]) -> dict[str, Any]:
    """Provider details as JSON-safe builtins (unknown objects become strings)."""
    converted = msgspec.to_builtins(dict(details), enc_hook=str, str_keys=True)
    return dict(converted) if isinstance(converted, dict) else {}


def provider_failure(exc: AIProviderError, provider: str) -> PipelineFailure:
    """Classify a provider error into a run failure (§5.4); unknown codes are ours."""
    try:
        code = RunErrorCode(exc.code)
    except ValueError:
        code = RunErrorCode.PROCESSOR_ERROR
    retryable = exc.retryable if code == RunErrorCode.MEDIA_UNAVAILABLE else None
    details = {"provider": provider, "detail": str(exc)[:500], **exc.details}
    if code == RunErrorCode.PROCESSOR_ERROR and exc.code != code:
        details["provider_code"] = exc.code
    return PipelineFailure(code, retryable=retryable, details=jsonable(details))
