"""Factories of the adapters that ship with the distribution, registered by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reseller_core.ports import (
    AIProvider,
    ImageEditor,
    Mailer,
    ObjectStorage,
    RateLimiter,
    SearchProvider,
    TaskQueue,
)
from reseller_core.ports.media import LifestyleImageGenerator, VideoRenderer
from reseller_entrypoints.plugins import (
    AI_PROVIDER,
    IMAGE_EDITOR,
    LIFESTYLE_GENERATOR,
    MAILER,
    QUEUE,
    RATE_LIMITER,
    SEARCH_PROVIDER,
    STORAGE,
    VIDEO_RENDERER,
    AdapterRegistry,
    BuildContext,
    PluginError,
)

if TYPE_CHECKING:
    from reseller_entrypoints.settings import Settings


def _local_storage(settings: Settings, context: BuildContext) -> ObjectStorage:
    from reseller_adapters.storage.local import LocalObjectStorage

    if context.secret_key is None:
        raise PluginError("RESELLER_STORAGE=local needs the signing key in the build context")
    return LocalObjectStorage(
        root=context.data_dir / "storage",
        public_base_url=settings.public_base_url,
        secret=context.secret_key,
    )


def _inprocess_queue(settings: Settings, context: BuildContext) -> TaskQueue:
    from reseller_adapters.queues.inprocess import InProcessTaskQueue

    return InProcessTaskQueue(context.job_handlers, concurrency=settings.worker_concurrency)


def _offline_ai(settings: Settings, context: BuildContext) -> AIProvider:
    from reseller_adapters.ai.offline import OfflineAIProvider

    return OfflineAIProvider(max_image_pixels=settings.max_image_pixels)


def _llm_ai(settings: Settings, context: BuildContext) -> AIProvider:
    try:
        from reseller_adapters.ai.llm.provider import OPERATIONS, LLMConfig, PydanticAIProvider
    except ImportError as exc:
        raise PluginError(
            "RESELLER_AI_PROVIDER=llm needs Pydantic AI and the vendor's SDK: "
            "pip install 'reseller-core[gemini]' (or [openai], [anthropic])"
        ) from exc
    config = LLMConfig(
        model=settings.ai_model,
        operation_models={
            operation: name
            for operation in OPERATIONS
            if (name := getattr(settings, f"ai_model_{operation}", None))
        },
        api_key=settings.ai_api_key,
        base_url=settings.ai_base_url,
        timeout_s=settings.ai_timeout_ms / 1000,
        max_retries=settings.ai_max_retries,
        backoff_s=settings.ai_retry_backoff_ms / 1000,
        retry_after_max_s=settings.ai_retry_after_max_s,
        max_output_tokens=settings.ai_max_output_tokens,
        max_response_bytes=settings.ai_max_response_bytes,
        web_search=settings.ai_web_search,
    )
    try:
        provider = PydanticAIProvider(config)
    except (ValueError, RuntimeError) as exc:
        raise PluginError(f"RESELLER_AI_PROVIDER=llm: {exc}") from exc
    context.resources["llm_http_client"] = provider
    return provider


def _offline_image_editor(settings: Settings, context: BuildContext) -> ImageEditor:
    from reseller_adapters.images.offline import OfflineImageEditor

    return OfflineImageEditor(max_image_pixels=settings.max_image_pixels)


def _offline_lifestyle(settings: Settings, context: BuildContext) -> LifestyleImageGenerator:
    from reseller_adapters.media.offline_lifestyle import OfflineLifestyleGenerator

    return OfflineLifestyleGenerator(max_image_pixels=settings.max_image_pixels)


def _gemini_lifestyle(settings: Settings, context: BuildContext) -> LifestyleImageGenerator:
    import os

    from reseller_adapters.media.gemini_image import GeminiImageGenerator

    key = (
        settings.ai_api_key or os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    )
    try:
        generator = GeminiImageGenerator(
            key or "",
            model=settings.lifestyle_model,
            base_url=settings.lifestyle_base_url,
            timeout_s=settings.ai_timeout_ms / 1000,
            max_retries=settings.ai_max_retries,
            retry_backoff_s=settings.ai_retry_backoff_ms / 1000,
        )
    except ValueError as exc:
        raise PluginError(f"RESELLER_LIFESTYLE_GENERATOR=gemini: {exc}") from exc
    context.resources["gemini_image_client"] = generator
    return generator


def _ffmpeg_video(settings: Settings, context: BuildContext) -> VideoRenderer:
    from reseller_adapters.media.ffmpeg_video import FfmpegVideoRenderer

    return FfmpegVideoRenderer(max_image_pixels=settings.max_image_pixels)


def _offline_search(settings: Settings, context: BuildContext) -> SearchProvider:
    from reseller_adapters.search.offline import OfflineSearchProvider

    return OfflineSearchProvider()


def _serpapi_search(settings: Settings, context: BuildContext) -> SearchProvider:
    from reseller_adapters.search.serpapi import SerpApiSearchProvider

    try:
        provider = SerpApiSearchProvider(
            settings.serpapi_api_key or "",
            base_url=settings.serpapi_base_url,
            timeout_s=settings.search_timeout_ms / 1000,
            hl=settings.search_hl,
            gl=settings.search_gl,
        )
    except ValueError as exc:
        raise PluginError(f"RESELLER_SEARCH_PROVIDER=serpapi: {exc}") from exc
    context.resources["serpapi_client"] = provider
    return provider


def _photoroom_editor(settings: Settings, context: BuildContext) -> ImageEditor:
    from reseller_adapters.images.photoroom import PhotoroomImageEditor

    try:
        editor = PhotoroomImageEditor(
            settings.photoroom_api_key or "",
            base_url=settings.photoroom_base_url,
            timeout_s=settings.image_editor_timeout_ms / 1000,
            padding=settings.image_editor_padding,
            max_image_pixels=settings.max_image_pixels,
        )
    except ValueError as exc:
        raise PluginError(f"RESELLER_IMAGE_EDITOR=photoroom: {exc}") from exc
    context.resources["photoroom_client"] = editor
    return editor


def _memory_rate_limiter(settings: Settings, context: BuildContext) -> RateLimiter:
    from reseller_adapters.ratelimit.memory import MemoryRateLimiter

    return MemoryRateLimiter(context.clock)


def _outbox_mailer(settings: Settings, context: BuildContext) -> Mailer:
    from reseller_adapters.mail.outbox import OutboxMailer

    return OutboxMailer(context.data_dir / "outbox")


def _s3_storage(settings: Settings, context: BuildContext) -> ObjectStorage:
    from reseller_adapters.storage.s3 import S3ObjectStorage

    return S3ObjectStorage.from_settings(settings, context)


def _taskiq_queue(settings: Settings, context: BuildContext) -> TaskQueue:
    from reseller_adapters.queues.taskiq_redis import TaskiqRedisQueue

    return TaskiqRedisQueue.from_settings(settings, context)


def _redis_rate_limiter(settings: Settings, context: BuildContext) -> RateLimiter:
    from reseller_adapters.ratelimit.redis import RedisRateLimiter

    return RedisRateLimiter.from_settings(settings, context)


def _smtp_mailer(settings: Settings, context: BuildContext) -> Mailer:
    from reseller_adapters.mail.smtp import SmtpMailer

    return SmtpMailer.from_settings(settings)


def register_builtins(registry: AdapterRegistry) -> None:
    """The embedded defaults, and the production adapters beside them by name.

    Production adapters import their optional dependencies only when chosen, so the
    embedded install needs none of them.
    """
    registry.register_builtin(STORAGE, "local", _local_storage)
    registry.register_builtin(QUEUE, "inprocess", _inprocess_queue)
    registry.register_builtin(AI_PROVIDER, "offline", _offline_ai)
    registry.register_builtin(IMAGE_EDITOR, "offline", _offline_image_editor)
    registry.register_builtin(LIFESTYLE_GENERATOR, "offline", _offline_lifestyle)
    registry.register_builtin(LIFESTYLE_GENERATOR, "gemini", _gemini_lifestyle)
    registry.register_builtin(VIDEO_RENDERER, "ffmpeg", _ffmpeg_video)
    registry.register_builtin(SEARCH_PROVIDER, "offline", _offline_search)
    registry.register_builtin(RATE_LIMITER, "memory", _memory_rate_limiter)
    registry.register_builtin(MAILER, "outbox", _outbox_mailer)
    registry.register_builtin(AI_PROVIDER, "llm", _llm_ai)
    registry.register_builtin(SEARCH_PROVIDER, "serpapi", _serpapi_search)
    registry.register_builtin(IMAGE_EDITOR, "photoroom", _photoroom_editor)
    registry.register_builtin(STORAGE, "s3", _s3_storage)
    registry.register_builtin(QUEUE, "taskiq", _taskiq_queue)
    registry.register_builtin(RATE_LIMITER, "redis", _redis_rate_limiter)
    registry.register_builtin(MAILER, "smtp", _smtp_mailer)
