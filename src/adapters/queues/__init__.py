"""Task queues (the ``TaskQueue`` port)."""

from reseller_adapters.queues.inprocess import InProcessTaskQueue

__all__ = ["InProcessTaskQueue"]
