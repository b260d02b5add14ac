"""Users, bearer tokens, confirmation tokens and the limits of their inputs (spec 10 §2-3)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

EMAIL_PATTERN = re.compile(r"^[^\s]+@[^\s]+$")
EMAIL_MAX = 160
PASSWORD_MIN = 12
PASSWORD_MAX = 72
DEVICE_NAME_MAX = 120
TRIAL_DAYS = 7


class Plan(StrEnum):
    FREE = "free"
    STARTER = "starter"
    GROWTH = "growth"
    PRO = "pro"


class PlanStatus(StrEnum):
    FREE = "free"
    TRIALING = "trialing"
    ACTIVE = "active"
    CANCELING = "canceling"
    PAST_DUE = "past_due"
    EXPIRED = "expired"


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    password_hash: str
    confirmed_at: datetime | None
    selected_marketplaces: tuple[str, ...]
    plan: str = Plan.FREE
    plan_status: str = PlanStatus.TRIALING
    plan_period: str | None = None
    plan_expires_at: datetime | None = None
    trial_ends_at: datetime | None = None
    addon_credits: dict[str, int] = msgspec.field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token; only the SHA-256 hash of the raw token is ever stored."""

    id: str
    user_id: str
    token_hash: str
    context: str
    device_name: str | None
    expires_at: datetime
    last_used_at: datetime | None
    created_at: datetime


class ConfirmationToken(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    token_hash: str
    sent_to: str
    expires_at: datetime
    used_at: datetime | None
    created_at: datetime


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """What register and login hand back: the raw token (shown once) and its user."""

    token: str
    expires_at: datetime
    user: User


class RegisterInput(msgspec.Struct, frozen=True, kw_only=True):
    """A registration that passed every rule: normalised address, chosen marketplaces."""

    email: str
    password: str
    device_name: str | None
    selected_marketplaces: tuple[str, ...]


def normalise_email(value: str) -> str:
    """Trimmed, lower-cased and in Unicode NFC: one address, one account, whatever the
    keyboard composed (``é`` typed as one character or as ``e`` and a combining accent)."""
    return unicodedata.normalize("NFC", value.strip().lower())


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Controls, format characters (zero-width spaces and joiners, bidi marks, soft hyphens),
surrogates, private-use and unassigned code points, line and paragraph separators."""


def has_invisible_characters(email: str) -> bool:
    """True when ``email`` holds a character that displays as nothing or is not text: two
    addresses that look identical must not be two accounts."""
    return any(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in email)


def trial_active(user: User, now: datetime) -> bool:
    return (
        user.plan_status == PlanStatus.TRIALING
        and user.trial_ends_at is not None
        and user.trial_ends_at > now
    )


def trial_end(now: datetime) -> datetime:
    return now.replace(microsecond=0) + timedelta(days=TRIAL_DAYS)
