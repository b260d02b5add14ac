"""``reseller export`` and ``reseller import`` as processes, on SQLite and local storage.

Standard error is a pipe here, so the commands print plain lines, one per step.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from reseller_entrypoints.embedded import ResellerCore
from tests.transfers.seeding import seed_product

PASSWORD = "correct horse battery"


def _reseller(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESELLER_DATA_DIR": str(data_dir)}
    env.pop("RESELLER_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "reseller_entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_export_then_import_from_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    async with await ResellerCore.open(None, str(data_dir)) as core:
        for email in ("owner@example.com", "other@example.com"):
            await core.register(email, PASSWORD)
            await core.confirm_email(email)
        owner = await core.authenticate((await core.login("owner@example.com", PASSWORD)).token)
        deps = core.container.deps
        await seed_product(deps.uow, deps.storage, deps.ids, deps.clock.now(), owner.id, sku="S-1")

    archive = tmp_path / "catalog.zip"
    exported = _reseller(data_dir, "export", "--user", "owner@example.com", "-o", str(archive))
    assert exported.returncode == 0, exported.stderr
    assert "completed" in exported.stderr and f"to {archive}" in exported.stderr
    assert "\r" not in exported.stderr  # plain lines, no progress bar, off a terminal
    assert zipfile.ZipFile(archive).namelist()[:2] == ["Products.xlsx", "manifest.json"]

    imported = _reseller(data_dir, "import", "--user", "other@example.com", str(archive))
    assert imported.returncode == 0, imported.stderr
    assert "completed: 1 imported, 0 failed of 1" in imported.stderr

    refused = _reseller(data_dir, "import", "--user", "owner@example.com", str(tmp_path / "x"))
    assert refused.returncode == 1
    unknown = _reseller(data_dir, "export", "--user", "nobody@example.com", "-o", str(archive))
    assert unknown.returncode == 1 and "nobody@example.com" in unknown.stderr
