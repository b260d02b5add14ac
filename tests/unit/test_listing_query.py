"""The product list: query-string fallbacks and the search language (spec 20 §3.1, Q-P10)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reseller_core.domain.listing_query import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    ProductListQuery,
    SearchQuery,
    SearchTerm,
    SortKey,
    matches,
    parse_list_query,
    parse_search,
    search_document,
    total_pages,
    words_of,
)

WORD = re.compile(r"[^\W_]+")
STATUSES = ["all", "draft", "uploading", "processing", "review", "ready", "sold", "archived"]


def q(**params: str) -> ProductListQuery:
    return parse_list_query(params)


def terms(*clauses: tuple[str | tuple[str, ...], ...]) -> SearchQuery:
    """The expected query: clauses of terms; a term is "word", "-word" or a tuple (phrase)."""
    built = []
    for clause in clauses:
        group = []
        for term in clause:
            if isinstance(term, tuple):
                group.append(SearchTerm(words=term))
            elif term.startswith("-"):
                group.append(SearchTerm(words=tuple(term[1:].split()), negated=True))
            else:
                group.append(SearchTerm(words=tuple(term.split())))
        built.append(tuple(group))
    return SearchQuery(clauses=tuple(built))


# --- defaults and fallbacks ----------------------------------------------------------------


def test_defaults() -> None:
    query = parse_list_query({})
    assert query == ProductListQuery()
    assert (query.page, query.page_size, query.status, query.sort, query.dir) == (
        1,
        15,
        "all",
        SortKey.UPDATED_AT,
        "desc",
    )
    assert query.query is None
    assert query.search is None
    assert query.product_tab_id is None
    assert query.updated_from is None
    assert query.updated_to is None


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        ("1", 1),
        ("2", 2),
        (" 7 ", 7),
        ("0", 1),
        ("-3", 1),
        ("abc", 1),
        ("", 1),
        ("2.5", 1),
        ("1e3", 1),
        ("1_0", 1),
        ("٣", 1),
        ("+5", 1),
        ("99999999999999999999", MAX_PAGE),
        ("9" * 5000, MAX_PAGE),
    ],
)
def test_page(raw: str, page: int) -> None:
    assert q(page=raw).page == page


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("1", 1),
        ("50", 50),
        ("100", 100),
        ("101", 100),
        ("100000", 100),
        ("0", 15),
        ("-1", 15),
        ("x", 15),
        ("", 15),
        ("15.0", 15),
        ("2_0", 15),
        ("99999999999999999999", 100),
    ],
)
def test_page_size(raw: str, size: int) -> None:
    assert q(page_size=raw).page_size == size


@pytest.mark.parametrize("status", STATUSES)
def test_status_values(status: str) -> None:
    assert q(status=status).status == status


@pytest.mark.parametrize("raw", ["", "bogus", "DRAFT", "deleted", "all,ready"])
def test_status_fallback(raw: str) -> None:
    assert q(status=raw).status == "all"


@pytest.mark.parametrize(
    ("raw", "expected"), [("  nike  ", "nike"), ("", None), ("   ", None), ("a b", "a b")]
)
def test_query_trimmed(raw: str, expected: str | None) -> None:
    parsed = q(query=raw)
    assert parsed.query == expected
    assert (parsed.search is None) is (expected is None)


def test_product_tab_id() -> None:
    ulid = "01JQ8ZB3C4D5E6F7G8H9J0KMNP"
    assert q(product_tab_id=ulid.lower()).product_tab_id == ulid
    assert q(product_tab_id=ulid).product_tab_id == ulid
    for bad in ["", "123", "not-a-ulid", ulid + "X", "81JQ8ZB3C4D5E6F7G8H9J0KMNP"]:
        assert q(product_tab_id=bad).product_tab_id is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        (" 2024-02-29 ", date(2024, 2, 29)),
        ("2025-02-29", None),
        ("2026-13-01", None),
        ("2026-3-1", None),
        ("20260301", None),
        ("2026-03-01T00:00:00", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates(raw: str, expected: date | None) -> None:
    parsed = q(updated_from=raw, updated_to=raw)
    assert parsed.updated_from == expected
    assert parsed.updated_to == expected


@pytest.mark.parametrize("sort", ["title", "status", "price", "updated_at", "inserted_at"])
def test_sort_values(sort: str) -> None:
    assert q(sort=sort).sort == SortKey(sort)


@pytest.mark.parametrize("raw", ["", "Title", "created_at", "price desc", "-price"])
def test_sort_fallback(raw: str) -> None:
    assert q(sort=raw).sort == SortKey.UPDATED_AT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("asc", "asc"),
        ("desc", "desc"),
        ("ASC", "asc"),
        (" Desc ", "desc"),
        ("up", "desc"),
        ("", "desc"),
    ],
)
def test_dir(raw: str, expected: str) -> None:
    assert q(dir=raw).dir == expected


param_names = st.sampled_from(
    [
        "page",
        "page_size",
        "status",
        "query",
        "product_tab_id",
        "updated_from",
        "updated_to",
        "sort",
        "dir",
        "other",
    ]
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.dictionaries(param_names, st.text(max_size=30)))
def test_never_raises_and_stays_in_range(params: dict[str, str]) -> None:
    parsed = parse_list_query(params)
    assert parsed.page >= 1
    assert 1 <= parsed.page_size <= MAX_PAGE_SIZE
    assert parsed.status in STATUSES
    assert isinstance(parsed.sort, SortKey)
    assert parsed.dir in ("asc", "desc")
    if parsed.query is not None:
        assert parsed.query == parsed.query.strip() != ""


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(-(10**6), 10**6))
def test_page_size_clamp_property(size: int) -> None:
    expected = DEFAULT_PAGE_SIZE if size < 1 else min(size, MAX_PAGE_SIZE)
    assert q(page_size=str(size)).page_size == expected


# --- the search language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nike", terms(("nike",))),
        ("Nike AIR", terms(("nike",), ("air",))),
        ('"air max"', terms((("air", "max"),))),
        ('"air max" nike', terms((("air", "max"),), ("nike",))),
        ('"air max', terms((("air", "max"),))),
        ("nike or adidas", terms(("nike", "adidas"))),
        ("nike OR adidas puma", terms(("nike", "adidas"), ("puma",))),
        ("-used", terms(("-used",))),
        ("nike -used", terms(("nike",), ("-used",))),
        ('-"well worn"', terms(("-well worn",))),
        ("air-max", terms((("air", "max"),))),
        ("nike!!! (size)", terms(("nike",), ("size",))),
        ("or", terms(("or",))),
        ("nike or", terms(("nike",))),
        ("nike or -adidas", terms(("nike",), ("-adidas",))),
    ],
)
def test_parse_search(text: str, expected: SearchQuery) -> None:
    assert parse_search(text) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "!!!", "- -", '""', '-""', "___"])
def test_parse_search_nothing_searchable(text: str | None) -> None:
    assert parse_search(text) is None


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(max_size=60))
def test_parse_search_never_raises(text: str) -> None:
    parsed = parse_search(text)
    if parsed is not None:
        assert parsed.clauses
        for clause in parsed.clauses:
            assert clause
            for term in clause:
                assert term.words
                assert all(word == word.casefold() or WORD.fullmatch(word) for word in term.words)


DOC = search_document(
    [
        "Nike Air Max 90",
        "Nike",
        "Sneakers",
        None,
        "White",
        "US 9",
        "Mesh",
        "NK-AM90-001",
        None,
        "visible air unit",
    ],
    ("running", "air-max"),
)


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("nike", True),
        ("NIKE", True),
        ("ni", False),
        ("air", True),
        ("airs", False),
        ("max 90", True),
        ('"air max"', True),
        ('"max air"', False),
        ("air-max", True),
        ("nike adidas", False),
        ("adidas or nike", True),
        ("adidas or puma", False),
        ("-adidas", True),
        ("-nike", False),
        ("nike -adidas", True),
        ('-"air max"', False),
        ("nk am90 001", True),
        ("am90", True),
        ("running", True),
        ("9", True),
        ("unit visible", True),
    ],
)
def test_matches_examples(text: str, hit: bool) -> None:
    parsed = parse_search(text)
    assert parsed is not None
    assert matches(DOC, parsed) is hit


def test_search_document_shape() -> None:
    assert search_document([], ()) == " "
    assert search_document([None, "", "  "], ()) == " "
    assert search_document(["Air-Max!", None], ("Tag One",)) == " air max tag one "


field_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=25)
documents = st.tuples(
    st.lists(st.none() | field_text, min_size=1, max_size=11),
    st.lists(field_text, max_size=4).map(tuple),
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(documents, st.data())
def test_a_word_of_the_document_always_matches(
    doc: tuple[list[str | None], tuple[str, ...]], data: st.DataObject
) -> None:
    values, tags = doc
    raw_words = [w for v in [*values, *tags] if v for w in WORD.findall(v)]
    assume(raw_words)
    word = data.draw(st.sampled_from(raw_words))
    document = search_document(values, tags)
    parsed = parse_search(word)
    assert parsed is not None
    assert matches(document, parsed)
    # Case does not matter.
    for variant in (word.upper(), word.lower()):
        if words_of(variant) == words_of(word):
            parsed_variant = parse_search(variant)
            assert parsed_variant is not None
            assert matches(document, parsed_variant)
    # A negated word of the document never matches.
    negated = parse_search("-" + word)
    assert negated is not None
    assert not matches(document, negated)
    # Neither does the word AND its own negation.
    both = parse_search(f"{word} -{word}")
    assert both is not None
    assert not matches(document, both)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.text(alphabet="abcdefgh0123", min_size=1, max_size=8), min_size=1, max_size=8),
    st.data(),
)
def test_consecutive_words_match_as_a_phrase(words: list[str], data: st.DataObject) -> None:
    document = search_document([" ".join(words)], ())
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    phrase = parse_search('"' + " ".join(words[start:end]) + '"')
    assert phrase is not None
    assert matches(document, phrase)
    all_words = parse_search(" ".join(reversed(words)))
    assert all_words is not None
    assert matches(document, all_words)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.text(alphabet="abcdefghij", min_size=2, max_size=6), min_size=1, max_size=6),
    st.text(alphabet="abcdefghij", min_size=2, max_size=6),
)
def test_whole_words_only(words: list[str], probe: str) -> None:
    """A strict prefix or an absent word never matches (no substring matching)."""
    assume(probe not in words)
    document = search_document(words, ())
    parsed = parse_search(probe)
    assert parsed is not None
    assert not matches(document, parsed)
    either = parse_search(f"{probe} or {words[0]}")
    assert either is not None
    assert matches(document, either)


# --- pagination ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(0, 100_000), st.integers(1, 100))
def test_total_pages(count: int, size: int) -> None:
    pages = total_pages(count, size)
    assert pages >= 1
    if count == 0:
        assert pages == 1
    else:
        assert (pages - 1) * size < count <= pages * size


@pytest.mark.parametrize(
    ("count", "size", "pages"), [(0, 15, 1), (15, 15, 1), (16, 15, 2), (1, 100, 1)]
)
def test_total_pages_examples(count: int, size: int, pages: int) -> None:
    assert total_pages(count, size) == pages
