"""Lenient JSON-to-command parsers, one per endpoint with a body.

A parser never raises: it returns the command (typed values only) and the
:class:`~reseller_core.commands.InputProblems` it met, and the use case raises those at their
step of the contract's order of checks (spec 10 §1.2). Leniency is the contract's: unknown
keys are ignored, a single marketplace id stands for a list, tags may be one comma-separated
string, money may be a number or a numeric string. A value of the wrong JSON type becomes a
field message here; rules on well-typed values (lengths, ranges, catalogues) belong to the
use case, which applies them to commands from every source alike.
"""

from reseller_entrypoints.http.parsing.accounts import (
    parse_confirm,
    parse_login,
    parse_register,
    parse_update_me,
)
from reseller_entrypoints.http.parsing.products import (
    parse_create_product,
    parse_finalize_uploads,
    parse_prepare_uploads,
)
from reseller_entrypoints.http.parsing.values import Parsed

__all__ = [
    "Parsed",
    "parse_confirm",
    "parse_create_product",
    "parse_finalize_uploads",
    "parse_login",
    "parse_prepare_uploads",
    "parse_register",
    "parse_update_me",
]
