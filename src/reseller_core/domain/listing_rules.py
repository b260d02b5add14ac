"""Enforcing one marketplace's copy rules on generated copy (spec 30 §6.8, §7, decision Q-M11).

Whatever an AI provider writes, the listing that is stored must fit the marketplace: titles
within the character, word and hard caps, plain tags within count and length, and no
contact details that would send buyers off-platform. ``shape_listing`` only ever removes or
shortens, never adds words, and reports every adjustment as a human-readable warning (a
listing with warnings is stored as ``review``). It is pure so third-party marketplace
adapters can reuse it and Hypothesis can drive it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from reseller_core.domain.marketplaces import TITLE_HARD_CAP, MarketplaceRules


class ShapedListing(msgspec.Struct, frozen=True, kw_only=True):
    """Copy after the marketplace's rules were enforced; each adjustment is a warning.

    ``compliance_warnings`` holds only the shaper's own adjustments; the pipeline adds the
    provider's warnings to them.
    """

    title: str
    description: str
    tags: tuple[str, ...]
    compliance_warnings: tuple[str, ...]


# The order matters: an e-mail address contains a domain, so it is removed before URLs.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?i)(?:\b(?:https?|ftp)://|\bwww\.)\S+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|shop|store|me|ly|info|biz)\b"
    r"(?:/\S*)?"
)
# Phone numbers: a leading "+" with 8+ digits, or a North-American style 3-3-4 grouping.
# Measurements ("32 x 30"), years and prices do not match either shape.
_PHONE = re.compile(
    r"\+\d[\d\s().-]{6,}\d"
    r"|(?<![\w.])(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w])"
    r"|(?<![\w.])\d{10}(?![\w.])"
)
_HASHTAG = re.compile(r"(?<![\w&#])#[^\W\d_][\w]*")
_LETTER_WORD = re.compile(r"\b[^\W\d_]+(?:'[^\W\d_]+)*\b")
"""A word of letters, apostrophes inside ("NIKE'S", "ROCK'N'ROLL"): one that may be shouted."""
LISTING_ACRONYMS = frozenset(
    {
        "NWT",
        "NWOT",
        "BNWT",
        "NIB",
        "NIP",
        "EUC",
        "VGC",
        "GUC",
        "OEM",
        "USB",
        "LED",
        "HDMI",
        "XXL",
        "XXXL",
        "XXS",
        "USA",
        "NFL",
        "NBA",
        "MLB",
        "NHL",
        "VHS",
        "DVD",
        "RGB",
        "SSD",
        "HDD",
    }
)
"""Capitals by nature on resale listings; never recased."""
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\ufe0f\u200d]+"
)
_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")

_MAX_PASSES = 5
"""Removing one match can join its neighbours into a new one; repeat until nothing changes."""


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _remove_contacts(text: str) -> tuple[str, bool]:
    """Remove e-mail addresses, URLs and phone numbers; True when anything was removed."""
    removed = False
    for _ in range(_MAX_PASSES):
        cleaned = text
        for pattern in (_EMAIL, _URL, _PHONE):
            cleaned = pattern.sub(" ", cleaned)
        if cleaned == text:
            break
        removed = True
        text = _tidy_lines(cleaned)
    return text, removed


def _tidy_lines(text: str) -> str:
    """Collapse runs of spaces within lines and of blank lines, keeping paragraphs."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _leading_words(text: str, max_chars: int) -> str:
    """The longest run of whole leading words within ``max_chars`` ("" if none fits)."""
    if len(text) <= max_chars:
        return text
    kept: list[str] = []
    length = 0
    for word in text.split(" "):
        extra = len(word) + (1 if kept else 0)
        if length + extra > max_chars:
            break
        kept.append(word)
        length += extra
    return " ".join(kept)


def shorten_at_word(text: str, max_chars: int) -> str:
    """Shorten at a word boundary; a first word longer than the limit is cut mid-word.

    A truncated title is still more useful than an empty one.
    """
    return _leading_words(text, max_chars) or text[:max_chars].rstrip()


def _plain_title(title: str, label: str, warnings: list[str]) -> str:
    """Recase shouted words ("ACME TRAIL" → "Acme Trail") and drop emoji.

    In a title written wholly in capitals every word of three letters or more is recased;
    elsewhere only words of four letters or more. Listing acronyms (NWT, USB...), words of
    one or two letters (XL, US) and words with a digit (model codes such as 501XX) stay.
    """
    shouting = not any(char.islower() for char in title)
    shortest = 3 if shouting else 4

    def recase(match: re.Match[str]) -> str:
        word = match.group(0)
        letters = word.replace("'", "")
        if not word.isupper() or len(letters) < shortest or word in LISTING_ACRONYMS:
            return word
        return word.capitalize()

    recased = _LETTER_WORD.sub(recase, title)
    if recased != title:
        warnings.append(f"Title recased from ALL CAPS for {label}")
    plain = _collapse(_EMOJI.sub(" ", recased))
    if plain != _collapse(recased):
        warnings.append(f"Removed emoji from the title for {label}")
    return plain


def _shape_title(title: str, rules: MarketplaceRules, label: str, warnings: list[str]) -> str:
    shaped = _collapse(title)
    if rules.plain_title:
        shaped = _plain_title(shaped, label, warnings)
    shaped, removed = _remove_contacts(shaped)
    shaped = _collapse(shaped)
    if removed:
        warnings.append(
            f"Removed contact details (links, e-mail addresses or phone numbers) "
            f"from the title for {label}"
        )
    if rules.title_max_words is not None and rules.title_max_words > 0:
        words = shaped.split(" ") if shaped else []
        if len(words) > rules.title_max_words:
            shaped = " ".join(words[: rules.title_max_words])
            warnings.append(f"Title shortened to {rules.title_max_words} words for {label}")
    limit = min(max(1, rules.title_max_chars), TITLE_HARD_CAP)
    if len(shaped) > limit:
        shaped = shorten_at_word(shaped, limit)
        warnings.append(f"Title shortened to {limit} characters for {label}")
    if not shaped:
        warnings.append(f"The title is empty; add one before listing on {label}")
    return shaped


def _shape_description(
    description: str, rules: MarketplaceRules, label: str, warnings: list[str]
) -> str:
    shaped = _tidy_lines(description)
    shaped, removed = _remove_contacts(shaped)
    if removed:
        warnings.append(
            f"Removed contact details (links, e-mail addresses or phone numbers) "
            f"from the description for {label}"
        )
    hashtags = _HASHTAG.findall(shaped)
    allowed = max(0, rules.hashtags_in_description)
    if len(hashtags) > allowed:
        # Keep the first ``allowed`` hashtags in place, drop the rest.
        seen = 0

        def _keep_first(match: re.Match[str]) -> str:
            nonlocal seen
            seen += 1
            return match.group(0) if seen <= allowed else " "

        shaped = _tidy_lines(_HASHTAG.sub(_keep_first, shaped))
        if allowed == 0:
            warnings.append(f"Removed hashtags from the description: {label} does not use them")
        else:
            warnings.append(f"Kept the first {allowed} hashtags in the description for {label}")
    limit = rules.description_max_chars
    if limit is not None and len(shaped) > limit:
        shaped = _shorten_description(shaped, max(1, limit))
        warnings.append(f"Description shortened to {limit} characters for {label}")
    if not shaped:
        warnings.append(f"The description is empty; add one before listing on {label}")
    return shaped


_TRAILING_HASHTAGS = re.compile(r"(?:\s*#\w+)+\s*$")


def _shorten_description(text: str, limit: int) -> str:
    """Cut the body at a word boundary, keeping the closing hashtag line when it fits."""
    match = _TRAILING_HASHTAGS.search(text)
    tail = match.group(0).strip() if match else ""
    body = text[: match.start()].rstrip() if match else text
    room = limit - len(tail) - 2 if tail else limit
    if tail and room > 0 and body:
        return f"{shorten_at_word(body, room).rstrip()}\n\n{tail}"
    return shorten_at_word(text, limit).rstrip()


def _shape_tags(
    tags: Sequence[str], rules: MarketplaceRules, label: str, warnings: list[str]
) -> tuple[str, ...]:
    cleaned: list[str] = []
    seen: set[str] = set()
    shortened = 0
    dropped_long = 0
    contact_tags = 0
    max_chars = max(1, rules.tag_max_chars)
    for raw in tags:
        tag = _collapse(raw.replace("#", " "))
        if not tag:
            continue
        without_contacts, removed = _remove_contacts(tag)
        if removed:
            contact_tags += 1
            tag = _collapse(without_contacts)
            if not tag:
                continue
        if len(tag) > max_chars:
            # Shorten at a word boundary; a tag cut mid-word is noise, so drop it instead.
            tag = _leading_words(tag, max_chars)
            if not tag:
                dropped_long += 1
                continue
            shortened += 1
        key = tag.casefold()
        if key in seen:
            continue
        seen.add(key)
        cleaned.append(tag)
    if contact_tags:
        warnings.append(f"Removed contact details from {contact_tags} tag(s) for {label}")
    if shortened:
        warnings.append(f"Shortened {shortened} tag(s) to {max_chars} characters for {label}")
    if dropped_long:
        warnings.append(
            f"Dropped {dropped_long} tag(s) longer than {max_chars} characters for {label}"
        )
    limit = max(0, rules.tags_max)
    if len(cleaned) > limit:
        if limit == 0:
            warnings.append(f"Removed tags: {label} does not use tags")
        else:
            warnings.append(f"Kept the first {limit} of {len(cleaned)} tags for {label}")
        cleaned = cleaned[:limit]
    if rules.tags_min > 0 and len(cleaned) < rules.tags_min:
        warnings.append(
            f"{label} listings use {rules.tags_min} tags; only {len(cleaned)} were generated"
        )
    return tuple(cleaned)


def shape_listing(
    marketplace_id: str,
    label: str,
    rules: MarketplaceRules,
    *,
    title: str,
    description: str,
    tags: Sequence[str],
) -> ShapedListing:
    """Fit generated copy to ``rules``; every change it makes is reported as a warning.

    Args:
        marketplace_id: the catalogue id; the rules carry every limit, so it is not needed
            today, but it is part of the signature so rules may key on it later.
        label: the marketplace's display name, used in the warnings the seller reads.
    """
    warnings: list[str] = []
    shaped_title = _shape_title(title, rules, label, warnings)
    shaped_description = _shape_description(description, rules, label, warnings)
    shaped_tags = _shape_tags(tags, rules, label, warnings)
    return ShapedListing(
        title=shaped_title,
        description=shaped_description,
        tags=shaped_tags,
        compliance_warnings=tuple(warnings),
    )
