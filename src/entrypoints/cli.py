"""The ``reseller`` command: serve, worker, and the operator commands.

Every failure is one line on standard error that says what to do (``--debug`` adds the
traceback); the operator commands themselves live in ``operator_commands``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from reseller_entrypoints.cli_failures import explain
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
        "reseller_entrypoints.http.app:create_served_app",
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


def _worker(args: argparse.Namespace) -> int:
    from reseller_entrypoints.worker import run_worker

    settings = load_settings()
    configure_logging(settings)
    return run_worker(settings)


def _described(text: str, *, default: object = None, env: str | None = None) -> str:
    """Help text with the default and the matching environment variable, when there are."""
    notes = []
    if default is not None:
        notes.append(f"default: {default}")
    if env is not None:
        notes.append(f"env: {env}")
    return f"{text} ({'; '.join(notes)})" if notes else text


SETTINGS_EPILOG = (
    "Settings come from RESELLER_* environment variables (docs/configuration.md): "
    "RESELLER_DATA_DIR (default ./var), RESELLER_DATABASE_URL (default SQLite in the data "
    "directory), RESELLER_STORAGE, RESELLER_QUEUE, RESELLER_MAILER, RESELLER_LOG_LEVEL, "
    "RESELLER_LOG_FORMAT and the rest."
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reseller-core")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    from reseller_entrypoints import operator_commands as ops

    parser = argparse.ArgumentParser(
        prog="reseller",
        description="ResellerIO server, worker and operator commands.",
        epilog=SETTINGS_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"reseller {_version()}")
    parser.add_argument(
        "--debug", action="store_true", help="print the full traceback when a command fails"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=f"{summary}. {description}",
            epilog=SETTINGS_EPILOG,
        )
        sub.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the full traceback when the command fails",
        )
        return sub

    serve = command(
        "serve",
        "Run the HTTP API",
        "With the in-process queue (RESELLER_QUEUE=inprocess) it also runs the jobs; with "
        "taskiq it only enqueues them for `reseller worker`.",
    )
    serve.add_argument(
        "--host",
        default=os.environ.get("RESELLER_HOST", "127.0.0.1"),
        help=_described("address to listen on", default="127.0.0.1", env="RESELLER_HOST"),
    )
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("RESELLER_PORT", "8000")),
        help=_described("port to listen on", default=8000, env="RESELLER_PORT"),
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help=_described(
            "server processes; above 1 needs PostgreSQL and RESELLER_QUEUE=taskiq", default=1
        ),
    )
    serve.set_defaults(handler=_serve)
    worker = command(
        "worker",
        "Run a queue worker process",
        "Consumes the shared queue (RESELLER_QUEUE=taskiq, RESELLER_REDIS_URL) with "
        "RESELLER_WORKER_CONCURRENCY jobs at a time and runs the sweeper; SIGTERM stops it "
        "after RESELLER_WORKER_SHUTDOWN_GRACE_S.",
    )
    worker.set_defaults(handler=_worker)
    migrate = command(
        "migrate",
        "Apply database migrations",
        "Brings RESELLER_DATABASE_URL (default: SQLite under RESELLER_DATA_DIR) to this "
        "version's schema and says what it did.",
    )
    migrate.add_argument(
        "--create",
        action="store_true",
        help="create the SQLite database file when it does not exist yet (default: refuse)",
    )
    migrate.set_defaults(handler=ops.migrate)
    rebuild = command(
        "rebuild-read-models",
        "Rebuild every product's stored document",
        "Product reads answer from one stored JSON document per product; reads rebuild a "
        "stale one anyway, this does them all at once (after changing "
        "RESELLER_PUBLIC_BASE_URL, for example).",
    )
    rebuild.set_defaults(handler=ops.rebuild_read_models)

    users = command(
        "users",
        "Operator actions on users",
        "List, show and confirm accounts; set plans and grant add-on credits.",
    )
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    def user_command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = user_commands.add_parser(
            name, help=summary, description=f"{summary}.", epilog=SETTINGS_EPILOG
        )
        sub.add_argument(
            "--create",
            action="store_true",
            help="create (and migrate) the SQLite database when missing (default: refuse)",
        )
        return sub

    listing = user_command("list", "List users, newest first")
    listing.add_argument(
        "--limit", type=int, default=100, help=_described("how many to list", default=100)
    )
    listing.set_defaults(handler=ops.users_list)
    show = user_command("show", "Show one user: confirmation, plan, trial, product count")
    show.add_argument("email", help="the user's e-mail address")
    show.set_defaults(handler=ops.users_show)
    confirm = user_command("confirm", "Confirm a user's e-mail address without the link")
    confirm.add_argument("email", help="the user's e-mail address")
    confirm.set_defaults(handler=ops.users_confirm)
    set_plan = user_command("set-plan", "Put a user on a plan (there is no billing provider)")
    set_plan.add_argument("email", help="the user's e-mail address")
    set_plan.add_argument("plan", help="free, starter, growth or pro")
    set_plan.add_argument(
        "--trial-days",
        type=int,
        default=None,
        help="start a trial ending this many days from now (the trial plan's limits apply)",
    )
    set_plan.add_argument(
        "--period", default=None, help="monthly or annual (shown to the user; paid plans only)"
    )
    set_plan.set_defaults(handler=ops.users_set_plan)
    credits = user_command(
        "add-credits", "Grant add-on credits, used once a bucket's monthly allowance is used up"
    )
    credits.add_argument("email", help="the user's e-mail address")
    credits.add_argument(
        "operation",
        help="the usage bucket: ai_drafts, background_removals, lifestyle, price_research, videos",
    )
    credits.add_argument("amount", type=int, help="how many credits to add")
    credits.set_defaults(handler=ops.users_add_credits)

    storage = command("storage", "Object storage set-up", "Prepare the storage the server uses.")
    storage_commands = storage.add_subparsers(
        dest="storage_command", required=True, metavar="ACTION"
    )
    init = storage_commands.add_parser(
        "init",
        help="create the bucket and check CORS for browser uploads",
        description=(
            "Create the bucket (RESELLER_STORAGE=s3: RESELLER_S3_BUCKET, "
            "RESELLER_S3_ENDPOINT_URL, ...) or the local storage directory, and check that "
            "browsers at RESELLER_ALLOWED_ORIGINS may upload to it. Exit code 1 when they "
            "may not."
        ),
        epilog=SETTINGS_EPILOG,
    )
    init.add_argument(
        "--apply-cors",
        action="store_true",
        help="set the bucket's CORS rules to allow PUT from RESELLER_ALLOWED_ORIGINS",
    )
    init.set_defaults(handler=ops.storage_init)

    check = command(
        "check",
        "Check settings and every dependency",
        "Settings, the database (reachable and migrated), storage, queue, rate limiter, "
        "mailer and AI provider, one line each. Exit code 0 when all are usable, 1 otherwise.",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help=_described("seconds each probe may take", default=5.0),
    )
    check.set_defaults(handler=ops.check)
    from reseller_entrypoints.doctor import add_command as add_doctor
    from reseller_entrypoints.transfer_commands import add_commands as add_transfers

    add_doctor(commands, command)
    add_transfers(command)
    return parser


def _check_adapters(settings: Settings, *, wire: bool = False) -> None:
    """Fail before serving (in uvicorn's children, an error would be a traceback per process).

    With ``wire`` the adapters are also built once and each checked against its port (a
    plugin returning the wrong kind of object), then closed again without being started.
    """
    from reseller_entrypoints.bootstrap import check_adapter_names, default_registry

    check_adapter_names(settings, default_registry())
    if wire:
        asyncio.run(_wire(settings))


async def _wire(settings: Settings) -> None:
    from reseller_entrypoints.bootstrap import build_container

    container = await build_container(settings)
    await container.close()


def _settings_or_none() -> Settings | None:
    try:
        return load_settings()
    except SettingsError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("serve", "worker"):
            _check_adapters(load_settings(), wire=args.command == "serve")
        result: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        print(f"reseller {args.command}: {explain(error, _settings_or_none())}", file=sys.stderr)
        return 2 if isinstance(error, SettingsError | PluginError) else 1
    return result


if __name__ == "__main__":
    sys.exit(main())
