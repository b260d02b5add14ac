"""The operator commands of ``reseller``: migrate, users, rebuild-read-models, storage init,
check.

They print what they did on standard output and raise ``OperatorError`` (one line, said by
``cli.main``) when they cannot. None of them creates a SQLite database unless ``--create``
says so: run without the server's environment, they would otherwise start an empty one and
report that nobody exists.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from reseller_core.domain.users import User
from reseller_core.ports import ReadinessProbe
from reseller_entrypoints.cli_failures import (
    OperatorError,
    explain,
    redacted_url,
    refuse_new_database,
    sqlite_file,
)
from reseller_entrypoints.logging_setup import configure_logging
from reseller_entrypoints.settings import Settings, load_settings


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings)
    return settings


async def _database_at_head(settings: Settings) -> Any:
    """The database, after checking it is reachable and fully migrated."""
    from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
    from reseller_adapters.persistence.sqlalchemy.operator_queries import (
        head_revision,
        schema_revision,
    )

    database = SqlAlchemyDatabase(settings.resolved_database_url)
    try:
        current, head = await schema_revision(database), head_revision()
    except BaseException:
        await database.dispose()
        raise
    if current != head:
        await database.dispose()
        state = "has no schema" if current is None else f"is at revision {current}"
        raise OperatorError(
            f"the database {redacted_url(settings.resolved_database_url)} {state}, this "
            f"version needs {head}: run `reseller migrate`"
        )
    return database


# --- migrate ------------------------------------------------------------------------------


def migrate(args: argparse.Namespace) -> int:
    from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
    from reseller_adapters.persistence.sqlalchemy.operator_queries import (
        head_revision,
        schema_revision,
    )

    settings = _settings()
    refuse_new_database(settings, args.create)
    where = redacted_url(settings.resolved_database_url)

    async def run() -> tuple[str | None, str | None]:
        database = SqlAlchemyDatabase(settings.resolved_database_url)
        try:
            before = await schema_revision(database)
            await database.migrate()
            return before, await schema_revision(database)
        finally:
            await database.dispose()

    path = sqlite_file(settings)
    created_file = path is not None and not path.exists()
    before, after = asyncio.run(run())
    head = head_revision()
    if after != head:
        raise OperatorError(f"migrating {where} ended at revision {after}, expected {head}")
    if before == after:
        print(f"database already up to date at revision {after}: {where}")
    elif before is None:
        made = "created the database and its schema" if created_file else "created the schema"
        print(f"{made} at revision {after}: {where}")
    else:
        print(f"migrated {where} from revision {before} to {after}")
    return 0


# --- users --------------------------------------------------------------------------------


def _user_line(user: User) -> str:
    confirmed = f"{user.confirmed_at:%Y-%m-%dT%H:%M:%SZ}" if user.confirmed_at else "unconfirmed"
    return f"{user.email}\t{confirmed}\t{user.plan}/{user.plan_status}\t{user.created_at:%Y-%m-%d}"


def _with_database(
    args: argparse.Namespace, body: Callable[[Settings, Any], Awaitable[int]]
) -> int:
    settings = _settings()
    refuse_new_database(settings, getattr(args, "create", False))

    async def run() -> int:
        if getattr(args, "create", False):
            from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase

            fresh = SqlAlchemyDatabase(settings.resolved_database_url)
            try:
                await fresh.migrate()
            finally:
                await fresh.dispose()
        database = await _database_at_head(settings)
        try:
            return await body(settings, database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def users_list(args: argparse.Namespace) -> int:
    from reseller_adapters.persistence.sqlalchemy.operator_queries import list_users

    async def body(settings: Settings, database: Any) -> int:
        users = await list_users(database, limit=args.limit)
        if not users:
            print("no users yet", file=sys.stderr)
            return 0
        print("email\tconfirmed\tplan\tcreated")
        for user in users:
            print(_user_line(user))
        return 0

    return _with_database(args, body)


def users_show(args: argparse.Namespace) -> int:
    from reseller_adapters.persistence.sqlalchemy.operator_queries import count_products
    from reseller_core.domain.users import normalise_email

    async def body(settings: Settings, database: Any) -> int:
        async with database.read_unit_of_work() as uow:
            user = await uow.users.get_by_email(normalise_email(args.email))
        if user is None:
            raise OperatorError(
                f"no user with e-mail {args.email}: `reseller users list` lists them"
            )
        confirmed = f"{user.confirmed_at:%Y-%m-%dT%H:%M:%SZ}" if user.confirmed_at else "no"
        trial = f"{user.trial_ends_at:%Y-%m-%dT%H:%M:%SZ}" if user.trial_ends_at else "-"
        print(f"id: {user.id}")
        print(f"email: {user.email}")
        print(f"confirmed: {confirmed}")
        print(f"plan: {user.plan} ({user.plan_status}), trial ends {trial}")
        credits = ", ".join(f"{k}={v}" for k, v in sorted(user.addon_credits.items()))
        print(f"add-on credits: {credits or 'none'}")
        print(f"marketplaces: {', '.join(user.selected_marketplaces)}")
        print(f"products: {await count_products(database, user.id)}")
        print(f"created: {user.created_at:%Y-%m-%dT%H:%M:%SZ}")
        return 0

    return _with_database(args, body)


def users_confirm(args: argparse.Namespace) -> int:
    from reseller_core.errors import NotFound
    from reseller_entrypoints.bootstrap import build_container

    async def body(settings: Settings, database: Any) -> int:
        container = await build_container(settings)
        await container.start(run_worker=False, migrate=False)
        try:
            user = await container.services.accounts.confirm_email(args.email)
        except NotFound:
            raise OperatorError(
                f"no user with e-mail {args.email}: `reseller users list` lists them"
            ) from None
        finally:
            await container.close()
        print(f"confirmed {user.email} at {user.confirmed_at:%Y-%m-%dT%H:%M:%SZ}")
        return 0

    return _with_database(args, body)


def _plan_change(args: argparse.Namespace, change: Callable[[Any], Awaitable[User]]) -> User:
    """Run an operator plan change through the use case; its refusals become one line."""
    from reseller_core.errors import NotFound, ValidationFailed
    from reseller_entrypoints.bootstrap import build_container

    changed: list[User] = []

    async def body(settings: Settings, database: Any) -> int:
        container = await build_container(settings)
        await container.start(run_worker=False, migrate=False)
        try:
            changed.append(await change(container.services.plans))
        except NotFound:
            raise OperatorError(
                f"no user with e-mail {args.email}: `reseller users list` lists them"
            ) from None
        except ValidationFailed as error:
            reasons = "; ".join(
                f"{name.replace('_', '-')} {' and '.join(map(str, messages))}"
                for name, messages in error.fields.items()
            )
            raise OperatorError(reasons) from None
        finally:
            await container.close()
        return 0

    _with_database(args, body)
    return changed[0]


def users_set_plan(args: argparse.Namespace) -> int:
    user = _plan_change(
        args,
        lambda plans: plans.set_plan(
            args.email, args.plan, trial_days=args.trial_days, period=args.period
        ),
    )
    trial = f", trial ends {user.trial_ends_at:%Y-%m-%dT%H:%M:%SZ}" if args.trial_days else ""
    print(f"{user.email}: plan {user.plan} ({user.plan_status}){trial}")
    return 0


def users_add_credits(args: argparse.Namespace) -> int:
    user = _plan_change(
        args, lambda plans: plans.add_credits(args.email, args.operation, args.amount)
    )
    balance = user.addon_credits.get(args.operation, 0)
    print(f"{user.email}: {args.operation} credits now {balance} (+{args.amount})")
    return 0


def rebuild_read_models(args: argparse.Namespace) -> int:
    """Rebuild every product's stored document (after a change of ``public_base_url``)."""
    from reseller_entrypoints.bootstrap import build_container

    async def body(settings: Settings, database: Any) -> int:
        container = await build_container(settings)
        await container.start(run_worker=False, migrate=False)
        try:
            reads = container.services.reads
            if reads is None:
                raise OperatorError("this persistence adapter keeps no product read model")
            written = await reads.rebuild_all()
        finally:
            await container.close()
        print(f"rebuilt {written} product document(s)")
        return 0

    return _with_database(args, body)


# --- storage init -------------------------------------------------------------------------


def storage_init(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.storage == "local":
        root = settings.data_path / "storage"
        root.mkdir(parents=True, exist_ok=True)
        print(f"local storage ready at {root} (served by `reseller serve`; no CORS to set)")
        return 0
    if settings.storage != "s3":
        raise OperatorError(
            f"`reseller storage init` knows the built-in storages (local, s3), not "
            f"{settings.storage!r}; see the plugin's documentation"
        )
    from reseller_adapters.storage import s3_bucket
    from reseller_adapters.storage.s3 import S3ObjectStorage

    storage = S3ObjectStorage.from_settings(settings)
    if storage.missing_settings:
        raise OperatorError(
            f"S3 storage is not configured: set {', '.join(storage.missing_settings)}"
        )
    origins = tuple(origin for origin in settings.allowed_origins if origin)

    async def run() -> int:
        try:
            created = await s3_bucket.ensure_bucket(storage)
            print(f"bucket {storage.bucket}: {'created' if created else 'exists'}")
            if not origins:
                print("CORS: no browser origins allowed (RESELLER_ALLOWED_ORIGINS is empty)")
                return 0
            missing = await s3_bucket.origins_without_upload_cors(storage, origins)
            if missing and args.apply_cors:
                await s3_bucket.allow_browser_uploads(storage, origins)
                print(f"CORS: browser uploads allowed from {', '.join(origins)}")
                return 0
            if missing:
                print(
                    f"CORS: browser uploads from {', '.join(missing)} would be refused; "
                    "run `reseller storage init --apply-cors` to allow them",
                    file=sys.stderr,
                )
                return 1
            print(f"CORS: browser uploads allowed from {', '.join(origins)}")
            return 0
        finally:
            await storage.aclose()

    return asyncio.run(run())


# --- check --------------------------------------------------------------------------------


def check(args: argparse.Namespace) -> int:
    """Every dependency, one line each; exit 0 only when all are usable."""
    settings = _settings()
    results: list[tuple[str, str | None]] = []
    path = sqlite_file(settings)

    async def probe(name: str, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            await asyncio.wait_for(call(), timeout=args.timeout)
        except Exception as error:
            results.append((name, explain(error, settings)))
        else:
            results.append((name, None))

    async def run() -> None:
        from reseller_entrypoints.bootstrap import (
            build_container,
            check_adapter_names,
            default_registry,
        )

        registry = default_registry()
        await probe("settings", _async(lambda: check_adapter_names(settings, registry)))
        if results[-1][1] is not None:
            return
        if path is not None and not path.exists():
            results.append(("database", f"no database at {path}; run `reseller migrate --create`"))
            return
        database = None

        async def database_ready() -> None:
            nonlocal database
            database = await _database_at_head(settings)

        await probe("database", database_ready)
        if database is not None:
            await database.dispose()
        container = await build_container(settings, registry=registry)
        adapters: list[tuple[str, str, object]] = [
            ("storage", settings.storage, container.deps.storage),
            ("queue", settings.queue, container.queue),
            ("rate limiter", settings.rate_limiter, container.deps.rate_limiter),
            ("mailer", settings.mailer, container.deps.mailer),
            ("ai provider", settings.ai_provider, container.deps.ai),
            ("image editor", settings.image_editor, container.deps.image_editor),
            ("search provider", settings.search_provider, container.deps.search),
        ]
        try:
            for kind, name, adapter in adapters:
                if isinstance(adapter, ReadinessProbe):
                    await probe(f"{kind} ({name})", adapter.check)
                else:
                    results.append((f"{kind} ({name})", None))
        finally:
            await container.close()

    asyncio.run(run())
    for name, failure in results:
        print(f"{name}: {'ok' if failure is None else 'FAILED: ' + failure}")
    return 0 if all(failure is None for _, failure in results) else 1


def _async(call: Callable[[], object]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        call()

    return run
