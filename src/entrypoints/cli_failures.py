"""One line per failure for the ``reseller`` command: what failed and what to do about it.

An operator reads these, not a developer: no traceback unless ``--debug`` asks for one.
The real cause of a wrapped error (``DependencyUnavailable`` around a refused connection)
is found by following ``__cause__``; URLs are shown without their passwords.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from reseller_core.errors import DependencyUnavailable, DomainError
from reseller_entrypoints.plugins import PluginError
from reseller_entrypoints.settings import Settings, SettingsError

EXTRAS: Final = {
    "asyncpg": "postgres",
    "aioboto3": "s3",
    "aiobotocore": "s3",
    "boto3": "s3",
    "botocore": "s3",
    "redis": "redis",
    "taskiq": "redis",
    "taskiq_redis": "redis",
    "aiosmtplib": "smtp",
}
"""Optional import → the extra of ``reseller-core`` that installs it."""


class OperatorError(Exception):
    """A failure whose message already says what to do; printed as it is."""


def redacted_url(url: str) -> str:
    """A URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings point at; None for PostgreSQL or an in-memory database."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path.startswith((":memory:", "file:")):
        return None
    return Path(path.split("?", 1)[0])


def refuse_new_database(settings: Settings, create: bool) -> None:
    """Stop an operator command that would create a SQLite file nobody asked for."""
    path = sqlite_file(settings)
    if path is None or path.exists() or create:
        return
    raise OperatorError(
        f"no database at {path} (from RESELLER_DATABASE_URL, or RESELLER_DATA_DIR="
        f"{settings.data_dir}); run this with the server's environment, or pass --create "
        "to create a new one"
    )


def _root_cause(error: BaseException) -> BaseException:
    seen = {id(error)}
    while error.__cause__ is not None and id(error.__cause__) not in seen:
        error = error.__cause__
        seen.add(id(error))
    return error


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def explain(error: BaseException, settings: Settings | None = None) -> str:
    """The one line an operator sees for ``error``."""
    if isinstance(error, OperatorError | SettingsError | PluginError):
        return str(error)
    missing = error if isinstance(error, ModuleNotFoundError) else _root_cause(error)
    if isinstance(missing, ModuleNotFoundError) and missing.name:
        package = missing.name.split(".", 1)[0]
        extra = EXTRAS.get(package)
        if extra is not None:
            return (
                f"the Python package {package!r} is not installed; install it with "
                f"pip install 'reseller-core[{extra}]'"
            )
        return f"the Python package {package!r} is not installed"
    if isinstance(error, DependencyUnavailable):
        cause = _root_cause(error)
        detail = _describe(cause) if cause is not error else error.detail
        if error.dependency == "database":
            where = redacted_url(settings.resolved_database_url) if settings else "the database"
            return (
                f"cannot use the database at {where}: {detail}; check that it is running "
                "and that RESELLER_DATABASE_URL points at it"
            )
        return f"{error.dependency} is unavailable: {detail}"
    if isinstance(error, DomainError):
        return f"{error.code}: {error.detail}"
    return _describe(error)
