"""AccountService over the in-memory fakes (spec 10 §2-3, decisions Q-A2, Q-A9, Q-A10)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reseller_core.domain.users import User
from reseller_core.errors import (
    EmailNotConfirmed,
    InvalidRequest,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from reseller_core.services._tokens import parse_bearer, token_digest
from reseller_core.services.config import CoreConfig
from reseller_core.services.deps import Deps
from reseller_core.testing.fakes import (
    FixedClock,
    MemoryMailer,
    PlainPasswordHasher,
    RecordingRateLimiter,
)
from reseller_core.testing.memory_uow import MemoryDatabase

from .conftest import PASSWORD, START, account_service
from .json_use_cases import JsonAccounts

CATALOG = (
    "ebay",
    "depop",
    "poshmark",
    "mercari",
    "facebook_marketplace",
    "offerup",
    "whatnot",
    "grailed",
    "therealreal",
    "vestiaire_collective",
    "thredup",
    "etsy",
)


def body(email: str = "seller@example.com", **extra: Any) -> dict[str, Any]:
    return {"email": email, "password": PASSWORD, **extra}


def link_token(mailer: MemoryMailer, email: str, index: int = -1) -> str:
    message = mailer.to(email)[index]
    link = next(word for word in message.text.split() if word.startswith("https://"))
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example.test/confirm"
    (token,) = parse_qs(parts.query)["token"]
    return token


async def fields_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as info:
        await call
    return info.value.fields


# --- register ----------------------------------------------------------------------------


async def test_register_creates_an_unconfirmed_trial_user(
    fx_accounts: JsonAccounts, fx_clock: FixedClock, fx_db: MemoryDatabase
) -> None:
    fx_clock.set(START.replace(microsecond=654321))
    issued = await fx_accounts.register(
        body("  Seller@Example.COM ", device_name=" iPhone ", plan="pro", is_admin=True)
    )
    user = issued.user
    assert user.email == "seller@example.com"
    assert user.confirmed_at is None
    assert user.selected_marketplaces == ("ebay", "depop", "poshmark")
    assert (user.plan, user.plan_status) == ("free", "trialing")
    assert user.trial_ends_at == START + timedelta(days=7)  # truncated to the second
    assert user.addon_credits == {}
    assert user.password_hash != PASSWORD
    assert issued.expires_at == START + timedelta(days=365)
    assert len(issued.token) >= 32
    tables = fx_db.snapshot()
    assert list(tables.users) == [user.id]
    (token_row,) = tables.tokens.values()
    assert token_row.token.token_hash == token_digest(issued.token)
    assert token_row.token.device_name == "iPhone"
    assert issued.token not in repr(tables.tokens)


async def test_register_token_authenticates(fx_accounts: JsonAccounts) -> None:
    issued = await fx_accounts.register(body())
    auth = await fx_accounts.authenticate(f"Bearer {issued.token}")
    assert auth.user.id == issued.user.id


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        (None, ("ebay", "depop", "poshmark")),
        ([], ("ebay", "depop", "poshmark")),
        (["mercari", "etsy", "ebay"], ("ebay", "mercari", "etsy")),
        (" grailed ", ("grailed",)),
        (["depop", "depop", " "], ("depop",)),
    ],
)
async def test_register_marketplaces(
    fx_accounts: JsonAccounts, selected: Any, expected: tuple[str, ...]
) -> None:
    extra = {} if selected is None else {"selected_marketplaces": selected}
    user = (await fx_accounts.register(body(**extra))).user
    assert user.selected_marketplaces == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"email": "no-at-sign", "password": PASSWORD},
            {"email": ["must have the @ sign and no spaces"]},
        ),
        (
            {"email": "a b@example.com", "password": PASSWORD},
            {"email": ["must have the @ sign and no spaces"]},
        ),
        (
            {"email": "a@" + "x" * 160, "password": PASSWORD},
            {"email": ["should be at most 160 character(s)"]},
        ),
        (
            {"email": "a@example.com", "password": "short"},
            {"password": ["should be at least 12 character(s)"]},
        ),
        (
            {"email": "a@example.com", "password": "p" * 73},
            {"password": ["should be at most 72 character(s)"]},
        ),
        (
            {"email": "a@example.com", "password": PASSWORD, "password_confirmation": "other"},
            {"password_confirmation": ["does not match confirmation"]},
        ),
        (
            {
                "email": "a@example.com",
                "password": PASSWORD,
                "selected_marketplaces": ["ebay", "foo", "bar"],
            },
            {"selected_marketplaces": ["contains unsupported marketplaces: foo, bar"]},
        ),
        (
            {"email": "bad", "password": "short"},
            {
                "email": ["must have the @ sign and no spaces"],
                "password": ["should be at least 12 character(s)"],
            },
        ),
    ],
)
async def test_register_validation(
    fx_accounts: JsonAccounts,
    fx_db: MemoryDatabase,
    fx_mailer: MemoryMailer,
    payload: dict[str, Any],
    expected: dict[str, list[str]],
) -> None:
    assert await fields_of(fx_accounts.register(payload)) == expected
    assert fx_db.snapshot().users == {}
    assert fx_mailer.sent == []


async def test_register_password_boundaries(fx_accounts: JsonAccounts) -> None:
    await fx_accounts.register({"email": "a@example.com", "password": "p" * 12})
    await fx_accounts.register(
        {"email": "b@example.com", "password": "p" * 72, "password_confirmation": "p" * 72}
    )


async def test_register_missing_fields(fx_accounts: JsonAccounts) -> None:
    fields = await fields_of(fx_accounts.register({}))
    assert set(fields) == {"email", "password"}


@pytest.mark.parametrize("payload", [None, [], "x", 3])
async def test_register_body_not_an_object(fx_accounts: JsonAccounts, payload: Any) -> None:
    with pytest.raises(InvalidRequest):
        await fx_accounts.register(payload)


async def test_register_duplicate_email(
    fx_accounts: JsonAccounts, fx_db: MemoryDatabase, fx_mailer: MemoryMailer
) -> None:
    await fx_accounts.register(body())
    fields = await fields_of(fx_accounts.register(body("  SELLER@example.com")))
    assert fields == {"email": ["has already been taken"]}
    assert len(fx_db.snapshot().users) == 1
    assert len(fx_mailer.sent) == 1


async def test_register_sends_a_confirmation_link(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_db: MemoryDatabase
) -> None:
    user = (await fx_accounts.register(body())).user
    (message,) = fx_mailer.sent
    assert message.to == "seller@example.com"
    assert message.tag == "confirmation"
    raw = link_token(fx_mailer, "seller@example.com")
    (stored,) = fx_db.snapshot().confirmations.values()
    assert stored.token_hash == token_digest(raw)
    assert stored.user_id == user.id
    assert stored.sent_to == "seller@example.com"
    assert stored.expires_at == START + timedelta(hours=48)


async def test_mail_outage_does_not_undo_registration(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_db: MemoryDatabase
) -> None:
    fx_mailer.fail_with = ConnectionError("smtp down")
    issued = await fx_accounts.register(body())
    assert list(fx_db.snapshot().users) == [issued.user.id]


# --- login -------------------------------------------------------------------------------


async def test_login_issues_a_new_token_each_time(fx_accounts: JsonAccounts) -> None:
    registered = await fx_accounts.register(body())
    first = await fx_accounts.login({"email": " SELLER@example.com ", "password": PASSWORD})
    second = await fx_accounts.login(
        {"email": "seller@example.com", "password": PASSWORD, "device_name": "Pixel"}
    )
    assert first.user.id == registered.user.id
    assert len({registered.token, first.token, second.token}) == 3
    for token in (registered.token, first.token, second.token):
        assert (await fx_accounts.authenticate(f"Bearer {token}")).user.id == registered.user.id
    assert (await fx_accounts.authenticate(f"Bearer {second.token}")).token.device_name == "Pixel"


async def test_unconfirmed_user_can_log_in(fx_accounts: JsonAccounts) -> None:
    await fx_accounts.register(body())
    issued = await fx_accounts.login(body())
    assert issued.user.confirmed_at is None


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "seller@example.com"}, {"password": PASSWORD}, None, [], "x"],
)
async def test_login_missing_keys(fx_accounts: JsonAccounts, payload: Any) -> None:
    with pytest.raises(InvalidRequest) as info:
        await fx_accounts.login(payload)
    assert info.value.detail == "Email and password are required"


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "seller@example.com", "password": "wrong password!"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": 5, "password": PASSWORD},
        {"email": "seller@example.com", "password": None},
        {"email": ["seller@example.com"], "password": PASSWORD},
        {"email": "seller@example.com", "password": ""},
    ],
)
async def test_login_bad_credentials(
    fx_accounts: JsonAccounts, fx_db: MemoryDatabase, payload: dict[str, Any]
) -> None:
    await fx_accounts.register(body())
    tokens_before = len(fx_db.snapshot().tokens)
    with pytest.raises(Unauthorized) as info:
        await fx_accounts.login(payload)
    assert info.value.detail == "Invalid email or password"
    assert len(fx_db.snapshot().tokens) == tokens_before


async def test_login_unknown_email_still_verifies_a_hash(
    fx_accounts: JsonAccounts, fx_hasher: PlainPasswordHasher
) -> None:
    with pytest.raises(Unauthorized):
        await fx_accounts.login({"email": "ghost@example.com", "password": PASSWORD})
    assert fx_hasher.dummy_verifications == 1


# --- rate limit --------------------------------------------------------------------------


async def test_eleventh_register_is_rate_limited(
    fx_accounts: JsonAccounts, fx_clock: FixedClock, fx_db: MemoryDatabase
) -> None:
    # Every request counts, whatever its outcome.
    await fx_accounts.register(body(), client_key="198.51.100.7")
    for _ in range(9):
        with pytest.raises(ValidationFailed):
            await fx_accounts.register({}, client_key="198.51.100.7")
    fx_clock.advance(seconds=20)
    with pytest.raises(RateLimited) as info:
        await fx_accounts.register(body("late@example.com"), client_key="198.51.100.7")
    assert 1 <= info.value.retry_after_s <= 40
    assert "late@example.com" not in {u.email for u in fx_db.snapshot().users.values()}
    # Another client is not affected; the window rolls.
    await fx_accounts.register(body("other@example.com"), client_key="203.0.113.9")
    fx_clock.advance(seconds=41)
    await fx_accounts.register(body("late@example.com"), client_key="198.51.100.7")


async def test_rate_limit_applies_before_body_checks(fx_accounts: JsonAccounts) -> None:
    for _ in range(10):
        with pytest.raises(InvalidRequest):
            await fx_accounts.register("not an object", client_key="k")
    with pytest.raises(RateLimited):
        await fx_accounts.register("not an object", client_key="k")


async def test_register_and_login_have_separate_buckets(
    fx_accounts: JsonAccounts, fx_limiter: RecordingRateLimiter
) -> None:
    await fx_accounts.register(body(), client_key="198.51.100.7")
    for _ in range(9):
        with pytest.raises(ValidationFailed):
            await fx_accounts.register({}, client_key="198.51.100.7")
    with pytest.raises(RateLimited):
        await fx_accounts.register({}, client_key="198.51.100.7")
    for _ in range(10):
        await fx_accounts.login(body(), client_key="198.51.100.7")
    with pytest.raises(RateLimited):
        await fx_accounts.login(body(), client_key="198.51.100.7")
    keys = {key for key, _, _ in fx_limiter.calls}
    assert len(keys) == 2
    assert {(limit, window) for _, limit, window in fx_limiter.calls} == {(10, 60)}


async def test_no_client_key_means_no_limit(
    fx_accounts: JsonAccounts, fx_limiter: RecordingRateLimiter
) -> None:
    await fx_accounts.register(body())
    for _ in range(15):
        await fx_accounts.login(body())
    assert fx_limiter.calls == []


async def test_confirm_is_rate_limited_too(fx_accounts: JsonAccounts) -> None:
    for _ in range(10):
        with pytest.raises(ValidationFailed):
            await fx_accounts.confirm({"token": "nope"}, client_key="k")
    with pytest.raises(RateLimited):
        await fx_accounts.confirm({"token": "nope"}, client_key="k")


# --- authenticate ------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["Bearer {}", "bearer {}", "BEARER   {}", "  BeArEr\t{}  "])
async def test_authenticate_scheme_is_case_insensitive(
    fx_accounts: JsonAccounts, fx_db: MemoryDatabase, fx_clock: FixedClock, template: str
) -> None:
    issued = await fx_accounts.register(body())
    fx_clock.advance(minutes=3)
    auth = await fx_accounts.authenticate(template.format(issued.token))
    assert auth.user.id == issued.user.id
    (row,) = fx_db.snapshot().tokens.values()
    assert row.token.last_used_at == fx_clock.now()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "Token {}",
        "Basic {}",
        "Bearer",
        "Bearer ",
        "{}",
        "Bearer{}",
        "Bearer x{}",
        "Bearer unknown-token",
    ],
)
async def test_authenticate_rejects(fx_accounts: JsonAccounts, header: str | None) -> None:
    issued = await fx_accounts.register(body())
    value = header.format(issued.token) if header is not None else None
    with pytest.raises(Unauthorized) as info:
        await fx_accounts.authenticate(value)
    assert info.value.detail == "Missing or invalid bearer token"


def test_parse_bearer() -> None:
    assert parse_bearer("Bearer abc") == "abc"
    assert parse_bearer("bearer   abc  ") == "abc"
    assert parse_bearer("Token abc") is None
    assert parse_bearer("Bearer") is None
    assert parse_bearer(None) is None


async def test_expired_token(fx_accounts: JsonAccounts, fx_clock: FixedClock) -> None:
    issued = await fx_accounts.register(body())
    fx_clock.set(issued.expires_at - timedelta(seconds=1))
    await fx_accounts.authenticate(f"Bearer {issued.token}")
    fx_clock.set(issued.expires_at)
    with pytest.raises(Unauthorized):
        await fx_accounts.authenticate(f"Bearer {issued.token}")


async def test_revoked_token(fx_accounts: JsonAccounts) -> None:
    issued = await fx_accounts.register(body())
    other = await fx_accounts.login(body())
    auth = await fx_accounts.authenticate(f"Bearer {issued.token}")
    await fx_accounts.revoke(auth)
    with pytest.raises(Unauthorized):
        await fx_accounts.authenticate(f"Bearer {issued.token}")
    assert (await fx_accounts.authenticate(f"Bearer {other.token}")).user.id == issued.user.id


# --- confirmation ------------------------------------------------------------------------


async def test_confirm_with_the_mailed_token(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_clock: FixedClock
) -> None:
    await fx_accounts.register(body())
    raw = link_token(fx_mailer, "seller@example.com")
    fx_clock.advance(hours=1)
    user = await fx_accounts.confirm({"token": f" {raw} "})
    assert user.confirmed_at == fx_clock.now()
    assert (await fx_accounts.me(user.id)).confirmed_at == fx_clock.now()
    fx_accounts.require_confirmed(user)


async def test_confirmation_token_is_single_use(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer
) -> None:
    await fx_accounts.register(body())
    raw = link_token(fx_mailer, "seller@example.com")
    await fx_accounts.confirm({"token": raw})
    assert await fields_of(fx_accounts.confirm({"token": raw})) == {
        "token": ["is invalid or expired"]
    }


async def test_confirmation_token_expires_after_48_hours(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_clock: FixedClock
) -> None:
    registered = await fx_accounts.register(body())
    raw = link_token(fx_mailer, "seller@example.com")
    fx_clock.advance(hours=48)
    assert await fields_of(fx_accounts.confirm({"token": raw})) == {
        "token": ["is invalid or expired"]
    }
    assert (await fx_accounts.me(registered.user.id)).confirmed_at is None


@pytest.mark.parametrize("payload", [{}, {"token": ""}, {"token": 5}, {"token": "unknown"}])
async def test_confirm_invalid_tokens(fx_accounts: JsonAccounts, payload: Any) -> None:
    assert await fields_of(fx_accounts.confirm(payload)) == {"token": ["is invalid or expired"]}


async def test_confirm_body_not_an_object(fx_accounts: JsonAccounts) -> None:
    with pytest.raises(InvalidRequest):
        await fx_accounts.confirm(["token"])


async def test_resend_invalidates_older_tokens(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_clock: FixedClock
) -> None:
    user = (await fx_accounts.register(body())).user
    first = link_token(fx_mailer, "seller@example.com")
    fx_clock.advance(minutes=2)
    result = await fx_accounts.resend_confirmation(user)
    assert (result.sent, result.already_confirmed) == (True, False)
    second = link_token(fx_mailer, "seller@example.com")
    assert first != second
    assert len(fx_mailer.to("seller@example.com")) == 2
    assert await fields_of(fx_accounts.confirm({"token": first})) == {
        "token": ["is invalid or expired"]
    }
    assert (await fx_accounts.confirm({"token": second})).confirmed_at == fx_clock.now()


async def test_resend_throttle_per_minute_and_hour(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_clock: FixedClock
) -> None:
    user = (await fx_accounts.register(body())).user
    fx_clock.advance(minutes=1)
    first_resend = fx_clock.now()
    await fx_accounts.resend_confirmation(user)
    fx_clock.advance(seconds=30)
    with pytest.raises(RateLimited) as minute:
        await fx_accounts.resend_confirmation(user)
    assert 1 <= minute.value.retry_after_s <= 30
    # Five sends in an hour, one per minute, then the hourly cap.
    for _ in range(4):
        fx_clock.advance(seconds=61)
        await fx_accounts.resend_confirmation(user)
    fx_clock.advance(seconds=61)
    with pytest.raises(RateLimited) as hour:
        await fx_accounts.resend_confirmation(user)
    expected = first_resend + timedelta(hours=1) - fx_clock.now()
    assert hour.value.retry_after_s == pytest.approx(expected.total_seconds(), abs=1)
    assert len(fx_mailer.to("seller@example.com")) == 1 + 5
    fx_clock.set(first_resend + timedelta(hours=1, seconds=1))
    assert (await fx_accounts.resend_confirmation(user)).sent is True


async def test_resend_when_already_confirmed(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer, fx_user: User
) -> None:
    fx_mailer.clear()
    result = await fx_accounts.resend_confirmation(fx_user)
    assert (result.sent, result.already_confirmed) == (False, True)
    assert fx_mailer.sent == []


async def test_operator_confirm_invalidates_pending_tokens(
    fx_accounts: JsonAccounts, fx_mailer: MemoryMailer
) -> None:
    await fx_accounts.register(body())
    raw = link_token(fx_mailer, "seller@example.com")
    user = await fx_accounts.confirm_email("SELLER@example.com")
    assert user.confirmed_at == START
    with pytest.raises(ValidationFailed):
        await fx_accounts.confirm({"token": raw})


async def test_write_gate(fx_accounts: JsonAccounts, fx_unconfirmed_user: User) -> None:
    with pytest.raises(EmailNotConfirmed):
        fx_accounts.require_confirmed(fx_unconfirmed_user)


async def test_write_gate_can_be_disabled(fx_deps: Deps, fx_unconfirmed_user: User) -> None:
    deps = dataclasses.replace(fx_deps, config=CoreConfig(require_email_confirmation=False))
    account_service(deps).require_confirmed(fx_unconfirmed_user)


# --- /me ---------------------------------------------------------------------------------


async def test_update_me_without_the_key_changes_nothing(
    fx_accounts: JsonAccounts, fx_user: User
) -> None:
    for payload in ({}, {"user": {}}, {"other": ["etsy"]}, {"user": {"plan": "pro"}}):
        user = await fx_accounts.update_me(fx_user, payload)
        assert user.selected_marketplaces == ("ebay", "depop", "poshmark")
        assert user.plan == "free"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"selected_marketplaces": ["mercari", "etsy", "ebay"]}, ("ebay", "mercari", "etsy")),
        ({"selected_marketplaces": "etsy"}, ("etsy",)),
        ({"selected_marketplaces": []}, ()),
        ({"selected_marketplaces": [" depop ", "depop", ""]}, ("depop",)),
        (
            {"user": {"selected_marketplaces": ["grailed"]}, "selected_marketplaces": ["etsy"]},
            ("grailed",),
        ),
        ({"user": "not an object", "selected_marketplaces": ["etsy"]}, ("etsy",)),
    ],
)
async def test_update_me_marketplaces(
    fx_accounts: JsonAccounts, fx_user: User, payload: dict[str, Any], expected: tuple[str, ...]
) -> None:
    user = await fx_accounts.update_me(fx_user, payload)
    assert user.selected_marketplaces == expected
    assert (await fx_accounts.me(fx_user.id)).selected_marketplaces == expected
    assert fx_accounts.selected_for(user) == list(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["zeta", "ebay", "alpha", "zeta"], "contains unsupported marketplaces: zeta, alpha"),
        ("amazon", "contains unsupported marketplaces: amazon"),
        (5, "is invalid"),
        ({"ebay": True}, "is invalid"),
        (["ebay", 3], "is invalid"),
        (None, "is invalid"),
    ],
)
async def test_update_me_invalid(
    fx_accounts: JsonAccounts, fx_user: User, value: Any, message: str
) -> None:
    fields = await fields_of(fx_accounts.update_me(fx_user, {"selected_marketplaces": value}))
    assert fields == {"selected_marketplaces": [message]}
    assert (await fx_accounts.me(fx_user.id)).selected_marketplaces == (
        "ebay",
        "depop",
        "poshmark",
    )


async def test_a_top_level_value_of_the_wrong_type_is_refused_even_when_user_wins(
    fx_accounts: JsonAccounts, fx_user: User
) -> None:
    """The nested value wins, but the document types the top-level key too."""
    body = {"selected_marketplaces": [None], "user": {"selected_marketplaces": ["etsy"]}}
    assert await fields_of(fx_accounts.update_me(fx_user, body)) == {
        "selected_marketplaces": ["is invalid"]
    }


async def test_update_me_body_not_an_object(fx_accounts: JsonAccounts, fx_user: User) -> None:
    with pytest.raises(InvalidRequest):
        await fx_accounts.update_me(fx_user, ["ebay"])


async def test_me_unknown_user(fx_accounts: JsonAccounts) -> None:
    with pytest.raises(Unauthorized):
        await fx_accounts.me("01J00000000000000000000000")


def test_supported_marketplaces_in_catalog_order(fx_accounts: JsonAccounts) -> None:
    listed = fx_accounts.supported_marketplaces()
    assert [marketplace_id for marketplace_id, _ in listed] == list(CATALOG)
    assert dict(listed)["ebay"] == "eBay"
    assert dict(listed)["facebook_marketplace"] == "Facebook Marketplace"


def test_trial_clock_is_utc() -> None:
    assert START.tzinfo is UTC
    assert datetime(2026, 4, 22, 10, tzinfo=UTC) == START + timedelta(days=7)


async def test_me_reads_without_a_write_unit_of_work(fx_deps: Deps, fx_user: User) -> None:
    """A read of the caller takes no writer's turn (on SQLite, ``BEGIN IMMEDIATE``)."""

    def no_writes() -> Any:
        raise AssertionError("me opened a write unit of work")

    deps = dataclasses.replace(fx_deps, uow=no_writes, read_uow=fx_deps.uow)
    assert (await account_service(deps).me(fx_user.id)).id == fx_user.id
