"""Bad settings stop a process with a message naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from reseller_core.domain.plans import DailyCeilings
from reseller_entrypoints.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"RESELLER_WORKER_CONCURRENCY": "many"}, "RESELLER_WORKER_CONCURRENCY"),
        ({"RESELLER_AUTH_RATE_LIMIT": "ten"}, "RESELLER_AUTH_RATE_LIMIT"),
        ({"RESELLER_REQUIRE_EMAIL_CONFIRMATION": "perhaps"}, "RESELLER_REQUIRE_EMAIL_CONFIRMATION"),
        ({"RESELLER_DAILY_GEMINI_CALLS": "many"}, "RESELLER_DAILY_GEMINI_CALLS"),
        ({"RESELLER_DAILY_SERP_API_CALLS": "-1"}, "RESELLER_DAILY_SERP_API_CALLS"),
        ({"RESELLER_DAILY_COST_USD": "-0.01"}, "RESELLER_DAILY_COST_USD"),
        ({"RESELLER_PRODUCT_PAGE_CACHE_MB": "lots"}, "RESELLER_PRODUCT_PAGE_CACHE_MB"),
    ],
)
def test_a_mistyped_setting_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(environ=environ)


def test_daily_ceilings_are_settings_per_kind_of_provider() -> None:
    settings = load_settings(
        environ={
            "RESELLER_DAILY_GEMINI_CALLS": "500",
            "RESELLER_DAILY_SERP_API_CALLS": "none",
            "RESELLER_DAILY_COST_USD": "2.50",
        }
    )
    assert settings.core.daily_ceilings == DailyCeilings(
        gemini_calls=500, serp_api_calls=None, photoroom_calls=200, cost_usd=Decimal("2.50")
    )
    assert load_settings(environ={}).core.daily_ceilings == DailyCeilings()


def test_a_bad_trusted_proxy_is_refused() -> None:
    with pytest.raises(SettingsError, match="'not-an-ip' is not an IP address"):
        load_settings(environ={"RESELLER_TRUSTED_PROXIES": "10.0.0.1, not-an-ip"})


def test_the_page_cache_size_is_a_number_of_megabytes_from_zero() -> None:
    assert load_settings(environ={}).product_page_cache_mb == 64
    off = load_settings(environ={"RESELLER_PRODUCT_PAGE_CACHE_MB": "0"})
    assert off.product_page_cache_mb == 0
    with pytest.raises(SettingsError, match=r"product_page_cache_mb: -1\.0 is below 0"):
        load_settings(environ={"RESELLER_PRODUCT_PAGE_CACHE_MB": "-1"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"RESELLER_SWEEP_INTERVAL_S": "soon"}, "invalid setting RESELLER_SWEEP_INTERVAL_S"),
        ({"RESELLER_QUEUE": "carrier-pigeon"}, "no queue adapter named 'carrier-pigeon'"),
    ],
)
def test_the_cli_refuses_bad_settings_before_serving(environ: dict[str, str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reseller_entrypoints.cli", "serve", "--port", "1"],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
