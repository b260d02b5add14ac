"""Persistence adapters (the ``UnitOfWork`` port).

``reseller_adapters.persistence.sqlalchemy`` is the built-in one: SQLAlchemy 2 async Core on SQLite
(aiosqlite) for the embedded default and on PostgreSQL (asyncpg) in production. The
in-memory reference implementation lives in ``reseller_core.testing.memory_uow``.
"""
