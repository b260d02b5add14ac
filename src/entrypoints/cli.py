"""The ``reseller`` command: serve, worker, migrate, users confirm."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from reseller_entrypoints.logging_setup import configure_logging
from reseller_entrypoints.plugins import PluginError
from reseller_entrypoints.settings import Settings, SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    log_config = configure_logging(settings)
    if args.workers > 1 and settings.queue == "inprocess":
        print(
            "reseller serve: --workers > 1 needs a shared queue (RESELLER_QUEUE=taskiq) "
            "and a shared database; the in-process queue runs inside one process.",
            file=sys.stderr,
        )
        return 2
    if args.workers > 1 and "sqlite" in settings.resolved_database_url:
        print(
            "reseller serve: --workers > 1 needs PostgreSQL (RESELLER_DATABASE_URL).",
            file=sys.stderr,
        )
        return 2
    if args.workers > 1 and settings.rate_limiter == "memory":
        print(
            "reseller serve: warning: with --workers > 1 the memory rate limiter counts per "
            "process; set RESELLER_RATE_LIMITER=redis for deployment-wide limits.",
            file=sys.stderr,
        )
    if not os.environ.get("RESELLER_PUBLIC_BASE_URL"):
        os.environ["RESELLER_PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"
    from reseller_entrypoints.http.server_options import server_protocols

    protocols = server_protocols()
    logging.getLogger(__name__).info(
        "serving on the %s event loop with the %s HTTP parser", protocols.loop, protocols.http
    )
    uvicorn.run(
        "reseller_entrypoints.http.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        log_config=log_config,
        proxy_headers=False,
        loop=protocols.loop,
        http=protocols.http,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase

    settings = load_settings()
    configure_logging(settings)

    async def run() -> None:
        database = SqlAlchemyDatabase(settings.resolved_database_url)
        try:
            await database.migrate()
        finally:
            await database.dispose()

    settings.data_path.mkdir(parents=True, exist_ok=True)
    asyncio.run(run())
    print(f"database is up to date: {_redacted(settings.resolved_database_url)}")
    return 0


def _redacted(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url


def _users_confirm(args: argparse.Namespace) -> int:
    from reseller_core.errors import NotFound
    from reseller_entrypoints.bootstrap import build_container

    settings = load_settings()
    configure_logging(settings)

    async def run() -> int:
        container = await build_container(settings)
        await container.start(run_worker=False)
        try:
            user = await container.services.accounts.confirm_email(args.email)
        except NotFound:
            print(f"no user with e-mail {args.email}", file=sys.stderr)
            return 1
        finally:
            await container.close()
        print(f"confirmed {user.email} at {user.confirmed_at:%Y-%m-%dT%H:%M:%SZ}")
        return 0

    return asyncio.run(run())


def _worker(args: argparse.Namespace) -> int:
    from reseller_entrypoints.worker import run_worker

    settings = load_settings()
    configure_logging(settings)
    return run_worker(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reseller", description="ResellerIO server, worker and operator commands."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API (and the in-process worker)")
    serve.add_argument("--host", default=os.environ.get("RESELLER_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("RESELLER_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    serve.set_defaults(handler=_serve)
    worker = commands.add_parser("worker", help="run a queue worker process")
    worker.set_defaults(handler=_worker)
    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=_migrate)
    users = commands.add_parser("users", help="operator actions on users")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    confirm = user_commands.add_parser("confirm", help="confirm a user's e-mail address")
    confirm.add_argument("email")
    confirm.set_defaults(handler=_users_confirm)
    return parser


def _check_adapters(settings: Settings) -> None:
    """Fail before serving (in uvicorn's children, an error would be a traceback per process)."""
    from reseller_entrypoints.bootstrap import check_adapter_names, default_registry

    check_adapter_names(settings, default_registry())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("serve", "worker"):
            _check_adapters(load_settings())
        result: int = args.handler(args)
    except (SettingsError, PluginError) as error:
        print(f"reseller {args.command}: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
