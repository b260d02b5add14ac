"""Loopback fakes of SerpApi and Photoroom, speaking their HTTP APIs on 127.0.0.1.

SerpApi: ``GET /search.json`` for the ``google_lens`` and ``google_shopping_light`` engines
and ``GET /account.json``, answering with the documented JSON shapes (``search_metadata``,
``visual_matches`` with ``price.extracted_value``, ``shopping_results`` with
``extracted_price``; errors as ``{"error": ...}``). Photoroom: ``POST /v2/edit`` taking the
multipart ``imageFile`` and answering the cut-out PNG (made by the offline editor, so the
pixels are real) or a JSON error. Tests queue faults with ``push`` and read ``requests``.
"""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reseller_adapters.images.offline import remove_background

SERP_KEY = "serp-test-key-5f1c0a9e"
PHOTOROOM_KEY = "sandbox_photoroom-test-key-77aa"

LENS_ANSWER: dict[str, Any] = {
    "search_metadata": {"id": "fake-lens-1", "status": "Success", "total_time_taken": 1.21},
    "search_parameters": {"engine": "google_lens", "hl": "en", "country": "us"},
    "visual_matches": [
        {
            "position": 1,
            "title": "Acme Trail Runner 2 Sneakers Red Canvas Size 42",
            "link": "https://www.ebay.com/itm/1234567890",
            "source": "eBay",
            "source_icon": "https://serpapi.com/searches/icons/ebay.png",
            "price": {"value": "$45.00*", "extracted_value": 45.0, "currency": "$"},
            "in_stock": True,
            "thumbnail": "https://encrypted-tbn0.gstatic.com/images?q=tbn:1",
        },
        {
            "position": 2,
            "title": "Acme Trail Runner red",
            "link": "https://www.depop.com/products/x",
            "source": "Depop",
            "thumbnail": "https://encrypted-tbn0.gstatic.com/images?q=tbn:2",
        },
        {"position": 3, "link": "https://example.com/untitled", "source": "Example"},
    ],
}
SHOPPING_ANSWER: dict[str, Any] = {
    "search_metadata": {"id": "fake-shopping-1", "status": "Success", "total_time_taken": 0.8},
    "search_parameters": {"engine": "google_shopping_light", "hl": "en", "gl": "us"},
    "shopping_results": [
        {
            "position": index + 1,
            "title": f"Acme Trail Runner Sneakers #{index + 1}",
            "product_id": f"{1000 + index}",
            "source": "eBay",
            "product_link": f"https://www.google.com/shopping/product/{1000 + index}",
            "price": f"${price:.2f}",
            "extracted_price": price,
            "rating": 4.5,
            "reviews": 120,
            "thumbnail": f"https://encrypted-tbn0.gstatic.com/shopping?q=tbn:{index}",
        }
        for index, price in enumerate((38.0, 45.5, 52.0))
    ],
}


class LoopbackServer:
    """A threaded HTTP server whose ``handle`` answers (status, headers, body)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.queued: list[tuple[int, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
                with fake._lock:
                    fake.requests.append(request)
                    queued = fake.queued.pop(0) if fake.queued else None
                status, headers, payload = queued or fake.handle(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def push(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._lock:
            self.queued.append(
                (status, {"content-type": "application/json", **(headers or {})}, payload)
            )

    def handle(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


class SerpApiFake(LoopbackServer):
    def handle(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request["path"])
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if query.get("api_key") != SERP_KEY:
            return _json(
                401,
                {
                    "error": "Invalid API key. Your API key should be here: "
                    "https://serpapi.com/manage-api-key"
                },
            )
        if url.path == "/account.json":
            return _json(200, {"account_id": "fake", "plan_searches_left": 100})
        if url.path != "/search.json":
            return _json(404, {"error": "Not found"})
        if query.get("engine") == "google_lens" and query.get("url"):
            return _json(200, LENS_ANSWER)
        if query.get("engine") == "google_shopping_light" and query.get("q"):
            return _json(200, SHOPPING_ANSWER)
        return _json(400, {"error": "Missing query `q` parameter."})

    def queries(self) -> list[dict[str, str]]:
        return [
            {key: values[0] for key, values in parse_qs(urlsplit(r["path"]).query).items()}
            for r in self.requests
        ]


class PhotoroomFake(LoopbackServer):
    def handle(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        if request["headers"].get("x-api-key") != PHOTOROOM_KEY:
            return _json(
                403,
                {"detail": "Invalid API key", "status_code": 403, "type": "authentication_error"},
            )
        if request["method"] == "GET" and request["path"] == "/v2/account":
            return _json(200, {"credits": {"available": 100, "subscription": 100}})
        if request["path"] != "/v2/edit":
            return _json(404, {"detail": "Not found", "status_code": 404})
        fields = self.form(request)
        if fields.get("removeBackground") != b"true" or fields.get("export.format") != b"png":
            return _json(400, {"detail": "unexpected parameters", "status_code": 400})
        try:
            edited = remove_background(fields["imageFile"], 50_000_000)
        except Exception as exc:
            return _json(
                400,
                {
                    "detail": f"Image could not be processed: {exc}",
                    "status_code": 400,
                    "type": "image_processing_error",
                },
            )
        return (
            200,
            {"content-type": "image/png", "pr-ai-background-removal-model-version": "4.0.0"},
            edited.data,
        )

    @staticmethod
    def form(request: dict[str, Any]) -> dict[str, bytes]:
        """The multipart fields of a request, by name."""
        head = f"content-type: {request['headers']['Content-Type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + request["body"])
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = payload
        return fields
