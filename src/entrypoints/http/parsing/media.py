"""Lenient parser of the lifestyle generation body (spec 30 §8.5)."""

from __future__ import annotations

from typing import Any

from reseller_core.commands.media import GenerateLifestyle
from reseller_core.commands.problems import InputProblems


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
