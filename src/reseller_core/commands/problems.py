"""What an edge could not read from a request, carried to the use case beside the command."""

from __future__ import annotations

from typing import Final

import msgspec

from reseller_core.errors import FieldErrors, InvalidRequest


class InputProblems(msgspec.Struct, frozen=True, kw_only=True):
    """Input that did not fit the command's types, with the contract's messages.

    ``invalid_request`` is the detail of a ``400 invalid_request`` (the body is not an object,
    or a required top-level key is missing or of the wrong type). ``fields`` holds messages
    for values of the wrong JSON type, keyed like ``ValidationFailed.fields``; the command
    carries a neutral value in their place, and the use case skips its own rules for them.
    Neither is raised by the edge: the use case raises them at their step of spec 10 §1.2
    (after the rate limit and the write gate, 404 before field errors).
    """

    invalid_request: str | None = None
    fields: FieldErrors = msgspec.field(default_factory=dict)

    def raise_invalid_request(self) -> None:
        """Step 4 of the order of checks: 400 when the body could not be read at all."""
        if self.invalid_request is not None:
            raise InvalidRequest(self.invalid_request)


NO_PROBLEMS: Final = InputProblems()
"""A command built from typed values (the embedding API, tests) has nothing unread."""
