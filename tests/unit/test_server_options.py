"""``reseller serve`` runs uvicorn on uvloop and httptools where they are installed."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from reseller_entrypoints import cli
from reseller_entrypoints.http import server_options
from reseller_entrypoints.http.server_options import ServerProtocols, server_protocols


def test_the_fast_pair_is_chosen_when_installed() -> None:
    # Both are dependencies of the distribution on CPython/Linux, where the tests run.
    protocols = server_protocols()
    assert protocols == ServerProtocols(loop="uvloop", http="httptools")
    assert protocols.fast


def test_each_missing_module_falls_back_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_uvloop(name: str, *args: Any) -> Any:
        return None if name == "uvloop" else real(name, *args)

    monkeypatch.setattr(server_options.importlib.util, "find_spec", without_uvloop)
    protocols = server_protocols()
    assert protocols == ServerProtocols(loop="asyncio", http="httptools")
    assert not protocols.fast


def test_serve_hands_the_choice_to_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("RESELLER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESELLER_PUBLIC_BASE_URL", "http://127.0.0.1:1")
    assert cli.main(["serve", "--port", "1"]) == 0
    assert calls[0]["loop"] == "uvloop"
    assert calls[0]["http"] == "httptools"
