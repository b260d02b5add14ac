"""Check a live response against the published OpenAPI document (a light schemathesis).

Used by the HTTP tests so that every status and body they see is also proven to be
documented: the document and the server cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft202012Validator


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method.lower()]
    return found


def assert_documented(
    document: dict[str, Any], method: str, path: str, response: httpx.Response
) -> None:
    """The response's status is documented for the operation and its JSON body validates."""
    responses = operation(document, method, path)["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path}: status {status} is not documented"
    schema = responses[status]["content"]["application/json"]["schema"]
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "allOf": [schema],
    }
    errors = sorted(
        Draft202012Validator(root).iter_errors(response.json()), key=lambda e: list(e.path)
    )
    assert not errors, f"{method} {path} {status}: " + "; ".join(
        f"{list(error.path)}: {error.message}" for error in errors[:5]
    )
