"""Settings the use cases need, as one typed struct (the entrypoints fill it from RESELLER_*)."""

from __future__ import annotations

import msgspec

from reseller_core.domain.marketplaces import CATALOG_IDS, DEFAULT_MARKETPLACES
from reseller_core.domain.plans import DailyCeilings
from reseller_core.domain.uploads import DEFAULT_MAX_ORIGINALS, MAX_BYTE_SIZE
from reseller_core.domain.videos import VIDEO_MARKETPLACES


class TransferLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Exports and imports (spec 50): archive lifetimes and the import safety limits."""

    export_ttl_days: int = 7
    export_stale_after_s: int = 600
    download_url_ttl_s: int = 900
    public_url_fallback: bool = False
    """Spec 50 §5.2: the public-URL fallback for download links is opt-in."""
    job_heartbeat_timeout_s: int = 120
    """A running job whose heartbeat is older was abandoned by its worker: redone."""
    max_archive_bytes: int = 25_000_000
    max_entry_count: int = 500
    max_entry_bytes: int = 15_000_000
    max_total_uncompressed_bytes: int = 75_000_000
    max_compression_ratio: int = 100
    max_manifest_products: int = 5_000


class CoreConfig(msgspec.Struct, frozen=True, kw_only=True):
    supported_marketplaces: tuple[str, ...] = CATALOG_IDS
    video_marketplaces: tuple[str, ...] = VIDEO_MARKETPLACES
    """Marketplaces a video can be made for (spec 30 §9), among the supported ones."""
    default_marketplaces: tuple[str, ...] = DEFAULT_MARKETPLACES
    api_token_ttl_days: int = 365
    confirmation_ttl_hours: int = 48
    confirmation_url_base: str = "http://127.0.0.1:8000/confirm"
    require_email_confirmation: bool = True
    resend_per_minute: int = 1
    resend_per_hour: int = 5
    auth_rate_limit: int = 10
    auth_rate_window_s: int = 60
    upload_url_ttl_s: int = 900
    max_originals_per_product: int = DEFAULT_MAX_ORIGINALS
    max_upload_bytes: int = MAX_BYTE_SIZE
    trial_limits_plan: str = "starter"
    daily_ceilings: DailyCeilings = msgspec.field(default_factory=DailyCeilings)
    pricing_url: str = "http://127.0.0.1:8000/pricing"
    processing_run_stale_after_s: int = 900
    run_heartbeat_timeout_s: int = 60
    recognition_confidence_threshold: float = 0.75
    transfers: TransferLimits = msgspec.field(default_factory=TransferLimits)
    inquiry_storefront_limit: int = 50
    inquiry_ip_limit: int = 5
    inquiry_window_minutes: int = 60
