"""What the repositories need from a unit of work: run a statement in its transaction.

The repositories depend on this protocol, not on ``SqlAlchemyUnitOfWork``, so the unit of
work can import them without a cycle (an import-linter contract keeps it that way).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Result
from sqlalchemy.sql.expression import Executable


class StatementExecutor(Protocol):
    """Runs Core statements in one transaction, translating driver errors."""

    dialect: str
    """The SQLAlchemy dialect name (``sqlite``, ``postgresql``): some statements differ."""
    users_locked: set[str]
    """Users whose row this transaction has locked (``lock_user``); emptied when it ends."""

    async def execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        """Run ``statement``; a unique violation becomes ``Conflict(conflict)`` if given."""
        ...
