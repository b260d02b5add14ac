"""Conformance suite for the ``MarketplaceAdapter`` port (spec 30 §6.8, §7).

Subclass :class:`MarketplaceAdapterConformance` and provide the ``marketplace`` fixture.
The suite builds drafts from the adapter's own ``rules`` (a compliant one, and ones that
break each limit) and checks that ``shape`` fits them to the rules by trimming only, never
adding words, and reports every adjustment as a compliance warning. Override
``compliant_draft`` when the adapter enforces more than its ``rules`` describe.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import pytest

from reseller_core.domain.listing_rules import ShapedListing
from reseller_core.domain.marketplaces import TITLE_HARD_CAP, MarketplaceRules
from reseller_core.ports.ai import ListingResult
from reseller_core.ports.marketplace import MarketplaceAdapter

WORDS = (
    "acme",
    "trail",
    "runner",
    "canvas",
    "sneakers",
    "red",
    "lace",
    "retro",
    "street",
    "summer",
    "classic",
    "comfort",
    "sport",
    "casual",
    "outdoor",
    "light",
)
"""Short distinct words the drafts are made of (at least 13, for Etsy-style tag minimums)."""

LONG_TITLE = " ".join(f"{word.title()} Edition" for word in WORDS)
"""About 200 characters and 32 words: over every title limit, hard cap included."""

CONTACTS = ("https://shop.example.com/item", "seller@example.com", "+44 20 7946 0958")

MORE_CONTACTS = (
    ("jane.doe+shoes@mail.example.org", "jane"),
    ("www.kicksbyjane.net/shop", "kicksbyjane"),
    ("kicksbyjane.store", "kicksbyjane"),
    ("(212) 555-0147", "0147"),
    ("212.555.0147", "0147"),
    ("2125550147", "2125550147"),
)
"""Each contact shape a listing may carry, with a fragment that must not survive it."""

SHOUTED_TITLE = "ACME RED TRAIL RUNNER SNEAKERS \U0001f525 NWT"
"""A title in capitals with an emoji and a listing acronym."""

_ID = re.compile(r"[a-z0-9][a-z0-9_]*")
_TOKEN = re.compile(r"[^\W_]+")


def _tokens(text: str) -> list[str]:
    return [token.casefold() for token in _TOKEN.findall(text)]


def _added_words(shaped: Iterable[str], source: Iterable[str]) -> list[str]:
    """Words of ``shaped`` that are neither a word of ``source`` nor the start of one."""
    known = {token for text in source for token in _tokens(text)}
    return [
        token
        for text in shaped
        for token in _tokens(text)
        if token not in known and not any(word.startswith(token) for word in known)
    ]


def _fitting_words(count: int, length: int) -> str:
    """``count`` title-case words joined by spaces, exactly ``length`` characters long."""
    letters = length - (count - 1)
    sizes = [letters // count + (1 if index < letters % count else 0) for index in range(count)]
    words = [(WORDS[index % len(WORDS)] * 40)[:size].title() for index, size in enumerate(sizes)]
    return " ".join(words)


def _draft(title: str, description: str, tags: Iterable[str]) -> ListingResult:
    return ListingResult(
        generated_title=title,
        generated_description=description,
        generated_price_suggestion=Decimal("25.00"),
        generated_tags=tuple(tags),
    )


class MarketplaceAdapterConformance:
    """What every ``MarketplaceAdapter`` owes the core: copy that fits, with nothing invented."""

    allows_contact_details: bool = False
    """True only for a marketplace whose listings must carry URLs or contact details."""

    @pytest.fixture
    def marketplace(self) -> MarketplaceAdapter:
        raise NotImplementedError("provide a `marketplace` fixture")

    # drafts built from the rules

    def compliant_draft(self, marketplace: MarketplaceAdapter) -> ListingResult:
        """A draft that already satisfies every rule, which ``shape`` must return unchanged."""
        rules = marketplace.rules
        limit = min(rules.title_max_chars, TITLE_HARD_CAP)
        words = ["Acme", "Trail", "Runner", "Sneakers"][: rules.title_max_words or None]
        while len(words) > 1 and len(" ".join(words)) > limit:
            words.pop()
        title = " ".join(words)[:limit]
        description = "Acme trail runner sneakers in red canvas.\n\nUsed, in good condition."
        hashtag_count = min(rules.hashtags_in_description, max(rules.hashtags_min, 1))
        if hashtag_count > 0:
            description += "\n\n" + " ".join(f"#{word}" for word in WORDS[:hashtag_count])
        tag_count = min(rules.tags_max, max(rules.tags_min, 3))
        tags = list(dict.fromkeys(word[: rules.tag_max_chars] for word in WORDS))[:tag_count]
        return _draft(title, description, tags)

    def overflowing_draft(self, marketplace: MarketplaceAdapter) -> ListingResult:
        """A draft over the title, tag and hashtag limits at once."""
        rules = marketplace.rules
        hashtags = " ".join(f"#{word}" for word in WORDS[: rules.hashtags_in_description + 3])
        long_tag = "-".join(WORDS)[: rules.tag_max_chars + 10].strip("-") + " edition"
        tags = [*WORDS[: rules.tags_max + 3], long_tag]
        return _draft(LONG_TITLE, f"Acme trail runner sneakers.\n\n{hashtags}", tags)

    @staticmethod
    def _shaped_title(marketplace: MarketplaceAdapter, title: str) -> str:
        """``title`` as this marketplace's length limits leave it (it is plain already)."""
        return marketplace.shape(_draft(title, "Acme.", [])).title

    # identity

    def test_has_an_id_a_label_and_rules(self, marketplace: MarketplaceAdapter) -> None:
        assert isinstance(marketplace.id, str) and _ID.fullmatch(marketplace.id), (
            f"ids are lower-case snake_case, got {marketplace.id!r}"
        )
        assert isinstance(marketplace.label, str) and marketplace.label.strip()
        rules = marketplace.rules
        assert isinstance(rules, MarketplaceRules)
        assert rules.title_max_chars >= 1
        assert rules.title_max_words is None or rules.title_max_words >= 1
        assert 0 <= rules.tags_min <= rules.tags_max
        assert rules.tag_max_chars >= 1
        assert 0 <= rules.hashtags_min <= max(rules.hashtags_in_description, 0)

    # compliant copy

    def test_compliant_draft_is_left_untouched(self, marketplace: MarketplaceAdapter) -> None:
        draft = self.compliant_draft(marketplace)
        shaped = marketplace.shape(draft)
        assert isinstance(shaped, ShapedListing)
        assert shaped.title == draft.generated_title
        assert shaped.description == draft.generated_description
        assert shaped.tags == draft.generated_tags
        assert shaped.compliance_warnings == ()

    def test_surrounding_whitespace_is_trimmed(self, marketplace: MarketplaceAdapter) -> None:
        draft = self.compliant_draft(marketplace)
        padded = _draft(
            f"  {draft.generated_title}  ",
            f"\n{draft.generated_description}\n  ",
            [f" {tag} " for tag in draft.generated_tags],
        )
        shaped = marketplace.shape(padded)
        assert shaped.title == draft.generated_title
        assert shaped.description == draft.generated_description
        assert shaped.tags == draft.generated_tags
        messy = "Acme sneakers.  \r\n  Used,   good.\r\n\r\n\r\n\r\nRed."
        tidy = marketplace.shape(_draft(draft.generated_title, messy, draft.generated_tags))
        assert tidy.description == "Acme sneakers.\nUsed, good.\n\nRed.", "one paragraph break"

    # limits

    def test_long_title_is_cut_at_a_word_boundary_with_a_warning(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        rules = marketplace.rules
        shaped = marketplace.shape(_draft(LONG_TITLE, "Acme trail runner sneakers.", []))
        assert shaped.title, "a shortened title must not be empty"
        assert len(shaped.title) <= min(rules.title_max_chars, TITLE_HARD_CAP)
        if rules.title_max_words is not None:
            assert len(shaped.title.split()) <= rules.title_max_words
        assert LONG_TITLE.startswith(shaped.title)
        assert LONG_TITLE[len(shaped.title)] == " ", f"cut mid-word: {shaped.title!r}"
        assert shaped.compliance_warnings, "shortening the title must be reported"

    def test_long_description_is_cut_to_the_limit_with_a_warning(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        rules = marketplace.rules
        sentence = "Acme trail runner sneakers in red canvas, worn twice, laces like new."
        long_description = " ".join([sentence] * 40)  # 2,800 characters
        shaped = marketplace.shape(_draft("Acme Sneakers", long_description, []))
        limit = rules.description_max_chars
        if limit is None:
            assert shaped.description == long_description, "no limit: nothing may be cut"
            return
        assert 0 < len(shaped.description) <= limit
        assert long_description.startswith(shaped.description)
        assert long_description[len(shaped.description)] == " ", "cut mid-word"
        assert len(shaped.description) > limit - len(sentence), "cut far below the limit"
        assert any("escription" in warning for warning in shaped.compliance_warnings)

    def test_a_description_that_fits_exactly_is_kept(self, marketplace: MarketplaceAdapter) -> None:
        limit = marketplace.rules.description_max_chars
        if limit is None:
            return
        words = ("word " * limit)[:limit].rstrip()
        draft = self.compliant_draft(marketplace)
        shaped = marketplace.shape(_draft(draft.generated_title, words, draft.generated_tags))
        assert shaped.description == words
        if len(words) == limit:
            assert shaped.compliance_warnings == (), "nothing was shortened"

    def test_the_closing_hashtags_survive_a_cut(self, marketplace: MarketplaceAdapter) -> None:
        rules = marketplace.rules
        allowed = max(0, rules.hashtags_in_description)
        if rules.description_max_chars is None or allowed == 0:
            return
        hashtags = " ".join(f"#{word}" for word in WORDS[:allowed])
        body = " ".join(["Acme trail runner sneakers in red canvas."] * 60)
        shaped = marketplace.shape(_draft("Acme Sneakers", f"{body}\n\n{hashtags}", []))
        assert len(shaped.description) <= rules.description_max_chars
        assert shaped.description.endswith(hashtags)

    def test_tags_are_limited_plain_and_warned_about(self, marketplace: MarketplaceAdapter) -> None:
        rules = marketplace.rules
        draft = self.overflowing_draft(marketplace)
        shaped = marketplace.shape(
            _draft(draft.generated_title[:10], "Acme sneakers.", draft.generated_tags)
        )
        assert len(shaped.tags) <= rules.tags_max
        assert all(tag and len(tag) <= rules.tag_max_chars for tag in shaped.tags)
        assert not any("#" in tag for tag in shaped.tags)
        assert len({tag.casefold() for tag in shaped.tags}) == len(shaped.tags)
        assert shaped.compliance_warnings, "dropping tags must be reported"

    def test_tags_lose_their_hash_sign(self, marketplace: MarketplaceAdapter) -> None:
        draft = self.compliant_draft(marketplace)
        hashed = _draft(
            draft.generated_title,
            draft.generated_description,
            [f"#{tag}" for tag in draft.generated_tags],
        )
        assert marketplace.shape(hashed).tags == draft.generated_tags

    def test_too_few_tags_are_reported_only_below_the_minimum(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        draft = self.compliant_draft(marketplace)
        shaped = marketplace.shape(
            _draft(draft.generated_title, draft.generated_description, draft.generated_tags[:1])
        )
        assert shaped.tags == draft.generated_tags[:1]
        below_minimum = len(shaped.tags) < marketplace.rules.tags_min
        assert bool(shaped.compliance_warnings) == below_minimum, shaped.compliance_warnings
        bare = marketplace.shape(_draft(draft.generated_title, draft.generated_description, []))
        assert bool(bare.compliance_warnings) == (marketplace.rules.tags_min > 0)

    def test_description_hashtags_are_limited(self, marketplace: MarketplaceAdapter) -> None:
        allowed = max(0, marketplace.rules.hashtags_in_description)
        hashtags = [f"#{word}" for word in WORDS[: allowed + 3]]
        shaped = marketplace.shape(
            _draft("Acme Sneakers", "Acme trail runner sneakers.\n\n" + " ".join(hashtags), [])
        )
        kept = re.findall(r"#\w+", shaped.description)
        assert kept == hashtags[:allowed], "the first hashtags, as many as allowed, are kept"
        assert "Acme trail runner sneakers." in shaped.description
        assert shaped.compliance_warnings

    def test_contact_details_are_removed_with_a_warning(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        if self.allows_contact_details:
            pytest.skip("the marketplace requires contact details in listings")
        description = "Acme trail runner sneakers. Questions? " + " or ".join(CONTACTS)
        shaped = marketplace.shape(
            _draft(f"Acme Sneakers {CONTACTS[0]}", description, ["acme", CONTACTS[1]])
        )
        text = "\n".join([shaped.title, shaped.description, *shaped.tags])
        for contact in CONTACTS:
            assert contact not in text
        assert "example.com" not in text
        assert "7946" not in text
        assert "Acme trail runner sneakers." in shaped.description
        assert len(shaped.compliance_warnings) >= 2, "title and description changes are reported"

    # invariants

    def test_every_adjustment_is_a_separate_warning(self, marketplace: MarketplaceAdapter) -> None:
        """Title, tags and hashtags each overflow: at least three distinct warnings."""
        shaped = marketplace.shape(self.overflowing_draft(marketplace))
        warnings = shaped.compliance_warnings
        assert all(isinstance(w, str) and w.strip() for w in warnings)
        assert len(set(warnings)) == len(warnings) >= 3, warnings

    def test_each_warning_names_the_marketplace(self, marketplace: MarketplaceAdapter) -> None:
        """A seller reads the warnings of every marketplace in one list: each says which."""
        rules = marketplace.rules
        long_tags = ["x" * (rules.tag_max_chars + 1), f"{'y' * rules.tag_max_chars} z"]
        drafts = [
            self.overflowing_draft(marketplace),
            _draft("", "", []),
            _draft(SHOUTED_TITLE, "Acme sneakers. " + " ".join(CONTACTS), [CONTACTS[1]]),
            _draft("Acme", "Acme.", long_tags),
            _draft("Acme", "Acme. " + "sneakers " * 400, WORDS[:1]),
        ]
        for draft in drafts:
            for warning in marketplace.shape(draft).compliance_warnings:
                assert isinstance(warning, str) and marketplace.label in warning, warning
                assert not re.search(r"(?<![\w-])-\d", warning), f"a negative count: {warning}"

    def test_shaping_never_adds_content(self, marketplace: MarketplaceAdapter) -> None:
        drafts = [
            self.compliant_draft(marketplace),
            self.overflowing_draft(marketplace),
            _draft(f"Acme {CONTACTS[0]} Sneakers", " ".join(CONTACTS), list(CONTACTS)),
            _draft("", "", []),
        ]
        for draft in drafts:
            shaped = marketplace.shape(draft)
            assert not _added_words([shaped.title], [draft.generated_title]), shaped.title
            assert not _added_words([shaped.description], [draft.generated_description])
            assert not _added_words(shaped.tags, draft.generated_tags), shaped.tags

    def test_empty_copy_is_reported_not_invented(self, marketplace: MarketplaceAdapter) -> None:
        shaped = marketplace.shape(_draft("", "", []))
        assert (shaped.title, shaped.description) == ("", "")
        assert len(shaped.compliance_warnings) >= 2

    def test_shaped_copy_is_compliant(self, marketplace: MarketplaceAdapter) -> None:
        """Shaping the adapter's own output again changes nothing and warns about nothing."""
        shaped = marketplace.shape(self.overflowing_draft(marketplace))
        again = marketplace.shape(_draft(shaped.title, shaped.description, shaped.tags))
        assert (again.title, again.description, again.tags) == (
            shaped.title,
            shaped.description,
            shaped.tags,
        )
        assert again.compliance_warnings == ()

    def test_shape_does_not_change_the_draft(self, marketplace: MarketplaceAdapter) -> None:
        draft = self.overflowing_draft(marketplace)
        copy = _draft(draft.generated_title, draft.generated_description, draft.generated_tags)
        marketplace.shape(draft)
        assert draft == copy

    # what a mistaken rule would lose (spec 30 §6.8, §7)

    def test_a_repeated_tag_keeps_the_tags_after_it(self, marketplace: MarketplaceAdapter) -> None:
        draft = self.compliant_draft(marketplace)
        tags = draft.generated_tags
        if len(tags) < 2:
            return
        repeated = [tags[0], tags[0].upper(), *tags[1:]]
        shaped = marketplace.shape(
            _draft(draft.generated_title, draft.generated_description, repeated)
        )
        assert shaped.tags == tags, "only the repeat may go; the tags after it stay"

    def test_hashtags_up_to_the_allowance_are_kept(self, marketplace: MarketplaceAdapter) -> None:
        allowed = max(0, marketplace.rules.hashtags_in_description)
        if allowed == 0:
            return
        draft = self.compliant_draft(marketplace)
        description = "Acme trail runner sneakers in red canvas.\n\n" + " ".join(
            f"#{word}" for word in WORDS[:allowed]
        )
        shaped = marketplace.shape(_draft(draft.generated_title, description, draft.generated_tags))
        assert shaped.description == description
        assert shaped.compliance_warnings == ()

    def test_no_hashtags_where_none_are_allowed(self, marketplace: MarketplaceAdapter) -> None:
        if marketplace.rules.hashtags_in_description > 0:
            return
        description = "Acme trail runner sneakers.\n\n#acme #sneakers"
        shaped = marketplace.shape(_draft("Acme Sneakers", description, []))
        assert "#" not in shaped.description
        assert shaped.description == "Acme trail runner sneakers."
        assert any("ashtag" in warning for warning in shaped.compliance_warnings)

    def test_a_title_cut_keeps_the_words_that_fit_exactly(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        rules = marketplace.rules
        limit = min(rules.title_max_chars, TITLE_HARD_CAP)
        count = max(1, min(3, (rules.title_max_words or 3) - 1))
        if limit < 2 * count:
            return
        fitting = _fitting_words(count, limit)
        shaped = marketplace.shape(_draft(f"{fitting} Extra", "Acme sneakers.", []))
        assert shaped.title == fitting, (shaped.title, fitting)
        assert shaped.compliance_warnings

    def test_a_title_at_the_character_limit_is_kept(self, marketplace: MarketplaceAdapter) -> None:
        rules = marketplace.rules
        limit = min(rules.title_max_chars, TITLE_HARD_CAP)
        count = max(1, min(3, rules.title_max_words or 3))
        if limit < 2 * count:
            return
        title = _fitting_words(count, limit)
        draft = self.compliant_draft(marketplace)
        shaped = marketplace.shape(_draft(title, draft.generated_description, draft.generated_tags))
        assert (shaped.title, shaped.compliance_warnings) == (title, ())

    def test_a_title_at_the_word_limit_is_kept(self, marketplace: MarketplaceAdapter) -> None:
        rules = marketplace.rules
        if rules.title_max_words is None:
            return
        words = [word.title() for word in WORDS[: rules.title_max_words]]
        title = " ".join(words)
        while len(title) > min(rules.title_max_chars, TITLE_HARD_CAP):
            title = " ".join(word[:2] for word in words)
        shaped = marketplace.shape(_draft(f"{title} Extra", "Acme sneakers.", []))
        assert shaped.title == title
        assert any(str(rules.title_max_words) in warning for warning in shaped.compliance_warnings)
        assert marketplace.shape(_draft(title, "Acme sneakers.", [])).title == title

    def test_a_description_cut_keeps_the_words_that_fit_exactly(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        limit = marketplace.rules.description_max_chars
        if limit is None:
            return
        fitting = _fitting_words(max(1, limit // 9), limit)
        shaped = marketplace.shape(_draft("Acme Sneakers", f"{fitting} extra", []))
        assert shaped.description == fitting

    def test_a_tag_cut_keeps_the_words_that_fit_exactly(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        rules = marketplace.rules
        if rules.tags_max < 2 or rules.tag_max_chars < 3:
            return
        fitting = _fitting_words(2, rules.tag_max_chars).casefold()
        unbroken = "x" * (rules.tag_max_chars + 1)
        exact = "y" * rules.tag_max_chars
        shaped = marketplace.shape(_draft("Acme", "Acme.", [f"{fitting} extra", unbroken, exact]))
        assert shaped.tags == (fitting, exact), "cut at a word, drop what cannot be, keep a fit"
        assert len(shaped.compliance_warnings) >= 2, shaped.compliance_warnings
        draft = self.compliant_draft(marketplace)
        fits = (exact, *draft.generated_tags[1:])
        kept = marketplace.shape(_draft(draft.generated_title, draft.generated_description, fits))
        assert (kept.tags, kept.compliance_warnings) == (fits, ()), "a tag that fits is kept"

    def test_every_kind_of_contact_is_scrubbed(self, marketplace: MarketplaceAdapter) -> None:
        if self.allows_contact_details:
            pytest.skip("the marketplace requires contact details in listings")
        for contact, fragment in MORE_CONTACTS:
            shaped = marketplace.shape(
                _draft(f"Acme Sneakers {contact}", f"Acme sneakers. Ask: {contact}", [contact])
            )
            text = "\n".join([shaped.title, shaped.description, *shaped.tags])
            assert fragment not in text, (contact, text)
            assert "@" not in text
            assert shaped.title == self._shaped_title(marketplace, "Acme Sneakers")
            assert shaped.description == "Acme sneakers. Ask:"
            assert shaped.tags == ()
            cleaned = marketplace.shape(_draft("Acme", "Acme.", ["", contact, f"trail {contact}"]))
            assert cleaned.tags == ("trail",)[: marketplace.rules.tags_max], cleaned.tags
            warnings = " ".join(shaped.compliance_warnings)
            assert "title" in warnings and "description" in warnings and "tag" in warnings

    def test_measurements_and_prices_are_not_taken_for_phones(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        draft = self.compliant_draft(marketplace)
        description = "Inseam 32 x 30, bought in 2019 for 120.00, box 30.5 x 20.5 cm."
        shaped = marketplace.shape(_draft(draft.generated_title, description, draft.generated_tags))
        assert shaped.description == description
        assert shaped.compliance_warnings == ()

    def test_a_plain_title_rule_recases_shouting_and_drops_emoji(
        self, marketplace: MarketplaceAdapter
    ) -> None:
        shaped = marketplace.shape(_draft(SHOUTED_TITLE, "Acme sneakers.", []))
        if not marketplace.rules.plain_title:
            assert shaped.title == SHOUTED_TITLE, "no plain-title rule: the casing is the seller's"
            return
        assert shaped.title == self._shaped_title(marketplace, "Acme Red Trail Runner Sneakers NWT")
        assert len(shaped.compliance_warnings) >= 2, "recasing and emoji are separate changes"
        mixed = marketplace.shape(_draft("Acme RUNNER red LACE SNEAKERS XL USB", "Acme.", []))
        plain = "Acme Runner red Lace Sneakers XL USB"
        assert mixed.title == self._shaped_title(marketplace, plain), "3 capitals: an acronym"
