"""Database exceptions → domain errors, applied around every statement and commit.

Integrity violations (a taken e-mail, a duplicate SKU or token hash) become ``Conflict``;
so does a transaction PostgreSQL rolled back because it lost to a concurrent one (a
deadlock, a serialization failure): it can succeed when tried again, which is what
``Conflict`` tells the caller (HTTP 409; finalize and reprocess retry it themselves). An
unreachable, locked or failing database becomes ``DependencyUnavailable("database")``
(HTTP 503). Anything else (a programming error) propagates untouched, so bugs stay loud.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from reseller_core.errors import Conflict, DependencyUnavailable

DATABASE = "database"

_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database is busy",
    "unable to open database file",
    "disk i/o error",
    "database disk image is malformed",
    "no such table",
    "database or disk is full",
    "out of memory",
    "attempt to write a readonly database",
)
"""SQLite reports both outages and SQL mistakes as OperationalError; these are outages
(``no such table``: the schema was never migrated, the server is not ready; a full disk
(SQLITE_FULL), exhausted memory or a file system remounted read-only: resources, not the
request, failed)."""


_CONNECTION_ERRORS = frozenset(
    {
        "PostgresConnectionError",
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
    }
)


_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "28", "3D", "53", "57P")
"""PostgreSQL SQLSTATE classes that mean the server cannot serve us right now, not that the
statement is wrong: connection exceptions (08), rejected authorisation (28), the database
does not exist (3D000, e.g. dropped under us), insufficient resources (53) and operator
intervention such as a shutdown or a terminated backend (57P)."""


_ROLLED_BACK_SQLSTATE_PREFIX = "40"
"""PostgreSQL's "transaction rollback" class: serialization_failure (40001) and
deadlock_detected (40P01) among them. The transaction lost a race and was undone whole."""


def _sqlstate(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else None


def _mro_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def is_unavailable_cause(error: BaseException) -> bool:
    """True when a driver's own exception means the database cannot serve us right now.

    For errors raised by a driver called directly (the PostgreSQL lookup runner) and for
    the driver error behind a SQLAlchemy one.
    """
    # asyncpg is an optional dependency: recognise its connection errors by class name.
    if isinstance(error, OSError | TimeoutError) or _CONNECTION_ERRORS & _mro_names(error):
        return True
    state = _sqlstate(error)
    return state is not None and state.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)


def lost_a_race(error: BaseException) -> bool:
    """True when the database rolled the transaction back in favour of a concurrent one."""
    orig = error.orig if isinstance(error, sa_exc.DBAPIError) else None
    for cause in (orig, orig.__cause__ if orig is not None else None):
        state = _sqlstate(cause) if cause is not None else None
        if state is not None and state.startswith(_ROLLED_BACK_SQLSTATE_PREFIX):
            return True
    return False


def is_unavailable(error: BaseException, dialect: str) -> bool:
    """True when ``error`` means the database cannot serve requests right now."""
    if isinstance(error, OSError | TimeoutError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    for cause in (orig, orig.__cause__ if orig is not None else None):
        if cause is not None and is_unavailable_cause(cause):
            return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        if dialect != "sqlite":
            return True
        message = str(orig).lower()
        return any(marker in message for marker in _SQLITE_UNAVAILABLE)
    return False


@contextmanager
def translated_errors(dialect: str, conflict_detail: str | None = None) -> Iterator[None]:
    """Re-raise database errors as the domain errors the use cases understand."""
    try:
        yield
    except sa_exc.IntegrityError as error:
        raise Conflict(conflict_detail) from error
    except (sa_exc.DBAPIError, OSError, TimeoutError) as error:
        if lost_a_race(error):
            raise Conflict() from error
        if is_unavailable(error, dialect):
            raise DependencyUnavailable(DATABASE) from error
        raise
