"""Task queues (the ``TaskQueue`` port)."""

from adapters.queues.inprocess import InProcessTaskQueue

__all__ = ["InProcessTaskQueue"]
