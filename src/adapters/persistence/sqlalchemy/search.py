"""Product search in SQL: each engine's own full-text facility, one meaning on all of them.

The meaning is ``listing_query.matches`` over ``products.search_document``, the product's
lower-cased words space-separated and padded (``" w1 w2 ... "``): every clause must hold, a
clause holds when any of its terms does, a term (a word or a phrase of consecutive words)
matches whole words, and a negated term holds when the words do not occur.
``docs/search.md`` describes the syntax; this module compiles a parsed ``SearchQuery``.

SQLite: FTS5. ``products_search`` is an external-content FTS5 table over ``search_document``
(migration 0002 creates it and the triggers that keep it in sync). Its ``unicode61``
tokenizer keeps diacritics and counts every character but spaces (Unicode ``Zs``) as part
of a token, so the tokens of a document are exactly its words (``test_search`` checks every
character that can occur in a word). FTS5 therefore answers exactly: a clause of positive
terms becomes quoted phrases in one ``MATCH``; negated terms, which FTS5 cannot express on
their own, become ``rowid NOT IN (rowids that match)``.

PostgreSQL: a GIN index over ``to_tsvector('simple', search_document)`` (``tables.py``)
selects the candidates, and the exact ``LIKE`` test (``like_condition``) decides. The
text-search parser does not see our words as we do: it drops characters Python counts as
letters or digits (``²``), splits ``1e5x`` into ``1e5`` and ``x``, ignores words over 2047
bytes, and stores at most 256 positions per lexeme and none past 16383. So the
``tsquery`` only narrows: it holds the clauses whose terms are all positive and whose
words the parser keeps whole (``[a-z0-9]``, not split, at most 2047 characters); a phrase
is the AND of its words, since ``<->`` can miss a phrase that positions no longer record,
and ``!`` could drop a product whose other words produce the excluded lexeme. Every
product that matches has each of those lexemes, so the index never loses a match, and
the ``LIKE`` recheck removes what the index over-selects.

Other engines get the exact ``LIKE`` condition alone. Values are always bound parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy.tables import (
    PRODUCT_SEARCH_INDEX,
    PRODUCT_SEARCH_VECTOR,
    products,
)
from reseller_core.domain.listing_query import SearchQuery, SearchTerm

LIKE_ESCAPE = "\\"

FTS_TABLE = "products_search"
"""The SQLite FTS5 table over ``products.search_document`` (migration 0002)."""
FTS_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* S* P* C* Zl Zp'"
"""Every Unicode category but ``Zs`` makes tokens, so a token is a whole word, unchanged."""
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
"""The tables FTS5 creates for ``FTS_TABLE`` (``_content`` only without external content)."""

_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer), sa.column(FTS_TABLE, sa.Text))
# SQLite's implicit rowid of ``products``, bound to the table so it renders as products.rowid.
_product_rowid: ColumnElement[int] = sa.column("rowid", sa.Integer, _selectable=products)

_PARSER_KEEPS_WHOLE = re.compile(r"[a-z0-9]{1,2047}")
"""Words the PostgreSQL parser indexes as themselves, whatever the server's locale..."""
_PARSER_SPLITS = re.compile(r"[0-9]+e[0-9]+[a-z]")
"""...except these: a number in scientific notation followed by letters is two tokens."""


# --- the exact test: LIKE over the padded word list --------------------------------------------


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
    """The term as ``LIKE`` (``NOT LIKE`` when negated) over the padded document."""
    pattern = term_pattern(term)
    if term.negated:
        return document.not_like(pattern, escape=LIKE_ESCAPE)
    return document.like(pattern, escape=LIKE_ESCAPE)


def like_condition(document: ColumnElement[str], query: SearchQuery) -> ColumnElement[bool]:
    """``listing_query.matches`` written in SQL: exact on every engine, but never indexed."""
    clauses: list[ColumnElement[bool]] = []
    for clause in query.clauses:
        if not clause:
            return sa.false()
        terms = [term_condition(document, term) for term in clause]
        clauses.append(terms[0] if len(terms) == 1 else sa.or_(*terms))
    return sa.and_(sa.true(), *clauses)


# --- PostgreSQL: a GIN-indexed tsquery narrows, LIKE decides ------------------------------------


def parser_keeps_whole(word: str) -> bool:
    """Whether PostgreSQL's text-search parser indexes ``word`` as exactly that one lexeme."""
    return _PARSER_KEEPS_WHOLE.fullmatch(word) is not None and not _PARSER_SPLITS.match(word)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def narrowing_tsquery(query: SearchQuery) -> str | None:
    """A ``tsquery`` every matching product satisfies (None when no clause can narrow).

    A clause narrows when all its terms are positive and all their words are kept whole by
    the parser; its terms are ORed, a phrase is the AND of its words.
    """
    parts: list[str] = []
    for clause in query.clauses:
        if not clause or any(
            term.negated or not all(parser_keeps_whole(word) for word in term.words)
            for term in clause
        ):
            continue
        alternatives = [" & ".join(_lexeme(word) for word in term.words) for term in clause]
        parts.append("(" + " | ".join(f"({item})" for item in alternatives) + ")")
    return " & ".join(parts) if parts else None


def postgres_condition(query: SearchQuery) -> ColumnElement[bool]:
    """The GIN-served ``@@`` test where it can narrow, always with the exact ``LIKE``."""
    exact = like_condition(products.c.search_document, query)
    narrowing = narrowing_tsquery(query)
    if narrowing is None:
        return exact
    indexed = PRODUCT_SEARCH_VECTOR.bool_op("@@")(sa.cast(sa.literal(narrowing), TSQUERY))
    return sa.and_(indexed, exact)


# --- SQLite: FTS5 answers exactly ---------------------------------------------------------------


def fts_phrase(term: SearchTerm) -> str:
    """The term's words as one quoted FTS5 phrase; quoting makes FTS5 syntax inert."""
    return '"' + " ".join(word.replace('"', '""') for word in term.words) + '"'


def _fts_any(terms: Sequence[SearchTerm]) -> str:
    return "(" + " OR ".join(fts_phrase(term) for term in terms) + ")"


def _matching_rowids(expression: str) -> sa.Select[tuple[int]]:
    return sa.select(_fts.c.rowid).where(_fts.c[FTS_TABLE].match(expression))


def _fts_term(term: SearchTerm) -> ColumnElement[bool]:
    rowids = _matching_rowids(_fts_any([term]))
    return _product_rowid.not_in(rowids) if term.negated else _product_rowid.in_(rowids)


def sqlite_condition(query: SearchQuery) -> ColumnElement[bool]:
    """At most two FTS5 lookups: one ``MATCH`` for the positive clauses, one for exclusions.

    A clause holding a single negated term excludes; all of them together exclude the
    products matching any of them. A clause mixing positive and negated terms (which the
    parser never produces) becomes one lookup per term.
    """
    positive: list[str] = []
    excluded: list[SearchTerm] = []
    conditions: list[ColumnElement[bool]] = []
    for clause in query.clauses:
        if not clause:
            return sa.false()
        if not any(term.negated for term in clause):
            positive.append(_fts_any(clause))
        elif len(clause) == 1:
            excluded.append(clause[0])
        else:
            conditions.append(sa.or_(*(_fts_term(term) for term in clause)))
    if positive:
        conditions.insert(0, _product_rowid.in_(_matching_rowids(" AND ".join(positive))))
    if excluded:
        conditions.append(_product_rowid.not_in(_matching_rowids(_fts_any(excluded))))
    return sa.and_(sa.true(), *conditions)


# --- entry points -------------------------------------------------------------------------------


def search_condition(query: SearchQuery, dialect: str) -> ColumnElement[bool]:
    """The condition on ``products`` that holds exactly when ``matches`` would."""
    if dialect == "sqlite":
        return sqlite_condition(query)
    if dialect == "postgresql":
        return postgres_condition(query)
    return like_condition(products.c.search_document, query)


IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def include_in_schema_comparison(dialect: str) -> IncludeObject:
    """An Alembic ``include_object`` hook: leave out the search objects of other engines.

    ``tables.py`` cannot describe FTS5: its virtual table and shadow tables exist only on
    SQLite (as the migration made them), and the GIN index exists only on PostgreSQL.
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and name is not None and dialect == "sqlite":
            return name != FTS_TABLE and not (
                name.startswith(FTS_TABLE) and name[len(FTS_TABLE) :] in FTS_SHADOW_SUFFIXES
            )
        if type_ == "index" and name == PRODUCT_SEARCH_INDEX:
            return dialect == "postgresql"
        return True

    return include
