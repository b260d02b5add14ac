"""A client generated from the served OpenAPI document drives the quick start, typed.

``openapi-python-client`` (offline, no formatting hooks) turns ``/api/v1/openapi.json`` of a
live ``reseller serve`` into a Python package; the test imports it and registers, confirms,
creates a product with uploads, PUTs the bytes to the signed URLs, finalizes, polls and
lists through it. Every parsed answer must be the generated model of its schema (never a
plain dict), with typed fields (datetimes, enums), and error answers (401, 403, 404, 422
with nested upload ``fields``) must parse to the generated error envelopes. The generator
runs with ``--fail-on-warning``: a schema it cannot model fails the test.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import outbox_token
from tests.e2e.server import ServerProcess
from tests.images import product_photo

PACKAGE = "resellerio_generated_client"
PASSWORD = "correct horse battery"


class Generated:
    """The generated package: ``api("products.post_api_v1_products")``, ``model("ProductBody")``."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def api(self, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    def model(self, name: str) -> Any:
        return getattr(self.models, name)

    def client(self, base_url: str, token: str | None = None) -> Any:
        if token is None:
            return self.package.Client(base_url=base_url, timeout=httpx.Timeout(10))
        return self.package.AuthenticatedClient(
            base_url=base_url, token=token, timeout=httpx.Timeout(10)
        )


@pytest.fixture
def fx_generated(
    fx_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Generated]:
    document = httpx.get(f"{fx_server.base_url}/api/v1/openapi.json", timeout=10)
    assert document.status_code == 200
    spec = tmp_path / "openapi.json"
    spec.write_bytes(document.content)
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")
    out = tmp_path / "generated"
    out.mkdir()
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(out / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"generation failed:\n{result.stdout}\n{result.stderr}"
    print(f"client generated in {time.monotonic() - started:.1f} s")
    monkeypatch.syspath_prepend(str(out))
    try:
        yield Generated(importlib.import_module(PACKAGE))
    finally:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _parsed(response: Any, status: int, model: Any) -> Any:
    """The parsed body of ``response``: ``status`` and an instance of the generated ``model``."""
    assert response.status_code == status, response.content
    parsed = response.parsed
    assert not isinstance(parsed, dict)
    assert isinstance(parsed, model), type(parsed)
    return parsed


def test_generated_client_drives_the_quick_start_with_typed_models(
    fx_server: ServerProcess, fx_generated: Generated
) -> None:
    gen = fx_generated
    m = gen.model
    base = fx_server.base_url
    anonymous = gen.client(base)

    # Register: a typed token envelope; the user's plan and timestamps are typed.
    register = gen.api("authentication.post_api_v1_auth_register")
    registered = _parsed(
        register.sync_detailed(
            client=anonymous,
            body=m("PostApiV1AuthRegisterBody").from_dict(
                {"email": "typed@example.com", "password": PASSWORD}
            ),
        ),
        200,
        m("TokenResponse"),
    )
    token_data = registered.data
    assert isinstance(token_data, m("TokenData"))
    assert isinstance(token_data.expires_at, datetime.datetime)
    assert token_data.expires_at.tzinfo is not None
    assert token_data.user.confirmed_at is None
    assert token_data.user.plan_status.value == "trialing"
    assert isinstance(token_data.user.trial_ends_at, datetime.datetime)
    client = gen.client(base, token_data.token)

    # A 422 with messages per field parses to the validation envelope.
    invalid = register.sync_detailed(
        client=anonymous,
        body=m("PostApiV1AuthRegisterBody").from_dict({"email": "no-at-sign", "password": "x"}),
    )
    error = _parsed(invalid, 422, m("ValidationErrorEnvelope")).error
    assert error.code == "validation_failed"
    assert error.fields["email"] == ["must have the @ sign and no spaces"]

    # 401 (unknown token) and 403 (unconfirmed address) parse to the error envelope.
    me = gen.api("user.get_api_v1_me")
    unauthorized = _parsed(
        me.sync_detailed(client=gen.client(base, "not-a-token")), 401, m("ErrorEnvelope")
    )
    assert unauthorized.error.code == "unauthorized"
    assert unauthorized.error.status == 401
    create = gen.api("products.post_api_v1_products")
    gated = _parsed(
        create.sync_detailed(client=client, body=m("PostApiV1ProductsBody").from_dict({})),
        403,
        m("ErrorEnvelope"),
    )
    assert gated.error.code == "email_not_confirmed"

    # Confirm with the token from the e-mailed link.
    confirm_token = outbox_token(fx_server.data_dir, "typed@example.com")
    confirmed = _parsed(
        gen.api("authentication.post_api_v1_auth_confirm").sync_detailed(
            client=anonymous,
            body=m("PostApiV1AuthConfirmBody").from_dict({"token": confirm_token}),
        ),
        200,
        m("AccountResponse"),
    )
    assert isinstance(confirmed.data.user.confirmed_at, datetime.datetime)

    # A nested upload error: `fields.uploads` is a list aligned with the intents, of maps.
    jpeg = product_photo("JPEG", item=(20, 40, 200))
    png = product_photo("PNG", size=(400, 500), item=(30, 160, 60))
    good_intent = {"filename": "front.jpg", "content_type": "image/jpeg", "byte_size": len(jpeg)}
    rejected = _parsed(
        create.sync_detailed(
            client=client,
            body=m("PostApiV1ProductsBody").from_dict(
                {
                    "product": {"title": "Blue ceramic vase"},
                    "uploads": [
                        good_intent,
                        {"filename": "notes.txt", "content_type": "text/plain", "byte_size": 9},
                    ],
                }
            ),
        ),
        422,
        m("ValidationErrorEnvelope"),
    )
    fields = rejected.error.fields
    assert isinstance(fields, m("FieldErrors"))
    aligned = fields["uploads"]
    assert isinstance(aligned, list) and len(aligned) == 2
    assert all(isinstance(entry, m("FieldErrors")) for entry in aligned)
    assert aligned[0].additional_properties == {}
    assert aligned[1]["content_type"]
    assert all(isinstance(message, str) for message in aligned[1]["content_type"])

    # Create with two uploads. The request's `product` documents its fields (the generated
    # body model has them as attributes); the answer's product is the typed ProductBody.
    create_body = m("PostApiV1ProductsBody").from_dict(
        {
            "product": {"title": "Blue ceramic vase", "price": "24.5"},
            "uploads": [
                good_intent,
                {"filename": "side.png", "content_type": "image/png", "byte_size": len(png)},
            ],
        }
    )
    assert create_body.product.title == "Blue ceramic vase"
    assert create_body.product.price == "24.5"
    assert create_body.product.additional_properties == {}
    assert create_body.uploads[1].content_type == "image/png"
    created = _parsed(
        create.sync_detailed(client=client, body=create_body),
        201,
        m("ProductUploadsResponse"),
    )
    product = created.data.product
    assert isinstance(product, m("ProductBody"))
    assert product.status == m("ProductStatus").UPLOADING
    assert product.source == m("ProductSource").MANUAL
    assert product.price == "24.50"
    assert isinstance(product.inserted_at, datetime.datetime)
    assert all(isinstance(image, m("ImageBody")) for image in product.images)
    assert {image.processing_status for image in product.images} == {
        m("ImageStatus").PENDING_UPLOAD
    }
    instructions = created.data.upload_instructions
    assert [type(item) for item in instructions] == [m("UploadInstructionBody")] * 2
    assert all(isinstance(item.expires_at, datetime.datetime) for item in instructions)

    # The bytes go straight to the signed URLs, with exactly the returned headers.
    for instruction, body in zip(instructions, (jpeg, png), strict=True):
        put = httpx.request(
            instruction.method.value,
            instruction.upload_url,
            content=body,
            headers=instruction.headers.additional_properties,
            timeout=10,
        )
        assert put.status_code in (200, 201, 204), put.text

    # Finalize: the queued run is typed.
    finalize = gen.api("products.post_api_v1_products_by_id_finalize_uploads")
    finalized = _parsed(
        finalize.sync_detailed(
            product.id,
            client=client,
            body=m("PostApiV1ProductsByIdFinalizeUploadsBody").from_dict(
                {"uploads": [{"id": item.image_id} for item in instructions]}
            ),
        ),
        200,
        m("FinalizeResponse"),
    )
    run = finalized.data.processing_run
    assert isinstance(run, m("ProcessingRunBody"))
    assert run.status == m("RunStatus").QUEUED
    assert len(finalized.data.finalized_images) == 2

    # Poll until the run has finished.
    get_product = gen.api("products.get_api_v1_products_by_id")
    deadline = time.monotonic() + 60
    while True:
        polled = _parsed(
            get_product.sync_detailed(product.id, client=client), 200, m("ProductResponse")
        ).data.product
        if polled.status.value not in ("uploading", "processing"):
            break
        assert time.monotonic() < deadline, f"product still {polled.status}"
        time.sleep(0.1)
    assert polled.status in (m("ProductStatus").READY, m("ProductStatus").REVIEW)
    latest = polled.latest_processing_run
    assert isinstance(latest, m("ProcessingRunBody"))
    assert latest.id == run.id
    assert latest.status == m("RunStatus").COMPLETED
    assert latest.step.value == "variants_generated"
    assert isinstance(latest.finished_at, datetime.datetime)
    assert isinstance(polled.description_draft, m("DescriptionDraftBody"))
    assert polled.description_draft.status in set(m("ArtifactStatus"))
    research = polled.price_research
    assert isinstance(research, m("PriceResearchBody"))
    assert research.currency == "USD"
    assert all(
        isinstance(item, m("MarketplaceListingBody")) for item in polled.marketplace_listings
    )
    kinds = sorted(image.kind.value for image in polled.images)
    assert kinds == ["background_removed", "background_removed", "original", "original"]

    # List: the page, its pagination and the applied filters are typed.
    listing = _parsed(
        gen.api("products.get_api_v1_products").sync_detailed(client=client),
        200,
        m("ProductListResponse"),
    ).data
    assert isinstance(listing, m("ProductListData"))
    assert [item.id for item in listing.products] == [product.id]
    assert isinstance(listing.products[0], m("ProductBody"))
    assert listing.pagination.total_count == 1
    assert listing.filters.sort == m("SortKey").UPDATED_AT
    assert listing.filters.updated_from is None

    # An unknown product is a typed 404.
    missing = _parsed(
        get_product.sync_detailed("01JQ9A2B3C4D5E6F7G8H9J0KMN", client=client),
        404,
        m("ErrorEnvelope"),
    )
    assert missing.error.code == "not_found"

    # A state error shares the 422 status with validation: it parses to the plain envelope.
    draft = _parsed(
        create.sync_detailed(client=client, body=m("PostApiV1ProductsBody").from_dict({})),
        201,
        m("ProductUploadsResponse"),
    ).data
    assert draft.product.status == m("ProductStatus").DRAFT
    assert draft.upload_instructions == []
    state_error = finalize.sync_detailed(
        draft.product.id,
        client=client,
        body=m("PostApiV1ProductsByIdFinalizeUploadsBody").from_dict(
            {"uploads": [{"id": instructions[0].image_id}]}
        ),
    )
    wrong_state = _parsed(state_error, 422, m("ErrorEnvelope"))
    assert not isinstance(wrong_state, m("ValidationErrorEnvelope"))
    assert wrong_state.error.code == "invalid_product_state"

    # The remaining operations parse to their own envelopes as well.
    prepared = _parsed(
        gen.api("products.post_api_v1_products_by_id_prepare_uploads").sync_detailed(
            draft.product.id,
            client=client,
            body=m("PostApiV1ProductsByIdPrepareUploadsBody").from_dict({"uploads": [good_intent]}),
        ),
        200,
        m("ProductUploadsResponse"),
    ).data
    assert [type(item) for item in prepared.upload_instructions] == [m("UploadInstructionBody")]
    reprocessed = _parsed(
        gen.api("products.post_api_v1_products_by_id_reprocess").sync_detailed(
            product.id, client=client
        ),
        202,
        m("ReprocessResponse"),
    ).data
    assert reprocessed.processing_run.status == m("RunStatus").QUEUED
    assert reprocessed.processing_run.id != run.id
    _every_account_and_system_operation(gen, base, client)


def _every_account_and_system_operation(gen: Generated, base: str, client: Any) -> None:
    m = gen.model
    anonymous = gen.client(base)
    system = _parsed(
        gen.api("system.get_api_v1").sync_detailed(client=anonymous), 200, m("DiscoveryResponse")
    )
    assert all(isinstance(item, m("EndpointBody")) for item in system.data.endpoints)
    health = _parsed(
        gen.api("system.get_api_v1_health").sync_detailed(client=anonymous),
        200,
        m("HealthResponse"),
    )
    assert health.data.status.value == "ok"
    ready = _parsed(
        gen.api("system.get_api_v1_health_ready").sync_detailed(client=anonymous),
        200,
        m("ReadinessResponse"),
    )
    assert {state.value for state in ready.data.dependencies.additional_properties.values()} == {
        "ok"
    }

    resent = _parsed(
        gen.api("authentication.post_api_v1_auth_resend_confirmation").sync_detailed(client=client),
        200,
        m("ResendResponse"),
    )
    assert resent.data.already_confirmed is True
    updated = _parsed(
        gen.api("user.patch_api_v1_me").sync_detailed(
            client=client,
            body=m("PatchApiV1MeBody").from_dict({"selected_marketplaces": ["ebay"]}),
        ),
        200,
        m("AccountResponse"),
    )
    assert updated.data.user.selected_marketplaces == ["ebay"]
    assert all(
        isinstance(option, m("MarketplaceOption")) for option in updated.data.supported_marketplaces
    )

    logged_in = _parsed(
        gen.api("authentication.post_api_v1_auth_login").sync_detailed(
            client=anonymous,
            body=m("PostApiV1AuthLoginBody").from_dict(
                {"email": "typed@example.com", "password": PASSWORD}
            ),
        ),
        200,
        m("TokenResponse"),
    )
    second = gen.client(base, logged_in.data.token)
    me = gen.api("user.get_api_v1_me")
    assert _parsed(me.sync_detailed(client=second), 200, m("AccountResponse")).data.user.email == (
        "typed@example.com"
    )
    revoked = _parsed(
        gen.api("authentication.delete_api_v1_auth_token").sync_detailed(client=second),
        200,
        m("RevokeResponse"),
    )
    assert revoked.data.revoked is True
    _parsed(me.sync_detailed(client=second), 401, m("ErrorEnvelope"))
