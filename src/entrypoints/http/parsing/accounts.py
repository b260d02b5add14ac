"""Parsers for the account endpoints' bodies (spec 10 §2.3-2.6, §3.3)."""

from __future__ import annotations

from msgspec import UNSET

from reseller_core.commands import ConfirmEmail, Login, Register, UpdateMe
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.values import (
    NOT_AN_OBJECT,
    Parsed,
    as_object,
    finish,
    string_list,
    text_or_empty,
    text_or_none,
)

LOGIN_REQUIRED = "Email and password are required"
CONFIRMATION_MISMATCH = "does not match confirmation"


def parse_register(body: object) -> Parsed[Register]:
    """A non-string e-mail or password reads as blank (``can't be blank``)."""
    problems: FieldErrors = {}
    data = as_object(body)
    if data is None:
        return finish(Register(email="", password=""), problems, NOT_AN_OBJECT)
    confirmation = data.get("password_confirmation")
    if confirmation is not None and not isinstance(confirmation, str):
        problems["password_confirmation"] = [CONFIRMATION_MISMATCH]
        confirmation = None
    selected = data.get("selected_marketplaces")
    marketplaces = (
        None
        if selected is None or selected == []
        else string_list(selected, "selected_marketplaces", problems)
    )
    command = Register(
        email=text_or_empty(data.get("email")),
        password=text_or_empty(data.get("password")),
        password_confirmation=confirmation,
        device_name=text_or_none(data.get("device_name")),
        selected_marketplaces=marketplaces,
    )
    return finish(command, problems)


def parse_login(body: object) -> Parsed[Login]:
    """Both keys are required (400); values that are not strings match no account (401)."""
    data = as_object(body)
    if data is None or "email" not in data or "password" not in data:
        return finish(Login(email="", password=""), {}, LOGIN_REQUIRED)
    command = Login(
        email=text_or_empty(data["email"]),
        password=text_or_empty(data["password"]),
        device_name=text_or_none(data.get("device_name")),
    )
    return finish(command, {})


def parse_confirm(body: object) -> Parsed[ConfirmEmail]:
    """A token that is not a string reads as blank (``is invalid or expired``)."""
    data = as_object(body)
    if data is None:
        return finish(ConfirmEmail(token=""), {}, NOT_AN_OBJECT)
    return finish(ConfirmEmail(token=text_or_empty(data.get("token"))), {})


def parse_update_me(body: object) -> Parsed[UpdateMe]:
    """Flat or nested under ``user`` (an object under ``user`` wins)."""
    problems: FieldErrors = {}
    data = as_object(body)
    if data is None:
        return finish(UpdateMe(), problems, NOT_AN_OBJECT)
    nested = as_object(data.get("user"))
    source = nested if nested is not None else data
    if nested is not None and "selected_marketplaces" in data:
        # The nested value wins, but a top-level one must still be of a readable type.
        string_list(data["selected_marketplaces"], "selected_marketplaces", problems)
    if "selected_marketplaces" not in source:
        return finish(UpdateMe(), problems)
    selected = string_list(source["selected_marketplaces"], "selected_marketplaces", problems)
    command = UpdateMe(selected_marketplaces=selected if selected is not None else UNSET)
    return finish(command, problems)
