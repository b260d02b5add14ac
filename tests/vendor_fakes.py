"""Loopback fakes of the LLM vendors' HTTP APIs, for the LLM adapter's tests.

Each speaks one vendor's wire protocol over real HTTP on 127.0.0.1: Gemini
``generateContent``, OpenAI chat completions, Anthropic messages. Successful answers and
errors have the shapes those APIs return (the envelopes of their API references: candidates
with ``usageMetadata``, ``choices`` with ``usage``, ``content`` blocks with ``usage``; error
objects with ``status``/``code``/``type``). Which operation was asked is read from the
output schema the request carries, and the answer fits it: the canned item is the
conformance suite's seller item (Acme sneakers, red canvas).

Tests script faults with ``push`` (served first, one per request) and read ``requests``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RECOGNITION: dict[str, Any] = {
    "category": "sneakers",
    "brand": "Acme",
    "possible_model": "Trail Runner",
    "color": "red",
    "material": "canvas",
    "logo_text": "ACME",
    "distinguishing_features": ["white rubber sole", "red canvas upper"],
    "confidence_score": 0.91,
    "field_confidence": {"brand": 0.95, "category": 0.98},
    "needs_review": False,
    "missing_information": [],
}
RECONCILIATION: dict[str, Any] = {
    "most_likely_model": "Trail Runner 2",
    "same_model_family": True,
    "short_card_description": "Acme Trail Runner 2 sneakers",
    "review_notes": [],
}
DESCRIPTION: dict[str, Any] = {
    "suggested_title": "Acme Trail Runner Sneakers, Red Canvas, EU 42",
    "short_description": "Acme Trail Runner sneakers in red canvas, size EU 42, used - good.",
    "long_description": "Red canvas Acme Trail Runner sneakers in EU 42. Condition: used - good.",
    "key_features": ["Red canvas upper", "Size EU 42"],
    "seo_keywords": ["acme", "trail runner", "sneakers"],
    "missing_details_warning": None,
}
PRICE: dict[str, Any] = {
    "currency": "USD",
    "suggested_min_price": 35,
    "suggested_target_price": 45.5,
    "suggested_max_price": 55,
    "suggested_median_price": 45,
    "pricing_confidence": 0.7,
    "rationale_summary": "Comparable used pairs sold for 35-55 USD.",
    "market_signals": ["steady demand for trail runners"],
    "comparable_results": [
        {
            "title": "Acme Trail Runner EU 42",
            "marketplace": "eBay",
            "price": 44.0,
            "url": "https://www.ebay.com/itm/1",
            "source_domain": "ebay.com",
        }
    ],
}
LISTING: dict[str, Any] = {
    "generated_title": "Acme Trail Runner Sneakers Red Canvas EU 42",
    "generated_description": "Acme Trail Runner sneakers, red canvas, EU 42. Used - good.",
    "generated_tags": ["acme", "sneakers", "trail runner"],
    "generated_price_suggestion": 45.5,
    "compliance_warnings": [],
}
GROUNDED_TEXT = "Sold listings of used Acme Trail Runner sneakers range from 35 to 55 USD."

ANSWERS: dict[str, dict[str, Any]] = {
    "confidence_score": RECOGNITION,
    "same_model_family": RECONCILIATION,
    "suggested_title": DESCRIPTION,
    "pricing_confidence": PRICE,
    "generated_title": LISTING,
}
"""A property only that operation's schema has → its canned answer."""


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0


def operation_of(properties: dict[str, Any]) -> str:
    for key in ANSWERS:
        if key in properties:
            return key
    raise AssertionError(f"unknown output schema: {sorted(properties)}")


class VendorFake:
    """One vendor's API on a loopback port. ``push`` queues replies served before answers."""

    vendor = ""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.queued: list[Reply] = []
        self.answers: dict[str, dict[str, Any]] = {k: dict(v) for k, v in ANSWERS.items()}
        self.usage = (120, 40)
        self.key: str | None = None
        """When set, model lookups (GET) without this key in a header are refused (401)."""
        self.release = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                with fake._lock:
                    fake.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    reply = fake.queued.pop(0) if fake.queued else None
                if reply is None:
                    reply = fake.answer(self.path, body)
                if reply.hang_s:
                    fake.release.wait(reply.hang_s)
                    return
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

            def do_GET(self) -> None:
                headers = dict(self.headers)
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": headers, "body": None})
                if fake.key and fake.key not in " ".join(headers.values()):
                    reply = fake.json_reply(401, {"error": {"message": "API key not valid"}})
                else:
                    reply = fake.model_info(self.path.rsplit("/", 1)[-1])
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> VendorFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.queued.extend(replies)

    def json_reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, json.dumps(body).encode(), headers or {})

    # what each vendor implements

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        raise NotImplementedError

    def success(self, arguments: str | None, text: str | None = None) -> Reply:
        """A 200 answer carrying ``arguments`` (raw JSON text) as the output tool call."""
        raise NotImplementedError

    def fault(self, kind: str, retry_after: str | None = None) -> Reply:
        raise NotImplementedError

    def model_info(self, name: str) -> Reply:
        """The vendor's "get model" answer (the shape of its models endpoint)."""
        if self.vendor == "gemini":
            body: dict[str, Any] = {
                "name": f"models/{name}",
                "displayName": name,
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
            }
        elif self.vendor == "anthropic":
            body = {
                "type": "model",
                "id": name,
                "display_name": name,
                "created_at": "2025-09-29T00:00:00Z",
            }
        else:
            body = {"id": name, "object": "model", "created": 1744316542, "owned_by": "system"}
        return self.json_reply(200, body)

    def canned(self, properties: dict[str, Any]) -> str:
        return json.dumps(self.answers[operation_of(properties)])


class GeminiFake(VendorFake):
    vendor = "gemini"

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        assert path.endswith(":generateContent"), path
        tools = body.get("tools") or []
        declarations = [d for tool in tools for d in tool.get("functionDeclarations", [])]
        if not declarations:
            return self.success(None, GROUNDED_TEXT)
        schema = declarations[0].get("parameters_json_schema") or declarations[0]["parameters"]
        return self.success(self.canned(schema["properties"]), name=declarations[0]["name"])

    def success(
        self, arguments: str | None, text: str | None = None, name: str = "final_result"
    ) -> Reply:
        part: dict[str, Any] = {"text": text}
        if arguments is not None:
            part = {"functionCall": {"name": name, "args": json.loads(arguments)}}
        prompt, output = self.usage
        return self.json_reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"parts": [part], "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": prompt,
                    "candidatesTokenCount": output,
                    "totalTokenCount": prompt + output,
                },
                "modelVersion": "gemini-3.5-flash-lite",
                "responseId": "fake-response-1",
            },
        )

    def raw_success(self, args_text: str) -> Reply:
        """A 200 whose function-call args are ``args_text`` spliced in as is (maybe broken)."""
        body = (
            '{"candidates": [{"content": {"parts": [{"functionCall": {"name": "final_result", '
            f'"args": {args_text}}}}}], "role": "model"}}, "finishReason": "STOP", "index": 0}}]}}'
        )
        return Reply(200, body.encode())

    def fault(self, kind: str, retry_after: str | None = None) -> Reply:
        headers = {"retry-after": retry_after} if retry_after else {}
        errors = {
            "quota": (429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"),
            "unavailable": (503, "The model is overloaded. Please try again later.", "UNAVAILABLE"),
            "media": (400, "Cannot fetch content from the provided URL.", "INVALID_ARGUMENT"),
            "grounding": (
                400,
                "Tool use with a response mime type: 'application/json' is unsupported",
                "INVALID_ARGUMENT",
            ),
            "server": (500, "An internal error has occurred.", "INTERNAL"),
        }
        status, message, code = errors[kind]
        return self.json_reply(
            status, {"error": {"code": status, "message": message, "status": code}}, headers
        )


class OpenAIFake(VendorFake):
    vendor = "openai"

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        assert path.endswith("/chat/completions"), path
        tools = body.get("tools") or []
        if not tools:
            return self.success(None, GROUNDED_TEXT)
        function = tools[0]["function"]
        return self.success(
            self.canned(function["parameters"]["properties"]), name=function["name"]
        )

    def success(
        self, arguments: str | None, text: str | None = None, name: str = "final_result"
    ) -> Reply:
        message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if arguments is not None:
            message = {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_fake1",
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    }
                ],
            }
        prompt, output = self.usage
        return self.json_reply(
            200,
            {
                "id": "chatcmpl-fake1",
                "object": "chat.completion",
                "created": 1764633600,
                "model": "gpt-4.1-mini-2025-04-14",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": "tool_calls" if arguments is not None else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": output,
                    "total_tokens": prompt + output,
                },
                "system_fingerprint": "fp_fake",
            },
        )

    def fault(self, kind: str, retry_after: str | None = None) -> Reply:
        headers = {"retry-after": retry_after} if retry_after else {}
        errors = {
            "rate": (
                429,
                "Rate limit reached for gpt-4.1-mini in organization org-fake on "
                "requests per min (RPM): Limit 3, Used 3.",
                "requests",
                "rate_limit_exceeded",
            ),
            "quota": (
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            ),
            "unavailable": (
                503,
                "The server is overloaded or not ready yet.",
                "server_error",
                None,
            ),
        }
        status, message, kind_, code = errors[kind]
        return self.json_reply(
            status,
            {"error": {"message": message, "type": kind_, "param": None, "code": code}},
            headers,
        )


class AnthropicFake(VendorFake):
    vendor = "anthropic"

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        assert path.endswith("/v1/messages"), path
        tools = [tool for tool in body.get("tools") or [] if "input_schema" in tool]
        if not tools:
            return self.success(None, GROUNDED_TEXT)
        return self.success(
            self.canned(tools[0]["input_schema"]["properties"]), name=tools[0]["name"]
        )

    def success(
        self, arguments: str | None, text: str | None = None, name: str = "final_result"
    ) -> Reply:
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if arguments is not None:
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_fake1",
                    "name": name,
                    "input": json.loads(arguments),
                }
            ]
        prompt, output = self.usage
        return self.json_reply(
            200,
            {
                "id": "msg_fake1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-6",
                "content": content,
                "stop_reason": "tool_use" if arguments is not None else "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": prompt,
                    "output_tokens": output,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
        )

    def fault(self, kind: str, retry_after: str | None = None) -> Reply:
        headers = {"retry-after": retry_after} if retry_after else {}
        errors = {
            "rate": (
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            ),
            "unavailable": (529, "overloaded_error", "Overloaded"),
            "quota": (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.",
            ),
        }
        status, kind_, message = errors[kind]
        return self.json_reply(
            status, {"type": "error", "error": {"type": kind_, "message": message}}, headers
        )


class GeminiImageFake(VendorFake):
    """Gemini's image model: ``generateContent`` with ``responseModalities: ["IMAGE"]``.

    The answer is a real PNG as an ``inlineData`` part of the first candidate, sized to the
    requested ``imageConfig.aspectRatio`` (as the model does), after a short text part.
    """

    vendor = "gemini"

    def answer(self, path: str, body: dict[str, Any]) -> Reply:
        assert path.endswith(":generateContent"), path
        config = body["generationConfig"]
        assert config["responseModalities"] == ["IMAGE"], config
        width_part, height_part = (int(p) for p in config["imageConfig"]["aspectRatio"].split(":"))
        return self.image_reply(self.scene_png(64 * width_part, 64 * height_part))

    @staticmethod
    def scene_png(width: int, height: int) -> bytes:
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (width, height), (220, 210, 196))
        ImageDraw.Draw(image).rectangle(
            (width // 4, height // 3, 3 * width // 4, height - 8), fill=(150, 60, 40)
        )
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    def image_reply(self, *images: bytes, mime: str = "image/png") -> Reply:
        parts: list[dict[str, Any]] = [{"text": "Here is the scene."}]
        parts += [
            {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}
            for data in images
        ]
        prompt, _output = self.usage
        return self.json_reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"parts": parts, "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": 1290},
                "modelVersion": "gemini-2.5-flash-image",
                "responseId": "fake-image-1",
            },
        )

    def fault(self, kind: str, retry_after: str | None = None) -> Reply:
        return GeminiFake.fault(self, kind, retry_after)  # type: ignore[arg-type]


FAKES: dict[str, Callable[[], VendorFake]] = {
    "gemini": GeminiFake,
    "openai": OpenAIFake,
    "anthropic": AnthropicFake,
}


@contextlib.contextmanager
def running(vendor: str) -> Iterator[VendorFake]:
    fake = FAKES[vendor]().start()
    try:
        yield fake
    finally:
        fake.stop()
