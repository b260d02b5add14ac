"""Every error the API can produce leaves as the contract's envelope (spec 60 §3-6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.errors import StorageUnavailable, UploadSigningFailed
from reseller_core.ports import UsageEvent
from reseller_entrypoints.bootstrap import Container
from tests.integration.conftest import PASSWORD, Account, Fakes

Client = AsyncTestClient[Litestar]

UNAUTHORIZED = {
    "error": {"code": "unauthorized", "detail": "Missing or invalid bearer token", "status": 401}
}
UNKNOWN_ULID = "01KDVDNA00000000000000ZZZZ"
INTENT = {"filename": "shoe.jpg", "content_type": "image/jpeg", "byte_size": 1234}


async def create_product(client: Client, account: Account, **body: object) -> dict[str, object]:
    response = await client.post("/api/v1/products", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    product: dict[str, object] = response.json()["data"]["product"]
    return product


# --- 401 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("PATCH", "/api/v1/me"),
        ("GET", "/api/v1/products"),
        ("POST", "/api/v1/products"),
        ("GET", f"/api/v1/products/{UNKNOWN_ULID}"),
        ("POST", f"/api/v1/products/{UNKNOWN_ULID}/prepare_uploads"),
        ("POST", f"/api/v1/products/{UNKNOWN_ULID}/finalize_uploads"),
        ("POST", f"/api/v1/products/{UNKNOWN_ULID}/reprocess"),
        ("POST", "/api/v1/auth/resend_confirmation"),
        ("DELETE", "/api/v1/auth/token"),
    ],
)
async def test_protected_routes_answer_the_exact_401_envelope(
    fx_client: Client, method: str, path: str
) -> None:
    response = await fx_client.request(method, path, content=b"{not json")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "authorization",
    ["Token abc", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz", "Bearer not-a-live-token", ""],
)
async def test_invalid_authorization_headers_are_one_indistinguishable_401(
    fx_client: Client, authorization: str
) -> None:
    response = await fx_client.get("/api/v1/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


async def test_lower_case_scheme_is_accepted_and_stamps_last_use(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    fx_fakes.clock.advance(minutes=5)
    response = await fx_client.get(
        "/api/v1/me", headers={"authorization": f"bearer {fx_account.token}"}
    )
    assert response.status_code == 200
    rows = fx_fakes.database.db.snapshot().tokens.values()
    used = [row.token.last_used_at for row in rows if row.token.user_id == fx_account.user_id]
    assert fx_fakes.clock.now() in used


async def test_expired_token_answers_the_exact_401_body(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    """Penetration case P5."""
    fx_fakes.clock.advance(timedelta(days=366))
    response = await fx_client.get("/api/v1/me", headers=fx_account.headers)
    assert response.status_code == 401
    assert response.content == (
        b'{"error":{"code":"unauthorized","detail":"Missing or invalid bearer token","status":401}}'
    )


async def test_wrong_credentials_on_login_are_401(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.post(
        "/api/v1/auth/login", json={"email": fx_account.email, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "detail": "Invalid email or password",
        "status": 401,
    }


# --- 400 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/register", b"{not json"),
        ("/api/v1/auth/register", b"[1, 2]"),
        ("/api/v1/auth/login", b"\xff\xfe"),
        ("/api/v1/auth/login", b'"a string"'),
        ("/api/v1/auth/login", b"{}"),
        ("/api/v1/auth/confirm", b"[]"),
    ],
)
async def test_public_bodies_that_are_not_objects_are_400(
    fx_client: Client, path: str, body: bytes
) -> None:
    response = await fx_client.post(
        path, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["status"] == 400
    assert isinstance(error["detail"], str)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"[{}]", b"42", b'"text"', b"\n", b" \t "])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products",
        "/api/v1/products/{id}/prepare_uploads",
        "/api/v1/products/{id}/finalize_uploads",
    ],
)
async def test_protected_bodies_that_are_not_objects_are_400(
    fx_client: Client, fx_account: Account, path: str, body: bytes
) -> None:
    product = await create_product(fx_client, fx_account)
    response = await fx_client.post(
        path.format(id=product["id"]), content=body, headers=fx_account.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"


async def test_a_body_of_no_bytes_creates_a_draft(fx_client: Client, fx_account: Account) -> None:
    """Only a body of no bytes reads as ``{}``; whitespace alone is malformed (above)."""
    response = await fx_client.post("/api/v1/products", content=b"", headers=fx_account.headers)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["product"]["status"] == "draft"


async def test_patch_me_with_an_array_body_is_400(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.patch("/api/v1/me", content=b"[]", headers=fx_account.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_product_field_that_is_not_an_object_is_400(
    fx_client: Client, fx_account: Account
) -> None:
    response = await fx_client.post(
        "/api/v1/products", json={"product": ["title"]}, headers=fx_account.headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


# --- 403 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products",
        f"/api/v1/products/{UNKNOWN_ULID}/prepare_uploads",
        f"/api/v1/products/{UNKNOWN_ULID}/finalize_uploads",
        f"/api/v1/products/{UNKNOWN_ULID}/reprocess",
    ],
)
async def test_write_gate_comes_before_body_and_lookup_errors(
    fx_client: Client, fx_unconfirmed: Account, path: str
) -> None:
    """403 wins over a malformed body (400) and an unknown product (404): spec 10 §1.2."""
    response = await fx_client.post(path, content=b"{not json", headers=fx_unconfirmed.headers)
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "email_not_confirmed",
            "detail": "Confirm your email address to use this action",
            "status": 403,
        }
    }


async def test_reads_are_not_write_gated(fx_client: Client, fx_unconfirmed: Account) -> None:
    assert (await fx_client.get("/api/v1/me", headers=fx_unconfirmed.headers)).status_code == 200
    listed = await fx_client.get("/api/v1/products", headers=fx_unconfirmed.headers)
    assert listed.status_code == 200


# --- 404 --------------------------------------------------------------------------------

NOT_FOUND_PRODUCT = {"error": {"code": "not_found", "detail": "Product not found", "status": 404}}


@pytest.mark.parametrize(
    "product_id",
    ["abc", "123", UNKNOWN_ULID, UNKNOWN_ULID + "0", "01KDVDNA00000000000000ZZZU"],
)
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("POST", "/prepare_uploads", {"uploads": [INTENT]}),
        ("POST", "/finalize_uploads", {"uploads": [{"id": UNKNOWN_ULID}]}),
        ("POST", "/reprocess", None),
    ],
)
async def test_unknown_and_malformed_ids_are_404(
    fx_client: Client,
    fx_account: Account,
    product_id: str,
    method: str,
    suffix: str,
    body: dict[str, object] | None,
) -> None:
    response = await fx_client.request(
        method, f"/api/v1/products/{product_id}{suffix}", json=body, headers=fx_account.headers
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_PRODUCT


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("POST", "/prepare_uploads", {"uploads": [INTENT]}),
        ("POST", "/finalize_uploads", {"uploads": [{"id": UNKNOWN_ULID}]}),
        ("POST", "/reprocess", None),
    ],
)
async def test_foreign_products_are_indistinguishable_from_unknown_ones(
    fx_client: Client,
    fx_account: Account,
    fx_other_account: Account,
    method: str,
    suffix: str,
    body: dict[str, object] | None,
) -> None:
    product = await create_product(fx_client, fx_account, product={"title": "Mine"})
    response = await fx_client.request(
        method,
        f"/api/v1/products/{product['id']}{suffix}",
        json=body,
        headers=fx_other_account.headers,
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_PRODUCT


async def test_lower_case_ulid_of_an_owned_product_is_found(
    fx_client: Client, fx_account: Account
) -> None:
    product = await create_product(fx_client, fx_account)
    response = await fx_client.get(
        f"/api/v1/products/{str(product['id']).lower()}", headers=fx_account.headers
    )
    assert response.status_code == 200
    assert response.json()["data"]["product"]["id"] == product["id"]


@pytest.mark.parametrize("path", ["/api/v1/missing", "/api/v2", "/api/v1/products/x/y/z", "/api"])
async def test_unknown_api_routes_are_the_404_envelope(fx_client: Client, path: str) -> None:
    response = await fx_client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "Not Found", "status": 404}}
    assert response.headers["content-type"].startswith("application/json")


# --- 405 / 413 / 500 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/health"), ("PUT", "/api/v1/products"), ("POST", "/api/v1/me")],
)
async def test_wrong_method_on_a_known_path_is_405(
    fx_client: Client, method: str, path: str
) -> None:
    response = await fx_client.request(method, path)
    assert response.status_code == 405
    assert response.json() == {
        "error": {"code": "method_not_allowed", "detail": "Method Not Allowed", "status": 405}
    }
    assert "allow" in response.headers


async def test_oversized_json_body_is_413(fx_client: Client) -> None:
    body = b'{"email": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    response = await fx_client.post("/api/v1/auth/register", content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.json()["error"]["status"] == 413


async def test_unexpected_errors_are_a_generic_500_without_internals(
    fx_client: Client,
    fx_account: Account,
    fx_container: Container,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM users -- stack detail")

    fx_container.services.products.list = explode  # type: ignore[method-assign]
    response = await fx_client.get("/api/v1/products", headers=fx_account.headers)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_server_error", "detail": "Internal Server Error", "status": 500}
    }
    assert "SELECT" not in response.text
    assert "SELECT secret" in caplog.text


# --- 422 --------------------------------------------------------------------------------


async def test_validation_failed_carries_fields(fx_client: Client) -> None:
    response = await fx_client.post(
        "/api/v1/auth/register", json={"email": "no-at-sign", "password": "short"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "validation_failed",
            "detail": "Validation failed",
            "status": 422,
            "fields": {
                "email": ["must have the @ sign and no spaces"],
                "password": ["should be at least 12 character(s)"],
            },
        }
    }


async def test_nested_upload_errors_are_aligned_with_the_input(
    fx_client: Client, fx_account: Account
) -> None:
    response = await fx_client.post(
        "/api/v1/products",
        json={
            "uploads": [{"filename": "a.txt", "content_type": "text/plain", "byte_size": 0}, INTENT]
        },
        headers=fx_account.headers,
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["uploads"][1] == {}
    assert fields["uploads"][0]["content_type"] == ["must be an image content type"]
    assert fields["uploads"][0]["byte_size"] == ["must be greater than 0"]


async def test_invalid_product_state(fx_client: Client, fx_account: Account) -> None:
    product = await create_product(fx_client, fx_account)
    response = await fx_client.post(
        f"/api/v1/products/{product['id']}/finalize_uploads",
        json={"uploads": [{"id": UNKNOWN_ULID}]},
        headers=fx_account.headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_product_state"
    assert error["status"] == 422
    assert "fields" not in error


async def test_invalid_uploads(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    product = await create_product(fx_client, fx_account, uploads=[INTENT])
    foreign = await fx_client.post(
        "/api/v1/products", json={"uploads": [INTENT]}, headers=fx_other_account.headers
    )
    foreign_image = foreign.json()["data"]["upload_instructions"][0]["image_id"]
    response = await fx_client.post(
        f"/api/v1/products/{product['id']}/finalize_uploads",
        json={"uploads": [{"id": foreign_image}]},
        headers=fx_account.headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "invalid_uploads",
            "detail": "Uploads must belong to the selected product",
            "status": 422,
        }
    }


# --- 402 / 502 ----------------------------------------------------------------------------


async def test_limit_exceeded_uses_the_envelope_with_an_absolute_upgrade_url(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes
) -> None:
    product = await create_product(fx_client, fx_account)
    async with fx_fakes.database.db.unit_of_work() as uow:
        await uow.usage.record(
            UsageEvent(
                id=fx_fakes.ids.new_id(),
                user_id=fx_account.user_id,
                product_id=None,
                run_id=None,
                bucket="ai_drafts",
                quantity=10_000,
                created_at=fx_fakes.clock.now(),
            )
        )
        await uow.commit()
    response = await fx_client.post(
        f"/api/v1/products/{product['id']}/reprocess", headers=fx_account.headers
    )
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "limit_exceeded"
    assert error["status"] == 402
    assert error["operation"] == "ai_drafts"
    assert error["used"] == 10_000
    assert isinstance(error["limit"], int)
    assert error["upgrade_url"] == "https://reseller.test/pricing"


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (StorageUnavailable("RESELLER_S3_BUCKET is not set"), "storage_unavailable"),
        (UploadSigningFailed(), "upload_signing_failed"),
    ],
)
async def test_storage_failures_are_502_and_persist_nothing(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, failure: Exception, code: str
) -> None:
    fx_fakes.storage.fail("sign_upload", failure)
    response = await fx_client.post(
        "/api/v1/products", json={"uploads": [INTENT]}, headers=fx_account.headers
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == code
    listed = await fx_client.get("/api/v1/products", headers=fx_account.headers)
    assert listed.json()["data"]["products"] == []


# --- 429 --------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["register", "login"])
async def test_eleventh_auth_request_from_one_ip_is_429_with_retry_after(
    fx_client: Client, endpoint: str
) -> None:
    body = {"email": "flood@example.com", "password": PASSWORD}
    for attempt in range(10):
        response = await fx_client.post(
            f"/api/v1/auth/{endpoint}", json={**body, "email": f"flood{attempt}@example.com"}
        )
        assert response.status_code != 429
    response = await fx_client.post(f"/api/v1/auth/{endpoint}", json=body)
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "detail": "Too many requests; try again later",
            "status": 429,
        }
    }
    assert int(response.headers["retry-after"]) >= 1


async def test_malformed_bodies_count_towards_the_rate_limit(fx_client: Client) -> None:
    """The limit is checked before the body: 429 → 400 (spec 10 §1.2)."""
    for _ in range(10):
        response = await fx_client.post("/api/v1/auth/login", content=b"{oops")
        assert response.status_code == 400
    response = await fx_client.post("/api/v1/auth/login", content=b"{oops")
    assert response.status_code == 429


async def test_spoofed_forwarded_for_from_an_untrusted_peer_does_not_reset_the_limit(
    fx_client: Client,
) -> None:
    for attempt in range(10):
        await fx_client.post(
            "/api/v1/auth/login",
            json={"email": "x@example.com", "password": PASSWORD},
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
        )
    response = await fx_client.post(
        "/api/v1/auth/login",
        json={"email": "x@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.77"},
    )
    assert response.status_code == 429


async def test_limit_expires_with_the_window(fx_client: Client, fx_fakes: Fakes) -> None:
    for _ in range(11):
        response = await fx_client.post("/api/v1/auth/login", json={})
    assert response.status_code == 429
    fx_fakes.clock.advance(int(response.headers["retry-after"]))
    response = await fx_client.post("/api/v1/auth/login", json={})
    assert response.status_code == 400


async def test_resend_throttle_is_429_with_retry_after(
    fx_client: Client, fx_unconfirmed: Account, fx_fakes: Fakes
) -> None:
    fx_fakes.clock.advance(1)
    first = await fx_client.post("/api/v1/auth/resend_confirmation", headers=fx_unconfirmed.headers)
    assert first.status_code == 202
    response = await fx_client.post(
        "/api/v1/auth/resend_confirmation", headers=fx_unconfirmed.headers
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1
