"""Property: no JSON body, however hostile, makes any endpoint answer a 5xx, on either engine.

Hypothesis builds bodies for every endpoint that reads JSON: the keys each endpoint knows
(and some it does not), holding deep nesting, huge and tiny numbers, amounts past the
decimal range, NUL characters and unpaired surrogates, very long strings and values of the
wrong type. Each body goes through the HTTP app over its real adapters (SQLite, then the
session's PostgreSQL database); the answer must be below 500. A failure prints the endpoint
and body Hypothesis shrank it to. The example count stays CI-sized; raise
``RESELLER_HOSTILE_EXAMPLES`` to search longer.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.e2e.conftest import outbox_token
from tests.e2e.server import SECRET_KEY
from tests.services import ServiceUnavailable, postgres_database

EXAMPLES = int(os.environ.get("RESELLER_HOSTILE_EXAMPLES", "120"))
PASSWORD = "correct horse battery"

PRODUCT_KEYS = (
    "title",
    "brand",
    "category",
    "condition",
    "color",
    "size",
    "material",
    "sku",
    "notes",
    "price",
    "cost",
    "tags",
    "product_tab_id",
    "source",
    "status",
)
INTENT_KEYS = ("filename", "content_type", "byte_size", "checksum", "width", "height")
FINALIZE_KEYS = ("id", "checksum", "width", "height", "byte_size")
ACCOUNT_KEYS = (
    "email",
    "password",
    "password_confirmation",
    "device_name",
    "selected_marketplaces",
    "token",
    "user",
)


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\x00\u200b"),
    max_size=40,
)
SPECIAL = st.sampled_from(
    [
        2**31,
        2**63,
        -(2**63) - 1,
        10**20,
        -1,
        1e300,
        -1e300,
        5e-324,
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        "NaN",
        "a\x00b",
        "\x00",
        "\ud800",
        "a\udfffb",
        "ok@example.com\x00",
        "x" * 20_000,
        "9999-12-31",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        [],
        {},
    ]
)
"""Values that broke (or could break) a server: integer and decimal overflow, NUL and lone
surrogates, very long strings, edge dates, a well-formed id nobody owns."""
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUES = st.recursive(
    SCALARS | SPECIAL,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PRODUCT_KEYS + INTENT_KEYS), children, max_size=4)
    ),
    max_leaves=12,
)
DEEP = st.integers(min_value=14, max_value=40).map(lambda depth: _nested(depth, "deep"))
FIELD = st.one_of(SPECIAL, SPECIAL, SPECIAL, SCALARS, VALUES)
"""A field's value: most often one of the special values, else anything JSON holds."""


def _object(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, FIELD))


PRODUCT = _object(PRODUCT_KEYS)
INTENTS = st.lists(_object(INTENT_KEYS) | FIELD, min_size=1, max_size=3)
FINALIZE_ITEMS = st.lists(_object(FINALIZE_KEYS) | FIELD, min_size=1, max_size=3)

BODIES: dict[str, st.SearchStrategy[Any]] = {
    "POST /api/v1/auth/register": _object(ACCOUNT_KEYS),
    "POST /api/v1/auth/login": _object(ACCOUNT_KEYS),
    "POST /api/v1/auth/confirm": _object(ACCOUNT_KEYS),
    "PATCH /api/v1/me": _object(ACCOUNT_KEYS) | st.fixed_dictionaries({"user": VALUES}),
    "POST /api/v1/products": st.fixed_dictionaries(
        {}, optional={"product": PRODUCT | VALUES, "uploads": INTENTS | VALUES}
    ),
    "POST /api/v1/products/{id}/prepare_uploads": st.fixed_dictionaries(
        {"uploads": INTENTS | VALUES}
    ),
    "POST /api/v1/products/{id}/finalize_uploads": st.fixed_dictionaries(
        {"uploads": FINALIZE_ITEMS | VALUES}
    ),
}
"""Every endpoint that reads a JSON body, with the shape of body it expects."""

ANY_BODY = st.sampled_from(sorted(BODIES)).flatmap(
    lambda endpoint: st.tuples(
        st.just(endpoint),
        st.one_of(BODIES[endpoint], BODIES[endpoint], BODIES[endpoint], VALUES, DEEP),
    )
)


@pytest.fixture(scope="module")
def fx_module_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this module's own: the runs its finalizes leave queued must
    not reach the session database that worker tests sweep."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fx_hostile_client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient[Litestar], dict[str, str], str]]:
    """The app over real adapters, a confirmed seller's headers and one of their products."""
    if request.param == "sqlite":
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'properties.db'}"
    else:
        database_url = request.getfixturevalue("fx_module_postgres_url")
    app_settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        secret_key=SECRET_KEY,
        database_url=database_url,
        auth_rate_limit=1_000_000,
    )
    with TestClient(app=create_app(app_settings)) as client:
        email = f"props-{uuid.uuid4().hex[:12]}@example.com"
        registered = client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert registered.status_code == 200, registered.text
        token = outbox_token(app_settings.data_path, email)
        assert client.post("/api/v1/auth/confirm", json={"token": token}).status_code == 200
        auth = {"Authorization": f"Bearer {registered.json()['data']['token']}"}
        created = client.post(
            "/api/v1/products",
            headers=auth,
            json={"uploads": [{"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": 9}]},
        )
        assert created.status_code == 201, created.text
        yield client, auth, created.json()["data"]["product"]["id"]


def test_no_hostile_body_answers_5xx(
    fx_hostile_client: tuple[TestClient[Litestar], dict[str, str], str],
) -> None:
    client, auth, product_id = fx_hostile_client

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=ANY_BODY)
    def no_5xx(case: tuple[str, Any]) -> None:
        endpoint, body = case
        method, path = endpoint.split(" ", 1)
        content = json.dumps(body).encode()
        response = client.request(
            method,
            path.replace("{id}", product_id),
            content=content,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert response.status_code < 500, f"{endpoint} {content[:500]!r}: {response.text}"

    no_5xx()
