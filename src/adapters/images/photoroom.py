"""Photoroom background removal (spec 30 §6.9, §10): a transparent PNG with 15% padding.

One ``POST /v2/edit`` per image (multipart, ``x-api-key`` header) asking for the cut-out
on a transparent background, padded, as PNG. The input is decoded here first, so a file
that is no image fails without a paid call, and the answer is checked to be a PNG with an
alpha channel whose size is reported from the PNG itself. Each edit reports the flat
image-editing cost (spec 10 §5.5).
"""

from __future__ import annotations

import io
from typing import Final

import httpx
from PIL import Image, UnidentifiedImageError

from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS, decode_bounded
from reseller_core.domain.costs import IMAGE_EDIT_COST, ProviderUsage
from reseller_core.ports.images import EditedImage, ImageEditorError
from reseller_core.ports.usage import report_usage

DEFAULT_BASE_URL: Final = "https://image-api.photoroom.com"
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
UPLOAD_TYPES: Final = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}


class PhotoroomImageEditor:
    """``ImageEditor`` on Photoroom's image-editing API."""

    name = "photoroom"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 15.0,
        padding: float = 0.15,
        max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Photoroom needs an API key: set RESELLER_PHOTOROOM_API_KEY")
        self._key = api_key
        self._base_url = base_url.rstrip("/")
        self._padding = padding
        self._max_pixels = max_image_pixels
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))

    async def aclose(self) -> None:
        await self._client.aclose()

    def _upload(self, data: bytes) -> tuple[bytes, str]:
        """The bytes to send and their type; formats Photoroom may not read go as PNG."""
        try:
            decoded = decode_bounded(data, max_pixels=self._max_pixels)
        except ValueError as exc:
            raise ImageEditorError(f"not an image the editor can read: {exc}") from exc
        content_type = UPLOAD_TYPES.get(decoded.format)
        if content_type is not None:
            return data, content_type
        buffer = io.BytesIO()
        decoded.image.save(buffer, format="PNG")
        return buffer.getvalue(), "image/png"

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        del content_type  # the client's claim; the decoded format is what is sent
        upload, upload_type = self._upload(data)
        fields = {
            "removeBackground": "true",
            "padding": f"{self._padding:g}",
            "export.format": "png",
        }
        try:
            response = await self._client.post(
                f"{self._base_url}/v2/edit",
                headers={"x-api-key": self._key, "accept": "image/png, application/json"},
                data=fields,
                files={"imageFile": ("image", upload, upload_type)},
            )
        except httpx.HTTPError as exc:
            raise ImageEditorError(
                f"Photoroom could not be reached ({type(exc).__name__})"
            ) from None
        report_usage(ProviderUsage(flat_cost_usd=IMAGE_EDIT_COST))
        if response.status_code >= 400:
            detail = ""
            try:
                body = response.json()
                detail = str(body.get("detail") or body.get("message") or "")
            except ValueError:
                pass
            detail = detail.replace(self._key, "[redacted]")[:300]
            raise ImageEditorError(
                f"Photoroom refused the edit: HTTP {response.status_code} {detail}"
            )
        return self._edited(response.content)

    @staticmethod
    def _edited(png: bytes) -> EditedImage:
        if not png.startswith(PNG_SIGNATURE):
            raise ImageEditorError("Photoroom answered something that is not a PNG")
        try:
            with Image.open(io.BytesIO(png)) as image:
                image.load()
                has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
                width, height = image.size
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ImageEditorError(f"Photoroom's PNG could not be decoded: {exc}") from exc
        if not has_alpha:
            raise ImageEditorError("Photoroom's PNG has no transparency")
        return EditedImage(data=png, content_type="image/png", width=width, height=height)

    async def check(self) -> None:
        """One cheap call: the account endpoint (no credit used)."""
        try:
            response = await self._client.get(
                f"{self._base_url}/v2/account", headers={"x-api-key": self._key}
            )
        except httpx.HTTPError as exc:
            raise ImageEditorError(
                f"Photoroom could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            raise ImageEditorError(f"Photoroom refused the key check: HTTP {response.status_code}")
