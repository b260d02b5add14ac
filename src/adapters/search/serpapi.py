"""SerpApi search (spec 30 §10): Google Lens for visual matches, Google Shopping light for prices.

Both engines are one ``GET /search.json`` with the key in the query string, so nothing that
can carry the URL (an httpx error, a log line) leaves this module unscrubbed. Results are
normalised to ``SearchMatch``: prices become exact Decimals from SerpApi's
``extracted_value``/``extracted_price``, currency symbols ISO codes, links http(s) only.
Each request reports the flat search cost (spec 10 §5.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from reseller_core.domain.costs import SEARCH_CALL_COST, ProviderUsage
from reseller_core.domain.text import collapse_spaces
from reseller_core.ports.search import SearchMatch, SearchProviderError
from reseller_core.ports.usage import report_usage

DEFAULT_BASE_URL: Final = "https://serpapi.com"
LENS_ENGINE: Final = "google_lens"
SHOPPING_ENGINE: Final = "google_shopping_light"
MAX_MATCHES: Final = 20
CURRENCY_SYMBOLS: Final[Mapping[str, str]] = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


def _link(value: object) -> str | None:
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value
    return None


def _price(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount.quantize(Decimal("0.01"))


def _currency(value: object) -> str | None:
    text = collapse_spaces(value)
    if text is None:
        return None
    if text in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[text]
    return text.upper() if len(text) == 3 and text.isalpha() else None


def _domain(url: str | None) -> str | None:
    if url is None:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def lens_match(item: Mapping[str, Any], match_type: str) -> SearchMatch | None:
    """One ``visual_matches``/``exact_matches`` entry of a Google Lens answer."""
    title = collapse_spaces(item.get("title"))
    if title is None:
        return None
    raw_price = item.get("price")
    price_info: Mapping[str, Any] = raw_price if isinstance(raw_price, dict) else {}
    url = _link(item.get("link"))
    return SearchMatch(
        title=title,
        match_type=match_type,
        price=_price(price_info.get("extracted_value")),
        currency=_currency(price_info.get("currency")),
        source=collapse_spaces(item.get("source")),
        source_domain=_domain(url),
        url=url,
        thumbnail_url=_link(item.get("thumbnail")),
    )


def shopping_match(item: Mapping[str, Any]) -> SearchMatch | None:
    """One ``shopping_results`` entry of a Google Shopping light answer."""
    title = collapse_spaces(item.get("title"))
    if title is None:
        return None
    url = _link(item.get("product_link")) or _link(item.get("link"))
    price_text = collapse_spaces(item.get("price")) or ""
    return SearchMatch(
        title=title,
        match_type="product",
        price=_price(item.get("extracted_price")),
        currency=_currency(price_text[:1]) if price_text else None,
        source=collapse_spaces(item.get("source")),
        source_domain=_domain(url),
        url=url,
        thumbnail_url=_link(item.get("thumbnail")),
    )


def _entries(payload: Mapping[str, Any], key: str) -> Iterable[Mapping[str, Any]]:
    value = payload.get(key)
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


class SerpApiSearchProvider:
    """``SearchProvider`` on SerpApi's Google Lens and Google Shopping light engines."""

    name = "serpapi"
    offline = False

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 10.0,
        hl: str = "en",
        gl: str = "us",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("SerpApi needs an API key: set RESELLER_SERPAPI_API_KEY")
        self._key = api_key
        self._base_url = base_url.rstrip("/")
        self._locale = {"hl": hl, "gl": gl}
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))

    async def aclose(self) -> None:
        await self._client.aclose()

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[redacted]")[:300]

    async def _search(self, params: Mapping[str, str]) -> Mapping[str, Any]:
        query = {**params, **self._locale, "api_key": self._key}
        try:
            response = await self._client.get(f"{self._base_url}/search.json", params=query)
        except httpx.TimeoutException:
            raise SearchProviderError(
                "SerpApi did not answer in time", retryable=True, details={"reason": "timeout"}
            ) from None
        except httpx.HTTPError as exc:
            raise SearchProviderError(
                f"SerpApi could not be reached ({type(exc).__name__})",
                retryable=True,
                details={"reason": "transport"},
            ) from None
        report_usage(ProviderUsage(flat_cost_usd=SEARCH_CALL_COST))
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        error = payload.get("error") if isinstance(payload, dict) else None
        if response.status_code >= 400 or error:
            message = self._scrub(str(error or f"HTTP {response.status_code}"))
            raise SearchProviderError(
                f"SerpApi refused the search: {message}",
                retryable=response.status_code in RETRYABLE_STATUSES,
                details={"http_status": response.status_code},
            )
        if not isinstance(payload, dict):
            raise SearchProviderError("SerpApi answered something that is not JSON", retryable=True)
        return payload

    async def lens_matches(self, image_url: str) -> tuple[SearchMatch, ...]:
        payload = await self._search({"engine": LENS_ENGINE, "url": image_url})
        matches = [
            lens_match(item, "exact_match") for item in _entries(payload, "exact_matches")
        ] + [lens_match(item, "visual_match") for item in _entries(payload, "visual_matches")]
        return tuple(match for match in matches if match is not None)[:MAX_MATCHES]

    async def shopping_matches(self, query: str) -> tuple[SearchMatch, ...]:
        if not query.strip():
            return ()
        payload = await self._search({"engine": SHOPPING_ENGINE, "q": query.strip()})
        matches = [shopping_match(item) for item in _entries(payload, "shopping_results")]
        return tuple(match for match in matches if match is not None)[:MAX_MATCHES]

    async def check(self) -> None:
        """One cheap call: the account endpoint (no search credit used)."""
        try:
            response = await self._client.get(
                f"{self._base_url}/account.json", params={"api_key": self._key}
            )
        except httpx.HTTPError as exc:
            raise SearchProviderError(
                f"SerpApi could not be reached ({type(exc).__name__})", retryable=True
            ) from None
        if response.status_code >= 400:
            raise SearchProviderError(
                f"SerpApi refused the key check: HTTP {response.status_code}", retryable=False
            )
