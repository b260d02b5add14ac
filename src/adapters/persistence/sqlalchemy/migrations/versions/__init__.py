"""Alembic revisions, oldest first (``0001_...``); each file is one schema step."""
