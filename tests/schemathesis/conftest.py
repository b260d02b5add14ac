"""Print the schemathesis seed in the run's header, so every CI log says how to replay it."""

from __future__ import annotations

from tests.schemathesis.test_openapi_conformance import SEED


def pytest_report_header() -> str:
    return f"schemathesis seed: {SEED} (replay with RESELLER_SCHEMATHESIS_SEED={SEED})"
