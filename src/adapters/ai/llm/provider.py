"""``AIProvider`` on any LLM Pydantic AI speaks to: Gemini, OpenAI (and compatible), Anthropic.

Every operation asks for JSON against its schema (``schemas``) with the photos sent inline;
price research first makes a grounded call with the vendor's web search where it has one,
then a structured call over the search evidence and the findings (spec 30 §6.7). Each
operation may use its own model (spec 30 §10). Failures become run error codes with the
retries of §5.6 (``errors``); the token counts the vendor reports are handed to metering
for the cost estimate (spec 10 §5.5).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple, TypeVar

import httpx2
from pydantic_ai import Agent, BinaryContent
from pydantic_ai.capabilities import WebSearch
from pydantic_ai.models import Model
from pydantic_ai.native_tools import WebSearchTool
from pydantic_ai.settings import ModelSettings

from reseller_adapters.ai.llm import prompts, schemas
from reseller_adapters.ai.llm.errors import CallState, classify, retry_delay
from reseller_adapters.ai.llm.vendors import (
    CALL_STATE,
    Deprecation,
    ModelName,
    build_model,
    deprecation_of,
    http_client,
    probe_model,
)
from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS, decode_bounded
from reseller_core.domain.costs import ProviderUsage
from reseller_core.ports import (
    AIProviderError,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)
from reseller_core.ports.ai import INVALID_IMAGE
from reseller_core.ports.search import SearchMatch
from reseller_core.ports.usage import report_usage

OPERATIONS: Final = (
    "recognition",
    "reconciliation",
    "description",
    "price_research",
    "marketplace_listing",
)
"""The operations a model can be chosen for (spec 30 §10); grounding uses price_research's."""

INLINE_FORMATS: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGE_SIDE: Final = 2048
"""Longer photos are scaled down before sending: vendors downscale anyway and bill bytes."""
GROUNDED_FINDINGS_MAX: Final = 6000

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class ModelProbe(NamedTuple):
    """One model's answer to ``PydanticAIProvider.probe``."""

    name: str
    """``vendor:model``."""
    problem: str | None
    """None when the model is usable, else why not."""
    notice: str | None = None
    """What its vendor has announced (a deprecation) when it is usable all the same."""


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """The adapter's settings (``RESELLER_AI_*``)."""

    model: str = "google-gla:gemini-3.5-flash-lite"
    operation_models: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = None
    base_url: str | None = None
    timeout_s: float = 45.0
    max_retries: int = 1
    backoff_s: float = 0.75
    retry_after_max_s: float = 60.0
    max_output_tokens: int = 4096
    max_response_bytes: int = 4_000_000
    web_search: bool = True


def _prepare_image(image: ImageInput) -> BinaryContent:
    """Decode (refusing non-images), normalise to JPEG/PNG/WEBP, cap the size."""
    try:
        decoded = decode_bounded(
            image.data, max_pixels=DEFAULT_MAX_IMAGE_PIXELS, max_side=MAX_IMAGE_SIDE
        )
    except ValueError as exc:
        raise AIProviderError(
            INVALID_IMAGE,
            f"Image {image.image_id} could not be decoded",
            retryable=False,
            details={"image_id": image.image_id, "reason": str(exc)},
        ) from exc
    media_type = INLINE_FORMATS.get(decoded.format)
    if media_type is not None and max(decoded.width, decoded.height) <= MAX_IMAGE_SIDE:
        return BinaryContent(data=image.data, media_type=media_type)
    reduced = decoded.image
    reduced.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    buffer = io.BytesIO()
    if reduced.mode in ("RGBA", "LA", "P"):
        reduced.convert("RGBA").save(buffer, format="PNG")
        return BinaryContent(data=buffer.getvalue(), media_type="image/png")
    reduced.convert("RGB").save(buffer, format="JPEG", quality=90)
    return BinaryContent(data=buffer.getvalue(), media_type="image/jpeg")


class PydanticAIProvider:
    """``AIProvider`` through Pydantic AI; ``name`` is ``llm``, ``model`` the default model."""

    name = "llm"
    offline = False

    def __init__(
        self,
        config: LLMConfig,
        *,
        client: httpx2.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._config = config
        self._today = today
        self._sleep = sleep
        self._client = client or http_client(config.timeout_s, config.max_response_bytes)
        self._names = {
            operation: ModelName.parse(config.operation_models.get(operation) or config.model)
            for operation in OPERATIONS
        }
        models: dict[str, Model] = {}
        self._models: dict[str, Model] = {}
        for operation, name in self._names.items():
            key = str(name)
            if key not in models:
                models[key] = build_model(
                    name, api_key=config.api_key, base_url=config.base_url, client=self._client
                )
            self._models[operation] = models[key]
        self.model = self._names["description"].name
        self.vendor = self._names["description"].vendor
        self._settings: ModelSettings = {
            "max_retries": 0,
            "timeout": config.timeout_s,
            "max_tokens": config.max_output_tokens,
        }

    async def aclose(self) -> None:
        await self._client.aclose()

    def model_for(self, operation: str) -> ModelName:
        return self._names[operation]

    def startup_warnings(self) -> list[str]:
        """For the start-up report: each model in use that its vendor has deprecated."""
        return [
            f"the AI model {name} is {deprecation.text}"
            for name, deprecation in self._deprecations().items()
        ]

    def _deprecations(self) -> dict[str, Deprecation]:
        """Each distinct model its vendor has deprecated, by ``vendor:model``."""
        today = self._today()
        found: dict[str, Deprecation] = {}
        for operation, name in self._names.items():
            deprecation = deprecation_of(self._models[operation], today)
            if deprecation is not None:
                found[str(name)] = deprecation
        return found

    async def probe(self) -> list[ModelProbe]:
        """Each distinct model: usable or why not, and what its vendor has announced.

        A model past its retirement date with nothing answering in its place is unusable
        even where the lookup still finds it.
        """
        deprecations = self._deprecations()
        results: list[ModelProbe] = []
        for name in dict.fromkeys(self._names.values()):
            problem = await probe_model(
                name,
                api_key=self._config.api_key,
                base_url=self._config.base_url,
                client=self._client,
            )
            deprecation = deprecations.get(str(name))
            if deprecation is not None and problem is not None:
                problem = f"{problem}; the model is {deprecation.text}"
            elif deprecation is not None and deprecation.retired:
                problem = f"the model is {deprecation.text}"
            notice = deprecation.text if deprecation is not None and problem is None else None
            results.append(ModelProbe(str(name), problem, notice))
        return results

    async def check(self) -> None:
        """Raise when a model in use is unusable (``reseller check``): see ``probe``."""
        problems = [
            f"{probe.name}: {probe.problem}" for probe in await self.probe() if probe.problem
        ]
        if problems:
            raise RuntimeError("; ".join(problems))

    def grounding_available(self) -> bool:
        """Does the price-research model's vendor offer web search to ground the price?"""
        model = self._models["price_research"]
        supported = model.profile.get("supported_native_tools", frozenset())
        return self._config.web_search and WebSearchTool in supported

    async def _run(
        self,
        operation: str,
        output_type: type[T],
        instructions: str,
        prompt: Sequence[str | BinaryContent],
        *,
        grounded: bool = False,
    ) -> T:
        """One logical call: attempts with backoff (§5.6), usage reported on success."""
        name = self._names[operation]
        agent: Agent[None, T] = Agent(
            self._models[operation],
            output_type=output_type,
            instructions=instructions,
            retries=1,
            capabilities=[WebSearch()] if grounded else None,
        )
        images = sum(1 for part in prompt if isinstance(part, BinaryContent))
        attempt = 0
        while True:
            state = CallState()
            token = CALL_STATE.set(state)
            try:
                result = await agent.run(list(prompt), model_settings=self._settings)
            except Exception as exc:
                failure = classify(exc, state, name.vendor, (self._config.api_key,))
                delay = retry_delay(
                    failure,
                    attempt,
                    max_retries=self._config.max_retries,
                    backoff_s=self._config.backoff_s,
                    retry_after_max_s=self._config.retry_after_max_s,
                )
                if delay is None:
                    failure.error.details["attempts"] = attempt + 1
                    failure.error.details["operation"] = operation
                    raise failure.error from None
                attempt += 1
                await self._sleep(delay)
                continue
            finally:
                CALL_STATE.reset(token)
            usage = result.usage
            report_usage(
                ProviderUsage(
                    model=name.name,
                    input_tokens=usage.input_tokens or 0,
                    output_tokens=usage.output_tokens or 0,
                    images=images,
                )
            )
            return result.output

    # --------------------------------------------------------------- the operations

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        if not images:
            raise AIProviderError.no_recognition_images()
        parts: list[BinaryContent] = []
        for image in images:
            parts.append(await asyncio.to_thread(_prepare_image, image))
        document = prompts.as_json({"known_metadata": prompts.recognition_document(facts)})
        output = await self._run(
            "recognition", schemas.RecognitionOutput, prompts.RECOGNITION, [document, *parts]
        )
        return schemas.to_recognition(output, facts)

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        document = prompts.as_json(
            {
                "recognition": prompts.recognition_summary(recognition),
                "search_results": prompts.matches_document(matches),
            }
        )
        output = await self._run(
            "reconciliation", schemas.ReconciliationOutput, prompts.RECONCILIATION, [document]
        )
        fallback = (
            " ".join(part for part in (recognition.brand, recognition.category) if part) or "Item"
        )
        return schemas.to_reconciliation(output, fallback)

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        document = prompts.as_json(
            {
                "product": prompts.facts_document(facts),
                "recognition": prompts.recognition_summary(recognition),
            }
        )
        output = await self._run(
            "description", schemas.DescriptionOutput, prompts.DESCRIPTION, [document]
        )
        fallback = facts.title or " ".join(
            part for part in (facts.brand, facts.category or recognition.category) if part
        )
        return schemas.to_description(output, fallback or "Item")

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        findings: str | None = None
        if self.grounding_available():
            question = prompts.as_json(
                {
                    "product": prompts.facts_document(facts),
                    "recognition": prompts.recognition_summary(recognition),
                    "shopping_query": evidence.shopping_query if evidence else None,
                }
            )
            text = await self._run(
                "price_research", str, prompts.PRICE_GROUNDED, [question], grounded=True
            )
            findings = text.strip()[:GROUNDED_FINDINGS_MAX] or None
        document = prompts.as_json(prompts.price_document(facts, recognition, evidence, findings))
        output = await self._run("price_research", schemas.PriceOutput, prompts.PRICE, [document])
        return schemas.to_price(output)

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        document = prompts.as_json(prompts.listing_document(request))
        output = await self._run(
            "marketplace_listing", schemas.ListingOutput, prompts.LISTING, [document]
        )
        fallback = request.price.suggested_target_price if request.price else Decimal("0.00")
        return schemas.to_listing(output, self._names["marketplace_listing"].name, fallback)


def describe_models(provider: PydanticAIProvider) -> dict[str, Any]:
    """Operation → ``vendor:model``, for ``reseller doctor`` and logs (never a key)."""
    return {operation: str(provider.model_for(operation)) for operation in OPERATIONS}
