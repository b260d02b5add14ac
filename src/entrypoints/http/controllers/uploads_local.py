"""The URLs of local object storage (embedded setup): signed uploads in, public files out.

With S3 the client talks to the bucket; with the local directory adapter this server plays
the bucket, so these routes exist only when the container has a local storage. They are not
API endpoints: they are excluded from the OpenAPI document and from discovery.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from reseller_adapters.storage.local import LocalObjectStorage, LocalUploadRejected
from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.http.errors import error_response

FILE_CACHE_CONTROL: Final = "public, max-age=3600"
"""Object keys are unique per upload (a new photo gets a new key), so caching is safe."""
FILE_CSP: Final = "default-src 'none'; sandbox"
"""User bytes are served from our origin: never let a browser run them as a page."""


def _storage(container: Container) -> LocalObjectStorage:
    storage: LocalObjectStorage | None = container.local_storage
    if storage is None:
        raise NotFoundException()
    return storage


def _object_key(path_param: str) -> str:
    """The key as the URL path after the prefix, without the one leading slash Litestar keeps."""
    return path_param.removeprefix("/")


def _rejection(exc: LocalUploadRejected) -> Response[Any]:
    return error_response(exc.status, exc.code, exc.detail)


class LocalStorageController(Controller):
    include_in_schema = False

    @put("/uploads/{key:path}", status_code=200, request_max_body_size=None)
    async def receive_upload(
        self,
        key: FromPath[str],
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
    ) -> Response[Any]:
        """Verify the signed URL, then stream the body to disk (the grant bounds its size)."""
        storage = _storage(container)
        try:
            grant = storage.verify_upload(
                _object_key(key),
                request.query_params,
                request.headers.get("content-type"),
                container.deps.clock.now(),
            )
            await storage.receive(grant, request.stream(), request.content_length)
        except LocalUploadRejected as exc:
            return _rejection(exc)
        return Response(b"", status_code=200)

    @get("/files/{key:path}")
    async def serve_file(
        self,
        key: FromPath[str],
        request: Request[Any, Any, Any],
        container: NamedDependency[Container],
    ) -> Response[Any]:
        """Stream a stored object with its content type; 404 envelope when it is missing.

        Objects are public (keys hold a random UUID); a signed download URL is still
        checked, so an expired or forged signature is refused rather than ignored.
        """
        storage = _storage(container)
        object_key = _object_key(key)
        query = request.query_params
        if "sig" in query or "expires" in query:
            try:
                storage.verify_download(object_key, query, container.deps.clock.now())
            except LocalUploadRejected as exc:
                return _rejection(exc)
        info = await storage.head(object_key)
        if info is None:
            raise NotFoundException()
        return Stream(
            storage.stream(object_key),
            media_type=info.content_type or "application/octet-stream",
            headers={
                "Cache-Control": FILE_CACHE_CONTROL,
                "Content-Length": str(info.size),
                "Content-Security-Policy": FILE_CSP,
            },
        )
