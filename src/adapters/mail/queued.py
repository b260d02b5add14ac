"""Mail through the task queue: a request enqueues the message; a worker sends it.

A slow or unreachable mail server then delays nobody's request, and the queue's retries
(bounded re-delivery on the shared queue) apply to mail as to any job. The message rides
in the job's arguments, so a worker process needs no state from the server that took the
request. Only the job name and recipient are logged: the body carries single-use tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from reseller_core.ports.mailer import EmailMessage, Mailer
from reseller_core.ports.queue import Job, TaskQueue

log = logging.getLogger(__name__)

SEND_EMAIL_JOB: Final = "send_email"


class QueuedMailer:
    """``Mailer`` whose ``send`` enqueues; ``deliver`` is the job handler that sends."""

    def __init__(self, transport: Mailer, queue: TaskQueue) -> None:
        self.transport = transport
        self._queue = queue

    async def send(self, message: EmailMessage) -> None:
        args = {
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "tag": message.tag,
        }
        if message.html is not None:
            args["html"] = message.html
        await self._queue.enqueue(Job(SEND_EMAIL_JOB, args))
        log.info("mail to %s subject %r queued", message.to, message.subject)

    async def deliver(self, args: Mapping[str, str]) -> None:
        """Send one queued message; raising leaves the retry to the queue."""
        await self.transport.send(
            EmailMessage(
                to=args["to"],
                subject=args["subject"],
                text=args["text"],
                html=args.get("html"),
                tag=args.get("tag", "general"),
            )
        )

    async def check(self) -> None:
        """Readiness of the transport, when it can tell."""
        check = getattr(self.transport, "check", None)
        if check is not None:
            await check()


def route_through_queue(
    mailer: Mailer, queue: TaskQueue, job_handlers: dict[str, Callable[[Mapping[str, str]], Any]]
) -> Mailer:
    """``mailer`` wrapped in a ``QueuedMailer`` when it asks for it, its handler registered.

    Mailers that write locally (the outbox, test fakes) are returned as they are.
    """
    if getattr(mailer, "deliver_through_queue", False) is not True:
        return mailer
    queued = QueuedMailer(mailer, queue)
    job_handlers[SEND_EMAIL_JOB] = queued.deliver
    return queued
