"""The authenticated user and their marketplace preferences."""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, get, patch
from litestar.di import NamedDependency

from reseller_core.commands import UpdateMe
from reseller_core.services.accounts import AccountService
from reseller_core.services.plans import PlanService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.lenient_schemas import marketplace_ids
from reseller_entrypoints.http.parsing import parse_update_me
from reseller_entrypoints.http.presenters import account_response, usage_response
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.schemas import AccountResponse, UsageResponse

UPDATE_ME_BODY: Final = BodyDoc(
    description=(
        "Only marketplace preferences are editable, flat or nested under `user` (`user` wins). "
        "Without `selected_marketplaces` nothing changes."
    ),
    example={"selected_marketplaces": ["ebay", "mercari"]},
    command=UpdateMe,
    overrides={"selected_marketplaces": marketplace_ids(nullable=False)},
    nested_under="user",
    required=False,
)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["User"]
    dependencies = AUTH_DEPENDENCY

    @get(
        "/",
        operation_id="getApiV1Me",
        summary="Get the current user",
        description=(
            "Returns the authenticated user (plan, trial, e-mail confirmation state, selected "
            "marketplaces) and the supported marketplaces."
        ),
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def me(
        self, auth: NamedDependency[AuthContext], accounts: NamedDependency[AccountService]
    ) -> AccountResponse:
        user = await accounts.me(auth.user.id)
        return account_response(user, accounts.supported_marketplaces())

    @patch(
        "/",
        operation_id="patchApiV1Me",
        summary="Update marketplace preferences",
        description=(
            "Updates the marketplaces future processing runs write listings for; returns the "
            "user like `GET /api/v1/me`."
        ),
        opt=api_doc(OperationDoc(protected=True, body=UPDATE_ME_BODY, validates=True)),
    )
    async def update_me(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        accounts: NamedDependency[AccountService],
    ) -> AccountResponse:
        parsed = parse_update_me(await read_json(request))
        user = await accounts.update_me(auth.user, *parsed)
        return account_response(user, accounts.supported_marketplaces())

    @get(
        "/usage",
        operation_id="getApiV1MeUsage",
        summary="Get this month's usage and limits",
        description=(
            "Usage recorded this calendar month (UTC) per bucket beside the monthly limits of "
            "the plan that applies now (the trial plan during a trial), the remaining add-on "
            "credits, the user's plan and the period counted. Credits are used once a "
            "bucket's allowance is used up."
        ),
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def usage(
        self, auth: NamedDependency[AuthContext], plans: NamedDependency[PlanService]
    ) -> UsageResponse:
        return usage_response(await plans.usage(auth.user.id))
