"""Adapter plugins: built-ins and third-party distributions, chosen by name in settings.

Third parties register factories under the entry-point groups below, for example::

    [project.entry-points."reseller.ai_providers"]
    mymodel = "my_pkg:factory"

A plugin that fails to load is logged with its name, recorded in ``AdapterRegistry.broken``
and skipped; ``AdapterRegistry.register`` adds one in code (embedding, tests) to the
registry handed to ``build_container``. A factory is called as
``factory(settings, context)`` and returns the adapter. ``docs/adapters.md`` walks through
writing, packaging and testing one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from reseller_core.ports import Clock, IdFactory

log = logging.getLogger(__name__)

GROUPS: dict[str, str] = {
    "storage": "reseller.storage",
    "queue": "reseller.queues",
    "ai_provider": "reseller.ai_providers",
    "image_editor": "reseller.image_editors",
    "search_provider": "reseller.search_providers",
    "rate_limiter": "reseller.rate_limiters",
    "mailer": "reseller.mailers",
    "marketplace": "reseller.marketplaces",
}
"""Kind of adapter → entry-point group."""


@dataclass(slots=True)
class BuildContext:
    """What a factory may need beside the settings."""

    clock: Clock
    ids: IdFactory
    data_dir: Path
    job_handlers: dict[str, Callable[[Mapping[str, str]], Any]] = field(default_factory=dict)
    """Filled once the use cases exist; queues dispatch jobs through it."""
    resources: dict[str, Any] = field(default_factory=dict)
    """Shared clients (e.g. one Redis connection pool) keyed by name."""


Factory = Callable[[Any, BuildContext], Any]


class PluginError(LookupError):
    """A setting names an adapter nobody registered."""


class AdapterRegistry:
    """Name → factory, per kind; built-ins first, then installed entry points."""

    def __init__(self) -> None:
        self._factories: dict[str, dict[str, Factory]] = {kind: {} for kind in GROUPS}
        self.broken: dict[str, str] = {}
        """``kind:name`` → why the plugin could not be loaded."""

    def register(self, kind: str, name: str, factory: Factory) -> None:
        """Add (or replace) the adapter ``name`` of ``kind``, as an entry point would."""
        if kind not in self._factories:
            raise PluginError(f"unknown adapter kind {kind!r}; expected one of {sorted(GROUPS)}")
        self._factories[kind][name] = factory

    def names(self, kind: str) -> list[str]:
        """The registered adapter names of ``kind``, sorted."""
        return sorted(self._factories[kind])

    def factory(self, kind: str, name: str) -> Factory:
        try:
            return self._factories[kind][name]
        except KeyError:
            broken = self.broken.get(f"{kind}:{name}")
            reason = f" (it failed to load: {broken})" if broken else ""
            raise PluginError(
                f"no {kind} adapter named {name!r}{reason}; available: {self.names(kind)}"
            ) from None

    def load_entry_points(self) -> None:
        """Add every installed plugin; a broken one is reported by name and skipped."""
        for kind, group in GROUPS.items():
            for entry in entry_points(group=group):
                try:
                    factory = entry.load()
                except Exception as exc:
                    self.broken[f"{kind}:{entry.name}"] = f"{type(exc).__name__}: {exc}"
                    log.error(
                        "plugin %s in group %s failed to load and is skipped: %s",
                        entry.name,
                        group,
                        exc,
                    )
                    continue
                if not callable(factory):
                    self.broken[f"{kind}:{entry.name}"] = "entry point is not callable"
                    log.error("plugin %s in group %s is not callable; skipped", entry.name, group)
                    continue
                self._factories[kind][entry.name] = factory
