"""What a process logs when it starts: the adapters it chose, and the dependencies that are down.

One line per adapter (kind, name, where it points), so an operator reading the first lines
of a log knows what this process talks to. URLs lose their passwords; keys and secrets are
never part of a description. A dependency that does not answer at start does not stop the
process (it may come back; readiness reports it meanwhile), but it is logged as a warning
naming it, instead of surfacing later as a 503 nobody can explain. An adapter may have
more to say at start (the LLM adapter: a model its vendor has deprecated): its optional
``startup_warnings()`` returns lines, each logged as a warning.
"""

from __future__ import annotations

import logging
from typing import Any

from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.cli_failures import redacted_url

log = logging.getLogger("reseller.startup")


def _describe(adapter: Any) -> str:
    """The adapter's own ``banner()``, else what its public attributes say."""
    banner = getattr(adapter, "banner", None)
    if callable(banner):
        try:
            return str(banner())
        except Exception as error:  # a plugin's banner must not stop start-up
            return f"{type(adapter).__name__} (banner failed: {type(error).__name__})"
    parts: list[str] = []
    for attribute in ("bucket", "endpoint_url", "region", "root", "directory", "stream"):
        value = getattr(adapter, attribute, None)
        if value and not callable(value):
            parts.append(f"{attribute}={redacted_url(str(value))}")
    transport = getattr(adapter, "transport", None)
    if transport is not None:
        parts.append(f"through the task queue to {_describe(transport)}")
    return ", ".join(parts) or type(adapter).__name__


def _startup_warnings(adapter: Any) -> list[str]:
    """The adapter's own ``startup_warnings()``, if it has them."""
    warnings = getattr(adapter, "startup_warnings", None)
    if not callable(warnings):
        return []
    try:
        return [str(line) for line in warnings()]
    except Exception as error:  # a plugin's warnings must not stop start-up
        return [f"startup_warnings failed: {type(error).__name__}"]


def adapter_lines(container: Container) -> list[tuple[str, str, str]]:
    """(kind, chosen name, description) for each adapter of ``container``."""
    settings, deps = container.settings, container.deps
    redis = f", redis={redacted_url(settings.redis_url)}"
    return [
        (
            "database",
            settings.resolved_database_url.split(":", 1)[0],
            redacted_url(settings.resolved_database_url),
        ),
        ("storage", settings.storage, _describe(deps.storage)),
        (
            "queue",
            settings.queue,
            _describe(container.queue) + (redis * (settings.queue == "taskiq")),
        ),
        (
            "rate_limiter",
            settings.rate_limiter,
            _describe(deps.rate_limiter) + (redis * (settings.rate_limiter == "redis")),
        ),
        ("mailer", settings.mailer, _describe(deps.mailer)),
        ("ai_provider", settings.ai_provider, _describe(deps.ai)),
        ("image_editor", settings.image_editor, _describe(deps.image_editor)),
        ("marketplaces", "catalogue", ", ".join(sorted(deps.marketplaces))),
    ]


async def report_startup(container: Container, role: str) -> None:
    """Log the adapter lines, then a warning for each dependency that does not answer."""
    for kind, name, description in adapter_lines(container):
        log.info(
            "%s %s: %s (%s)",
            role,
            kind,
            name,
            description,
            extra={"adapter_kind": kind, "adapter": name},
        )
    adapters = {
        "ai_provider": container.deps.ai,
        "image_editor": container.deps.image_editor,
        "search_provider": container.deps.search,
    }
    for kind, adapter in adapters.items():
        for warning in _startup_warnings(adapter):
            log.warning("%s %s: %s", role, kind, warning, extra={"adapter_kind": kind})
    for dependency, state in (await container.readiness()).items():
        if state != "ok":
            log.warning(
                "%s started while %s is %s; requests that need it fail until it is back "
                "(`reseller check` says more)",
                role,
                dependency,
                state,
                extra={"dependency": dependency},
            )
