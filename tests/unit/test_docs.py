"""The documentation matches the code: every setting is documented, every local link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from reseller_core.domain.plans import DailyCeilings
from reseller_core.services.config import CoreConfig, TransferLimits
from reseller_entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")

SET_IN_CODE = {"core", "daily_ceilings", "transfers"}
"""Fields that are structs, not variables (documented as such)."""


def _fields() -> list[str]:
    names = [f.name for f in msgspec.structs.fields(Settings)]
    names += [f.name for f in msgspec.structs.fields(CoreConfig)]
    names += [f.name for f in msgspec.structs.fields(TransferLimits)]
    names += [f"daily_{f.name}" for f in msgspec.structs.fields(DailyCeilings)]
    return [name for name in names if name not in SET_IN_CODE]


@pytest.mark.parametrize("name", _fields())
def test_every_setting_is_in_configuration_md(name: str) -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert f"RESELLER_{name.upper()}" in text


@pytest.mark.parametrize("page", DOCS, ids=lambda path: path.name)
def test_local_links_resolve(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
