"""Product search: one meaning (``listing_query.matches``) on the fake, SQLite and PostgreSQL.

The same examples and Hypothesis properties run on every engine; then each SQL engine shows
that its own full-text facility answers (FTS5 on SQLite, the GIN ``tsvector`` index on
PostgreSQL) and that migration 0002 indexes existing rows and can be undone.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql import ARRAY

from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase
from reseller_adapters.persistence.sqlalchemy.migrations import alembic_config
from reseller_adapters.persistence.sqlalchemy.search import (
    FTS_TABLE,
    FTS_TOKENIZER,
    narrowing_tsquery,
    parser_keeps_whole,
    search_condition,
)
from reseller_adapters.persistence.sqlalchemy.tables import PRODUCT_SEARCH_INDEX, products
from reseller_core.domain.listing_query import (
    ProductListQuery,
    SearchQuery,
    SearchTerm,
    matches,
    parse_search,
    words_of,
)
from reseller_core.domain.products import Product
from reseller_core.domain.users import User
from reseller_core.ports import UnitOfWorkFactory
from reseller_core.testing.conformance.unit_of_work import build_product, build_user
from reseller_core.testing.memory_uow import MemoryDatabase, memory_uow_factory, product_document
from tests.services import postgres_database

LONG_WORD = "z" * 3000
"""Longer than PostgreSQL indexes (2047 bytes)."""

CATALOGUE: dict[str, dict[str, Any]] = {
    "nike": {"title": "Nike Air Max 90", "brand": "Nike", "tags": ("sneakers", "air-max")},
    "laptop": {"title": "Laptop sleeve", "notes": "barely used"},
    "top": {"title": "Crop top", "color": "White"},
    "strasse": {"title": "Straße Größe XL", "brand": "Ñandú"},
    "cafe": {"title": "Cafe racer jacket"},
    "cafe_accent": {"title": "Café au lait mug"},
    "istanbul": {"title": "İstanbul rug", "material": "Wool"},
    "cyrillic": {"title": "Кроссовки Найк", "size": "EU 42"},
    "greek": {"title": "ΟΔΟΣ poster", "notes": "οὐρανός"},
    "digits": {"title": "iPhone 12 Pro 256GB", "notes": "٣ units, area 5 m²"},
    "science": {"title": "Resistor 1e5x pack", "sku": "R-3e8"},
    "cjk": {"title": "日本語 manual"},
    "ligature": {"title": "ﬁlm camera"},
    "operators": {"title": 'C++ & C# | "quoted" (paren) NEAR AND OR NOT * : ! ^'},
    "long": {"notes": f"alpha {LONG_WORD} omega"},
    "repeats": {"notes": "the " * 300 + "north face jacket"},
}
"""Products whose words stress tokenisers: Unicode case, marks, digits, operators, sizes."""

ALL = frozenset(CATALOGUE)

SEARCH_CASES: tuple[tuple[str, frozenset[str]], ...] = (
    # the language: whole words, AND, phrases, OR, exclusion, case
    ("nike", frozenset({"nike"})),
    ("NIKE", frozenset({"nike"})),
    ("nike sneakers", frozenset({"nike"})),
    ("nike laptop", frozenset()),
    ('"air max"', frozenset({"nike"})),
    ('"max air"', frozenset()),
    ("air-max", frozenset({"nike"})),
    ("laptop or cafe", frozenset({"laptop", "cafe"})),
    ("nike OR laptop", frozenset({"nike", "laptop"})),
    ("top", frozenset({"top"})),
    ("-top", ALL - {"top"}),
    ("jacket -cafe", frozenset({"repeats"})),
    ('-"c c"', ALL - {"operators"}),
    # Unicode: full case folding, no diacritic folding, marks inside words
    ("straße", frozenset({"strasse"})),
    ("STRASSE", frozenset({"strasse"})),
    ("GRÖSSE", frozenset({"strasse"})),
    ("grosse", frozenset()),
    ("ñandú", frozenset({"strasse"})),
    ("nandu", frozenset()),
    ("café", frozenset({"cafe_accent"})),
    ("CAFÉ", frozenset({"cafe_accent"})),
    ("cafe", frozenset({"cafe"})),
    ("İSTANBUL", frozenset({"istanbul"})),
    ("istanbul", frozenset()),
    ("i", frozenset()),
    ("-i", ALL),
    ('"i stanbul"', frozenset()),
    ("кроссовки", frozenset({"cyrillic"})),
    ("οδος", frozenset({"greek"})),
    ("ΟὐΡΑΝΌΣ", frozenset({"greek"})),
    ("ου", frozenset()),  # noqa: RUF001 (Greek on purpose)
    ("-ου", ALL),  # noqa: RUF001
    ("日本語", frozenset({"cjk"})),
    ("日本", frozenset()),
    ("film", frozenset({"ligature"})),
    ("ﬁlm", frozenset({"ligature"})),
    # digits, and words PostgreSQL's parser splits or drops
    ("12", frozenset({"digits"})),
    ("256gb", frozenset({"digits"})),
    ("256", frozenset()),
    ("٣", frozenset({"digits"})),
    ("3", frozenset()),
    ("m²", frozenset({"digits"})),
    ("m", frozenset()),
    ("-m", ALL),
    ("1e5x", frozenset({"science"})),
    ("1e5", frozenset()),
    ("x", frozenset()),
    ("-x", ALL),
    ("3e8", frozenset({"science"})),
    ("r", frozenset({"science"})),
    # FTS5 and tsquery syntax in the input is plain text
    ('"', ALL),
    ("*", ALL),
    ("&", ALL),
    ("-", ALL),
    ("top*", frozenset({"top"})),
    ("top:", frozenset({"top"})),
    ("title:top", frozenset()),
    ("nike:*", frozenset({"nike"})),
    ("^nike", frozenset({"nike"})),
    ("!nike", frozenset({"nike"})),
    ('"nike', frozenset({"nike"})),
    ("c++", frozenset({"operators"})),
    ("a & b", frozenset()),
    ("nike | laptop", frozenset()),
    ("(paren)", frozenset({"operators"})),
    ("NEAR", frozenset({"operators"})),
    ("NEAR(quoted paren)", frozenset()),
    ("AND", frozenset({"operators"})),
    ("NOT", frozenset({"operators"})),
    ("nike NOT laptop", frozenset()),
    ('"c c quoted" "paren"', frozenset({"operators"})),
    # sizes: a word PostgreSQL does not index, a phrase past 256 repeats of a word
    (LONG_WORD, frozenset({"long"})),
    ("z" * 2047, frozenset()),
    ("alpha omega", frozenset({"long"})),
    ('"alpha omega"', frozenset()),
    ('"the north face"', frozenset({"repeats"})),
    ('"the the north"', frozenset({"repeats"})),
    ('"north the"', frozenset()),
    # long queries
    (" or ".join(["nike", *(f"w{n}" for n in range(1000))]), frozenset({"nike"})),
    (" ".join(["jacket", *(f"-w{n}" for n in range(500))]), frozenset({"cafe", "repeats"})),
)
"""Query → nicknames of the catalogue products it finds."""


def test_cases_follow_the_reference() -> None:
    """The expected answers above are what ``listing_query.matches`` says."""
    documents = {
        name: product_document(build_product(build_user(), **spec))
        for name, spec in CATALOGUE.items()
    }
    wrong = {}
    for query, expected in SEARCH_CASES:
        search = parse_search(query)
        found = {n for n, doc in documents.items() if search is None or matches(doc, search)}
        if found != expected:
            wrong[query[:40]] = (found, set(expected))
    assert wrong == {}


# --- generated products and queries -----------------------------------------------------------

VOCABULARY = (
    *("air", "max", "top", "laptop", "nike", "90", "12", "256gb", "or", "near", "and", "not"),
    *("1e5", "1e5x", "x", "3e8", "e5", "m", "m²", "²", "٣", "3", "日本語", "日本"),
    *("café", "cafe", "straße", "strasse", "ß", "ss", "İstanbul", "istanbul", "i", "ΟΔΟΣ"),
    *("ﬁlm", "film", "ǅ", "кроссовки", "οὐρανός", "z" * 2047, "z" * 2048),
)
SEPARATORS = (" ", "  ", "-", "_", ", ", '"', "*", ":", "&", "|", "!", "(", ")", "^", "+", "/")
OPERATORS = ("or", "OR", '"', "*", ":", "&", "|", "!", "(", ")", "NEAR", "AND", "NOT", "-", "^")

COMMON = ("air", "max", "top", "x", "1e5x", "m", "m²", "café", "ss", "straße", "i", "İstanbul")
"""Words drawn more often, so that generated queries find some products and miss others."""

vocabulary_word = st.one_of(st.sampled_from(COMMON), st.sampled_from(VOCABULARY))
any_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)
piece = st.one_of(vocabulary_word, vocabulary_word.map(str.title), vocabulary_word, any_text)


@st.composite
def field_texts(draw: st.DrawFn) -> str:
    """A field value: vocabulary words and odd text joined by punctuation."""
    pieces = draw(st.lists(piece, max_size=6))
    return "".join(part + draw(st.sampled_from(SEPARATORS)) for part in pieces)


product_specs = st.fixed_dictionaries(
    {},
    optional={
        "title": field_texts(),
        "brand": field_texts(),
        "notes": field_texts(),
        "ai_summary": field_texts(),
        "tags": st.lists(field_texts(), max_size=3).map(tuple),
    },
)
phrase = st.lists(vocabulary_word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
query_token = st.one_of(
    vocabulary_word,
    vocabulary_word.map(str.upper),
    vocabulary_word.map(lambda word: "-" + word),
    phrase,
    phrase.map(lambda text: "-" + text),
    st.sampled_from(OPERATORS),
    any_text,
)
query_texts = st.lists(query_token, min_size=1, max_size=3).map(" ".join)
search_terms = st.builds(
    SearchTerm,
    words=st.lists(vocabulary_word.map(str.casefold), min_size=1, max_size=2).map(tuple),
    negated=st.sampled_from([False, False, True]),
)
search_queries = st.builds(
    SearchQuery,
    clauses=st.lists(
        st.lists(search_terms, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
    ).map(tuple),
)
"""Parsed queries the parser never builds too: clauses mixing negated and positive terms."""

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
        HealthCheck.too_slow,
    ],
)
"""Each engine's class runs the same property; every example stores its own user, so the
examples of one test may share its database."""


# --- the contract, on every engine --------------------------------------------------------------


class SearchContract:
    """Search answers exactly as ``listing_query.matches`` on the engine under test."""

    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        raise NotImplementedError

    async def given_products(
        self, factory: UnitOfWorkFactory, specs: dict[str, dict[str, Any]]
    ) -> tuple[User, dict[str, Product]]:
        """A new user owning one product per spec (and a stranger owning a decoy)."""
        user, stranger = build_user(), build_user()
        stored = {name: build_product(user, **spec) for name, spec in specs.items()}
        decoy = build_product(stranger, title=" ".join(f"{n} {n.upper()}" for n in specs))
        async with factory() as uow:
            await uow.users.add(user)
            await uow.users.add(stranger)
            for product in [*stored.values(), decoy]:
                await uow.products.add(product)
            await uow.commit()
        return user, stored

    async def found(
        self, factory: UnitOfWorkFactory, user: User, search: SearchQuery | None
    ) -> set[str]:
        """Ids of the user's products the list returns for ``search``."""
        query = ProductListQuery(page_size=100, search=search)
        async with factory() as uow:
            page = await uow.products.list(user.id, query)
        assert page.total_count == len(page.products)
        return {view.product.id for view in page.products}

    async def test_examples(self, uow_factory: UnitOfWorkFactory) -> None:
        user, stored = await self.given_products(uow_factory, CATALOGUE)
        names = {product.id: name for name, product in stored.items()}
        wrong: dict[str, tuple[set[str], set[str]]] = {}
        for query, expected in SEARCH_CASES:
            ids = await self.found(uow_factory, user, parse_search(query))
            if {names[i] for i in ids} != expected:
                wrong[query[:40]] = ({names[i] for i in ids}, set(expected))
        assert wrong == {}, "query: (found, expected)"

    async def check(
        self, factory: UnitOfWorkFactory, specs: list[dict[str, Any]], search: SearchQuery | None
    ) -> None:
        user, stored = await self.given_products(
            factory, {str(n): spec for n, spec in enumerate(specs)}
        )
        expected = {
            product.id
            for product in stored.values()
            if search is None or matches(product_document(product), search)
        }
        assert await self.found(factory, user, search) == expected

    @PROPERTY
    @given(specs=st.lists(product_specs, min_size=1, max_size=6), text=query_texts)
    async def test_generated_queries(
        self, uow_factory: UnitOfWorkFactory, specs: list[dict[str, Any]], text: str
    ) -> None:
        await self.check(uow_factory, specs, parse_search(text))

    @PROPERTY
    @given(specs=st.lists(product_specs, min_size=1, max_size=6), search=search_queries)
    async def test_generated_clauses(
        self, uow_factory: UnitOfWorkFactory, specs: list[dict[str, Any]], search: SearchQuery
    ) -> None:
        await self.check(uow_factory, specs, search)

    async def test_search_follows_changes(self, uow_factory: UnitOfWorkFactory) -> None:
        user, stored = await self.given_products(uow_factory, {"scarf": {"title": "Red scarf"}})
        product = stored["scarf"]
        async with uow_factory() as uow:
            renamed = build_product(user, id=product.id, title="Blue hat", tags=("wool",))
            await uow.products.update(renamed, expected_version=0)
            await uow.commit()
        assert await self.found(uow_factory, user, parse_search("scarf")) == set()
        assert await self.found(uow_factory, user, parse_search("-scarf")) == {product.id}
        assert await self.found(uow_factory, user, parse_search("wool hat")) == {product.id}


class TestMemorySearch(SearchContract):
    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        return memory_uow_factory(MemoryDatabase())


class SqlSearchChecks(SearchContract):
    """What only the SQL engines can show: statement counts stay as they were."""

    @pytest.fixture
    def database(self) -> SqlAlchemyDatabase:
        raise NotImplementedError

    @pytest.fixture
    def uow_factory(self, database: SqlAlchemyDatabase) -> UnitOfWorkFactory:
        return database.unit_of_work

    async def test_search_adds_no_statement(self, database: SqlAlchemyDatabase) -> None:
        user, _ = await self.given_products(database.unit_of_work, CATALOGUE)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        sa.event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        try:
            found = await self.found(database.unit_of_work, user, parse_search("jacket -cafe"))
        finally:
            sa.event.remove(database.engine.sync_engine, "before_cursor_execute", record)
        assert len(found) == 1
        assert len(statements) == 2, statements  # the page, then its images


# --- SQLite: FTS5 -------------------------------------------------------------------------------


class TestSqliteSearch(SqlSearchChecks):
    @pytest.fixture
    def database(self, fx_sqlite_database: SqlAlchemyDatabase) -> SqlAlchemyDatabase:
        return fx_sqlite_database

    async def test_the_fts_table_answers(self, database: SqlAlchemyDatabase) -> None:
        user, stored = await self.given_products(database.unit_of_work, CATALOGUE)
        search = parse_search("nike -top")
        assert search is not None
        statement = sa.select(products.c.id).where(search_condition(search, "sqlite"))
        sql = str(statement.compile(database.engine, compile_kwargs={"literal_binds": True}))
        async with database.engine.connect() as connection:
            plan = [
                row[-1] for row in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            ]
        assert any(step.startswith(f"SCAN {FTS_TABLE} VIRTUAL TABLE INDEX") for step in plan), plan
        assert "LIKE" not in sql
        assert await self.found(database.unit_of_work, user, search) == {stored["nike"].id}
        # With the FTS index emptied the same search finds nothing: FTS5 is what answers.
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')"
            )
        assert await self.found(database.unit_of_work, user, search) == set()
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')"
            )
        assert await self.found(database.unit_of_work, user, search) == {stored["nike"].id}

    async def test_triggers_keep_the_index_in_step(self, database: SqlAlchemyDatabase) -> None:
        user, stored = await self.given_products(database.unit_of_work, CATALOGUE)
        nike = stored["nike"]
        async with database.unit_of_work() as uow:
            await uow.products.update(
                build_product(user, id=nike.id, title="Puma Suede"), expected_version=0
            )
            await uow.products.set_status_if(nike.id, nike.status, nike.status, nike.updated_at)
            await uow.commit()
        async with database.engine.begin() as connection:
            await connection.execute(sa.delete(products).where(products.c.id == stored["top"].id))
        # 'integrity-check' with rank 1 also compares the index with the products' documents.
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"
            )
        assert await self.found(database.unit_of_work, user, parse_search("nike")) == set()
        assert await self.found(database.unit_of_work, user, parse_search("puma")) == {nike.id}
        assert await self.found(database.unit_of_work, user, parse_search("crop")) == set()

    async def test_vacuum_keeps_the_index_valid(self, database: SqlAlchemyDatabase) -> None:
        """The index is keyed by the products' implicit rowids, which VACUUM must keep."""
        user, stored = await self.given_products(database.unit_of_work, CATALOGUE)
        async with database.engine.begin() as connection:
            await connection.execute(sa.delete(products).where(products.c.id == stored["top"].id))
        await database.dispose()
        assert database.engine.url.database is not None
        connection = sqlite3.connect(database.engine.url.database, isolation_level=None)
        try:
            connection.execute("VACUUM")
            connection.execute(
                f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"
            )
        finally:
            connection.close()
        found = await self.found(database.unit_of_work, user, parse_search("jacket -cafe"))
        assert found == {stored["repeats"].id}

    async def test_the_migration_uses_the_documented_tokenizer(
        self, database: SqlAlchemyDatabase
    ) -> None:
        async with database.engine.connect() as connection:
            sql = (
                await connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TABLE,)
                )
            ).scalar_one()
        assert FTS_TOKENIZER in sql


def _word_characters() -> list[str]:
    """Every code point that is a word on its own, as ``words_of`` returns it (case-folded)."""
    points = (point for point in range(sys.maxunicode + 1) if not 0xD800 <= point <= 0xDFFF)
    return [word for point in points for word in words_of(chr(point))]


def test_fts_tokens_are_our_words() -> None:
    """Each word character makes exactly one FTS5 token, equal to our (case-folded) word.

    So a document's tokens are its words: FTS5 phrases and exclusions mean what LIKE means.
    """
    words = _word_characters()
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f'CREATE VIRTUAL TABLE t USING fts5(doc, tokenize="{FTS_TOKENIZER}")')
        connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        connection.execute("INSERT INTO t (rowid, doc) VALUES (1, ?)", (" ".join(words),))
        tokens = [term for (term,) in connection.execute("SELECT term FROM v ORDER BY offset")]
    finally:
        connection.close()
    assert len(words) > 100_000
    differing = [(word, token) for word, token in zip(words, tokens, strict=False) if word != token]
    assert (len(tokens), differing[:5]) == (len(words), [])


# --- PostgreSQL: the GIN tsvector index ---------------------------------------------------------


@pytest.mark.postgres
class TestPostgresSearch(SqlSearchChecks):
    @pytest.fixture
    def database(self, fx_postgres_database: SqlAlchemyDatabase) -> SqlAlchemyDatabase:
        return fx_postgres_database

    @pytest.mark.parametrize("query", ["nike", '"air max" or laptop -top', "12 or 1e5 x"])
    async def test_a_search_can_use_the_gin_index(
        self, database: SqlAlchemyDatabase, query: str
    ) -> None:
        search = parse_search(query)
        assert search is not None
        statement = sa.select(products.c.id).where(search_condition(search, "postgresql"))
        sql = str(statement.compile(database.engine, compile_kwargs={"literal_binds": True}))
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(row[0] for row in await connection.exec_driver_sql("EXPLAIN " + sql))
        assert f"Bitmap Index Scan on {PRODUCT_SEARCH_INDEX}" in plan, plan

    async def test_parser_keeps_whole_is_what_postgres_does(
        self, database: SqlAlchemyDatabase
    ) -> None:
        """Every word we put in a tsquery is one lexeme, itself, in PostgreSQL's tsvector."""
        alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
        words = [a + b + c for a in ["", *alphabet] for b in ["", *alphabet] for c in alphabet]
        words += [_spelled(n, "01ex") for n in range(4**6)]
        words += ["a" * 2047, "a" * 2048, "1" * 2047, "9e9" * 700, "café", "m²", "²", "ǆ"]
        statement = sa.text(
            "SELECT w, to_tsvector('simple', w)::text FROM unnest(:words) AS w"
        ).bindparams(sa.bindparam("words", type_=ARRAY(sa.Text)))
        async with database.engine.connect() as connection:
            result = await connection.execute(statement, {"words": words})
            vectors: dict[str, str] = {row[0]: row[1] for row in result}
        wrong = {
            word: vectors[word]
            for word in words
            if parser_keeps_whole(word) != (vectors[word] == f"'{word}':1")
            and (parser_keeps_whole(word) or word.isascii())
        }
        assert wrong == {}


def _spelled(number: int, digits: str) -> str:
    """``number`` written with ``digits`` (most significant first), at least one digit."""
    text = ""
    while True:
        number, rest = divmod(number, len(digits))
        text = digits[rest] + text
        if number == 0:
            return text


@pytest.mark.parametrize(
    ("query", "tsquery"),
    [
        ("nike", "(('nike'))"),
        (
            'nike "air max" or boots -top 1e5x café "a m²" or 12',
            "(('nike')) & (('air' & 'max') | ('boots'))",
        ),
        ("-top café 1e5x", None),
        ("z" * 2048, None),
    ],
)
def test_narrowing_tsquery_holds_only_what_the_index_can_promise(
    query: str, tsquery: str | None
) -> None:
    """Positive clauses of whole-kept words only; phrases as AND, never ``<->`` or ``!``."""
    search = parse_search(query)
    assert search is not None
    assert narrowing_tsquery(search) == tsquery


# --- migration 0002: existing rows are indexed, downgrade removes everything --------------------


def _search_objects(connection: sa.Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE name LIKE :prefix || '%'"
        rows = connection.execute(sa.text(query), {"prefix": FTS_TABLE})
    else:
        query = "SELECT indexname FROM pg_indexes WHERE indexname = :name"
        rows = connection.execute(sa.text(query), {"name": PRODUCT_SEARCH_INDEX})
    return {name for (name,) in rows}


def _downgrade(connection: sa.Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


async def _migrate_around_existing_rows(url: str) -> None:
    database = SqlAlchemyDatabase(url)
    contract = SearchContract()
    try:
        await database.migrate("0001")
        user, stored = await contract.given_products(
            database.unit_of_work, {"old": {"title": "Old boot"}}
        )
        await database.migrate()
        assert await contract.found(database.unit_of_work, user, parse_search("boot")) == {
            stored["old"].id
        }
        async with database.engine.begin() as connection:
            assert await connection.run_sync(_search_objects)
            await connection.run_sync(_downgrade, "0001")
            assert await connection.run_sync(_search_objects) == set()
        async with database.unit_of_work() as uow:  # no trigger is left behind
            newer = build_product(user, title="New boot")
            await uow.products.add(newer)
            await uow.commit()
        await database.migrate()
        found = await contract.found(database.unit_of_work, user, parse_search("boot"))
        assert found == {stored["old"].id, newer.id}
    finally:
        await database.dispose()


def test_sqlite_migration_indexes_existing_rows_and_downgrades(tmp_path: Path) -> None:
    asyncio.run(_migrate_around_existing_rows(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))


@pytest.mark.postgres
def test_postgres_migration_indexes_existing_rows_and_downgrades() -> None:
    with postgres_database(migrated=False) as url:
        asyncio.run(_migrate_around_existing_rows(url))
