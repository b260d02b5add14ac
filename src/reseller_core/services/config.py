"""Settings the use cases need, as one typed struct (the entrypoints fill it from RESELLER_*)."""

from __future__ import annotations

import msgspec

from reseller_core.domain.marketplaces import CATALOG_IDS, DEFAULT_MARKETPLACES
from reseller_core.domain.plans import DailyCeilings
from reseller_core.domain.uploads import DEFAULT_MAX_ORIGINALS, MAX_BYTE_SIZE


class CoreConfig(msgspec.Struct, frozen=True, kw_only=True):
    supported_marketplaces: tuple[str, ...] = CATALOG_IDS
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
