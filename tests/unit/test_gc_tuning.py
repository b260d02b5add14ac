"""Served processes freeze their start-up objects out of the cyclic GC; embedders are left alone.

Each check runs in a fresh interpreter: freezing is process-wide, and the test process
must keep its collector as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reseller_entrypoints import cli

_STARTS = """
import gc, sys
from litestar.testing import TestClient
from reseller_entrypoints.http.app import create_app, create_served_app
app = create_served_app() if sys.argv[1] == "served" else create_app()
with TestClient(app) as client:
    assert client.get("/api/v1/health").status_code == 200
    print(gc.get_freeze_count())
"""


@pytest.mark.parametrize("kind", ["served", "embedded"])
def test_only_the_served_app_freezes_what_start_up_left(tmp_path: Path, kind: str) -> None:
    env = {**os.environ, "RESELLER_DATA_DIR": str(tmp_path), "RESELLER_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-c", _STARTS, kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    frozen = int(done.stdout.strip().splitlines()[-1])
    if kind == "served":
        assert frozen > 50_000  # the modules, routes and container of a started app
    else:
        assert frozen == 0


def test_serve_runs_the_served_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import uvicorn

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(args))
    monkeypatch.setenv("RESELLER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESELLER_PUBLIC_BASE_URL", "http://127.0.0.1:1")
    assert cli.main(["serve", "--port", "1"]) == 0
    assert calls[0][0] == "reseller_entrypoints.http.app:create_served_app"
