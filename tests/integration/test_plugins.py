"""Third-party adapters: the example plugin installed for real, found by entry points, used.

The example distribution is copied and installed into this environment offline (pip with
``--no-index --no-build-isolation``), so its entry points are read from real installed
metadata; it is uninstalled when the module's tests end (an install made beforehand by a
developer is used and kept). A broken plugin is a throwaway ``.dist-info`` on ``sys.path``
whose entry points cannot load.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import pytest

from reseller_adapters.system import SystemClock, UlidIdFactory
from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.domain.listing_rules import ShapedListing, shape_listing
from reseller_core.domain.marketplaces import CATALOG_IDS, MarketplaceRules
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.ports import ListingResult
from reseller_entrypoints.bootstrap import build_container
from reseller_entrypoints.builtin_adapters import register_builtins
from reseller_entrypoints.embedded import ResellerCore
from reseller_entrypoints.plugins import AdapterRegistry, BuildContext, PluginError
from reseller_entrypoints.settings import Settings, load_settings
from tests.images import product_photo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reseller-example-plugin"
DISTRIBUTION = "reseller-example-plugin"
PIP_TIMEOUT_S = 600
"""A guard against a hung pip, not an assertion about speed."""


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        env={
            **{key: value for key, value in os.environ.items() if not key.startswith("RESELLER_")},
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        check=False,
    )


def _forget_example_modules() -> None:
    for name in [name for name in sys.modules if name.startswith("reseller_example_plugin")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture(scope="module")
def fx_example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plugin installed from a copy (the build leaves the source tree clean).

    When a developer already installed the example, that install is used and left alone.
    """
    source = tmp_path_factory.mktemp("plugin") / EXAMPLE.name
    shutil.copytree(
        EXAMPLE,
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*cache"),
    )
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    else:
        yield source
        return
    installed = _run(
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "--quiet",
        str(source),
    )
    if installed.returncode != 0:
        pytest.fail(f"installing the example plugin failed:\n{installed.stderr}", pytrace=False)
    _forget_example_modules()
    try:
        yield source
    finally:
        removed = _run("-m", "pip", "uninstall", "--yes", "--quiet", DISTRIBUTION)
        _forget_example_modules()
        assert removed.returncode == 0, removed.stderr


@pytest.fixture
def fx_registry(fx_example_plugin: Path) -> AdapterRegistry:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.load_entry_points()
    return registry


@pytest.fixture
def fx_broken_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution whose two entry points cannot become factories."""
    dist_info = tmp_path / "site" / "reseller_broken_plugin-0.0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: reseller-broken-plugin\nVersion: 0.0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[reseller.ai_providers]\n"
        "broken = reseller_module_that_is_not_installed:factory\n"
        "\n"
        "[reseller.marketplaces]\n"
        "not_callable = json:__name__\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    chosen: dict[str, Any] = {
        "ai_provider": "example",
        "supported_marketplaces": (*CATALOG_IDS, "vinted"),
        **overrides,
    }
    return load_settings({}, data_dir=str(tmp_path), **chosen)


def test_entry_points_register_the_plugin_adapters(fx_registry: AdapterRegistry) -> None:
    assert "example" in fx_registry.names("ai_provider")
    assert "vinted" in fx_registry.names("marketplace")
    assert "offline" in fx_registry.names("ai_provider"), "built-ins stay available"
    assert fx_registry.broken == {}
    context = BuildContext(clock=SystemClock(), ids=UlidIdFactory(), data_dir=Path())
    provider = fx_registry.factory("ai_provider", "example")(Settings(), context)
    assert (provider.name, provider.model, provider.offline) == (
        "example",
        "example-rules-v1",
        True,
    )


async def test_a_product_goes_through_the_pipeline_on_the_plugin(
    fx_registry: AdapterRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RESELLER_EXAMPLE_CURRENCY", raising=False)
    photo = product_photo("JPEG", size=(320, 240))
    async with await ResellerCore.open(settings=_settings(tmp_path), registry=fx_registry) as core:
        deps = core.container.deps
        assert deps.ai.name == "example"
        assert type(deps.marketplaces["vinted"]).__name__ == "VintedMarketplace"
        assert ("vinted", "Vinted") in core.container.services.accounts.supported_marketplaces()

        issued = await core.register(
            "plugin@example.com", "correct horse battery", selected_marketplaces=["vinted", "ebay"]
        )
        user = await core.confirm_email(issued.user.email)
        created = await core.create_product(
            user,
            SellerFields(title="Acme Trail Runner Sneakers", brand="Acme", category="sneakers"),
            [UploadIntent(filename="shoe.jpg", content_type="image/jpeg", byte_size=len(photo))],
        )
        (instruction,) = created.upload_instructions
        await core.upload(instruction, photo)
        await core.finalize_uploads(user, created.view.product.id, [instruction.image_id])
        await core.container.drain()
        view = await core.product(user, created.view.product.id)

    assert view.latest_run is not None and view.latest_run.status == RunStatus.COMPLETED
    assert view.product.status in (ProductStatus.READY, ProductStatus.REVIEW)
    assert view.description_draft is not None
    assert (view.description_draft.provider, view.description_draft.model) == (
        "example",
        "example-rules-v1",
    )
    assert view.description_draft.suggested_title == "Acme Trail Runner Sneakers"
    assert view.price_research is not None
    assert view.price_research.currency == "EUR"
    assert view.price_research.rationale_summary is not None
    assert "fixed price band" in view.price_research.rationale_summary
    listings = {listing.marketplace: listing for listing in view.marketplace_listings}
    assert sorted(listings) == ["ebay", "vinted"]
    vinted = listings["vinted"]
    assert vinted.generation_version == "example-rules-v1"
    assert vinted.generated_title == "Acme Trail Runner Sneakers"
    assert vinted.generated_tags == (), "Vinted takes no tags; the plugin's rules removed them"
    assert listings["ebay"].generation_version == "example-rules-v1"
    assert listings["ebay"].generated_tags, "eBay's built-in adapter keeps plain tags"


EXAMPLE_LACKS: Final = {
    "the provider does not declare prices_from_evidence",
    "the core shapes this provider's copy (follows_marketplace_rules)",
    "the provider does not declare reports_missing_details",
    "the provider does not declare reconciles_by_brand",
    "the provider does not declare states_every_fact",
}
"""Optional abilities the example provider does not have: a fixed price band, no search
evidence, no reconciliation by brand, copy from the seller's main facts only, and copy the
core shapes. Every other capability it has is declared and tested."""


def test_the_example_passes_its_own_conformance_tests(fx_example_plugin: Path) -> None:
    result = _run(
        "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests", cwd=fx_example_plugin
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    counted = re.search(r"(\d+) skipped", result.stdout)
    assert len(skips) == (int(counted.group(1)) if counted else 0), result.stdout
    reasons = {line.rsplit(": ", 1)[-1].strip() for line in skips}
    assert reasons <= EXAMPLE_LACKS, result.stdout


def test_a_broken_plugin_is_reported_by_name_and_skipped(
    fx_example_plugin: Path, fx_broken_plugin: None, caplog: pytest.LogCaptureFixture
) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    with caplog.at_level(logging.ERROR, logger="reseller_entrypoints.plugins"):
        registry.load_entry_points()

    assert set(registry.broken) == {"ai_provider:broken", "marketplace:not_callable"}
    assert registry.broken["ai_provider:broken"].startswith("ModuleNotFoundError")
    assert registry.broken["marketplace:not_callable"] == "entry point is not callable"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "broken" in logged and "not_callable" in logged
    assert "broken" not in registry.names("ai_provider")
    assert "example" in registry.names("ai_provider"), "the healthy plugin still loads"
    assert "vinted" in registry.names("marketplace")
    with pytest.raises(PluginError, match=r"named 'broken' \(it failed to load: ModuleNotFound"):
        registry.factory("ai_provider", "broken")


async def test_choosing_a_broken_plugin_fails_with_its_name(
    fx_example_plugin: Path, fx_broken_plugin: None, tmp_path: Path
) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.load_entry_points()
    with pytest.raises(PluginError, match="no ai_provider adapter named 'broken'"):
        await build_container(_settings(tmp_path, ai_provider="broken"), registry=registry)


class _Kleinanzeigen:
    """A marketplace adapter registered in code, as an embedding application would."""

    id = "kleinanzeigen"
    label = "Kleinanzeigen"
    rules = MarketplaceRules(model="peer-to-peer local", tone="plain", tags_max=0)

    def shape(self, draft: ListingResult) -> ShapedListing:
        return shape_listing(
            self.id,
            self.label,
            self.rules,
            title=draft.generated_title,
            description=draft.generated_description,
            tags=draft.generated_tags,
        )


async def test_register_adds_an_adapter_in_code(tmp_path: Path) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.register("marketplace", "kleinanzeigen", lambda settings, context: _Kleinanzeigen())
    registry.register("ai_provider", "house", registry.factory("ai_provider", "offline"))
    settings = load_settings(
        {},
        data_dir=str(tmp_path),
        ai_provider="house",
        supported_marketplaces=("ebay", "kleinanzeigen"),
    )
    container = await build_container(settings, registry=registry)
    try:
        assert isinstance(container.deps.marketplaces["kleinanzeigen"], _Kleinanzeigen)
        assert container.deps.ai.name == "offline"
    finally:
        await container.close()
    with pytest.raises(PluginError, match="unknown adapter kind 'payments'"):
        registry.register("payments", "stripe", lambda settings, context: None)


async def test_a_marketplace_plugin_must_answer_to_its_name(tmp_path: Path) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.register("marketplace", "ebay_de", lambda settings, context: _Kleinanzeigen())
    settings = load_settings({}, data_dir=str(tmp_path), supported_marketplaces=("ebay_de",))
    with pytest.raises(PluginError, match="marketplace plugin 'ebay_de' built an adapter with id"):
        await build_container(settings, registry=registry)


async def test_a_plugin_marketplace_draws_no_warning_and_a_typo_names_close_matches(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = AdapterRegistry()
    register_builtins(registry)
    registry.register("marketplace", "kleinanzeigen", lambda settings, context: _Kleinanzeigen())
    settings = load_settings(
        {},
        data_dir=str(tmp_path),
        supported_marketplaces=("ebay", "kleinanzeigen", "poshmrak", "kleinanzeige", "zzqx"),
    )
    with caplog.at_level(logging.WARNING):
        container = await build_container(settings, registry=registry)
    await container.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("'kleinanzeigen' is neither" in w for w in warnings)
    assert not any("'ebay'" in w for w in warnings)
    [typo] = [w for w in warnings if "'poshmrak'" in w]
    assert "did you mean 'poshmark'?" in typo
    [plugin_typo] = [w for w in warnings if "'kleinanzeige'" in w]
    assert "did you mean 'kleinanzeigen'?" in plugin_typo
    [unknown] = [w for w in warnings if "'zzqx'" in w]
    assert "did you mean" not in unknown and "generic rules" in unknown
