"""The API's operations as read from the live route table, for discovery and OpenAPI.

Each API handler carries an ``OperationDoc`` in its ``opt`` (what the contract documents:
auth, write gate, metering, body, query parameters, error statuses). Discovery and the
OpenAPI post-processor both walk the routes through :func:`api_operations`, so the two can
never disagree with each other or with the routes actually served.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

API_PREFIX: Final = "/api/v1"
DOC_KEY: Final = "api_doc"
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True, slots=True)
class QueryParamDoc:
    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True, slots=True)
class BodyDoc:
    """A JSON object body: the command it is read into, and one example.

    The schema is generated from ``command`` (its fields, their types, descriptions and
    which are required), so the document and the parser read the same definition; unknown
    keys are ignored, so the object stays open.
    """

    description: str
    example: Mapping[str, Any]
    command: type[msgspec.Struct]
    from_path: tuple[str, ...] = ()
    """Command fields filled from the path (``product_id``), not part of the body."""
    nested_under: str | None = None
    """A key under which the same fields may also be sent (``PATCH /me``: ``user``)."""
    required: bool = True
    """Whether a body must be sent at all (an empty body reads as ``{}``)."""
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Top-level properties whose schema says more than the command's type can: what the
    lenient parser also accepts (a single string for a list, a value it ignores), or the
    values a rule admits (known marketplace ids)."""


@dataclass(frozen=True, slots=True)
class LinkDoc:
    """An OpenAPI link from a success response to an operation taking the returned id."""

    name: str
    operation_id: str
    parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OperationDoc:
    """What an operation can answer besides its success, per the contract.

    ``protected`` adds bearer security and 401; ``write_gated`` 403; ``metered`` 402;
    ``body`` a request body and 400/413; path parameters add 404; ``validates`` and
    ``state_errors`` 422;
    ``rate_limited`` 429; ``storage`` 502; ``database`` 503; ``conflict`` 409. A ``POST``
    that is ``metered`` or ``idempotent`` takes an ``Idempotency-Key`` header (409, 422).
    """

    protected: bool = False
    write_gated: bool = False
    metered: bool = False
    body: BodyDoc | None = None
    validates: bool = False
    """422 ``validation_failed`` (with ``fields``)."""
    state_errors: bool = False
    """422 ``invalid_product_state`` / ``invalid_uploads`` (no ``fields``)."""
    rate_limited: bool = False
    storage: bool = False
    database: bool = True
    conflict: bool = False
    unauthorized: bool = False
    """Public operations that still answer 401 (login with wrong credentials)."""
    query: tuple[QueryParamDoc, ...] = ()
    extra_success: tuple[int, ...] = ()
    """Further success statuses with the same body (resend: 200 as well as 202)."""
    free_form_success: bool = False
    """The success body is not an envelope (the OpenAPI document itself)."""
    links: tuple[LinkDoc, ...] = ()
    idempotent: bool = False
    """Honour ``Idempotency-Key`` on a POST that is not metered (metered POSTs always do)."""


def api_doc(doc: OperationDoc) -> dict[str, Any]:
    """The ``opt`` mapping that attaches ``doc`` to a route handler."""
    return {DOC_KEY: doc}


@dataclass(frozen=True, slots=True)
class ApiOperation:
    method: str
    path: str
    """OpenAPI template: ``/api/v1/products/{id}``."""
    handler: HTTPRouteHandler
    doc: OperationDoc

    @property
    def discovery_path(self) -> str:
        """The discovery form of the path: ``/api/v1/products/:id``."""
        return _PARAM.sub(lambda match: f":{match.group(1)}", self.path)

    @property
    def path_params(self) -> list[str]:
        return [match.group(1) for match in _PARAM.finditer(self.path)]


def _declaration_key(handler: HTTPRouteHandler, owners: Sequence[type]) -> tuple[int, int]:
    """(controller's position in ``owners``, handler's source line).

    Litestar turns controllers into routers and orders their handlers by identity, so the
    declaring controller is recovered from the bound handler method.
    """
    fn = handler.fn
    controller = type(bound) if (bound := getattr(fn, "__self__", None)) is not None else None
    rank = owners.index(controller) if controller in owners else len(owners)
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    return rank, code.co_firstlineno if code is not None else 0


def api_operations(app: Litestar, owners: Sequence[type]) -> list[ApiOperation]:
    """Every documented ``/api/v1`` operation, de-duplicated, in declaration order."""
    found: dict[tuple[str, str], ApiOperation] = {}
    keys: dict[tuple[str, str], tuple[int, int]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(API_PREFIX):
            continue
        for handler in route.route_handlers:
            doc = handler.opt.get(DOC_KEY)
            if not isinstance(doc, OperationDoc) or not handler.resolve_include_in_schema():
                continue
            for method in sorted(handler.http_methods):
                key = (method, route.path_format)
                if key in found:
                    continue
                found[key] = ApiOperation(
                    method=method, path=route.path_format, handler=handler, doc=doc
                )
                keys[key] = _declaration_key(handler, owners)
    return [found[key] for key in sorted(found, key=lambda k: keys[k])]
