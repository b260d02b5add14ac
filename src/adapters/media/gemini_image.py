"""Lifestyle scenes from Gemini's image model over its REST API (spec 30 §8.2, §10).

One ``POST {base}/v1beta/models/{model}:generateContent`` per scene, authenticated with the
``x-goog-api-key`` header: the prompt text and the source photos as ``inlineData`` parts,
``generationConfig.responseModalities = ["IMAGE"]`` and ``imageConfig.aspectRatio``. The
first ``inlineData`` part of the first candidate is the scene; it must decode as an image
(checked with Pillow) or the scene fails. Transport failures, HTTP errors, a blocked
prompt and an answer without an image become ``LifestyleGenerationError`` with a short
``reason``; messages never carry the key or image data. 429 and 503 are retried up to
``max_retries`` times with doubling backoff (spec 30 §10: one retry, 750 ms base).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from typing import Any, Final

import httpx
from PIL import Image, UnidentifiedImageError

from reseller_core.domain.lifestyle import DEFAULT_LIFESTYLE_MODEL
from reseller_core.ports.media import GeneratedScene, LifestyleGenerationError, SceneRequest

DEFAULT_BASE_URL: Final = "https://generativelanguage.googleapis.com"
RETRY_STATUSES: Final = frozenset({429, 503})
MESSAGE_MAX: Final = 300
DECODED_TYPES: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class GeminiImageGenerator:
    """``LifestyleImageGenerator`` on ``gemini-2.5-flash-image`` (or another image model)."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_LIFESTYLE_MODEL,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 45.0,
        max_retries: int = 1,
        retry_backoff_s: float = 0.75,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("the Gemini image model needs an API key: set RESELLER_AI_API_KEY")
        self.model = model
        self._key = api_key
        self._url = f"{base_url.rstrip('/')}/v1beta/models/{model}:generateContent"
        self._max_retries = max_retries
        self._backoff_s = retry_backoff_s
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))

    async def aclose(self) -> None:
        await self._client.aclose()

    def _body(self, request: SceneRequest) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": request.prompt}]
        for source in request.sources:
            parts.append(
                {
                    "inlineData": {
                        "mimeType": source.content_type,
                        "data": base64.b64encode(source.data).decode("ascii"),
                    }
                }
            )
        return {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": request.aspect_ratio},
            },
        }

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[redacted]")[:MESSAGE_MAX]

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._client.post(
                    self._url, json=body, headers={"x-goog-api-key": self._key}
                )
            except httpx.TimeoutException as exc:
                raise LifestyleGenerationError(
                    "the image model did not answer in time", reason="timeout"
                ) from exc
            except httpx.HTTPError as exc:
                raise LifestyleGenerationError(
                    self._scrub(f"the image model could not be reached: {exc}"),
                    reason="unreachable",
                ) from exc
            if response.status_code in RETRY_STATUSES and attempt < self._max_retries:
                await asyncio.sleep(self._backoff_s * 2**attempt)
                attempt += 1
                continue
            return response

    async def generate_scene(self, request: SceneRequest) -> GeneratedScene:
        response = await self._post(self._body(request))
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code != 200:
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            message = error.get("message") if isinstance(error, dict) else None
            reason = {429: "rate_limited", 503: "unavailable"}.get(
                response.status_code, "provider_error"
            )
            raise LifestyleGenerationError(
                self._scrub(f"the image model answered {response.status_code}: {message or ''}"),
                reason=reason,
            )
        if not isinstance(answer, dict):
            raise LifestyleGenerationError(
                "the image model's answer is not JSON", reason="bad_answer"
            )
        return self._scene(answer)

    def _scene(self, answer: dict[str, Any]) -> GeneratedScene:
        feedback = answer.get("promptFeedback") or {}
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            raise LifestyleGenerationError(
                f"the prompt was blocked: {feedback['blockReason']}", reason="blocked"
            )
        images: list[dict[str, Any]] = []
        candidates = answer.get("candidates") or []
        for candidate in candidates if isinstance(candidates, list) else []:
            content = candidate.get("content") if isinstance(candidate, dict) else None
            for part in (content or {}).get("parts") or []:
                inline = part.get("inlineData") or part.get("inline_data")
                if isinstance(inline, dict) and inline.get("data"):
                    images.append(inline)
        if not images:
            finish = candidates[0].get("finishReason") if candidates else None
            raise LifestyleGenerationError(
                f"the image model returned no image (finish reason {finish})", reason="no_image"
            )
        try:
            data = base64.b64decode(images[0]["data"], validate=True)
            with Image.open(io.BytesIO(data)) as decoded:
                decoded.verify()
                image_format = decoded.format
                width, height = decoded.size
        except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as exc:
            raise LifestyleGenerationError(
                "the image model returned data that is not an image", reason="undecodable"
            ) from exc
        content_type = DECODED_TYPES.get(image_format or "", str(images[0].get("mimeType", "")))
        return GeneratedScene(
            data=data,
            content_type=content_type or "application/octet-stream",
            model=str(answer.get("modelVersion") or self.model),
            returned_image_count=len(images),
            width=width,
            height=height,
        )
