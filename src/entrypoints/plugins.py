"""Adapter plugins: built-ins and third-party distributions, chosen by name in settings.

Third parties register factories under the entry-point groups below, for example::

    [project.entry-points."reseller.ai_providers"]
    mymodel = "my_pkg:factory"

A plugin that fails to load is logged with its name, recorded in ``AdapterRegistry.broken``
and skipped; ``AdapterRegistry.register`` adds one in code (embedding, tests) to the
registry handed to ``build_container``. A factory is an :class:`AdapterFactory`: called as
``factory(settings, context)``, it returns the adapter. The composition root builds every
adapter through :meth:`AdapterRegistry.build`, which checks the result against the kind's
port (``isinstance`` over the ``runtime_checkable`` port protocol) and stops start-up with
a message naming the plugin and the port when it is something else. ``docs/adapters.md``
walks through writing, packaging and testing one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, overload

from reseller_core.ports import (
    AIProvider,
    Clock,
    IdFactory,
    ImageEditor,
    JobHandler,
    Mailer,
    MarketplaceAdapter,
    ObjectStorage,
    RateLimiter,
    SearchProvider,
    TaskQueue,
)
from reseller_core.ports.media import LifestyleImageGenerator, VideoRenderer

if TYPE_CHECKING:
    from reseller_entrypoints.settings import Settings

log = logging.getLogger(__name__)

PortT = TypeVar("PortT")
KindT_co = TypeVar("KindT_co", covariant=True)
PortT_co = TypeVar("PortT_co", covariant=True)


@dataclass(slots=True)
class BuildContext:
    """What a factory may need beside the settings."""

    clock: Clock
    ids: IdFactory
    data_dir: Path
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    """Filled once the use cases exist; queues dispatch jobs through it."""
    secret_key: bytes | None = None
    """The deployment's signing key (signed upload and download URLs)."""
    resources: dict[str, object] = field(default_factory=dict)
    """Shared clients (e.g. one Redis connection pool) keyed by name; the container closes
    every one that is :class:`~reseller_core.ports.Closable` at shutdown."""


class AdapterFactory(Protocol[PortT_co]):
    """Builds one adapter of a kind from the deployment settings and the build context."""

    def __call__(self, settings: Settings, context: BuildContext, /) -> PortT_co: ...


@dataclass(frozen=True, slots=True)
class AdapterKind(Generic[KindT_co]):
    """One kind of adapter: its registry name (also the setting), entry-point group, port."""

    name: str
    group: str
    port: type[KindT_co]
    """The ``runtime_checkable`` port protocol every adapter of this kind must satisfy."""


# mypy wants concrete classes for ``type[...]``; the port protocols are runtime_checkable,
# which is all AdapterKind uses ``port`` for (isinstance), so the check is waived here.
STORAGE = AdapterKind("storage", "reseller.storage", ObjectStorage)  # type: ignore[type-abstract]
QUEUE = AdapterKind("queue", "reseller.queues", TaskQueue)  # type: ignore[type-abstract]
AI_PROVIDER = AdapterKind("ai_provider", "reseller.ai_providers", AIProvider)  # type: ignore[type-abstract]
IMAGE_EDITOR = AdapterKind("image_editor", "reseller.image_editors", ImageEditor)  # type: ignore[type-abstract]
LIFESTYLE_GENERATOR = AdapterKind(
    "lifestyle_generator",
    "reseller.lifestyle_generators",
    LifestyleImageGenerator,  # type: ignore[type-abstract]
)
VIDEO_RENDERER = AdapterKind(
    "video_renderer",
    "reseller.video_renderers",
    VideoRenderer,  # type: ignore[type-abstract]
)
SEARCH_PROVIDER = AdapterKind(
    "search_provider",
    "reseller.search_providers",
    SearchProvider,  # type: ignore[type-abstract]
)
RATE_LIMITER = AdapterKind("rate_limiter", "reseller.rate_limiters", RateLimiter)  # type: ignore[type-abstract]
MAILER = AdapterKind("mailer", "reseller.mailers", Mailer)  # type: ignore[type-abstract]
MARKETPLACE = AdapterKind(
    "marketplace",
    "reseller.marketplaces",
    MarketplaceAdapter,  # type: ignore[type-abstract]
)

KINDS: tuple[AdapterKind[object], ...] = (
    STORAGE,
    QUEUE,
    AI_PROVIDER,
    IMAGE_EDITOR,
    LIFESTYLE_GENERATOR,
    VIDEO_RENDERER,
    SEARCH_PROVIDER,
    RATE_LIMITER,
    MAILER,
    MARKETPLACE,
)
"""Every kind a plugin may provide."""

GROUPS: dict[str, str] = {kind.name: kind.group for kind in KINDS}
"""Kind of adapter → entry-point group."""


class PluginError(LookupError):
    """A setting names an adapter nobody registered, or an adapter is not of its kind."""


@dataclass(frozen=True, slots=True)
class _Registered:
    factory: AdapterFactory[object]
    origin: str
    """Where the factory came from, as a start-up error names it."""


def _entry_point_origin(kind: AdapterKind[object], entry: EntryPoint) -> str:
    return f"plugin {entry.name!r} (entry point {kind.group}: {entry.name} = {entry.value})"


def _code_origin(kind_name: str, name: str, factory: object) -> str:
    where = f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', '?')}"
    return f"{kind_name} adapter {name!r} (registered in code: {where})"


def _missing_members(adapter: object, port: type[object]) -> list[str]:
    """The port's public methods and attributes ``adapter`` lacks (for the error message)."""
    members = {
        name
        for cls in port.__mro__
        if getattr(cls, "_is_protocol", False) and cls.__module__ != "typing"
        for name in (*vars(cls), *getattr(cls, "__annotations__", {}))
        if not name.startswith("_")
    }
    return sorted(name for name in members if not hasattr(adapter, name))


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


class AdapterRegistry:
    """Name → factory, per kind; built-ins first, then installed entry points."""

    def __init__(self) -> None:
        self._factories: dict[str, dict[str, _Registered]] = {kind.name: {} for kind in KINDS}
        self.broken: dict[str, str] = {}
        """``kind:name`` → why the plugin could not be loaded."""

    def _kind(self, kind: AdapterKind[PortT] | str) -> str:
        name = kind if isinstance(kind, str) else kind.name
        if name not in self._factories:
            raise PluginError(f"unknown adapter kind {name!r}; expected one of {sorted(GROUPS)}")
        return name

    @overload
    def register(
        self, kind: AdapterKind[PortT], name: str, factory: AdapterFactory[PortT]
    ) -> None: ...

    @overload
    def register(self, kind: str, name: str, factory: AdapterFactory[object]) -> None: ...

    def register(
        self, kind: AdapterKind[PortT] | str, name: str, factory: AdapterFactory[object]
    ) -> None:
        """Add (or replace) the adapter ``name`` of ``kind``, as an entry point would."""
        kind_name = self._kind(kind)
        origin = _code_origin(kind_name, name, factory)
        self._factories[kind_name][name] = _Registered(factory, origin)

    def register_builtin(
        self, kind: AdapterKind[PortT], name: str, factory: AdapterFactory[PortT]
    ) -> None:
        """Add an adapter that ships with the distribution (errors name it as built in)."""
        self._factories[kind.name][name] = _Registered(
            factory, f"built-in {kind.name} adapter {name!r}"
        )

    def names(self, kind: AdapterKind[PortT] | str) -> list[str]:
        """The registered adapter names of ``kind``, sorted."""
        return sorted(self._factories[self._kind(kind)])

    def _registered(self, kind: str, name: str) -> _Registered:
        try:
            return self._factories[kind][name]
        except KeyError:
            broken = self.broken.get(f"{kind}:{name}")
            reason = f" (it failed to load: {broken})" if broken else ""
            raise PluginError(
                f"no {kind} adapter named {name!r}{reason}; available: {self.names(kind)}"
            ) from None

    def factory(self, kind: AdapterKind[PortT] | str, name: str) -> AdapterFactory[object]:
        """The factory of adapter ``name``; ``PluginError`` when nobody registered it."""
        return self._registered(self._kind(kind), name).factory

    def origin(self, kind: AdapterKind[PortT] | str, name: str) -> str:
        """Where adapter ``name`` came from (built in, an entry point, or code)."""
        return self._registered(self._kind(kind), name).origin

    def build(
        self, kind: AdapterKind[PortT], name: str, settings: Settings, context: BuildContext
    ) -> PortT:
        """Call the factory of ``name`` and check that it returned a ``kind.port``.

        Raises ``PluginError`` naming the plugin, its entry point and the port when the
        factory returned something else: a wrong object fails start-up, not the first
        request that uses it.
        """
        registered = self._registered(self._kind(kind), name)
        adapter = registered.factory(settings, context)
        if isinstance(adapter, kind.port):
            return adapter
        port = kind.port.__name__
        missing = _missing_members(adapter, kind.port)
        lacking = f" (it has no {', '.join(missing)})" if missing else ""
        raise PluginError(
            f"{registered.origin} returned {type(adapter).__module__}."
            f"{type(adapter).__qualname__}, which is not {_article(port)} {port}{lacking}"
        )

    def load_entry_points(self) -> None:
        """Add every installed plugin; a broken one is reported by name and skipped."""
        installed = entry_points()  # one scan of the installed distributions
        for kind in KINDS:
            for entry in installed.select(group=kind.group):
                try:
                    factory = entry.load()
                except Exception as exc:
                    self.broken[f"{kind.name}:{entry.name}"] = f"{type(exc).__name__}: {exc}"
                    log.error(
                        "plugin %s in group %s failed to load and is skipped: %s",
                        entry.name,
                        kind.group,
                        exc,
                    )
                    continue
                if not callable(factory):
                    self.broken[f"{kind.name}:{entry.name}"] = "entry point is not callable"
                    log.error(
                        "plugin %s in group %s is not callable; skipped", entry.name, kind.group
                    )
                    continue
                self._factories[kind.name][entry.name] = _Registered(
                    factory, _entry_point_origin(kind, entry)
                )
