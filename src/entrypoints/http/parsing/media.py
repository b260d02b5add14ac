"""Lenient parsers of the generated media bodies: lifestyle (spec 30 §8.5) and video (§9)."""

from __future__ import annotations

from typing import Any

from reseller_core.commands.media import GenerateLifestyle, GenerateVideo
from reseller_core.commands.problems import InputProblems
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.products import strict_int


def parse_generate_lifestyle(product_id: str, body: Any) -> tuple[GenerateLifestyle, InputProblems]:
    """The body is optional; ``scene_key`` absent, null or empty asks for every scene."""
    if not isinstance(body, dict):
        return GenerateLifestyle(product_id=product_id), InputProblems(
            invalid_request="Request body must be a JSON object"
        )
    scene_key = body.get("scene_key")
    if scene_key is not None and not isinstance(scene_key, str):
        return GenerateLifestyle(product_id=product_id), InputProblems(
            fields={"scene_key": ["is invalid"]}
        )
    return GenerateLifestyle(product_id=product_id, scene_key=scene_key or None), InputProblems()


def parse_generate_video(product_id: str, body: Any) -> tuple[GenerateVideo, InputProblems]:
    """``marketplace`` a string; ``duration_seconds`` an integer and ``aspect_ratio`` a
    string, each optional (absent or null: the default). The values are checked by the
    service; a wrong type is ``is invalid`` here."""
    if not isinstance(body, dict):
        return GenerateVideo(product_id=product_id), InputProblems(
            invalid_request="Request body must be a JSON object"
        )
    fields: FieldErrors = {}
    marketplace = body.get("marketplace")
    if marketplace is not None and not isinstance(marketplace, str):
        fields["marketplace"] = ["is invalid"]
        marketplace = None
    raw_duration = body.get("duration_seconds")
    duration = strict_int(raw_duration)
    if raw_duration is not None and duration is None:
        fields["duration_seconds"] = ["is invalid"]
    aspect = body.get("aspect_ratio")
    if aspect is not None and not isinstance(aspect, str):
        fields["aspect_ratio"] = ["is invalid"]
        aspect = None
    command = GenerateVideo(
        product_id=product_id,
        marketplace=marketplace,
        duration_seconds=duration,
        aspect_ratio=aspect,
    )
    return command, InputProblems(fields=fields)
