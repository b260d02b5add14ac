"""The garbage collector set-up of long-running processes (the server and the worker).

A process that imports Litestar, SQLAlchemy, Pillow and the adapters holds about 150,000
objects before it serves anything, and they live as long as it does. CPython's full
collections walk every tracked object, so each one paused the event loop for tens of
milliseconds: the tail of every latency figure. ``gc.freeze`` (Python 3.7+) moves the
objects alive at start-up into a permanent generation the collector skips; objects made
afterwards are collected as before. Garbage is collected first, so nothing unreachable is
frozen.
"""

from __future__ import annotations

import gc
from typing import Any


def freeze_startup_objects(*_: Any) -> None:
    """Collect, then freeze what is left (usable as an ``on_startup`` hook)."""
    gc.collect()
    gc.freeze()
