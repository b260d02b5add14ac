"""System endpoints: discovery, health, readiness, the OpenAPI document, the docs UI, headers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

import reseller_core
from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.integration.conftest import PASSWORD, Account, Fakes
from tests.integration.openapi_check import assert_documented

Client = AsyncTestClient[Litestar]

PROTECTED = {
    ("GET", "/api/v1/products/{id}/lifestyle_generation_runs"),
    ("GET", "/api/v1/products/{id}/video_generation_runs"),
    ("DELETE", "/api/v1/products/{id}/videos/{video_id}"),
    ("POST", "/api/v1/products/{id}/generated_images/{image_id}/approve"),
    ("DELETE", "/api/v1/products/{id}/generated_images/{image_id}"),
    ("POST", "/api/v1/auth/resend_confirmation"),
    ("DELETE", "/api/v1/auth/token"),
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("GET", "/api/v1/me/usage"),
    ("GET", "/api/v1/products"),
    ("POST", "/api/v1/products"),
    ("GET", "/api/v1/products/{id}"),
    ("PATCH", "/api/v1/products/{id}"),
    ("DELETE", "/api/v1/products/{id}"),
    ("POST", "/api/v1/products/{id}/mark_sold"),
    ("POST", "/api/v1/products/{id}/archive"),
    ("POST", "/api/v1/products/{id}/unarchive"),
    ("DELETE", "/api/v1/products/{id}/images/{image_id}"),
    ("PATCH", "/api/v1/products/{id}/images/{image_id}/storefront"),
    ("PUT", "/api/v1/products/{id}/images/storefront_order"),
    ("GET", "/api/v1/product_tabs"),
    ("POST", "/api/v1/product_tabs"),
    ("PATCH", "/api/v1/product_tabs/{id}"),
    ("DELETE", "/api/v1/product_tabs/{id}"),
    ("POST", "/api/v1/products/{id}/prepare_uploads"),
    ("POST", "/api/v1/products/{id}/finalize_uploads"),
    ("POST", "/api/v1/products/{id}/reprocess"),
    ("POST", "/api/v1/products/{id}/generate_lifestyle_images"),
    ("POST", "/api/v1/products/{id}/generate_marketplace_video"),
    ("POST", "/api/v1/exports"),
    ("GET", "/api/v1/exports"),
    ("GET", "/api/v1/exports/{id}"),
    ("POST", "/api/v1/imports"),
    ("GET", "/api/v1/imports"),
    ("GET", "/api/v1/imports/{id}"),
    ("GET", "/api/v1/storefront"),
    ("PUT", "/api/v1/storefront"),
    ("GET", "/api/v1/storefront/pages"),
    ("POST", "/api/v1/storefront/pages"),
    ("PUT", "/api/v1/storefront/pages/order"),
    ("PATCH", "/api/v1/storefront/pages/{page_id}"),
    ("DELETE", "/api/v1/storefront/pages/{page_id}"),
    ("POST", "/api/v1/storefront/assets/{kind}/prepare_upload"),
    ("DELETE", "/api/v1/storefront/assets/{kind}"),
    ("GET", "/api/v1/inquiries"),
    ("DELETE", "/api/v1/inquiries/{id}"),
}
PRODUCT_FIELDS = (
    "id",
    "status",
    "source",
    "title",
    "brand",
    "category",
    "condition",
    "color",
    "size",
    "material",
    "price",
    "cost",
    "product_tab_id",
    "product_tab",
    "sku",
    "tags",
    "notes",
    "ai_summary",
    "ai_confidence",
    "sold_at",
    "archived_at",
    "storefront_enabled",
    "storefront_published_at",
    "inserted_at",
    "updated_at",
    "latest_processing_run",
    "latest_lifestyle_generation_run",
    "videos",
    "latest_video_generation_run",
    "description_draft",
    "price_research",
    "marketplace_listings",
    "image_urls",
    "images",
)
"""The product payload's keys, as spec 20 §2.2 lists them."""
WRITE_GATED = {
    ("POST", "/api/v1/products"),
    ("POST", "/api/v1/products/{id}/prepare_uploads"),
    ("POST", "/api/v1/products/{id}/finalize_uploads"),
    ("POST", "/api/v1/products/{id}/reprocess"),
    ("POST", "/api/v1/products/{id}/generate_lifestyle_images"),
    ("POST", "/api/v1/products/{id}/generate_marketplace_video"),
    ("POST", "/api/v1/imports"),
    ("POST", "/api/v1/storefront/assets/{kind}/prepare_upload"),
}


async def fetch_document(client: Client) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def live_api_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path template) of every /api/v1 route Litestar actually serves."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format.startswith("/api/v1"):
            for method in route.methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path_format))
    return found


def expected_operation_id(method: str, path: str) -> str:
    parts = [method.lower()]
    for segment in path.strip("/").split("/"):
        param = re.fullmatch(r"\{(.+)\}", segment)
        words = re.split(r"[_.\-]", param.group(1) if param else segment)
        camel = "".join(word[:1].upper() + word[1:] for word in words)
        parts.append("By" + camel if param else camel)
    return "".join(parts)


# --- discovery --------------------------------------------------------------------------


async def test_discovery_lists_every_api_route_once_in_declaration_order(
    fx_client: Client, fx_app: Litestar
) -> None:
    response = await fx_client.get("/api/v1")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == "resellerio"
    assert data["version"] == "v1"
    assert data["docs_ui_path"] == "/docs/api"
    assert data["docs_path"] == "/docs/api"
    assert data["openapi_path"] == "/api/v1/openapi.json"
    listed = [(item["method"], item["path"]) for item in data["endpoints"]]
    assert len(listed) == len(set(listed))
    as_templates = {(m, re.sub(r":(\w+)", r"{\1}", p)) for m, p in listed}
    assert as_templates == live_api_routes(fx_app)
    assert listed[0] == ("GET", "/api/v1")
    assert listed.index(("POST", "/api/v1/auth/register")) < listed.index(("GET", "/api/v1/me"))
    assert listed.index(("GET", "/api/v1/me")) < listed.index(("GET", "/api/v1/products"))
    assert listed.index(("GET", "/api/v1/products")) < listed.index(("POST", "/api/v1/products"))
    assert ("GET", "/api/v1/products/:id") in listed
    assert all(
        not path.startswith(("/uploads", "/files", "/confirm", "/docs")) for _, path in listed
    )
    assert all(item["description"] for item in data["endpoints"])


async def test_discovery_descriptions_match_the_openapi_text(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    endpoints = (await fx_client.get("/api/v1")).json()["data"]["endpoints"]
    for item in endpoints:
        template = re.sub(r":(\w+)", r"{\1}", item["path"])
        assert (
            document["paths"][template][item["method"].lower()]["description"]
            == (item["description"])
        )
    by_key = {(e["method"], e["path"]): e["description"] for e in endpoints}
    assert by_key[("GET", "/api/v1")] == (
        "Returns API metadata and the list of currently available endpoints."
    )
    assert by_key[("GET", "/api/v1/products/:id")] == (
        "Returns one product for the authenticated user."
    )


# --- health -----------------------------------------------------------------------------


async def test_health_is_liveness_with_the_package_version(fx_client: Client) -> None:
    response = await fx_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "data": {"name": "resellerio", "status": "ok", "version": reseller_core.__version__}
    }


async def test_readiness_reports_each_dependency(fx_client: Client) -> None:
    response = await fx_client.get("/api/v1/health/ready")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "ok"
    assert data["dependencies"]["database"] == "ok"
    assert data["dependencies"]["storage"] == "ok"


async def test_readiness_is_503_envelope_when_a_dependency_is_down(
    fx_client: Client, fx_fakes: Fakes
) -> None:
    fx_fakes.database.healthy = False
    response = await fx_client.get("/api/v1/health/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["status"] == 503
    assert error["dependencies"]["database"] == "unavailable"
    assert error["dependencies"]["storage"] == "ok"
    assert "ConnectionError" not in response.text
    assert_documented(await fetch_document(fx_client), "GET", "/api/v1/health/ready", response)


# --- OpenAPI ----------------------------------------------------------------------------


async def test_openapi_document_is_valid_3_1(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert "data" not in document


async def test_openapi_parity_assertions(fx_client: Client) -> None:
    """The reference test-suite's assertions (spec 60 §7.3) that apply to these routes."""
    document = await fetch_document(fx_client)
    assert document["info"]["title"] == "ResellerIO API"
    assert document["info"]["version"] == "v1"
    assert document["info"]["description"]
    assert document["servers"] == [{"url": "/", "description": "Current environment"}]
    assert document["externalDocs"] == {"description": "Interactive API docs", "url": "/docs/api"}
    assert document["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "token",
    }
    assert document["paths"]["/api/v1/openapi.json"]["get"]["summary"] == "Get OpenAPI document"
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"BearerAuth": []}]
    assert me["tags"] == ["User"]
    product = document["paths"]["/api/v1/products/{id}"]["get"]
    assert product["parameters"] == [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "description": "Primary resource identifier.",
            "schema": {"type": "string"},
        }
    ]
    listing = document["paths"]["/api/v1/products"]["get"]["parameters"]
    names = [param["name"] for param in listing]
    assert names == [
        "page",
        "page_size",
        "status",
        "query",
        "product_tab_id",
        "updated_from",
        "updated_to",
        "sort",
        "dir",
    ]
    assert all(param["in"] == "query" and param["required"] is False for param in listing)
    by_name = {param["name"]: param for param in listing}
    # Every value is accepted (an invalid one means the default), so every parameter is a
    # plain string and the accepted values are in the description.
    assert all(param["schema"] == {"type": "string"} for param in listing)
    assert "`asc` or `desc`" in by_name["dir"]["description"]
    assert "`YYYY-MM-DD`" in by_name["updated_from"]["description"]


async def test_every_served_api_route_is_documented_with_its_operation_id(
    fx_client: Client, fx_app: Litestar
) -> None:
    document = await fetch_document(fx_client)
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert documented == live_api_routes(fx_app)
    for method, path in documented:
        op = document["paths"][path][method.lower()]
        assert op["operationId"] == expected_operation_id(method, path)
        assert set(op) <= {
            "tags",
            "summary",
            "description",
            "operationId",
            "parameters",
            "responses",
            "security",
            "requestBody",
        }
        assert op["tags"]
        assert op["summary"]
        assert op["description"]
    assert document["paths"]["/api/v1/products/{id}"]["get"]["operationId"] == (
        "getApiV1ProductsById"
    )
    assert document["paths"]["/api/v1/auth/register"]["post"]["operationId"] == (
        "postApiV1AuthRegister"
    )


async def test_security_only_on_protected_operations(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    for path, item in document["paths"].items():
        for method, op in item.items():
            key = (method.upper(), path)
            if key in PROTECTED:
                assert op["security"] == [{"BearerAuth": []}], key
                assert "401" in op["responses"], key
            else:
                assert "security" not in op, key
            assert ("403" in op["responses"]) == (key in WRITE_GATED), key
            assert ("404" in op["responses"]) == ("{" in path), key


async def test_success_and_error_statuses_follow_the_contract(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    paths = document["paths"]

    def statuses(method: str, path: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"201"} <= statuses("post", "/api/v1/products")
    assert "200" not in statuses("post", "/api/v1/products")
    assert {"202"} <= statuses("post", "/api/v1/products/{id}/reprocess")
    assert {"200", "202", "429"} <= statuses("post", "/api/v1/auth/resend_confirmation")
    assert {"200", "400", "422", "429"} <= statuses("post", "/api/v1/auth/register")
    assert {"200", "400", "401", "429"} <= statuses("post", "/api/v1/auth/login")
    assert {"200", "422", "429"} <= statuses("post", "/api/v1/auth/confirm")
    for path in ("/api/v1/products/{id}/finalize_uploads", "/api/v1/products/{id}/reprocess"):
        assert "402" in statuses("post", path)
        schema = paths[path]["post"]["responses"]["402"]["content"]["application/json"]
        assert schema["schema"] == {"$ref": "#/components/schemas/LimitExceededResponse"}
    assert {"502"} <= statuses("post", "/api/v1/products")
    assert {"502"} <= statuses("post", "/api/v1/products/{id}/prepare_uploads")
    assert "503" not in statuses("get", "/api/v1/health")
    assert "503" in statuses("get", "/api/v1/me")
    validation = paths["/api/v1/auth/register"]["post"]["responses"]["422"]
    assert validation["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorEnvelope"
    }
    own = paths["/api/v1/openapi.json"]["get"]["responses"]["200"]["content"]
    assert own["application/json"]["schema"] == {"type": "object", "additionalProperties": True}
    success = paths["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]
    assert success["schema"] == {"$ref": "#/components/schemas/AccountResponse"}


async def test_every_success_is_a_typed_envelope(fx_client: Client) -> None:
    """A success names its own envelope, whose ``data`` is a named object schema (no allOf
    with a free-form ``data`` that would hide the payload from generated clients)."""
    document = await fetch_document(fx_client)
    schemas = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                assert "allOf" not in json.dumps(schema), (method, path, status)
                if not status.startswith("2") or path == "/api/v1/openapi.json":
                    continue
                envelope = schemas[schema["$ref"].removeprefix(prefix)]
                assert envelope["required"] == ["data"], (method, path)
                data = schemas[envelope["properties"]["data"]["$ref"].removeprefix(prefix)]
                assert data["type"] == "object" and data["properties"], (method, path)


async def test_product_payload_documents_every_field_with_its_format(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    schemas = document["components"]["schemas"]
    product = schemas["ProductBody"]
    assert set(product["required"]) == set(product["properties"]) == set(PRODUCT_FIELDS)

    def plain(schema: dict[str, Any]) -> dict[str, Any]:
        """The non-null branch of ``X | None``."""
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") != "null":
                return cast(dict[str, Any], branch)
        raise AssertionError(schema)

    fields = product["properties"]
    for name in ("inserted_at", "updated_at", "sold_at", "archived_at", "storefront_published_at"):
        assert plain(fields[name])["format"] == "date-time", name
    for name in ("price", "cost"):
        assert re.fullmatch(plain(fields[name])["pattern"], "119.00"), name
        assert not re.fullmatch(plain(fields[name])["pattern"], "119"), name
    for name in ("id", "product_tab_id"):
        assert re.fullmatch(plain(fields[name])["pattern"], "01JQ9A2B3C4D5E6F7G8H9J0KMN"), name
    assert fields["status"] == {"$ref": "#/components/schemas/ProductStatus"}
    assert set(schemas["ProductStatus"]["enum"]) == {
        "draft",
        "uploading",
        "processing",
        "review",
        "ready",
        "sold",
        "archived",
    }
    assert schemas["ProductSource"]["type"] == "string"
    image = schemas["ImageBody"]["properties"]
    assert image["kind"] == {"$ref": "#/components/schemas/ImageKind"}
    assert image["processing_status"] == {"$ref": "#/components/schemas/ImageStatus"}
    run = schemas["ProcessingRunBody"]["properties"]
    assert run["status"] == {"$ref": "#/components/schemas/RunStatus"}
    assert "variants_generated" in run["step"]["enum"]
    research = schemas["PriceResearchBody"]["properties"]
    assert (
        plain(research["suggested_target_price"])["pattern"]
        == fields["price"]["anyOf"][0]["pattern"]
    )


async def test_request_bodies_are_documented_objects_with_examples(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    with_body = {
        (method, path)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    }
    assert with_body == {
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/confirm"),
        ("patch", "/api/v1/me"),
        ("post", "/api/v1/products"),
        ("patch", "/api/v1/products/{id}"),
        ("post", "/api/v1/product_tabs"),
        ("patch", "/api/v1/product_tabs/{id}"),
        ("post", "/api/v1/products/{id}/prepare_uploads"),
        ("post", "/api/v1/products/{id}/finalize_uploads"),
        ("post", "/api/v1/products/{id}/generate_lifestyle_images"),
        ("post", "/api/v1/products/{id}/generate_marketplace_video"),
        ("post", "/api/v1/exports"),
        ("post", "/api/v1/imports"),
        ("put", "/api/v1/storefront"),
        ("post", "/api/v1/storefront/pages"),
        ("patch", "/api/v1/storefront/pages/{page_id}"),
        ("put", "/api/v1/storefront/pages/order"),
        ("post", "/api/v1/storefront/assets/{kind}/prepare_upload"),
        ("patch", "/api/v1/products/{id}/images/{image_id}/storefront"),
        ("put", "/api/v1/products/{id}/images/storefront_order"),
    }
    for method, path in with_body:
        body = document["paths"][path][method]["requestBody"]
        content = body["content"]["application/json"]
        assert content["schema"]["type"] == "object"
        assert content["schema"]["additionalProperties"] is True
        assert content["example"]
        assert body["description"]
        assert "400" in document["paths"][path][method]["responses"]


def _string_patterns(schema: Any) -> list[str]:
    """Every ``pattern`` of a string schema anywhere inside ``schema``."""
    if isinstance(schema, dict):
        own = [schema["pattern"]] if schema.get("type") == "string" and "pattern" in schema else []
        return own + [p for value in schema.values() for p in _string_patterns(value)]
    if isinstance(schema, list):
        return [p for item in schema for p in _string_patterns(item)]
    return []


async def test_no_documented_request_string_admits_nul(fx_client: Client) -> None:
    """The server refuses NUL in any text it stores, so a pattern that admits NUL would
    call a refused request valid. Marketplace ids are the one any-text value: an
    unsupported id (NUL included) is the selection rule's refusal, not a shape error."""
    document = await fetch_document(fx_client)
    request_parts = [
        op.get("requestBody", {}) for item in document["paths"].values() for op in item.values()
    ]
    request_parts += [
        param.get("schema", {})
        for item in document["paths"].values()
        for op in item.values()
        for param in op.get("parameters", [])
    ]
    patterns = _string_patterns(request_parts) + _string_patterns(document["components"]["schemas"])
    admitting = {p for p in patterns if re.search(p, "A\x00b")}
    assert admitting == {r"^[\s\S]*$"}
    storefront = document["components"]["schemas"]["SaveStorefront"]["properties"]
    assert not re.search(storefront["title"]["pattern"], "p\x00q")
    assert re.search(storefront["title"]["pattern"], " p ")


async def test_tags_are_sorted_and_components_hold_the_envelopes(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    tags = [tag["name"] for tag in document["tags"]]
    assert tags == sorted(tags)
    assert set(tags) == {
        "Authentication",
        "Exports",
        "Imports",
        "Inquiries",
        "Lifestyle media",
        "Marketplace videos",
        "Product images",
        "Product tabs",
        "Products",
        "Storefront",
        "System",
        "User",
    }
    schemas = document["components"]["schemas"]
    for name in (
        "SuccessEnvelope",
        "ErrorEnvelope",
        "ValidationErrorEnvelope",
        "LimitExceededResponse",
    ):
        assert name in schemas
    assert schemas["ErrorEnvelope"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert schemas["ErrorBody"]["required"] == ["code", "detail", "status"]
    assert schemas["ErrorBody"]["additionalProperties"] is True
    error = schemas["ValidationErrorBody"]["properties"]
    assert error["code"] == {"type": "string", "const": "validation_failed"}
    assert error["status"] == {"type": "integer", "const": 422}
    assert error["fields"] == {"$ref": "#/components/schemas/FieldErrors"}


async def test_litestar_builtin_schema_routes_are_off(fx_client: Client) -> None:
    for path in ("/schema", "/schema/openapi.json", "/schema/swagger", "/schema/redoc"):
        response = await fx_client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# --- docs UI ----------------------------------------------------------------------------


async def test_docs_ui_loads_nothing_from_other_origins(fx_client: Client) -> None:
    response = await fx_client.get("/docs/api")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert not re.search(r"https?://", page)
    assert "/api/v1/openapi.json" in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    for asset in assets:
        assert asset.startswith("/docs/api/assets/")
        fetched = await fx_client.get(asset)
        assert fetched.status_code == 200, asset
    script = await fx_client.get("/docs/api/assets/reseller-docs.js")
    assert not re.search(r"https?://", script.text)
    assert "validatorUrl: null" in script.text


# --- security headers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1", "/api/v1/missing", "/docs/api", "/confirm", "/docs/api/assets/index.css"]
)
async def test_every_response_is_nosniff(fx_client: Client, path: str) -> None:
    response = await fx_client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_api_responses_are_not_cached(fx_client: Client, fx_account: Account) -> None:
    for response in (
        await fx_client.get("/api/v1/me", headers=fx_account.headers),
        await fx_client.get("/api/v1/me"),
        await fx_client.post("/api/v1/auth/login", json={}),
    ):
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/docs/api", "/confirm?token=abc"])
async def test_html_pages_send_the_browser_security_headers(fx_client: Client, path: str) -> None:
    response = await fx_client.get(path)
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["permissions-policy"].startswith("accelerometer=()")
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["x-permitted-cross-domain-policies"] == "none"


async def test_no_hsts_on_a_plain_http_deployment(fx_client: Client) -> None:
    response = await fx_client.get("/api/v1/health")
    assert "strict-transport-security" not in response.headers


async def test_hsts_when_the_public_base_url_is_https(fx_container: Container) -> None:
    fx_container.settings = msgspec.structs.replace(
        fx_container.settings, public_base_url="https://api.reseller.test"
    )
    async with AsyncTestClient(app=create_app(container=fx_container)) as client:
        response = await client.get("/api/v1/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


# --- the app without a given container ----------------------------------------------------


async def test_app_builds_starts_and_closes_its_own_container(tmp_path: Path) -> None:
    """``create_app(settings)`` wires the real embedded adapters in its start-up hook."""
    settings = load_settings({}, data_dir=str(tmp_path), public_base_url="http://testserver.local")
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        ready = await client.get("/api/v1/health/ready")
        assert ready.status_code == 200, ready.text
        assert app.state["container"].local_storage is not None
        registered = await client.post(
            "/api/v1/auth/register", json={"email": "own@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 200
        missing = await client.get("/files/users/none/originals/x.jpg")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


async def test_every_response_carries_a_request_id(fx_client: Client) -> None:
    generated = await fx_client.get("/api/v1/health")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    kept = await fx_client.get("/api/v1/health", headers={"X-Request-ID": "edge-7f3a9c21"})
    assert kept.headers["x-request-id"] == "edge-7f3a9c21"
    replaced = await fx_client.get("/api/v1/health", headers={"X-Request-ID": "bad id; drop"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
