"""The OpenAPI pattern for trimmed names accepts exactly what the services accept."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from reseller_core.domain.tabs import TAB_NAME_MAX, check_tab_name
from reseller_core.domain.validation import Errors
from reseller_entrypoints.http.lenient_schemas import trimmed_text

_PATTERN = re.compile(trimmed_text(TAB_NAME_MAX))
_EDGES = st.text(alphabet=st.sampled_from(" \t\n\x0b\x1c\x85\u3000"), max_size=3)
_BODY = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=TAB_NAME_MAX + 3,
)


def _service_accepts(name: str) -> bool:
    errors = Errors()
    check_tab_name(errors, name)
    return not errors


@given(_EDGES, _BODY, _EDGES)
def test_the_pattern_and_the_tab_rule_agree(before: str, body: str, after: str) -> None:
    name = before + body + after
    assert bool(_PATTERN.search(name)) == _service_accepts(name)


def test_length_is_counted_inside_the_whitespace() -> None:
    assert _PATTERN.search(" " + "a" * TAB_NAME_MAX + "\n")
    assert not _PATTERN.search("a" * (TAB_NAME_MAX + 1))
    assert not _PATTERN.search(" \t ")
    assert not _PATTERN.search("a\x00b")
