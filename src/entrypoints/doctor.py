"""``reseller doctor``: are the configured AI, search and image providers usable?

For each provider the settings choose, one line: what it is, then ``ok`` or what is
missing (the variable to set, the extra to install) or what the service said. A hosted
provider is asked one cheap question (a model lookup, an account lookup) that costs no
tokens and no search or edit credit. A model its vendor has deprecated is named with the
announcement (its retirement date, what answers after it, the recommended replacement);
one past its retirement date with nothing answering in its place is a problem. Key values
are never printed: only the names of the variables they come from.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from reseller_entrypoints.settings import Settings, load_settings


class Line(NamedTuple):
    """One provider's (or model's) line of the report."""

    what: str
    problem: str | None
    """None when usable."""
    notice: str | None = None
    """Something an operator should know of a usable one (a model its vendor deprecated)."""


async def _llm(settings: Settings, timeout: float) -> list[Line]:
    try:
        from reseller_adapters.ai.llm.provider import OPERATIONS, LLMConfig, PydanticAIProvider
    except ImportError:
        return [
            Line(
                f"ai_provider llm ({settings.ai_model})",
                "Pydantic AI is not installed: pip install 'reseller-core[gemini]' "
                "(or [openai], [anthropic])",
            )
        ]
    config = LLMConfig(
        model=settings.ai_model,
        operation_models={
            operation: name
            for operation in OPERATIONS
            if (name := getattr(settings, f"ai_model_{operation}", None))
        },
        api_key=settings.ai_api_key,
        base_url=settings.ai_base_url,
        timeout_s=timeout,
    )
    try:
        provider = PydanticAIProvider(config)
    except (ValueError, RuntimeError) as exc:
        return [Line(f"ai_provider llm ({settings.ai_model})", str(exc))]
    try:
        return [
            Line(f"ai_provider llm {probe.name}", probe.problem, probe.notice)
            for probe in await provider.probe()
        ]
    finally:
        await provider.aclose()


async def _hosted(label: str, build: Callable[[], Any], timeout: float) -> list[Line]:
    try:
        adapter = build()
    except ValueError as exc:
        return [Line(label, str(exc))]
    try:
        await asyncio.wait_for(adapter.check(), timeout=timeout)
    except Exception as exc:
        return [Line(label, str(exc) or type(exc).__name__)]
    finally:
        await adapter.aclose()
    return [Line(label, None)]


async def diagnose(settings: Settings, timeout: float = 10.0) -> list[Line]:
    """A line for every configured provider: what it is, None when usable else the problem."""
    lines: list[Line] = []
    checks: list[Awaitable[list[Line]]] = []
    if settings.ai_provider == "llm":
        checks.append(_llm(settings, timeout))
    else:
        lines.append(Line(f"ai_provider {settings.ai_provider}", None))
    if settings.search_provider == "serpapi":
        from reseller_adapters.search.serpapi import SerpApiSearchProvider

        checks.append(
            _hosted(
                "search_provider serpapi",
                lambda: SerpApiSearchProvider(
                    settings.serpapi_api_key or "",
                    base_url=settings.serpapi_base_url,
                    timeout_s=timeout,
                ),
                timeout,
            )
        )
    else:
        lines.append(Line(f"search_provider {settings.search_provider}", None))
    if settings.image_editor == "photoroom":
        from reseller_adapters.images.photoroom import PhotoroomImageEditor

        checks.append(
            _hosted(
                "image_editor photoroom",
                lambda: PhotoroomImageEditor(
                    settings.photoroom_api_key or "",
                    base_url=settings.photoroom_base_url,
                    timeout_s=timeout,
                ),
                timeout,
            )
        )
    else:
        lines.append(Line(f"image_editor {settings.image_editor}", None))
    for found in await asyncio.gather(*checks):
        lines.extend(found)
    return lines


def doctor(args: argparse.Namespace) -> int:
    """Print one line per provider; exit 0 only when every one is usable."""
    settings = load_settings()
    lines = asyncio.run(diagnose(settings, args.timeout))
    secrets = [
        value
        for value in (settings.ai_api_key, settings.serpapi_api_key, settings.photoroom_api_key)
        if value
    ]
    for what, problem, notice in lines:
        text = f"{what}: {'ok' if problem is None else problem}"
        if problem is None and notice:
            text += f"; {notice}"
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        print(text, file=sys.stdout if problem is None else sys.stderr)
    return 0 if all(line.problem is None for line in lines) else 1


def add_command(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``reseller doctor`` on the CLI's sub-command parser."""
    del commands
    parser = command(
        "doctor",
        "Check the AI, search and image providers",
        "One cheap call to each configured hosted provider (no tokens, no credits); prints "
        "what is missing, never a key. Exit code 0 when every provider is usable.",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds each provider may take (10)"
    )
    parser.set_defaults(handler=doctor)
