"""Commands of the account use cases (spec 10 §2-3)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class Register(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /auth/register``: top-level keys; unknown keys such as ``is_admin`` are ignored."""

    email: Annotated[
        str,
        Meta(
            description=(
                "Trimmed, lower-cased and normalised to Unicode NFC; unique. An address with "
                "invisible characters (zero-width spaces or joiners, controls, bidi marks) "
                "is refused."
            )
        ),
    ]
    password: Annotated[str, Meta(description="12 to 72 characters.")]
    password_confirmation: Annotated[
        str | None, Meta(description="When present, must equal `password`.")
    ] = None
    device_name: Annotated[
        str | None, Meta(description="Stored on the issued token (at most 120 characters).")
    ] = None
    selected_marketplaces: Annotated[
        tuple[str, ...] | None,
        Meta(
            description="Marketplace ids (a single id is accepted); omitted or empty means the defaults."
        ),
    ] = None


class Login(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /auth/login``: ``email`` and ``password`` are required (400 when absent)."""

    email: Annotated[
        str, Meta(description="Trimmed, lower-cased and normalised to NFC before the lookup.")
    ]
    password: str
    device_name: Annotated[
        str | None, Meta(description="Stored on the issued token (cut to 120 characters).")
    ] = None


class ConfirmEmail(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /auth/confirm``: the raw token from the confirmation e-mail."""

    token: Annotated[str, Meta(description="The token from the e-mailed link (single use).")]


class UpdateMe(msgspec.Struct, frozen=True, kw_only=True):
    """``PATCH /me``: only marketplace preferences are editable; absent changes nothing."""

    selected_marketplaces: Annotated[
        tuple[str, ...] | UnsetType,
        Meta(description="Marketplace ids; stored and returned in catalogue order."),
    ] = UNSET
