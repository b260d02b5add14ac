"""Compile a parsed product search (``SearchQuery``) into a SQL condition.

One meaning on every engine: ``products.search_document`` holds the product's lower-cased
words, space-separated and padded with a space at each end (``listing_query.search_document``),
so a term (a word or a phrase) matches a whole word sequence exactly when
``search_document LIKE '% w1 w2 %'``. A negated term is ``NOT LIKE``; the terms of a clause
are ORed and the clauses ANDed, which is ``listing_query.matches`` (the reference the
in-memory fake uses) written in SQL. ``%``, ``_`` and ``\\`` are escaped in the words
(``ESCAPE '\\'``), and SQLite connections run with ``case_sensitive_like`` so ``LIKE``
compares exactly as on PostgreSQL.

Performance note: a leading-wildcard ``LIKE`` scans the user's products (the query is
always narrowed by ``user_id`` first). A later PostgreSQL-only migration may add a
``pg_trgm`` GIN index on ``search_document`` (``gin_trgm_ops``), which serves these very
``LIKE`` patterns without changing the SQL or the results.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from reseller_core.domain.listing_query import SearchQuery, SearchTerm

LIKE_ESCAPE = "\\"


def escape_like(word: str) -> str:
    """``word`` as a literal inside a LIKE pattern that uses ``ESCAPE '\\'``."""
    return (
        word.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def term_pattern(term: SearchTerm) -> str:
    """The LIKE pattern matching the term's words as consecutive whole words."""
    return "% " + " ".join(escape_like(word) for word in term.words) + " %"


def term_condition(document: ColumnElement[str], term: SearchTerm) -> ColumnElement[bool]:
    pattern = term_pattern(term)
    if term.negated:
        return document.not_like(pattern, escape=LIKE_ESCAPE)
    return document.like(pattern, escape=LIKE_ESCAPE)


def search_condition(document: ColumnElement[str], query: SearchQuery) -> ColumnElement[bool]:
    """Every clause must hold; a clause holds when any of its terms does."""
    clauses: list[ColumnElement[bool]] = []
    for clause in query.clauses:
        if not clause:
            return sa.false()
        terms = [term_condition(document, term) for term in clause]
        clauses.append(terms[0] if len(terms) == 1 else sa.or_(*terms))
    return sa.and_(sa.true(), *clauses)
