"""Seller-field rules of a product (spec 20 §2.1, decision Q-P1/Q-P8)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_core.domain.products import TEXT_LIMITS, ProductSource
from reseller_core.domain.validation import Errors

from .json_rules import parse_tags, validate_product_fields

TAB = "01JQ8ZB3C4D5E6F7G8H9J0KMNP"
EDITABLE = {*TEXT_LIMITS, "price", "cost", "tags", "product_tab_id", "source"}


def validate(body: dict[str, Any], *, creating: bool = True) -> tuple[dict[str, Any], dict]:
    errors = Errors()
    values = validate_product_fields(errors, body, creating=creating)
    return values, errors.fields


def tags(value: Any) -> tuple[tuple[str, ...], list[str] | None]:
    errors = Errors()
    result = parse_tags(errors, value)
    return result, errors.fields.get("tags")


# --- tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ([], ()),
        ("", ()),
        ("nike", ("nike",)),
        ("nike, air-max ,sneakers", ("nike", "air-max", "sneakers")),
        ("nike\nair max\n\n", ("nike", "air max")),
        ("a,\nb", ("a", "b")),
        (" , ,\n", ()),
        (["  nike ", "", "  ", "air"], ("nike", "air")),
        (["b", "a", "b", "a", "c"], ("b", "a", "c")),
        (["Nike", "nike"], ("Nike", "nike")),
        ("x, x ,x", ("x",)),
    ],
)
def test_tags_parsing(value: Any, expected: tuple[str, ...]) -> None:
    assert tags(value) == (expected, None)


@pytest.mark.parametrize("value", [5, True, {"a": 1}, ["ok", 3], [None], [["nested"]]])
def test_tags_wrong_type(value: Any) -> None:
    assert tags(value) == ((), ["is invalid"])


def test_twenty_tags_max() -> None:
    twenty = [f"t{i}" for i in range(20)]
    assert tags(twenty) == (tuple(twenty), None)
    assert tags([*twenty, "t0", " t1 ", ""]) == (tuple(twenty), None)  # dupes/blanks don't count
    result, messages = tags([*twenty, "t20"])
    assert len(result) == 21
    assert messages == ["should have at most 20 item(s)"]
    assert tags(",".join(f"s{i}" for i in range(25)))[1] == ["should have at most 20 item(s)"]


def test_tag_length_messages_are_numbered_from_one() -> None:
    _, messages = tags(["ok", "x" * 41, "y" * 40, "", "z" * 50])
    # Numbered in the cleaned list: the blank entry is gone, so the last one is #4.
    assert messages == [
        "tag #2 must be at most 40 characters",
        "tag #4 must be at most 40 characters",
    ]


def test_tag_length_counts_after_trimming() -> None:
    assert tags(["  " + "x" * 40 + "  "]) == (("x" * 40,), None)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=st.sampled_from("ab ,\n\t"), max_size=6), max_size=25))
def test_tags_list_property(value: list[str]) -> None:
    result, messages = tags(value)
    cleaned = [item.strip() for item in value if item.strip()]
    first_seen = list(dict.fromkeys(cleaned))
    assert list(result) == first_seen
    assert all(tag == tag.strip() and tag for tag in result)
    assert len(set(result)) == len(result)
    assert (messages is not None) == (len(result) > 20)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=80
    )
)
def test_tags_string_property(value: str) -> None:
    result, _ = tags(value)
    assert all("," not in tag and "\n" not in tag for tag in result)
    assert all(tag == tag.strip() and tag for tag in result)
    assert len(set(result)) == len(result)
    # Splitting the same text ourselves gives the same tags, in order.
    pieces = [p.strip() for p in value.replace("\n", ",").split(",")]
    assert list(result) == list(dict.fromkeys(p for p in pieces if p))


@pytest.mark.parametrize("value", [["ok", "a\x00b"], "ok,\x00", ["\ud800"]])
def test_tags_with_nul_or_a_lone_surrogate_are_invalid(value: Any) -> None:
    assert tags(value) == ((), ["is invalid"])


# --- text fields -------------------------------------------------------------------------


def test_text_limits_match_spec() -> None:
    assert TEXT_LIMITS == {
        "title": 160,
        "brand": 120,
        "category": 120,
        "condition": 80,
        "color": 80,
        "size": 80,
        "material": 120,
        "sku": 120,
        "notes": 10_000,
    }


@pytest.mark.parametrize(("field", "limit"), sorted(TEXT_LIMITS.items()))
def test_text_field_limits(field: str, limit: int) -> None:
    values, fields = validate({field: "  " + "x" * limit + "  "})
    assert values == {field: "x" * limit}
    assert fields == {}
    values, fields = validate({field: "x" * (limit + 1)})
    assert fields == {field: [f"should be at most {limit} character(s)"]}


@pytest.mark.parametrize("field", sorted(TEXT_LIMITS))
@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), ("", None), ("   ", None), (" a ", "a")]
)
def test_text_trim_and_blank(field: str, raw: Any, expected: str | None) -> None:
    assert validate({field: raw}) == ({field: expected}, {})


@pytest.mark.parametrize("raw", [1, 2.5, True, ["a"], {"a": 1}])
def test_text_wrong_type(raw: Any) -> None:
    values, fields = validate({"title": raw})
    assert fields == {"title": ["is invalid"]}
    assert values == {"title": None}


# --- money fields ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["price", "cost"])
def test_money_fields(field: str) -> None:
    assert validate({field: "119"}) == ({field: Decimal("119.00")}, {})
    assert validate({field: None}) == ({field: None}, {})
    assert validate({field: -1})[1] == {field: ["must be greater than or equal to 0"]}
    assert validate({field: "cheap"})[1] == {field: ["is invalid"]}
    assert validate({field: 10_000_000_000})[1] == {
        field: ["must be less than or equal to 9999999999.99"]
    }


# --- source ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("manual", ProductSource.MANUAL),
        ("mobile", ProductSource.MOBILE),
        (None, ProductSource.MANUAL),
    ],
)
def test_create_sources(raw: Any, expected: ProductSource) -> None:
    assert validate({"source": raw}) == ({"source": expected}, {})


@pytest.mark.parametrize("raw", ["import", "ai", "MANUAL", "web", "", 1, True])
def test_other_sources_are_invalid_at_create(raw: Any) -> None:
    values, fields = validate({"source": raw})
    assert fields == {"source": ["is invalid"]}
    assert "source" not in values


@pytest.mark.parametrize("raw", ["import", "mobile", 5])
def test_source_is_ignored_on_patch(raw: Any) -> None:
    assert validate({"source": raw}, creating=False) == ({}, {})


def test_source_absent_means_default() -> None:
    assert validate({}) == ({}, {})


# --- product tab -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "messages"),
    [
        (TAB, TAB, None),
        (TAB.lower(), TAB, None),
        (f"  {TAB}  ", TAB, None),
        (None, None, None),
        ("nope", None, ["is invalid"]),
        ("", None, ["is invalid"]),
        (123, None, ["is invalid"]),
        ([TAB], None, ["is invalid"]),
    ],
)
def test_product_tab_id(raw: Any, expected: str | None, messages: list[str] | None) -> None:
    values, fields = validate({"product_tab_id": raw})
    assert values == {"product_tab_id": expected}
    assert fields.get("product_tab_id") == messages


# --- the whole body ----------------------------------------------------------------------


def test_system_managed_and_unknown_keys_are_ignored() -> None:
    body = {
        "title": "Nike",
        "status": "sold",
        "sold_at": "2026-01-01T00:00:00Z",
        "archived_at": None,
        "ai_summary": "x",
        "ai_confidence": 0.9,
        "storefront_published_at": None,
        "id": TAB,
        "is_admin": True,
    }
    assert validate(body) == ({"title": "Nike"}, {})


def test_all_errors_reported_together() -> None:
    _, fields = validate(
        {"title": "x" * 161, "price": "abc", "tags": 5, "source": "ai", "product_tab_id": "x"}
    )
    assert fields == {
        "title": ["should be at most 160 character(s)"],
        "price": ["is invalid"],
        "tags": ["is invalid"],
        "source": ["is invalid"],
        "product_tab_id": ["is invalid"],
    }


json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_any = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
    max_leaves=10,
)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    st.dictionaries(
        st.sampled_from(sorted(EDITABLE | {"status", "ai_summary", "junk"})), json_any, max_size=8
    ),
    st.booleans(),
)
def test_never_raises_and_returns_only_editable_keys(body: dict[str, Any], creating: bool) -> None:
    values, fields = validate(body, creating=creating)
    assert set(values) <= EDITABLE
    assert set(fields) <= EDITABLE
    assert set(values) <= set(body)
    if not creating:
        assert "source" not in values
        assert "source" not in fields
    for field in TEXT_LIMITS:
        value = values.get(field)
        assert value is None or (isinstance(value, str) and value == value.strip() != "")
