"""Users, bearer tokens, confirmation tokens and the register/login input rules (spec 10 §2-3)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from reseller_core.domain.marketplaces import DEFAULT_MARKETPLACES, parse_selected_marketplaces
from reseller_core.domain.validation import CANT_BE_BLANK, Errors, too_long, too_short

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
    email: str
    password: str
    device_name: str | None
    selected_marketplaces: tuple[str, ...]


def normalise_email(value: str) -> str:
    return value.strip().lower()


def validate_register(
    body: dict[str, Any],
    supported: tuple[str, ...],
    defaults: tuple[str, ...] = DEFAULT_MARKETPLACES,
) -> RegisterInput:
    """Validate a register body; raise ValidationFailed with every field error at once."""
    errors = Errors()
    raw_email = body.get("email")
    email = ""
    if not isinstance(raw_email, str) or not raw_email.strip():
        errors.add("email", CANT_BE_BLANK)
    else:
        email = normalise_email(raw_email)
        if not EMAIL_PATTERN.match(email):
            errors.add("email", "must have the @ sign and no spaces")
        if len(email) > EMAIL_MAX:
            errors.add("email", too_long(EMAIL_MAX))
    password = body.get("password")
    if not isinstance(password, str) or password == "":
        errors.add("password", CANT_BE_BLANK)
        password = ""
    elif len(password) < PASSWORD_MIN:
        errors.add("password", too_short(PASSWORD_MIN))
    elif len(password) > PASSWORD_MAX:
        errors.add("password", too_long(PASSWORD_MAX))
    confirmation = body.get("password_confirmation")
    if confirmation is not None and confirmation != password:
        errors.add("password_confirmation", "does not match confirmation")
    device = body.get("device_name")
    device_name: str | None = None
    if isinstance(device, str) and device.strip():
        device_name = device.strip()
        if len(device_name) > DEVICE_NAME_MAX:
            errors.add("device_name", too_long(DEVICE_NAME_MAX))
    selected: tuple[str, ...] = tuple(m for m in defaults if m in supported)
    raw_selected = body.get("selected_marketplaces")
    if raw_selected is not None and raw_selected != []:
        ids, messages = parse_selected_marketplaces(raw_selected, supported)
        for message in messages:
            errors.add("selected_marketplaces", message)
        if ids:
            selected = tuple(ids)
    errors.raise_if_any()
    return RegisterInput(
        email=email, password=password, device_name=device_name, selected_marketplaces=selected
    )


def trial_active(user: User, now: datetime) -> bool:
    return (
        user.plan_status == PlanStatus.TRIALING
        and user.trial_ends_at is not None
        and user.trial_ends_at > now
    )


def trial_end(now: datetime) -> datetime:
    return now.replace(microsecond=0) + timedelta(days=TRIAL_DAYS)
