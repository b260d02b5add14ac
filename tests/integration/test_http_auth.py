"""Accounts over HTTP: register, login, confirm (API and page), resend, revoke, /me."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request
from litestar.testing import AsyncTestClient

from reseller_entrypoints.http.dependencies import client_ip
from tests.integration.conftest import PASSWORD, TRUSTED_PROXY, Account, Fakes
from tests.integration.openapi_check import assert_documented

Client = AsyncTestClient[Litestar]


async def fetch_document(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/api/v1/openapi.json")).json()
    return document


def mailed_token(fakes: Fakes, email: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", fakes.mailer.to(email)[-1].text)
    assert match is not None
    return match.group(1)


async def test_register_returns_the_token_response(fx_client: Client, fx_fakes: Fakes) -> None:
    response = await fx_client.post(
        "/api/v1/auth/register",
        json={
            "email": "  New@Example.com ",
            "password": PASSWORD,
            "selected_marketplaces": ["etsy", "ebay"],
            "is_admin": True,
            "plan": "pro",
            "confirmed_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["token_type"] == "Bearer"
    assert len(data["token"]) == 43
    assert data["expires_at"] == "2027-01-01T00:00:00Z"
    assert data["user"] == {
        "id": data["user"]["id"],
        "email": "new@example.com",
        "confirmed_at": None,
        "selected_marketplaces": ["ebay", "etsy"],
        "plan": "free",
        "plan_status": "trialing",
        "plan_period": None,
        "plan_expires_at": None,
        "trial_ends_at": "2026-01-08T00:00:00Z",
        "addon_credits": {},
    }
    assert data["supported_marketplaces"][0] == {"id": "ebay", "label": "eBay"}
    assert len(data["supported_marketplaces"]) == 12
    assert fx_fakes.mailer.to("new@example.com")
    assert_documented(await fetch_document(fx_client), "POST", "/api/v1/auth/register", response)


async def test_login_issues_a_new_token(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.post(
        "/api/v1/auth/login",
        json={"email": fx_account.email.upper(), "password": PASSWORD, "device_name": "Pixel"},
    )
    assert response.status_code == 200
    token = response.json()["data"]["token"]
    assert token != fx_account.token
    me = await fx_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert_documented(await fetch_document(fx_client), "POST", "/api/v1/auth/login", response)


async def test_me_and_patch_me(fx_client: Client, fx_account: Account) -> None:
    document = await fetch_document(fx_client)
    me = await fx_client.get("/api/v1/me", headers=fx_account.headers)
    assert me.status_code == 200
    assert me.json()["data"]["user"]["email"] == fx_account.email
    assert_documented(document, "GET", "/api/v1/me", me)

    patched = await fx_client.patch(
        "/api/v1/me",
        json={"user": {"selected_marketplaces": ["mercari", "etsy", "ebay"]}},
        headers=fx_account.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["user"]["selected_marketplaces"] == ["ebay", "mercari", "etsy"]
    assert_documented(document, "PATCH", "/api/v1/me", patched)

    unchanged = await fx_client.patch("/api/v1/me", json={}, headers=fx_account.headers)
    assert unchanged.json()["data"]["user"]["selected_marketplaces"] == [
        "ebay",
        "mercari",
        "etsy",
    ]

    invalid = await fx_client.patch(
        "/api/v1/me",
        json={"selected_marketplaces": ["ebay", "myspace"]},
        headers=fx_account.headers,
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["fields"] == {
        "selected_marketplaces": ["contains unsupported marketplaces: myspace"]
    }
    assert_documented(document, "PATCH", "/api/v1/me", invalid)


async def test_confirm_api_confirms_once(
    fx_client: Client, fx_unconfirmed: Account, fx_fakes: Fakes
) -> None:
    document = await fetch_document(fx_client)
    token = mailed_token(fx_fakes, fx_unconfirmed.email)
    response = await fx_client.post("/api/v1/auth/confirm", json={"token": token})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"]["confirmed_at"] == "2026-01-01T00:00:00Z"
    assert data["supported_marketplaces"]
    assert_documented(document, "POST", "/api/v1/auth/confirm", response)

    again = await fx_client.post("/api/v1/auth/confirm", json={"token": token})
    assert again.status_code == 422
    assert again.json()["error"]["fields"] == {"token": ["is invalid or expired"]}
    assert_documented(document, "POST", "/api/v1/auth/confirm", again)


async def test_resend_confirmation_202_then_200_once_confirmed(
    fx_client: Client, fx_unconfirmed: Account, fx_fakes: Fakes, fx_container: Any
) -> None:
    document = await fetch_document(fx_client)
    sent = await fx_client.post("/api/v1/auth/resend_confirmation", headers=fx_unconfirmed.headers)
    assert sent.status_code == 202
    assert sent.json() == {"data": {"sent": True}}
    assert_documented(document, "POST", "/api/v1/auth/resend_confirmation", sent)

    await fx_container.services.accounts.confirm_email(fx_unconfirmed.email)
    done = await fx_client.post("/api/v1/auth/resend_confirmation", headers=fx_unconfirmed.headers)
    assert done.status_code == 200
    assert done.json() == {"data": {"sent": False, "already_confirmed": True}}
    assert_documented(document, "POST", "/api/v1/auth/resend_confirmation", done)


async def test_revoking_the_token_logs_out(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.delete("/api/v1/auth/token", headers=fx_account.headers)
    assert response.status_code == 200
    assert response.json() == {"data": {"revoked": True}}
    assert_documented(await fetch_document(fx_client), "DELETE", "/api/v1/auth/token", response)
    after = await fx_client.get("/api/v1/me", headers=fx_account.headers)
    assert after.status_code == 401


# --- the confirmation page ----------------------------------------------------------------


async def test_confirm_page_get_changes_nothing(
    fx_client: Client, fx_unconfirmed: Account, fx_fakes: Fakes
) -> None:
    token = mailed_token(fx_fakes, fx_unconfirmed.email)
    page = await fx_client.get(f"/confirm?token={token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/confirm">' in page.text
    assert f'name="token" value="{token}"' in page.text
    assert "<script" not in page.text
    me = await fx_client.get("/api/v1/me", headers=fx_unconfirmed.headers)
    assert me.json()["data"]["user"]["confirmed_at"] is None


async def test_confirm_page_escapes_the_token(fx_client: Client) -> None:
    probe = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    page = await fx_client.get("/confirm", params={"token": probe})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&#34;&gt;&lt;img" in page.text or "&quot;&gt;&lt;img" in page.text


async def test_confirm_page_without_token_shows_no_form(fx_client: Client) -> None:
    page = await fx_client.get("/confirm")
    assert page.status_code == 200
    assert "<form" not in page.text


async def test_confirm_page_post_confirms(
    fx_client: Client, fx_unconfirmed: Account, fx_fakes: Fakes
) -> None:
    token = mailed_token(fx_fakes, fx_unconfirmed.email)
    page = await fx_client.post("/confirm", data={"token": token})
    assert page.status_code == 200
    assert "Email confirmed" in page.text
    me = await fx_client.get("/api/v1/me", headers=fx_unconfirmed.headers)
    assert me.json()["data"]["user"]["confirmed_at"] is not None

    again = await fx_client.post("/confirm", data={"token": token})
    assert again.status_code == 422
    assert "invalid or expired" in again.text


async def test_confirm_page_post_with_unknown_token(fx_client: Client) -> None:
    page = await fx_client.post("/confirm", data={"token": "nope"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "invalid or expired" in page.text


# --- client address ---------------------------------------------------------------------


def request_from(peer: str, forwarded: list[str] | None = None) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    scope: Any = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": headers,
        "client": (peer, 1234),
        "query_string": b"",
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", ["1.2.3.4"], (), "203.0.113.9"),
        ("203.0.113.9", ["1.2.3.4"], ("10.0.0.0/8",), "203.0.113.9"),
        ("10.0.0.5", ["1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6, 1.2.3.4, 10.0.0.7"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6", "1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", [], ("10.0.0.0/8",), "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.8"], ("10.0.0.0/8",), "10.0.0.8"),
        ("::1", ["2001:db8::1"], ("::1",), "2001:db8::1"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_behind_trusted_proxies(
    peer: str, forwarded: list[str], trusted: tuple[str, ...], expected: str
) -> None:
    assert client_ip(request_from(peer, forwarded), trusted) == expected


async def test_rate_limit_keys_on_the_forwarded_client_behind_a_trusted_proxy(
    fx_client: Client, fx_app: Litestar
) -> None:
    """Behind our proxy each real client has its own budget (the peer is the proxy)."""
    transport = httpx.ASGITransport(app=fx_app, client=(TRUSTED_PROXY, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as proxy:
        for _ in range(10):
            response = await proxy.post(
                "/api/v1/auth/login", json={}, headers={"X-Forwarded-For": "198.51.100.1"}
            )
            assert response.status_code == 400
        limited = await proxy.post(
            "/api/v1/auth/login", json={}, headers={"X-Forwarded-For": "198.51.100.1"}
        )
        assert limited.status_code == 429
        other = await proxy.post(
            "/api/v1/auth/login", json={}, headers={"X-Forwarded-For": "198.51.100.2"}
        )
        assert other.status_code == 400


async def test_registration_mass_assignment_is_ignored(fx_client: Client, fx_fakes: Fakes) -> None:
    """Penetration case P1: privileged attributes in the sign-up body are ignored."""
    response = await fx_client.post(
        "/api/v1/auth/register",
        json={"email": "sneaky@example.com", "password": PASSWORD, "is_admin": True},
    )
    assert response.status_code == 200
    assert response.json()["data"]["token"]
    user = fx_fakes.database.db.snapshot().users[response.json()["data"]["user"]["id"]]
    assert not getattr(user, "is_admin", False)
    assert user.plan == "free"
