"""Upload intents, finalize items and storage keys (spec 30 §1, §3; decisions Q-M1, Q-M2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.uploads import (
    ALLOWED_CONTENT_TYPES,
    MAX_BYTE_SIZE,
    file_extension,
    original_key,
)

from .json_rules import validate_finalize_items, validate_upload_intents

ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
intent_keys = st.sampled_from(
    ["filename", "content_type", "byte_size", "checksum", "width", "height", "position"]
)


def encode_ulid(value: int) -> str:
    return "".join(ULID_ALPHABET[(value >> (5 * shift)) & 31] for shift in reversed(range(26)))


ulids = st.integers(0, (1 << 128) - 1).map(encode_ulid)
# A small pool makes duplicate ids likely.
ulid_texts = st.sampled_from([encode_ulid(n) for n in (1, 2, 3)]) | ulids

# Dicts whose keys are the real ones, so the validator's branches are reached.
intent_like = st.dictionaries(
    intent_keys, json_scalars | st.sampled_from(sorted(ALLOWED_CONTENT_TYPES)), max_size=7
)
finalize_like = st.dictionaries(
    st.sampled_from(["id", "byte_size", "width", "height", "checksum"]),
    json_scalars | ulid_texts,
    max_size=5,
)


def random_case(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from([text, text.upper(), text.title(), text.swapcase()]))


@st.composite
def content_types(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(sorted(ALLOWED_CONTENT_TYPES)))
    padded = draw(st.sampled_from(["{}", " {}", "{} ", "\t{}\n"]))
    return padded.format(random_case(draw, base))


STORABLE_TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
"""Text a database stores alike everywhere: no NUL, no lone surrogate (those are refused)."""


@st.composite
def valid_intents(draw: st.DrawFn) -> dict[str, Any]:
    intent: dict[str, Any] = {
        "filename": draw(
            st.text(STORABLE_TEXT, min_size=1, max_size=30).filter(lambda name: name.strip() != "")
        ),
        "content_type": draw(content_types()),
        "byte_size": draw(st.integers(1, MAX_BYTE_SIZE)),
    }
    for key in ("width", "height", "position"):
        if draw(st.booleans()):
            intent[key] = draw(st.integers(1, 20_000))
    if draw(st.booleans()):
        intent["checksum"] = draw(st.text(STORABLE_TEXT, max_size=20))
    return intent


def expected_type(raw: str) -> str:
    lowered = raw.strip().lower()
    return "image/jpeg" if lowered == "image/jpg" else lowered


# --- upload intents ----------------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(json_values)
def test_intents_never_raise_on_arbitrary_json(value: Any) -> None:
    intents, errors = validate_upload_intents(value)
    assert isinstance(intents, list)
    assert isinstance(errors, dict)
    assert not (intents and errors)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(json_scalars | intent_like, min_size=1, max_size=10))
def test_intent_errors_are_aligned_with_the_input(value: list[Any]) -> None:
    intents, errors = validate_upload_intents(value)
    if errors:
        assert intents == []
        assert set(errors) == {"uploads"}
        entries = errors["uploads"]
        if all(isinstance(entry, dict) for entry in entries):
            assert len(entries) == len(value)
            assert any(entries)
            for entry in entries:
                for messages in entry.values():
                    assert messages
                    assert all(isinstance(message, str) for message in messages)
    else:
        assert len(intents) == len(value)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(valid_intents(), min_size=1, max_size=10))
def test_valid_batches_pass_and_keep_order(value: list[dict[str, Any]]) -> None:
    intents, errors = validate_upload_intents(value)
    assert errors == {}
    assert [i.filename for i in intents] == [v["filename"] for v in value]
    assert [i.byte_size for i in intents] == [v["byte_size"] for v in value]
    assert [i.content_type for i in intents] == [expected_type(v["content_type"]) for v in value]
    for intent, raw in zip(intents, value, strict=True):
        assert intent.content_type in ALLOWED_CONTENT_TYPES - {"image/jpg"}
        assert intent.width == raw.get("width")
        assert intent.checksum == raw.get("checksum")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(valid_intents().map(lambda v: (True, v)), intent_like.map(lambda v: (None, v))),
        min_size=1,
        max_size=10,
    )
)
def test_valid_entries_are_empty_objects_in_the_aligned_list(
    tagged: list[tuple[bool | None, Any]],
) -> None:
    value = [entry for _, entry in tagged]
    verdicts = [validate_upload_intents([entry])[1] == {} for entry in value]
    intents, errors = validate_upload_intents(value)
    if all(verdicts):
        assert errors == {}
        assert len(intents) == len(value)
    else:
        aligned = errors["uploads"]
        assert len(aligned) == len(value)
        assert [entry == {} for entry in aligned] == verdicts


@pytest.mark.parametrize("required", [False, True])
@pytest.mark.parametrize("value", [None, []])
def test_absent_uploads(value: Any, required: bool) -> None:
    intents, errors = validate_upload_intents(value, required=required)
    assert intents == []
    assert errors == ({"uploads": ["can't be blank"]} if required else {})


@pytest.mark.parametrize("value", [{}, "x", 3, True, {"filename": "a.jpg"}])
def test_uploads_of_the_wrong_type(value: Any) -> None:
    assert validate_upload_intents(value) == ([], {"uploads": ["is invalid"]})


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.lists(valid_intents(), min_size=11, max_size=14))
def test_more_than_ten_items(value: list[dict[str, Any]]) -> None:
    assert validate_upload_intents(value) == ([], {"uploads": ["should have at most 10 item(s)"]})


def intent(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"filename": "shoe.jpg", "content_type": "image/jpeg", "byte_size": 10}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def errors_of(entry: dict[str, Any]) -> dict[str, list[str]]:
    _, errors = validate_upload_intents([entry])
    return errors["uploads"][0] if errors else {}


@pytest.mark.parametrize(
    ("byte_size", "messages"),
    [
        (1, None),
        (MAX_BYTE_SIZE, None),
        (float(MAX_BYTE_SIZE), None),
        (0, ["must be greater than 0"]),
        (-5, ["must be greater than 0"]),
        (MAX_BYTE_SIZE + 1, ["must be less than or equal to 25000000"]),
        (2.5, ["is invalid"]),
        ("100", ["is invalid"]),
        (True, ["is invalid"]),
        (None, ["can't be blank"]),
        (..., ["can't be blank"]),
    ],
)
def test_byte_size_bounds(byte_size: Any, messages: list[str] | None) -> None:
    found = errors_of(intent(byte_size=byte_size))
    assert found.get("byte_size") == messages


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_byte_size_property(size: int) -> None:
    ok = 0 < size <= MAX_BYTE_SIZE
    assert ("byte_size" not in errors_of(intent(byte_size=size))) is ok


@pytest.mark.parametrize(
    ("content_type", "stored", "message"),
    [
        ("image/jpeg", "image/jpeg", None),
        ("image/jpg", "image/jpeg", None),
        ("IMAGE/JPG", "image/jpeg", None),
        (" Image/PNG ", "image/png", None),
        ("image/webp", "image/webp", None),
        ("image/heic", "image/heic", None),
        ("image/heif", "image/heif", None),
        ("image/gif", None, "is not a supported image type"),
        ("image/svg+xml", None, "is not a supported image type"),
        ("image/", None, "is not a supported image type"),
        ("text/plain", None, "must be an image content type"),
        ("application/octet-stream", None, "must be an image content type"),
        ("", None, "can't be blank"),
        ("   ", None, "can't be blank"),
        (None, None, "can't be blank"),
        (7, None, "is invalid"),
    ],
)
def test_content_type_allow_list(
    content_type: Any, stored: str | None, message: str | None
) -> None:
    intents, errors = validate_upload_intents([intent(content_type=content_type)])
    if message is None:
        assert errors == {}
        assert intents[0].content_type == stored
    else:
        assert errors == {"uploads": [{"content_type": [message]}]}


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("a", None),
        ("x" * 255, None),
        ("x" * 256, "should be at most 255 character(s)"),
        ("", "can't be blank"),
        ("  ", "can't be blank"),
        (None, "can't be blank"),
        (12, "is invalid"),
    ],
)
def test_filename(filename: Any, message: str | None) -> None:
    assert errors_of(intent(filename=filename)).get("filename") == ([message] if message else None)


@pytest.mark.parametrize("key", ["width", "height", "position"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1, None),
        (None, None),
        (0, "must be greater than 0"),
        (-1, "must be greater than 0"),
        ("3", "is invalid"),
        (False, "is invalid"),
    ],
)
def test_optional_dimensions(key: str, value: Any, message: str | None) -> None:
    assert errors_of(intent(**{key: value})).get(key) == ([message] if message else None)


def test_position_is_validated_but_not_kept() -> None:
    intents, errors = validate_upload_intents([intent(position=7)])
    assert errors == {}
    assert not hasattr(intents[0], "position")


@pytest.mark.parametrize(
    ("checksum", "message"),
    [
        ("abc", None),
        ("c" * 255, None),
        ("c" * 256, "should be at most 255 character(s)"),
        (5, "is invalid"),
    ],
)
def test_checksum(checksum: Any, message: str | None) -> None:
    assert errors_of(intent(checksum=checksum)).get("checksum") == ([message] if message else None)


def test_non_object_entry_reports_base() -> None:
    _, errors = validate_upload_intents([intent(), "nope"])
    assert errors == {"uploads": [{}, {"base": ["is invalid"]}]}


def test_entry_errors_are_reported_together() -> None:
    _, errors = validate_upload_intents([intent(byte_size=0, content_type="text/plain"), intent()])
    assert errors == {
        "uploads": [
            {
                "content_type": ["must be an image content type"],
                "byte_size": ["must be greater than 0"],
            },
            {},
        ]
    }


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    existing=st.integers(0, 25),
    batch=st.integers(1, 10),
    cap=st.sampled_from([5, 20]),
)
def test_originals_cap(existing: int, batch: int, cap: int) -> None:
    value = [intent(filename=f"{i}.jpg") for i in range(batch)]
    intents, errors = validate_upload_intents(value, existing_originals=existing, max_originals=cap)
    if existing + batch > cap:
        assert intents == []
        assert errors == {"uploads": [f"would exceed {cap} images per product"]}
    else:
        assert errors == {}
        assert len(intents) == batch


def test_default_cap_is_twenty() -> None:
    assert validate_upload_intents([intent()], existing_originals=19) == (
        validate_upload_intents([intent()])[0],
        {},
    )
    assert validate_upload_intents([intent()], existing_originals=20)[1] == {
        "uploads": ["would exceed 20 images per product"]
    }


def test_entry_errors_win_over_the_cap() -> None:
    _, errors = validate_upload_intents([intent(byte_size=0)], existing_originals=20)
    assert errors == {"uploads": [{"byte_size": ["must be greater than 0"]}]}


# --- finalize items ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(json_values)
def test_finalize_never_raises_on_arbitrary_json(value: Any) -> None:
    items, malformed, errors = validate_finalize_items(value)
    assert isinstance(items, list)
    assert isinstance(malformed, list)
    if errors:
        assert items == []
        assert malformed == []
        assert set(errors) == {"uploads"}


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(json_scalars | finalize_like, min_size=1, max_size=10))
def test_finalize_errors_aligned_or_partitioned(value: list[Any]) -> None:
    items, malformed, errors = validate_finalize_items(value)
    if errors:
        entries = errors["uploads"]
        if all(isinstance(entry, dict) for entry in entries):
            assert len(entries) == len(value)
            assert any(entries)
        else:
            assert entries == ["contains duplicate image ids"]
        return
    # Every entry was a clean object with a string id: well-formed ids or malformed ones.
    assert len(items) + len(malformed) == len(value)
    assert all(parse_ulid(item.id) == item.id for item in items)
    assert all(parse_ulid(raw) is None for raw in malformed)
    assert len({item.id for item in items}) == len(items)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(ulids, min_size=1, max_size=10, unique=True), st.data())
def test_finalize_canonicalises_ids(ids: list[str], data: st.DataObject) -> None:
    sent = [data.draw(st.sampled_from([i, i.lower()])) for i in ids]
    items, malformed, errors = validate_finalize_items([{"id": raw} for raw in sent])
    assert errors == {}
    assert malformed == []
    assert [item.id for item in items] == ids


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(ulids, min_size=1, max_size=9, unique=True), st.data())
def test_finalize_duplicates_are_a_validation_error(ids: list[str], data: st.DataObject) -> None:
    twin = data.draw(st.sampled_from(ids))
    value = [{"id": i} for i in ids] + [{"id": twin.lower()}]
    assert validate_finalize_items(value) == ([], [], {"uploads": ["contains duplicate image ids"]})


def test_malformed_ids_are_returned_separately() -> None:
    good = "01HZX3Q7W8E9R0T1Y2U3I4O5P6".replace("I", "J").replace("O", "0").replace("U", "V")
    assert parse_ulid(good) == good
    items, malformed, errors = validate_finalize_items(
        [{"id": "not-a-ulid"}, {"id": good, "width": 10}, {"id": " 42 "}]
    )
    assert errors == {}
    assert malformed == ["not-a-ulid", " 42 "]
    assert [(item.id, item.width) for item in items] == [(good, 10)]


def test_duplicate_malformed_ids_are_duplicates() -> None:
    assert validate_finalize_items([{"id": "x"}, {"id": "x"}])[2] == {
        "uploads": ["contains duplicate image ids"]
    }


@pytest.mark.parametrize("value", [None, []])
def test_finalize_requires_items(value: Any) -> None:
    assert validate_finalize_items(value) == ([], [], {"uploads": ["can't be blank"]})


@pytest.mark.parametrize("value", [{}, "id", 1, False])
def test_finalize_wrong_type(value: Any) -> None:
    assert validate_finalize_items(value) == ([], [], {"uploads": ["is invalid"]})


def test_finalize_more_than_ten() -> None:
    value = [{"id": f"0000000000000000000000000{i:X}"} for i in range(11)]
    assert validate_finalize_items(value) == (
        [],
        [],
        {"uploads": ["should have at most 10 item(s)"]},
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({}, {"id": ["can't be blank"]}),
        ({"id": None}, {"id": ["can't be blank"]}),
        ({"id": "  "}, {"id": ["can't be blank"]}),
        ({"id": 5}, {"id": ["is invalid"]}),
        ({"id": "x", "byte_size": 0}, {"byte_size": ["must be greater than 0"]}),
        ({"id": "x", "width": "1"}, {"width": ["is invalid"]}),
        ({"id": "x", "height": -2}, {"height": ["must be greater than 0"]}),
        ({"id": "x", "checksum": 1}, {"checksum": ["is invalid"]}),
        ({"id": "x", "checksum": "c" * 256}, {"checksum": ["should be at most 255 character(s)"]}),
    ],
)
def test_finalize_entry_errors(entry: dict[str, Any], expected: dict[str, list[str]]) -> None:
    assert validate_finalize_items([entry, {"id": "y"}, "bad"]) == (
        [],
        [],
        {"uploads": [expected, {}, {"base": ["is invalid"]}]},
    )


def test_finalize_keeps_optional_metadata() -> None:
    image_id = "01J00000000000000000000001"
    items, _, errors = validate_finalize_items(
        [{"id": image_id, "byte_size": 345678, "width": 1200, "height": 1600, "checksum": "abc"}]
    )
    assert errors == {}
    (item,) = items
    assert (item.byte_size, item.width, item.height, item.checksum) == (345678, 1200, 1600, "abc")


# --- storage keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "ext"),
    [
        ("shoe.jpg", ".jpg"),
        ("SHOE.JPEG", ".JPEG"),
        ("archive.tar.gz", ".gz"),
        ("noext", ""),
        ("photo.", ""),
        ("", ""),
        ("dir/sub/img.png", ".png"),
        ("C:\\photos\\img.heic", ".heic"),
        ("../../etc/passwd", ""),
        ("evil.p/ng", ""),
        ("weird.j pg", ""),
        ("long.abcdefghijk", ""),
    ],
)
def test_file_extension(filename: str, ext: str) -> None:
    assert file_extension(filename) == ext


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(max_size=60))
def test_original_key_shape(filename: str) -> None:
    user, product, name = "01JUSER0000000000000000000", "01JPROD0000000000000000000", "5b0c-uuid"
    key = original_key(user, product, name, filename)
    prefix = f"users/{user}/products/{product}/originals/{name}"
    assert key.startswith(prefix)
    ext = key[len(prefix) :]
    assert ext == file_extension(filename)
    if ext:
        # As given by the client (spec 30 §1), and never able to escape the key's folder.
        assert filename.endswith(ext)
        assert ext[0] == "."
        assert ext[1:].isalnum()
        assert len(ext) <= 10
    assert ".." not in key.split("/")
    assert key.count("/") == prefix.count("/")
