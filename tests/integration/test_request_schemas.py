"""The documented request bodies are the command Structs the edge reads bodies into."""

from __future__ import annotations

import msgspec
import pytest

from reseller_core.commands import (
    ConfirmEmail,
    CreateProduct,
    FinalizeUploads,
    Login,
    PrepareUploads,
    Register,
    UpdateMe,
)
from tests.integration.test_http_system import Client, fetch_document

BODIES = [
    ("post", "/api/v1/auth/register", Register, set()),
    ("post", "/api/v1/auth/login", Login, set()),
    ("post", "/api/v1/auth/confirm", ConfirmEmail, set()),
    ("patch", "/api/v1/me", UpdateMe, {"user"}),
    ("post", "/api/v1/products", CreateProduct, set()),
    ("post", "/api/v1/products/{id}/prepare_uploads", PrepareUploads, set()),
    ("post", "/api/v1/products/{id}/finalize_uploads", FinalizeUploads, set()),
]


@pytest.mark.parametrize(("method", "path", "command", "extra"), BODIES)
async def test_request_body_properties_are_the_commands_fields(
    fx_client: Client,
    method: str,
    path: str,
    command: type[msgspec.Struct],
    extra: set[str],
) -> None:
    """Every field the command has, except those the path fills, and nothing else."""
    document = await fetch_document(fx_client)
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    fields = {field.name for field in msgspec.structs.fields(command)} - {"product_id"}
    assert set(schema["schema"]["properties"]) == fields | extra
    required = {field.name for field in msgspec.structs.fields(command) if field.required} - {
        "product_id"
    }
    assert set(schema["schema"].get("required", [])) == required


async def test_nested_command_types_are_components(fx_client: Client) -> None:
    document = await fetch_document(fx_client)
    schemas = document["components"]["schemas"]
    for name in ("SellerFields", "UploadIntent", "FinalizeItem"):
        assert schemas[name]["type"] == "object", name
    assert set(schemas["SellerFields"]["properties"]) >= {"title", "price", "tags", "source"}
