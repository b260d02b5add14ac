"""Authentication: register, log in, confirm the e-mail address, resend, revoke a token.

Also the small server-rendered confirmation page the e-mailed link opens: ``GET /confirm``
only shows a button (link scanners must not confirm anyone), the button POSTs the token.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromQuery
from litestar.response import Template

from reseller_core.commands import ConfirmEmail, Login, Register
from reseller_core.errors import NotFound, RateLimited, ValidationFailed
from reseller_core.services.accounts import AccountService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.lenient_schemas import ignored_unless_string, marketplace_ids
from reseller_entrypoints.http.parsing import parse_confirm, parse_login, parse_register
from reseller_entrypoints.http.presenters import account_response, token_response
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.schemas import (
    AccountResponse,
    ResendData,
    ResendResponse,
    RevokeData,
    RevokeResponse,
    TokenResponse,
)

REGISTER_BODY: Final = BodyDoc(
    description="Top-level keys (not nested). Unknown keys such as `is_admin` are ignored.",
    example={
        "email": "seller@example.com",
        "password": "correct horse battery",
        "device_name": "iPhone",
        "selected_marketplaces": ["ebay", "depop"],
    },
    command=Register,
    overrides={
        "device_name": ignored_unless_string("Stored on the issued token (cut to 120 characters)."),
        "selected_marketplaces": marketplace_ids(nullable=True),
        "email": {
            "type": "string",
            "pattern": r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
            "description": (
                "Trimmed, lower-cased and normalised to Unicode NFC; unique. An address with "
                "invisible characters (zero-width spaces or joiners, controls, bidi marks) "
                "is refused."
            ),
        },
        "password": {
            "type": "string",
            "minLength": 12,
            "maxLength": 72,
            "description": "12 to 72 characters.",
        },
    },
)
LOGIN_BODY: Final = BodyDoc(
    description="`email` and `password` are required (400 when absent).",
    example={"email": "seller@example.com", "password": "correct horse battery"},
    command=Login,
    overrides={
        "device_name": ignored_unless_string("Stored on the issued token (cut to 120 characters).")
    },
)
CONFIRM_BODY: Final = BodyDoc(
    description="The raw token from the confirmation e-mail.",
    example={"token": "q4Zb0m7b0X3d2sVv6YcN1c9mUu0lQ8a5rT2eP7kJ1wA"},
    command=ConfirmEmail,
)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Authentication"]

    @post(
        "/register",
        status_code=200,
        operation_id="postApiV1AuthRegister",
        summary="Register",
        description=(
            "Creates an account (unconfirmed, 7-day trial), e-mails a confirmation link and "
            "returns a bearer token. Limited to 10 requests per minute per IP."
        ),
        opt=api_doc(OperationDoc(body=REGISTER_BODY, validates=True, rate_limited=True)),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        client_key: NamedDependency[str],
    ) -> TokenResponse:
        parsed = parse_register(await read_json(request))
        issued = await accounts.register(*parsed, client_key=client_key)
        return token_response(issued, accounts.supported_marketplaces())

    @post(
        "/login",
        status_code=200,
        operation_id="postApiV1AuthLogin",
        summary="Log in",
        description=(
            "Exchanges an e-mail address and password for a new bearer token. Limited to 10 "
            "requests per minute per IP."
        ),
        opt=api_doc(OperationDoc(body=LOGIN_BODY, unauthorized=True, rate_limited=True)),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        client_key: NamedDependency[str],
    ) -> TokenResponse:
        parsed = parse_login(await read_json(request))
        issued = await accounts.login(*parsed, client_key=client_key)
        return token_response(issued, accounts.supported_marketplaces())

    @post(
        "/resend_confirmation",
        status_code=202,
        operation_id="postApiV1AuthResendConfirmation",
        summary="Resend the confirmation e-mail",
        description=(
            "Sends a new confirmation link (202), or answers 200 with `already_confirmed` "
            "when the address is confirmed. Throttled to 1 per minute and 5 per hour."
        ),
        dependencies=AUTH_DEPENDENCY,
        opt=api_doc(OperationDoc(protected=True, rate_limited=True, extra_success=(200,))),
    )
    async def resend_confirmation(
        self, auth: NamedDependency[AuthContext], accounts: NamedDependency[AccountService]
    ) -> Response[ResendResponse]:
        result = await accounts.resend_confirmation(auth.user)
        return Response(
            ResendResponse(
                data=ResendData(sent=result.sent, already_confirmed=result.already_confirmed)
            ),
            status_code=200 if result.already_confirmed else 202,
        )

    @post(
        "/confirm",
        status_code=200,
        operation_id="postApiV1AuthConfirm",
        summary="Confirm the e-mail address",
        description=(
            "Confirms the address with the single-use token from the e-mail (valid 48 hours) "
            "and returns the user like `GET /api/v1/me`."
        ),
        opt=api_doc(OperationDoc(body=CONFIRM_BODY, validates=True, rate_limited=True)),
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        client_key: NamedDependency[str],
    ) -> AccountResponse:
        parsed = parse_confirm(await read_json(request))
        user = await accounts.confirm(*parsed, client_key=client_key)
        return account_response(user, accounts.supported_marketplaces())

    @delete(
        "/token",
        status_code=200,
        operation_id="deleteApiV1AuthToken",
        summary="Revoke the current token",
        description=(
            "Revokes the bearer token that authenticates this request (log out); later use "
            "answers 401. An extension over the seed API."
        ),
        dependencies=AUTH_DEPENDENCY,
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def revoke_token(
        self, auth: NamedDependency[AuthContext], accounts: NamedDependency[AccountService]
    ) -> RevokeResponse:
        await accounts.revoke(auth)
        return RevokeResponse(data=RevokeData(revoked=True))


class ConfirmPageController(Controller):
    """The page behind the e-mailed link. HTML, not part of the API document."""

    path = "/confirm"
    include_in_schema = False

    @get("/", media_type=MediaType.HTML, sync_to_thread=False)
    def confirm_page(self, token: FromQuery[str | None] = None) -> Template:
        """Shows a button only: a GET never changes state, so link scanners confirm nobody."""
        return Template(template_name="confirm.html", context={"token": token or ""})

    @post("/", status_code=200, media_type=MediaType.HTML)
    async def confirm_submit(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        client_key: NamedDependency[str],
    ) -> Template:
        form = await request.form()
        token = form.get("token")
        try:
            await accounts.confirm(
                ConfirmEmail(token=token if isinstance(token, str) else ""), client_key=client_key
            )
        except (ValidationFailed, NotFound):
            return Template(
                template_name="confirm_result.html", context={"confirmed": False}, status_code=422
            )
        except RateLimited as exc:
            return Template(
                template_name="confirm_result.html",
                context={"confirmed": False, "rate_limited": True},
                status_code=429,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        return Template(template_name="confirm_result.html", context={"confirmed": True})
