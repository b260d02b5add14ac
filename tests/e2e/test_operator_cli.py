"""The operator CLI as an operator meets it: subprocesses in a fresh directory.

No ``RESELLER_*`` variable is inherited from the test environment, so each test sees what a
new deployer sees. Failures must be one line that says what to do, without a traceback
unless ``--debug`` asks for one; operator commands must not create a database by accident.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from reseller_entrypoints.embedded import ResellerCore
from tests.services import MotoServer, free_port

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def fx_cli(tmp_path: Path) -> Run:
    """``reseller ARGS`` in ``tmp_path`` with a clean environment plus ``env``."""

    def run(*args: str, env: dict[str, str] | None = None, prelude: str = "") -> Any:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RESELLER_")}
        code = f"{prelude}import sys; from reseller_entrypoints.cli import main; sys.exit(main())"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            check=False,
            cwd=tmp_path,
            env={**clean, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_version_and_help_say_defaults_and_variables(fx_cli: Run) -> None:
    shown = fx_cli("--version")
    assert shown.returncode == 0
    assert shown.stdout.strip() == f"reseller {version('reseller-core')}"
    serve = " ".join(fx_cli("serve", "--help").stdout.split())
    assert "address to listen on (default: 127.0.0.1; env: RESELLER_HOST)" in serve
    assert "port to listen on (default: 8000; env: RESELLER_PORT)" in serve
    for command in (
        ["--help"],
        ["worker", "--help"],
        ["migrate", "--help"],
        ["users", "list", "--help"],
        ["users", "show", "--help"],
        ["users", "confirm", "--help"],
        ["users", "set-plan", "--help"],
        ["users", "add-credits", "--help"],
        ["storage", "init", "--help"],
        ["check", "--help"],
    ):
        result = fx_cli(*command)
        assert result.returncode == 0, command
        text = " ".join(result.stdout.split())
        assert "RESELLER_" in text, command
        for option in re.findall(r"^\s+(--[a-z-]+)", result.stdout, flags=re.MULTILINE):
            line = next(line for line in result.stdout.splitlines() if option in line)
            assert line.strip() != option, f"{option} of {command} has no description"


def test_operator_commands_refuse_to_create_a_database(fx_cli: Run, tmp_path: Path) -> None:
    for command in (["users", "list"], ["users", "confirm", "a@example.com"], ["migrate"]):
        result = fx_cli(*command)
        assert result.returncode == 1
        line = one_line(result)
        assert "no database at var/reseller.db" in line and "--create" in line
    assert not (tmp_path / "var" / "reseller.db").exists()
    check = fx_cli("check")
    assert check.returncode == 1
    assert "database: FAILED: no database at var/reseller.db" in check.stdout
    assert not (tmp_path / "var" / "reseller.db").exists()


def test_migrate_reports_what_it_did(fx_cli: Run) -> None:
    created = fx_cli("migrate", "--create")
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(
        r"created the database and its schema at revision \w+: sqlite\+aiosqlite:///var/reseller.db",
        created.stdout.strip(),
    )
    again = fx_cli("migrate")
    assert again.returncode == 0
    assert again.stdout.startswith("database already up to date at revision ")


def test_database_failures_are_one_line(fx_cli: Run) -> None:
    closed = {"RESELLER_DATABASE_URL": f"postgresql+asyncpg://app:pw@127.0.0.1:{free_port()}/x"}
    result = fx_cli("migrate", env=closed)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("reseller migrate: cannot use the database at postgresql+asyncpg://")
    assert "app:***@" in line and ":pw@" not in line
    assert "RESELLER_DATABASE_URL" in line
    debug = fx_cli("--debug", "migrate", env=closed)
    assert debug.returncode == 1 and "Traceback" in debug.stderr

    without = fx_cli("migrate", env=closed, prelude="import sys; sys.modules['asyncpg'] = None; ")
    assert without.returncode == 1
    assert "pip install 'reseller-core[postgres]'" in one_line(without)


def test_users_list_show_confirm(fx_cli: Run, tmp_path: Path) -> None:
    assert fx_cli("users", "list", "--create").returncode == 0

    async def sign_up() -> None:
        database = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'reseller.db'}"
        async with await ResellerCore.open(database, str(tmp_path / "var")) as core:
            await core.register("Seller@Example.com", "correct horse battery")

    asyncio.run(sign_up())
    listed = fx_cli("users", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "email\tconfirmed\tplan\tcreated"
    assert listed.stdout.splitlines()[1].startswith("seller@example.com\tunconfirmed\t")
    shown = fx_cli("users", "show", "seller@example.com")
    assert shown.returncode == 0
    assert "confirmed: no" in shown.stdout and "products: 0" in shown.stdout
    confirmed = fx_cli("users", "confirm", "seller@example.com")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.startswith("confirmed seller@example.com at ")
    assert "confirmed: 20" in fx_cli("users", "show", "seller@example.com").stdout
    missing = fx_cli("users", "show", "nobody@example.com")
    assert missing.returncode == 1
    assert "no user with e-mail nobody@example.com" in one_line(missing)


def test_users_set_plan_and_add_credits(fx_cli: Run, tmp_path: Path) -> None:
    assert fx_cli("users", "list", "--create").returncode == 0
    database = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'reseller.db'}"

    async def sign_up() -> None:
        async with await ResellerCore.open(database, str(tmp_path / "var")) as core:
            await core.register("seller@example.com", "correct horse battery")

    async def usage() -> tuple[dict[str, int], dict[str, int], str, str]:
        async with await ResellerCore.open(database, str(tmp_path / "var")) as core:
            user = await core.container.services.accounts.me(
                (await core.login("seller@example.com", "correct horse battery")).user.id
            )
            report = await core.usage(user)
            return report.limits, report.addon_credits, report.plan, report.limits_plan

    asyncio.run(sign_up())
    growth = fx_cli("users", "set-plan", "Seller@Example.com", "growth", "--period", "annual")
    assert growth.returncode == 0, growth.stderr
    assert growth.stdout.strip() == "seller@example.com: plan growth (active)"
    limits, credits, plan, limits_plan = asyncio.run(usage())
    assert (plan, limits_plan, limits["ai_drafts"], credits) == ("growth", "growth", 250, {})

    free = fx_cli("users", "set-plan", "seller@example.com", "free")
    assert free.stdout.strip() == "seller@example.com: plan free (free)"
    assert asyncio.run(usage())[0]["lifestyle"] == 0

    trial = fx_cli("users", "set-plan", "seller@example.com", "free", "--trial-days", "3")
    assert trial.returncode == 0, trial.stderr
    assert trial.stdout.startswith("seller@example.com: plan free (trialing), trial ends 20")
    assert asyncio.run(usage())[3] == "starter"

    for _ in range(2):
        added = fx_cli("users", "add-credits", "seller@example.com", "ai_drafts", "50")
        assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "seller@example.com: ai_drafts credits now 100 (+50)"
    assert asyncio.run(usage())[1] == {"ai_drafts": 100}
    assert "add-on credits: ai_drafts=100" in fx_cli("users", "show", "seller@example.com").stdout

    refused = fx_cli("users", "set-plan", "seller@example.com", "platinum")
    assert refused.returncode == 1
    assert "plan must be one of free, starter, growth, pro" in one_line(refused)
    bad = fx_cli("users", "add-credits", "seller@example.com", "teleports", "0")
    assert bad.returncode == 1
    line = one_line(bad)
    assert "operation must be one of ai_drafts" in line and "amount must be between 1" in line
    missing = fx_cli("users", "add-credits", "nobody@example.com", "ai_drafts", "1")
    assert "no user with e-mail nobody@example.com" in one_line(missing)
    assert asyncio.run(usage())[1] == {"ai_drafts": 100}


def test_check_names_each_dependency_and_fails_on_one(fx_cli: Run) -> None:
    assert fx_cli("migrate", "--create").returncode == 0
    healthy = fx_cli("check")
    assert healthy.returncode == 0, healthy.stdout
    for name in ("settings", "database", "storage (local)", "queue (inprocess)", "mailer (outbox)"):
        assert f"{name}: ok" in healthy.stdout
    mail_down = {
        "RESELLER_MAILER": "smtp",
        "RESELLER_SMTP_HOST": "127.0.0.1",
        "RESELLER_SMTP_PORT": str(free_port()),
        "RESELLER_SMTP_ATTEMPTS": "1",
    }
    failing = fx_cli("check", env=mail_down)
    assert failing.returncode == 1
    assert "mailer (smtp): FAILED: SMTPConnectError" in failing.stdout
    typo = fx_cli("check", env={"RESELLER_QUEUE": "taskiqq"})
    assert typo.returncode == 1
    assert "settings: FAILED: no queue adapter named 'taskiqq'" in typo.stdout


def test_storage_init_creates_the_bucket_and_checks_cors(fx_cli: Run, fx_moto: MotoServer) -> None:
    bucket = f"init-{os.getpid()}-{free_port()}"
    env = {
        **fx_moto.env(bucket),
        "RESELLER_ALLOWED_ORIGINS": "https://app.example.test",
    }
    first = fx_cli("storage", "init", env=env)
    assert f"bucket {bucket}: created" in first.stdout
    assert first.returncode == 1
    assert "--apply-cors" in first.stderr and "https://app.example.test" in first.stderr
    applied = fx_cli("storage", "init", "--apply-cors", env=env)
    assert applied.returncode == 0, applied.stderr
    again = fx_cli("storage", "init", env=env)
    assert again.returncode == 0
    assert f"bucket {bucket}: exists" in again.stdout
    assert "CORS: browser uploads allowed from https://app.example.test" in again.stdout
