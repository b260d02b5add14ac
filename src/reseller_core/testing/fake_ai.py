"""In-memory fakes of the AI provider and the image editor, for tests that need no Pillow.

Both read only the image bytes' header (JPEG, PNG, WEBP or HEIC magic bytes, and the
dimensions the header states), answer deterministically from the seller's facts, record
what they were asked in ``calls`` and can be told to fail a stage (``fail``/``heal``), so a
test can drive the pipeline through its error paths. Neither is fit for production use.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar

from reseller_core.domain.listing_rules import shorten_at_word
from reseller_core.domain.text import collapse_spaces, dedupe
from reseller_core.ports.ai import (
    INVALID_IMAGE,
    AIProviderError,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)
from reseller_core.ports.images import EditedImage, ImageEditorError
from reseller_core.ports.search import SearchMatch

__all__ = [
    "AI_STAGES",
    "EDITOR_STAGES",
    "FakeAIProvider",
    "FakeCall",
    "FakeImageEditor",
    "ImageHeader",
    "cutout_png",
    "sniff_image",
]

AI_STAGES: Final = ("recognize", "reconcile", "describe", "research_price", "write_listing")
"""The ``AIProvider`` methods ``FakeAIProvider.fail`` can break."""

EDITOR_STAGES: Final = ("remove_background",)
"""The ``ImageEditor`` methods ``FakeImageEditor.fail`` can break."""

MAX_PIXELS: Final = 89_478_485
"""Largest canvas the fake editor draws (Pillow's decompression-bomb threshold)."""

CANNED_PRICE: Final = Decimal("20.00")
"""The fake's target price in USD: a fixed canned answer, never market data."""

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""Start-of-frame markers (baseline, progressive, lossless...); C4/C8/CC are not frames."""

_CENTS: Final = Decimal("0.01")
_ITEM_PIXEL: Final = b"\x80\x80\x80\xff"
_CLEAR_PIXEL: Final = b"\x00\x00\x00\x00"
_PADDING: Final = 0.15


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What an image's header says: its format and, when the header states them, its size."""

    format: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One call a fake received: the method name and the arguments it was given."""

    stage: str
    arguments: tuple[Any, ...]


# --- header sniffing ------------------------------------------------------------------------


def _sized(fmt: str, width: int, height: int) -> ImageHeader:
    if width <= 0 or height <= 0:
        raise ValueError(f"{fmt} header states a zero width or height")
    return ImageHeader(fmt, width, height)


def _sniff_png(data: bytes) -> ImageHeader:
    """Walk every chunk (lengths and CRCs) so a truncated or corrupt PNG is refused."""
    offset = len(PNG_SIGNATURE)
    kinds: list[bytes] = []
    header = b""
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError("truncated PNG: a chunk is cut off")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(data):
            raise ValueError(f"truncated PNG: chunk {kind!r} is cut off")
        body = data[offset + 8 : end - 4]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != struct.unpack(">I", data[end - 4 : end])[0]:
            raise ValueError(f"corrupt PNG: chunk {kind!r} fails its CRC")
        if not kinds:
            header = body
        kinds.append(kind)
        offset = end
        if kind == b"IEND":
            break
    if not kinds or kinds[0] != b"IHDR" or len(header) != 13:
        raise ValueError("corrupt PNG: IHDR is not the first chunk")
    if kinds[-1] != b"IEND":
        raise ValueError("truncated PNG: IEND is missing")
    if b"IDAT" not in kinds:
        raise ValueError("corrupt PNG: no pixel data")
    width, height = struct.unpack(">II", header[:8])
    return _sized("PNG", width, height)


def _sniff_jpeg(data: bytes) -> ImageHeader:
    """Walk the marker segments up to the scan; the frame header gives the size."""
    offset = 2
    size: tuple[int, int] | None = None
    while True:
        if offset >= len(data) or data[offset] != 0xFF:
            raise ValueError("corrupt JPEG: a marker segment is cut off or malformed")
        while offset < len(data) and data[offset] == 0xFF:
            offset += 1  # fill bytes before a marker
        if offset >= len(data):
            raise ValueError("truncated JPEG: a marker segment is cut off")
        marker = data[offset]
        offset += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers carry no length
        if marker == 0xD9:
            raise ValueError("corrupt JPEG: the image ends before any scan")
        if offset + 2 > len(data):
            raise ValueError("truncated JPEG: a marker segment is cut off")
        (length,) = struct.unpack(">H", data[offset : offset + 2])
        if length < 2 or offset + length > len(data):
            raise ValueError("truncated JPEG: a marker segment is cut off")
        if marker in _JPEG_SOF:
            if length < 7:
                raise ValueError("corrupt JPEG: the frame header is too short")
            height, width = struct.unpack(">HH", data[offset + 3 : offset + 7])
            size = (width, height)
        if marker == 0xDA:
            break
        offset += length
    if size is None:
        raise ValueError("corrupt JPEG: no frame header before the scan")
    if data.rfind(b"\xff\xd9") < offset:
        raise ValueError("truncated JPEG: the end-of-image marker is missing")
    return _sized("JPEG", *size)


def _sniff_webp(data: bytes) -> ImageHeader:
    """Check the RIFF length, then read the size from the VP8, VP8L or VP8X chunk."""
    (riff_size,) = struct.unpack("<I", data[4:8])
    if len(data) < 8 + riff_size or len(data) < 30:
        raise ValueError("truncated WEBP: the file is shorter than its RIFF header says")
    kind, body = data[12:16], data[20:30]
    if kind == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise ValueError("corrupt WEBP: the VP8 start code is missing")
        width, height = struct.unpack("<HH", body[6:10])
        return _sized("WEBP", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L":
        if body[0] != 0x2F:
            raise ValueError("corrupt WEBP: the VP8L signature is missing")
        (bits,) = struct.unpack("<I", body[1:5])
        return _sized("WEBP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X":
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return _sized("WEBP", width, height)
    raise ValueError(f"corrupt WEBP: unknown first chunk {kind!r}")


def _sniff_heic(data: bytes) -> ImageHeader:
    """Check the ``ftyp`` brands; the size comes from the first ``ispe`` box, when present."""
    (box_size,) = struct.unpack(">I", data[:4])
    if box_size < 16 or box_size > len(data):
        raise ValueError("truncated HEIC: the ftyp box is cut off")
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    if not brands & _HEIF_BRANDS:
        raise ValueError("not a HEIC image: no HEIF brand in the ftyp box")
    found = data.find(b"ispe", box_size)
    if found == -1:
        return ImageHeader("HEIC", None, None)
    if found + 16 > len(data):
        raise ValueError("truncated HEIC: the image size box is cut off")
    width, height = struct.unpack(">II", data[found + 8 : found + 16])
    return _sized("HEIC", width, height)


def sniff_image(data: bytes) -> ImageHeader:
    """Identify ``data`` as JPEG, PNG, WEBP or HEIC from its header and read its dimensions.

    Only headers are read, never pixels. Raises ``ValueError`` with the reason when the
    bytes are none of those formats or their header is truncated or inconsistent.
    """
    if data.startswith(PNG_SIGNATURE):
        return _sniff_png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _sniff_jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _sniff_webp(data)
    if data[4:8] == b"ftyp" and len(data) >= 16:
        return _sniff_heic(data)
    raise ValueError("not a JPEG, PNG, WEBP or HEIC image")


# --- failure hooks --------------------------------------------------------------------------


ErrorT = TypeVar("ErrorT", bound=Exception)


class _Hooks(Generic[ErrorT]):
    """``calls`` plus ``fail``/``heal``: what a fake was asked, and which stages must fail."""

    stages: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.calls: list[FakeCall] = []
        self._failures: dict[str, ErrorT] = {}

    def fail(self, stage: str, error: ErrorT) -> None:
        """Make every later call to ``stage`` raise ``error`` until ``heal`` is called."""
        self._check_stage(stage)
        self._failures[stage] = error

    def heal(self, stage: str | None = None) -> None:
        """Stop failing ``stage`` (every stage when None)."""
        if stage is None:
            self._failures.clear()
            return
        self._check_stage(stage)
        self._failures.pop(stage, None)

    def _check_stage(self, stage: str) -> None:
        if stage not in self.stages:
            raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(self.stages)}")

    def _enter(self, stage: str, *arguments: Any) -> None:
        """Record the call, then raise the error a test set for this stage, if any."""
        self.calls.append(FakeCall(stage, arguments))
        error = self._failures.get(stage)
        if error is not None:
            raise error


# --- the AI provider ------------------------------------------------------------------------


def _item_name(facts: ProductFacts) -> str:
    """A title from the seller's facts only: "Acme Red Sneakers", "Red item", "Item"."""
    colour = collapse_spaces(facts.color)
    parts = [
        part
        for part in (
            collapse_spaces(facts.brand),
            colour and colour.title(),
            collapse_spaces(facts.category),
        )
        if part
    ]
    if not collapse_spaces(facts.category):
        parts.append("item" if parts else "Item")
    return " ".join(parts)


def _feature_lines(facts: ProductFacts) -> list[str]:
    pairs = (
        ("Brand", facts.brand),
        ("Category", facts.category),
        ("Color", facts.color),
        ("Material", facts.material),
        ("Size", facts.size),
        ("Condition", facts.condition),
    )
    return [
        f"{label}: {collapse_spaces(value)}" for label, value in pairs if collapse_spaces(value)
    ]


def _missing(facts: ProductFacts) -> list[str]:
    names = (("brand", facts.brand), ("category", facts.category), ("condition", facts.condition))
    return [name for name, value in names if not collapse_spaces(value)]


class FakeAIProvider(_Hooks[AIProviderError]):
    """``AIProvider`` with canned answers from the seller's facts and the images' headers.

    It states nothing the seller did not say (no measured colour, no guessed brand), so its
    copy never contradicts the seller. ``fail(stage, AIProviderError(...))`` makes a stage
    raise until ``heal()``; ``calls`` lists every call with its arguments.
    """

    name = "fake"
    model = "fake-v1"
    offline = True
    stages = AI_STAGES

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        """Sniff every image's header and restate the seller's facts; unknowns stay None."""
        self._enter("recognize", tuple(images), facts)
        if not images:
            raise AIProviderError.no_recognition_images()
        headers: list[dict[str, Any]] = []
        for image in images:
            try:
                header = sniff_image(image.data)
            except ValueError as exc:
                raise AIProviderError(
                    INVALID_IMAGE,
                    f"Image {image.image_id} is not a JPEG, PNG, WEBP or HEIC image",
                    retryable=False,
                    details={"image_id": image.image_id, "reason": str(exc)},
                ) from exc
            headers.append(
                {
                    "image_id": image.image_id,
                    "format": header.format,
                    "width": header.width,
                    "height": header.height,
                }
            )
        brand, category = collapse_spaces(facts.brand), collapse_spaces(facts.category)
        known = {
            "brand": brand,
            "category": category,
            "color": collapse_spaces(facts.color),
            "material": collapse_spaces(facts.material),
        }
        missing = tuple(name for name in ("category", "brand") if not known[name])
        return Recognition(
            category=category or "",
            confidence_score=round(0.5 + 0.15 * (2 - len(missing)), 2),
            needs_review=bool(missing),
            brand=brand,
            possible_model=None,
            color=known["color"],
            material=known["material"],
            logo_text=None,
            field_confidence={name: 1.0 for name, value in known.items() if value},
            missing_information=missing,
            observations={
                "fake": True,
                "provider": self.name,
                "model": self.model,
                "image_count": len(headers),
                "images": headers,
            },
        )

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        """Title and copy from the seller's facts; the warning names what is missing."""
        self._enter("describe", facts, recognition)
        title = collapse_spaces(facts.title)
        subject = title or _item_name(facts)
        sentences = [f"{subject}."]
        for label, value in (
            ("Condition", facts.condition),
            ("Size", facts.size),
            ("Material", facts.material),
        ):
            if collapse_spaces(value):
                sentences.append(f"{label}: {collapse_spaces(value)}.")
        short = shorten_at_word(" ".join(sentences), 500)
        features = _feature_lines(facts)
        long_description = short
        if features:
            long_description += "\n\n" + "\n".join(f"- {line}" for line in features)
        missing = _missing(facts)
        warning = (
            shorten_at_word(f"Add the {', '.join(missing)} before listing.", 500)
            if missing
            else None
        )
        keywords = dedupe(
            [
                value.casefold()
                for value in (facts.brand, facts.category, facts.color, facts.material)
                if value and value.strip()
            ]
            + [tag.casefold() for tag in facts.tags if tag.strip()],
            ignore_case=True,
        )[:10]
        return DescriptionResult(
            suggested_title=shorten_at_word(subject, 160),
            short_description=short,
            long_description=long_description,
            key_features=tuple(features),
            seo_keywords=keywords,
            missing_details_warning=warning,
        )

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        """Same family when a match names the recognised brand; the model is kept as is."""
        self._enter("reconcile", recognition, tuple(matches))
        brand = collapse_spaces(recognition.brand)
        same = brand is not None and any(
            brand.casefold() in f"{match.brand or ''} {match.title}".casefold() for match in matches
        )
        card = " ".join(
            part
            for part in (brand, collapse_spaces(recognition.possible_model), recognition.category)
            if part
        )
        return Reconciliation(
            same_model_family=same,
            short_card_description=card or "Item",
            most_likely_model=collapse_spaces(recognition.possible_model),
            review_notes=() if same else ("No search match names the recognised brand.",),
        )

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        """A fixed canned price with low confidence, so a fake price always goes to review."""
        if evidence is None:
            self._enter("research_price", facts, recognition)
        else:
            self._enter("research_price", facts, recognition, evidence)
        return PriceResult(
            currency="USD",
            suggested_target_price=CANNED_PRICE,
            pricing_confidence=0.1,
            suggested_min_price=(CANNED_PRICE * Decimal("0.6")).quantize(_CENTS),
            suggested_max_price=(CANNED_PRICE * Decimal("1.5")).quantize(_CENTS),
            suggested_median_price=CANNED_PRICE,
            rationale_summary="Fake provider: a fixed canned price, not market data.",
            market_signals=("fake provider: no market data consulted",),
            comparable_results=(),
        )

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        """The description's copy within the marketplace's title and tag limits."""
        self._enter("write_listing", request)
        rules, description, facts = request.rules, request.description, request.facts
        tags = dedupe(
            [
                " ".join(value.replace("#", " ").split()).casefold()
                for value in (
                    facts.brand,
                    facts.category,
                    facts.color,
                    facts.material,
                    *description.seo_keywords,
                    *facts.tags,
                )
                if value and value.replace("#", " ").strip()
            ],
            ignore_case=True,
        )
        warnings = (
            [description.missing_details_warning] if description.missing_details_warning else []
        )
        if rules.flags_eligibility:
            warnings.append(f"Confirm this item is eligible for {request.label} before listing.")
        return ListingResult(
            generated_title=shorten_at_word(
                description.suggested_title, max(1, rules.title_max_chars)
            ),
            generated_description=description.long_description or description.short_description,
            generated_price_suggestion=(
                request.price.suggested_target_price if request.price else Decimal("0.00")
            ),
            generated_tags=tags[: max(0, rules.tags_max)],
            compliance_warnings=tuple(warnings),
            generation_version=self.model,
        )


# --- the image editor -----------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def cutout_png(width: int, height: int) -> bytes:
    """An RGBA PNG: a transparent margin (15% per side) around an opaque grey silhouette.

    The silhouette stands in for the item; it is a rectangle, not the photo's pixels.
    """
    left = min(int(width * _PADDING), (width - 1) // 2)
    top = min(int(height * _PADDING), (height - 1) // 2)
    clear_row = b"\x00" + _CLEAR_PIXEL * width
    item_row = (
        b"\x00" + _CLEAR_PIXEL * left + _ITEM_PIXEL * (width - 2 * left) + _CLEAR_PIXEL * left
    )
    packer = zlib.compressobj(6)
    idat = bytearray()
    for y in range(height):
        idat += packer.compress(item_row if top <= y < height - top else clear_row)
    idat += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", bytes(idat))
        + _chunk(b"IEND", b"")
    )


class FakeImageEditor(_Hooks[ImageEditorError]):
    """``ImageEditor`` returning a placeholder cut-out of the input's size, without decoding.

    The input's type is read from its bytes, never from the claimed content type.
    ``fail("remove_background", ImageEditorError(...))`` makes it raise until ``heal()``.
    """

    name = "fake"
    stages = EDITOR_STAGES

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        """A transparent-margined RGBA PNG as large as the input; errors for non-images."""
        self._enter("remove_background", data, content_type)
        try:
            header = sniff_image(data)
        except ValueError as exc:
            raise ImageEditorError(f"cannot remove the background: {exc}") from exc
        if header.width is None or header.height is None:
            raise ImageEditorError(
                f"cannot remove the background: the {header.format} "
                "header does not state the image size"
            )
        if header.width * header.height > MAX_PIXELS:
            raise ImageEditorError(
                f"cannot remove the background: {header.width}x{header.height} pixels is "
                f"more than the {MAX_PIXELS} allowed"
            )
        return EditedImage(
            data=cutout_png(header.width, header.height),
            content_type="image/png",
            width=header.width,
            height=header.height,
        )
