"""Bad settings stop a process with a message naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reseller_entrypoints.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"RESELLER_WORKER_CONCURRENCY": "many"}, "RESELLER_WORKER_CONCURRENCY"),
        ({"RESELLER_AUTH_RATE_LIMIT": "ten"}, "RESELLER_AUTH_RATE_LIMIT"),
        ({"RESELLER_REQUIRE_EMAIL_CONFIRMATION": "perhaps"}, "RESELLER_REQUIRE_EMAIL_CONFIRMATION"),
    ],
)
def test_a_mistyped_setting_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(environ=environ)


def test_a_bad_trusted_proxy_is_refused() -> None:
    with pytest.raises(SettingsError, match="'not-an-ip' is not an IP address"):
        load_settings(environ={"RESELLER_TRUSTED_PROXIES": "10.0.0.1, not-an-ip"})


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
