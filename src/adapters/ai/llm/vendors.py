"""Model names → Pydantic AI models on one size-capped HTTP client per vendor.

``RESELLER_AI_MODEL`` names a model as ``vendor:model`` (``google-gla:gemini-3.5-flash-lite``,
``openai:gpt-4.1-mini``, ``anthropic:claude-sonnet-4-6``, ``ollama:qwen2.5vl``); a bare
name is a Gemini model. A base URL points any vendor at another endpoint: an
OpenAI-compatible server (vLLM, llama.cpp, LM Studio) for ``openai:``, a proxy, or a test's
loopback fake. The SDKs' own retries are off: the adapter retries as spec 30 §5.6 says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Final, NamedTuple

import httpx2
from pydantic_ai.models import Model
from pydantic_ai.profiles import ModelDeprecation

from reseller_adapters.ai.llm.errors import CallState

CALL_STATE: ContextVar[CallState | None] = ContextVar("reseller_llm_call_state", default=None)

VENDOR_ALIASES: Final[Mapping[str, str]] = {
    "google-gla": "gemini",
    "google": "gemini",
    "gemini": "gemini",
    "openai": "openai",
    "anthropic": "anthropic",
    "ollama": "ollama",
}
"""Model prefix → vendor name, as stored in failure payloads (``provider``)."""

KEY_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "ollama": (),
}
"""Where each vendor's key is read from when ``RESELLER_AI_API_KEY`` is not set."""

OLLAMA_BASE_URL: Final = "http://127.0.0.1:11434/v1"
DEFAULT_BASE_URLS: Final[Mapping[str, str]] = {
    "gemini": "https://generativelanguage.googleapis.com",
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "ollama": OLLAMA_BASE_URL,
}


class MissingExtra(RuntimeError):
    """The vendor's SDK is not installed; the message names the extra to install."""


class MissingKey(RuntimeError):
    """No API key for a vendor that needs one; the message names the variables, no values."""


@dataclass(frozen=True, slots=True)
class ModelName:
    vendor: str
    name: str

    @classmethod
    def parse(cls, text: str) -> ModelName:
        prefix, _, name = text.strip().partition(":")
        if not name:
            return cls("gemini", prefix)
        vendor = VENDOR_ALIASES.get(prefix.strip().casefold())
        if vendor is None:
            known = ", ".join(sorted(VENDOR_ALIASES))
            raise ValueError(
                f"unknown model vendor {prefix!r} in {text!r}; expected one of {known}"
            )
        return cls(vendor, name.strip())

    def __str__(self) -> str:
        return f"{self.vendor}:{self.name}"


class CappedTransport(httpx2.AsyncBaseTransport):
    """Reads each response whole, refusing one larger than ``max_bytes``.

    A model that loops can answer megabytes; the body is cut off at the cap and the call
    fails as an oversized answer instead of filling memory. The attempt's ``CallState``
    records it for the classifier.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        state = CALL_STATE.get()
        body = bytearray()
        try:
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > self._max_bytes:
                    if state is not None:
                        state.oversized = True
                        state.response_bytes = len(body)
                    raise httpx2.ReadError("response body over the size limit", request=request)
        finally:
            await response.aclose()
        if state is not None:
            state.response_bytes = len(body)
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-length", "transfer-encoding")
        ]
        return httpx2.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(timeout_s: float, max_response_bytes: int) -> httpx2.AsyncClient:
    """The client every vendor SDK sends through: timeouts and the response-size cap."""
    transport = CappedTransport(httpx2.AsyncHTTPTransport(), max_response_bytes)
    return httpx2.AsyncClient(transport=transport, timeout=httpx2.Timeout(timeout_s))


def api_key_for(vendor: str, configured: str | None) -> str | None:
    if configured:
        return configured
    for variable in KEY_VARIABLES.get(vendor, ()):
        value = os.environ.get(variable)
        if value:
            return value
    return None


async def probe_model(
    model: ModelName, *, api_key: str | None, base_url: str | None, client: httpx2.AsyncClient
) -> str | None:
    """One call that costs no tokens: the vendor's "get model" endpoint.

    None when the vendor knows the model and accepts the key; otherwise why not (never the
    key itself).
    """
    key = api_key_for(model.vendor, api_key)
    base = (base_url or DEFAULT_BASE_URLS[model.vendor]).rstrip("/")
    headers: dict[str, str] = {}
    if model.vendor == "gemini":
        url = f"{base}/v1beta/models/{model.name}"
        headers["x-goog-api-key"] = key or ""
    elif model.vendor == "anthropic":
        url = f"{base}/v1/models/{model.name}"
        headers.update({"x-api-key": key or "", "anthropic-version": "2023-06-01"})
    else:
        url = f"{base}/models/{model.name}"
        if key:
            headers["authorization"] = f"Bearer {key}"
    try:
        response = await client.get(url, headers=headers)
    except httpx2.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    if response.status_code in (401, 403):
        return f"the key was refused (HTTP {response.status_code})"
    if response.status_code == 404:
        return f"the vendor does not know the model {model.name!r} (HTTP 404)"
    if response.status_code >= 400:
        return f"the vendor answered HTTP {response.status_code}"
    return None


class Deprecation(NamedTuple):
    """What a model's vendor has announced about it, in words for an operator."""

    text: str
    retired: bool
    """Past its retirement date with nothing answering in its place: requests fail."""


def deprecation_of(model: Model, today: date) -> Deprecation | None:
    """The vendor's deprecation of ``model`` as Pydantic AI's model profile records it.

    Vendors retire models on announced dates; after that a request fails, or the vendor
    answers it with another model. None when nothing is announced.
    """
    announced = model.profile.get("deprecation")
    return None if announced is None else describe_deprecation(announced, today)


def describe_deprecation(announced: ModelDeprecation, today: date) -> Deprecation:
    """The announcement in one line: the date, what answers after it, the replacement."""
    retires, rerouted = announced.retirement_date, announced.rerouted_to
    retired = retires is not None and retires <= today
    if retires is None:
        text = "deprecated by its vendor"
    elif not retired:
        text = f"deprecated by its vendor, retiring on {retires.isoformat()}"
    elif rerouted:
        text = f"retired by its vendor on {retires.isoformat()}; {rerouted} answers in its place"
    else:
        text = f"retired by its vendor on {retires.isoformat()}; requests to it fail"
    if announced.replacement:
        text += f"; the vendor recommends {announced.replacement}"
    if announced.source_url:
        text += f" ({announced.source_url})"
    return Deprecation(text, retired and not rerouted)


def build_model(
    model: ModelName, *, api_key: str | None, base_url: str | None, client: httpx2.AsyncClient
) -> Model:
    """A Pydantic AI model for ``model``; ``MissingExtra``/``MissingKey`` say what to do."""
    key = api_key_for(model.vendor, api_key)
    if model.vendor != "ollama" and not key and not (model.vendor == "openai" and base_url):
        variables = " or ".join(("RESELLER_AI_API_KEY", *KEY_VARIABLES[model.vendor]))
        raise MissingKey(
            f"the {model.vendor} model {model.name!r} needs an API key: set {variables}"
        )
    try:
        if model.vendor == "gemini":
            from pydantic_ai.models.google import GoogleModel
            from pydantic_ai.providers.google import GoogleProvider

            return GoogleModel(
                model.name,
                provider=GoogleProvider(api_key=key, base_url=base_url, http_client=client),
            )
        if model.vendor == "anthropic":
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider

            return AnthropicModel(
                model.name,
                provider=AnthropicProvider(api_key=key, base_url=base_url, http_client=client),
            )
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        url = base_url or (OLLAMA_BASE_URL if model.vendor == "ollama" else None)
        return OpenAIChatModel(
            model.name,
            provider=OpenAIProvider(base_url=url, api_key=key or "not-needed", http_client=client),
        )
    except ImportError as exc:
        extra = {"gemini": "gemini", "anthropic": "anthropic"}.get(model.vendor, "openai")
        raise MissingExtra(
            f"the {model.vendor} model {model.name!r} needs the SDK: "
            f"pip install 'reseller-core[{extra}]' ({exc})"
        ) from exc
