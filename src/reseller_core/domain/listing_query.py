"""The product list: query-string parsing and the search language (spec 20 §3.1).

Invalid values never error; they fall back to defaults, and the applied values are echoed.
Search: every term must match a whole word (AND), case-insensitively; ``"quoted phrases"``
match consecutive words; ``-term`` excludes; ``or`` between two terms makes either match.
Words are runs of letters and digits, so ``air-max`` is the phrase ``air max``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import msgspec

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.products import ProductStatus

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
"""Pages beyond the last show the last one, so any larger number means the same; clamping it
here keeps ``(page - 1) * page_size`` within every engine's integer range."""
SEARCH_FIELDS = (
    "title",
    "brand",
    "category",
    "condition",
    "color",
    "size",
    "material",
    "sku",
    "notes",
    "ai_summary",
    "tags",
)


class SortKey(StrEnum):
    TITLE = "title"
    STATUS = "status"
    PRICE = "price"
    UPDATED_AT = "updated_at"
    INSERTED_AT = "inserted_at"


class SearchTerm(msgspec.Struct, frozen=True):
    """A word or phrase (words in order); ``negated`` excludes products that match it."""

    words: tuple[str, ...]
    negated: bool = False


class SearchQuery(msgspec.Struct, frozen=True):
    """A conjunction of clauses; each clause is a disjunction of terms."""

    clauses: tuple[tuple[SearchTerm, ...], ...]


class ProductListQuery(msgspec.Struct, frozen=True, kw_only=True):
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    status: str = "all"
    query: str | None = None
    search: SearchQuery | None = None
    product_tab_id: str | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    sort: SortKey = SortKey.UPDATED_AT
    dir: str = "desc"

    def updated_since(self) -> datetime | None:
        """The first instant ``updated_from`` admits (midnight UTC), or None."""
        if self.updated_from is None:
            return None
        return datetime.combine(self.updated_from, time(), UTC)

    def updated_before(self) -> datetime | None:
        """The first instant after the ``updated_to`` day (exclusive bound), or None.

        ``9999-12-31`` has no next day in ``datetime``: it bounds nothing, so it is None.
        """
        if self.updated_to is None or self.updated_to == date.max:
            return None
        return datetime.combine(self.updated_to + timedelta(days=1), time(), UTC)


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def words_of(text: str) -> list[str]:
    """Lower-cased words of ``text``: the unit both search adapters index and match."""
    return [word.casefold() for word in _WORD.findall(text)]


def search_document(values: list[str | None], tags: tuple[str, ...]) -> str:
    """The normalised text a product is searched by: its words, space-separated and padded.

    Storing ``" w1 w2 ... "`` lets any SQL engine match a whole word or phrase with
    ``LIKE '% w1 w2 %'``, so SQLite and PostgreSQL give the same answers.
    """
    words: list[str] = []
    for value in [*values, *tags]:
        if value:
            words.extend(words_of(value))
    return " " + " ".join(words) + " " if words else " "


def parse_search(text: str | None) -> SearchQuery | None:
    """Parse web-search syntax into clauses; None when nothing searchable remains."""
    if text is None:
        return None
    clauses: list[list[SearchTerm]] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated_phrase, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.casefold() == "or" and clauses:
            pending_or = True
            continue
        if bare is not None:
            negated = bare.startswith("-") and len(bare) > 1
            words = tuple(words_of(bare[1:] if negated else bare))
        else:
            negated = negated_phrase == "-"
            words = tuple(words_of(phrase or ""))
        if not words:
            continue
        term = SearchTerm(words=words, negated=negated)
        if pending_or and clauses and not negated and not any(t.negated for t in clauses[-1]):
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
    if not clauses:
        return None
    return SearchQuery(clauses=tuple(tuple(clause) for clause in clauses))


def matches(document: str, query: SearchQuery) -> bool:
    """Reference implementation of the search semantics (used by the in-memory fake)."""
    for clause in query.clauses:
        hit = False
        for term in clause:
            found = f" {' '.join(term.words)} " in document
            if found != term.negated:
                hit = True
                break
        if not hit:
            return False
    return True


def _positive(value: str | None, default: int, maximum: int) -> int:
    text = value.strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return default  # int() would also take "1_0", "٣" or "+5"
    digits = text.lstrip("0")
    if len(digits) > len(str(maximum)):
        return maximum  # clamped before int(): thousands of digits cost real CPU to convert
    number = int(digits or "0")
    return min(number, maximum) if number >= 1 else default


def _date(value: str | None) -> date | None:
    if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


_STATUSES = {"all", *(status.value for status in ProductStatus)}


def parse_list_query(params: Mapping[str, str]) -> ProductListQuery:
    """Build the list query from raw query-string values; bad values become defaults."""
    page_size = _positive(params.get("page_size"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    status = (params.get("status") or "all").strip()
    raw_query = params.get("query")
    query = raw_query.strip() if raw_query and raw_query.strip() else None
    sort_raw = (params.get("sort") or "").strip()
    sort = SortKey(sort_raw) if sort_raw in SortKey._value2member_map_ else SortKey.UPDATED_AT
    direction = (params.get("dir") or "").strip().lower()
    return ProductListQuery(
        page=_positive(params.get("page"), 1, MAX_PAGE),
        page_size=page_size,
        status=status if status in _STATUSES else "all",
        query=query,
        search=parse_search(query),
        product_tab_id=parse_ulid(params.get("product_tab_id")),
        updated_from=_date(params.get("updated_from")),
        updated_to=_date(params.get("updated_to")),
        sort=sort,
        dir=direction if direction in ("asc", "desc") else "desc",
    )


def total_pages(total_count: int, page_size: int) -> int:
    return max(1, -(-total_count // page_size))
