"""Vendor failures → run error codes (spec 30 §5.4) and the provider-level retry rule (§5.6).

Pydantic AI already turns each SDK's exception into one of its own (``ModelHTTPError`` with
the status, body, headers and ``Retry-After``; ``ModelConnectionError``/``ModelTimeoutError``
for transport failures; ``UnexpectedModelBehavior`` for output that fails the schema), so
one classifier serves every vendor. Messages and details are scrubbed: no API key and no
base64 image data leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRequestTimeout,
    OutputTokenLimitExceeded,
    UnexpectedModelBehavior,
)

from reseller_core.domain.runs import ERROR_MESSAGES, RunErrorCode
from reseller_core.ports import AIProviderError

RETRY_STATUSES: Final = frozenset({429, 503, 529})
"""529 is Anthropic's "overloaded", its equivalent of a 503."""
RETRY_PROVIDER_STATUSES: Final = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE"})
RETRY_HINTS: Final = re.compile(
    r"(?i)rate[ _-]?limit|resource(?:s)?[ _-]?exhausted|temporarily unavailable|overloaded"
)
"""A 429/503 whose body says this is worth retrying (spec 30 §5.6)."""

QUOTA_CODES: Final = frozenset({"RESOURCE_EXHAUSTED", "insufficient_quota", "billing_error"})
QUOTA_MESSAGE: Final = re.compile(r"(?i)credit balance is too low|exceeded your current quota")
"""Exhausted credits said in words (Anthropic answers them with a 400)."""
MEDIA_FETCH: Final = re.compile(
    r"(?i)(cannot|could not|unable to|failed to) (fetch|download|retrieve)"
)
GROUNDING_SHAPE: Final = re.compile(
    r"(?i)(tool|search|grounding).{0,80}(mime|json|response_schema|responseSchema)"
    r"|(mime|json).{0,80}(tool|search|grounding)"
)
DETAIL_MAX: Final = 500
_BASE64_RUN: Final = re.compile(r"[A-Za-z0-9+/=_-]{120,}")


@dataclass(slots=True)
class CallState:
    """What the HTTP transport saw during one attempt (set through a context variable)."""

    oversized: bool = False
    response_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Classified:
    """One failed attempt: the error to raise and whether §5.6 allows another attempt."""

    error: AIProviderError
    retry: bool
    retry_after_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` without secret values and without long base64 runs (image bytes), capped."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = _BASE64_RUN.sub("[data]", text)
    return text[:DETAIL_MAX]


def _error_body(body: object) -> dict[str, Any]:
    """The vendor's error object: Gemini and OpenAI nest it under ``error``."""
    if isinstance(body, dict):
        inner = body.get("error")
        return inner if isinstance(inner, dict) else body
    return {}


def _provider_status(exc: ModelAPIError, body: dict[str, Any]) -> str | None:
    for value in (body.get("status"), exc.provider_error_code, body.get("code"), body.get("type")):
        if isinstance(value, str) and value:
            return value
    return exc.provider_error_type


def _message(exc: ModelAPIError, body: dict[str, Any]) -> str:
    message = body.get("message")
    if isinstance(message, str) and message:
        return message
    return exc.message if isinstance(exc.message, str) else str(exc)


def _error(
    code: RunErrorCode, vendor: str, secrets: Iterable[str | None], **details: Any
) -> AIProviderError:
    cleaned = {
        key: scrub(value, secrets) if isinstance(value, str) else value
        for key, value in details.items()
        if value is not None
    }
    retryable = code in (
        RunErrorCode.AI_QUOTA_EXHAUSTED,
        RunErrorCode.AI_RATE_LIMITED,
        RunErrorCode.AI_MEDIA_FETCH_FAILED,
        RunErrorCode.AI_PROVIDER_TIMEOUT,
        RunErrorCode.AI_GROUNDING_REQUEST_INVALID,
    )
    message = ERROR_MESSAGES[code]
    if code == RunErrorCode.PROCESSOR_ERROR and "reason" in cleaned:
        message = f"The AI provider's answer could not be used ({cleaned['reason']})."
    return AIProviderError(
        code.value,
        message,
        retryable=retryable,
        details={"provider": vendor, "retryable": retryable, **cleaned},
    )


def classify(
    exc: BaseException, state: CallState, vendor: str, secrets: Iterable[str | None] = ()
) -> Classified:
    """Map one failed attempt to its run error code and retry decision."""
    secrets = tuple(secrets)
    if state.oversized:
        error = _error(
            RunErrorCode.PROCESSOR_ERROR,
            vendor,
            secrets,
            reason="oversized_answer",
            detail=f"the answer exceeded the size limit after {state.response_bytes} bytes",
        )
        return Classified(error, retry=False)
    if isinstance(exc, ModelHTTPError):
        body = _error_body(exc.body)
        status = _provider_status(exc, body)
        message = _message(exc, body)
        http = exc.status_code
        hinted = status in RETRY_PROVIDER_STATUSES or bool(RETRY_HINTS.search(message))
        retry = http in RETRY_STATUSES and (hinted or bool(status and RETRY_HINTS.search(status)))
        quota = (
            isinstance(exc, ModelQuotaExceededError)
            or (http == 429 and status in QUOTA_CODES)
            or (http < 500 and bool(QUOTA_MESSAGE.search(message)))
        )
        if quota:
            code = RunErrorCode.AI_QUOTA_EXHAUSTED
        elif http == 429:
            code = RunErrorCode.AI_RATE_LIMITED
        elif http == 400 and MEDIA_FETCH.search(message):
            code = RunErrorCode.AI_MEDIA_FETCH_FAILED
        elif http == 400 and GROUNDING_SHAPE.search(message):
            code = RunErrorCode.AI_GROUNDING_REQUEST_INVALID
        else:
            code = RunErrorCode.PROCESSOR_ERROR
        reason = None if code != RunErrorCode.PROCESSOR_ERROR else f"http_{http}"
        error = _error(
            code, vendor, secrets, status=status, detail=message, http_status=http, reason=reason
        )
        return Classified(error, retry=retry, retry_after_s=exc.retry_after)
    if isinstance(exc, ModelConnectionError | ModelRequestTimeout):
        phase = getattr(exc, "phase", None)
        reason = "timeout" if "timeout" in type(exc).__name__.lower() else "connection"
        transport = f"{reason}:{phase}" if phase else reason
        error = _error(
            RunErrorCode.AI_PROVIDER_TIMEOUT,
            vendor,
            secrets,
            transport_reason=transport,
            detail=str(exc),
        )
        return Classified(error, retry=True)
    if isinstance(exc, OutputTokenLimitExceeded):
        error = _error(
            RunErrorCode.PROCESSOR_ERROR,
            vendor,
            secrets,
            reason="oversized_answer",
            detail=str(exc),
        )
        return Classified(error, retry=False)
    if isinstance(exc, UnexpectedModelBehavior):
        error = _error(
            RunErrorCode.PROCESSOR_ERROR, vendor, secrets, reason="invalid_output", detail=str(exc)
        )
        return Classified(error, retry=False)
    if isinstance(exc, ModelAPIError):
        error = _error(
            RunErrorCode.PROCESSOR_ERROR,
            vendor,
            secrets,
            reason="provider_error",
            status=exc.provider_error_code,
            detail=str(exc),
        )
        return Classified(error, retry=False)
    error = _error(
        RunErrorCode.PROCESSOR_ERROR,
        vendor,
        secrets,
        reason=type(exc).__name__,
        detail=str(exc),
    )
    return Classified(error, retry=False)


def retry_delay(
    failure: Classified,
    attempt: int,
    *,
    max_retries: int,
    backoff_s: float,
    retry_after_max_s: float,
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None when it must not happen.

    ``backoff_s * 2^attempt`` (spec 30 §5.6), or the vendor's ``Retry-After`` when that is
    longer; a ``Retry-After`` beyond ``retry_after_max_s`` ends the call at once.
    """
    if not failure.retry or attempt >= max_retries:
        return None
    delay: float = backoff_s * float(2**attempt)
    if failure.retry_after_s is not None:
        if failure.retry_after_s > retry_after_max_s:
            return None
        delay = max(delay, failure.retry_after_s)
    return delay
