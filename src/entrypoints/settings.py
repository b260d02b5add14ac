"""Deployment settings, read from ``RESELLER_*`` environment variables into a typed struct."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path

import msgspec

from reseller_core.domain.plans import DailyCeilings
from reseller_core.services.config import CoreConfig, TransferLimits


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a deployment chooses. Defaults are the embedded, zero-service setup."""

    data_dir: str = "./var"
    database_url: str | None = None
    """Defaults to ``sqlite+aiosqlite:///{data_dir}/reseller.db``."""
    database_pool_size: int = 20
    """PostgreSQL connections each process keeps open (SQLite ignores it)."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where clients reach this server; upload and file URLs are built on it."""
    secret_key: str | None = None
    """Signs local upload URLs. Generated once into ``{data_dir}/secret_key`` when unset."""
    storage: str = "local"
    queue: str = "inprocess"
    ai_provider: str = "offline"
    ai_latency_s: float = 0.0
    """Simulated latency added to every AI call (demos, crash-recovery tests)."""
    ai_model: str = "google-gla:gemini-3.5-flash-lite"
    """``vendor:model`` of the ``llm`` provider (google-gla, openai, anthropic, ollama)."""
    ai_model_recognition: str | None = None
    ai_model_reconciliation: str | None = None
    ai_model_description: str | None = None
    ai_model_price_research: str | None = None
    ai_model_marketplace_listing: str | None = None
    ai_api_key: str | None = None
    """The vendor's key; unset, the vendor's own variable (GOOGLE_API_KEY...) is read."""
    ai_base_url: str | None = None
    """Another endpoint: an OpenAI-compatible server (vLLM, llama.cpp), a proxy."""
    ai_timeout_ms: int = 45_000
    ai_max_retries: int = 1
    ai_retry_backoff_ms: int = 750
    ai_retry_after_max_s: float = 60.0
    ai_max_output_tokens: int = 4096
    ai_max_response_bytes: int = 4_000_000
    ai_web_search: bool = True
    image_editor: str = "offline"
    lifestyle_generator: str = "offline"
    """Lifestyle scene images: ``offline`` (staged with Pillow) or ``gemini`` (image model)."""
    lifestyle_model: str = "gemini-2.5-flash-image"
    """The image model ``gemini`` asks; key, timeout and retries are the ``ai_*`` settings."""
    lifestyle_base_url: str = "https://generativelanguage.googleapis.com"
    video_renderer: str = "ffmpeg"
    """Marketplace videos: ``ffmpeg`` (a slideshow, with the binary of ``imageio-ffmpeg``)."""
    max_image_pixels: int = 50_000_000
    """Largest image (width x height, read from its header) the image adapters decode; larger
    uploads are refused as invalid images before decoding. Sized for phone photos (48 Mpx)."""
    search_provider: str = "offline"
    """Visual (Lens) and shopping search; ``offline`` searches nothing."""
    serpapi_api_key: str | None = None
    serpapi_base_url: str = "https://serpapi.com"
    search_timeout_ms: int = 10_000
    search_hl: str = "en"
    search_gl: str = "us"
    photoroom_api_key: str | None = None
    photoroom_base_url: str = "https://image-api.photoroom.com"
    image_editor_timeout_ms: int = 15_000
    image_editor_padding: float = 0.15
    rate_limiter: str = "memory"
    mailer: str = "outbox"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "reseller"
    """Prefix of every Redis key and stream this deployment uses (several may share a server)."""
    redis_timeout_s: float = 2.0
    """How long a Redis connect or command may take before the call fails (503), not hangs."""
    job_max_retries: int = 3
    """How often a shared-queue job that raised is delivered again before it is dropped
    (the sweeper still re-enqueues its run if it was left unfinished)."""
    job_redelivery_after_s: float = 60.0
    """How long a shared-queue job held by a worker that died (or froze) waits before another
    worker takes it over. Live workers renew their jobs, so this does not limit job length."""
    worker_shutdown_grace_s: float = 10.0
    """On SIGTERM/SIGINT, how long ``reseller worker`` lets running jobs finish before it
    interrupts them (interrupted jobs are delivered again)."""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "auto"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_public_base_url: str | None = None
    smtp_host: str | None = None
    """The SMTP server of ``RESELLER_MAILER=smtp``."""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    """``starttls`` (upgrade required), ``tls`` (implicit TLS, port 465) or ``none``."""
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "ResellerIO <no-reply@reseller.localhost>"
    smtp_timeout_s: float = 10.0
    """Bound on connecting, the TLS handshake and each SMTP command."""
    smtp_attempts: int = 3
    """Tries per delivery (transient failures only) before the job fails to the queue."""
    smtp_ca_file: str | None = None
    """PEM bundle to verify the server's certificate with (default: the system store)."""
    allowed_origins: tuple[str, ...] = ("http://localhost:4000", "http://127.0.0.1:4000")
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of our reverse proxies: only their ``X-Forwarded-For`` counts."""
    storefront_cache_s: float = 5.0
    """How long one server process reuses a rendered public storefront page (0: never).
    The pages already allow a CDN to keep them for minutes (``Cache-Control``)."""
    product_page_cache_mb: float = 64.0
    """Megabytes of ``GET /products`` pages one process keeps, each served again while the
    seller's products are unchanged (0: read every page from the database)."""
    auto_migrate: bool = True
    """Apply database migrations when a server or worker starts."""
    worker_concurrency: int = 2
    sweep_interval_s: float = 30.0
    log_level: str = "INFO"
    """Level of our own loggers (and uvicorn's): DEBUG, INFO, WARNING, ERROR."""
    log_format: str = "text"
    """``text``: ``key=value`` lines for a terminal; ``json``: one JSON object per line."""
    log_libraries_level: str = "WARNING"
    """Cap on third-party libraries' loggers (botocore, taskiq, SQLAlchemy, ...); DEBUG to
    see them."""
    core: CoreConfig = msgspec.field(default_factory=CoreConfig)

    def __post_init__(self) -> None:
        """Refuse a bad proxy entry (ignored, it would put all its clients in one rate
        bucket) and a log setting the logging setup cannot honour."""
        if self.smtp_security not in ("starttls", "tls", "none"):
            raise ValueError(
                f"smtp_security: {self.smtp_security!r} is not one of starttls, tls, none"
            )
        if self.product_page_cache_mb < 0:
            raise ValueError(
                f"product_page_cache_mb: {self.product_page_cache_mb!r} is below 0"
                " (0 turns the page cache off)"
            )
        if self.log_format not in ("text", "json"):
            raise ValueError(f"log_format: {self.log_format!r} is not one of text, json")
        for name in ("log_level", "log_libraries_level"):
            value = getattr(self, name)
            if value.upper() not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
                raise ValueError(
                    f"{name}: {value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
                )
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network"
                ) from None

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_path / 'reseller.db').as_posix()}"


_CORE_FIELDS = {field.name: field for field in msgspec.structs.fields(CoreConfig)}
_ERROR_PATH = re.compile(r"`\$\.(?:core\.)?(?:transfers\.)?(daily_)?(?:ceilings\.)?([a-z0-9_]+)")
_DISABLED = frozenset({"", "none", "off"})
"""Values of a ``RESELLER_DAILY_*`` ceiling that disable it."""


class SettingsError(ValueError):
    """A setting has a value of the wrong type or shape; the message names the variable."""


def _settings_error(error: msgspec.ValidationError) -> SettingsError:
    """Name the environment variable in msgspec's ``... - at `$.core.field` `` message."""
    message = str(error)
    match = _ERROR_PATH.search(message)
    if match is None:
        return SettingsError(f"invalid settings: {message}")
    reason = message.split(" - at ", 1)[0]
    field = match.group(2)
    if match.group(1) and field == "ceilings":
        # A check of the whole struct names the field it refused first in its reason.
        field = reason.split(" ", 1)[0]
    variable = f"RESELLER_{(match.group(1) or '').upper()}{field.upper()}"
    return SettingsError(f"invalid setting {variable}: {reason}")


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from ``RESELLER_<FIELD>`` variables (core fields included), then overrides.

    Lists are comma-separated; booleans accept 1/0, true/false, yes/no, on/off.
    ``API_ALLOWED_ORIGINS`` is honoured too (the contract's name for the CORS allowlist).
    """
    env = os.environ if environ is None else environ
    top: dict[str, object] = {}
    core: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        if field.name == "core":
            continue
        raw = env.get(f"RESELLER_{field.name.upper()}")
        if raw is not None:
            top[field.name] = (
                _split(raw) if field.name in ("allowed_origins", "trusted_proxies") else raw
            )
    if "allowed_origins" not in top and "API_ALLOWED_ORIGINS" in env:
        top["allowed_origins"] = _split(env["API_ALLOWED_ORIGINS"])
    transfers = {
        field.name: raw
        for field in msgspec.structs.fields(TransferLimits)
        if (raw := env.get(f"RESELLER_{field.name.upper()}")) is not None
    }
    if transfers:
        core["transfers"] = transfers
    ceilings = {
        field.name: None if raw.strip().lower() in _DISABLED else raw.strip()
        for field in msgspec.structs.fields(DailyCeilings)
        if (raw := env.get(f"RESELLER_DAILY_{field.name.upper()}")) is not None
    }
    if ceilings:
        core["daily_ceilings"] = ceilings
    for name in _CORE_FIELDS:
        if name in ("daily_ceilings", "transfers"):
            continue
        raw = env.get(f"RESELLER_{name.upper()}")
        if raw is not None:
            core[name] = _split(raw) if name.endswith("marketplaces") else raw
    for key, value in overrides.items():
        if key in _CORE_FIELDS:
            core[key] = value
        else:
            top[key] = value
    if "core" in top:
        base = msgspec.to_builtins(top.pop("core"))
        core = {**base, **core}
    base_url = str(top.get("public_base_url", Settings.public_base_url)).rstrip("/")
    core.setdefault("confirmation_url_base", f"{base_url}/confirm")
    pricing = str(core.get("pricing_url", "/pricing"))
    if not pricing.startswith(("http://", "https://")):
        core["pricing_url"] = f"{base_url}/{pricing.lstrip('/')}"
    data = {**top, "core": core}
    try:
        return msgspec.convert(data, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise _settings_error(error) from None
