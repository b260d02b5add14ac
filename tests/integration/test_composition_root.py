"""The composition root: adapters checked against their port at wiring time, overrides.

A plugin here is an entry point made in the test (``importlib.metadata.EntryPoint``
pointing at a factory in this module) and handed to the registry in place of the
installed distributions' entry points, so the registry loads it exactly as it would an
installed plugin's.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_core.ports import Job
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryMailer,
    MemoryObjectStorage,
    RecordingTaskQueue,
    SequentialIds,
    memory_uow_factory,
)
from reseller_entrypoints import cli, plugins
from reseller_entrypoints.bootstrap import build_container, default_registry
from reseller_entrypoints.plugins import BuildContext, PluginError
from reseller_entrypoints.settings import Settings, load_settings
from tests.integration.conftest import MemoryDatabaseHandle

ENTRY_POINT = "tests.integration.test_composition_root:acme_factory"


class AcmeClient:
    """What a careless plugin returns: its HTTP client instead of the provider around it."""

    async def recognize(self) -> None:
        return None


def acme_factory(settings: Settings, context: BuildContext) -> AcmeClient:
    return AcmeClient()


@pytest.fixture
def fx_acme_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed entry points plus ``acme-ai`` in ``reseller.ai_providers``."""
    installed = metadata.entry_points()
    ours = [entry for group in plugins.GROUPS.values() for entry in installed.select(group=group)]
    acme = metadata.EntryPoint(name="acme-ai", value=ENTRY_POINT, group="reseller.ai_providers")
    monkeypatch.setattr(plugins, "entry_points", lambda: metadata.EntryPoints((*ours, acme)))


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    return load_settings({}, data_dir=str(tmp_path), **overrides)


async def test_a_plugin_of_the_wrong_kind_stops_start_up_naming_plugin_and_port(
    fx_acme_entry_point: None, tmp_path: Path
) -> None:
    registry = default_registry()
    assert "acme-ai" in registry.names("ai_provider")
    with pytest.raises(PluginError) as raised:
        await build_container(_settings(tmp_path, ai_provider="acme-ai"), registry=registry)
    message = str(raised.value)
    assert message.startswith(
        f"plugin 'acme-ai' (entry point reseller.ai_providers: acme-ai = {ENTRY_POINT}) "
        "returned tests.integration.test_composition_root.AcmeClient, which is not an "
        "AIProvider (it has no "
    )
    assert "describe" in message and "name" in message
    assert "recognize" not in message, "members the object has are not listed as missing"


def test_the_cli_reports_a_wrong_kind_plugin_in_one_line_with_exit_code_2(
    fx_acme_entry_point: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "RESELLER_DATA_DIR": str(tmp_path),
        "RESELLER_AI_PROVIDER": "acme-ai",
        "RESELLER_QUEUE": "taskiq",
        "RESELLER_REDIS_URL": "redis://127.0.0.1:6379/0",
    }.items():
        monkeypatch.setenv(name, value)
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: served.append(args))
    for command in ("worker", "serve"):
        assert cli.main([command]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"reseller {command}: plugin 'acme-ai' (entry point reseller.")
        assert "which is not an AIProvider" in lines[0]
    assert served == [], "the server never starts with a plugin of the wrong kind"


async def test_an_adapter_registered_in_code_is_checked_too(tmp_path: Path) -> None:
    registry = default_registry()
    registry.register("storage", "nothing", lambda settings, context: object())
    with pytest.raises(
        PluginError,
        match=r"storage adapter 'nothing' \(registered in code: .*"
        r"returned builtins\.object, which is not an ObjectStorage",
    ):
        await build_container(_settings(tmp_path, storage="nothing"), registry=registry)


class LifecycleQueue(RecordingTaskQueue):
    """A queue with every optional ability, recording which ones the container used."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")

    async def aclose(self) -> None:
        self.calls.append("aclose")

    async def check(self) -> None:
        self.calls.append("check")
        raise ConnectionError("broker is down")


async def test_overrides_replace_ports_and_lifecycles_follow_the_protocols(
    tmp_path: Path,
) -> None:
    database = MemoryDatabaseHandle(MemoryDatabase())
    storage = MemoryObjectStorage()
    queue = LifecycleQueue()
    mailer = MemoryMailer()
    container = await build_container(
        _settings(tmp_path),
        database=database,
        uow=memory_uow_factory(database.db),
        storage=storage,
        queue=queue,
        ai=OfflineAIProvider(),
        mailer=mailer,
        clock=FixedClock(),
        ids=SequentialIds(),
    )
    assert container.deps.storage is storage
    assert container.deps.mailer is mailer, "an overridden mailer is used as given"
    assert container.local_storage is None
    await container.start()
    assert queue.calls == ["start"]
    assert database.migrations == 1
    readiness = await container.readiness()
    assert readiness == {
        "database": "ok",
        "storage": "ok",
        "queue": "unavailable: ConnectionError",
    }, "the memory rate limiter offers no probe"
    await container.queue.enqueue(Job(name="noop", args={}))
    await container.close()
    assert queue.calls == ["start", "check", "stop", "aclose"]


async def test_database_and_uow_are_overridden_together(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="override database and uow together"):
        await build_container(_settings(tmp_path), database=MemoryDatabaseHandle(MemoryDatabase()))
