"""Conformance suite for the ``ImageEditor`` port, and the stdlib PNG tools it runs on.

Subclass :class:`ImageEditorConformance` and provide the ``editor`` fixture. The suite makes
its own photos as hand-built PNGs (``product_png``) and reads the editor's output back with
``read_png`` / ``png_alpha`` (standard library only, so the suite does not need Pillow).
Extend ``sample_images`` to add JPEG, WEBP or HEIF inputs made with your own tools, and
override ``alpha_rows`` when your editor writes PNGs the small reader does not decode
(interlaced ones).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from reseller_core.ports.images import EditedImage, ImageEditor, ImageEditorError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
"""PNG colour type → samples per pixel (grey, RGB, palette, grey+alpha, RGBA)."""

_ALLOWED_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}

Colour = tuple[int, int, int]


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def product_png(
    width: int = 96,
    height: int = 64,
    *,
    background: Colour | None = (245, 245, 240),
    item: Colour = (30, 60, 200),
) -> bytes:
    """A seller's photo as PNG bytes: a solid item filling the middle half of a plain backdrop.

    ``background=None`` makes a cut-out instead: an RGBA PNG whose backdrop is transparent.
    """
    if width < 4 or height < 4:
        raise ValueError("a product photo needs at least 4 x 4 pixels")
    left, right = width // 4, width - width // 4
    top, bottom = height // 4, height - height // 4
    with_alpha = background is None
    item_pixel = bytes(item) + (b"\xff" if with_alpha else b"")
    backdrop_pixel = b"\x00\x00\x00\x00" if background is None else bytes(background)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            inside = left <= x < right and top <= y < bottom
            rows += item_pixel if inside else backdrop_pixel
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if with_alpha else 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


@dataclass(frozen=True, slots=True)
class PngInfo:
    """What a PNG's chunks say about it; the pixel data itself is in ``idat``."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    palette: bytes
    transparency: bytes
    idat: bytes

    @property
    def has_alpha(self) -> bool:
        """True when pixels can be transparent: an alpha channel or a ``tRNS`` chunk."""
        return self.color_type in (4, 6) or bool(self.transparency)


def read_png(data: bytes) -> PngInfo:
    """Parse and check a PNG's chunk structure (signature, CRCs, IHDR first, IEND last).

    Raises ``ValueError`` naming the first problem found.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG: the signature is missing")
    offset = len(PNG_SIGNATURE)
    chunks: list[tuple[bytes, bytes]] = []
    while offset < len(data):
        if offset + 8 > len(data):
            raise ValueError("truncated PNG: a chunk header is cut off")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(data):
            raise ValueError(f"truncated PNG: chunk {kind!r} is cut off")
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"corrupt PNG: chunk {kind!r} fails its CRC")
        chunks.append((kind, body))
        offset = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise ValueError("corrupt PNG: IHDR is not the first chunk")
    if chunks[-1][0] != b"IEND":
        raise ValueError("truncated PNG: IEND is missing")
    width, height, depth, color_type, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    if width == 0 or height == 0:
        raise ValueError("corrupt PNG: zero width or height")
    if depth not in _ALLOWED_DEPTHS.get(color_type, ()):
        raise ValueError(f"corrupt PNG: bit depth {depth} with colour type {color_type}")
    found = dict(chunks)
    return PngInfo(
        width=width,
        height=height,
        bit_depth=depth,
        color_type=color_type,
        interlaced=interlace == 1,
        palette=found.get(b"PLTE", b""),
        transparency=found.get(b"tRNS", b""),
        idat=b"".join(body for kind, body in chunks if kind == b"IDAT"),
    )


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
    if distances[0] <= distances[1] and distances[0] <= distances[2]:
        return left
    return up if distances[1] <= distances[2] else up_left


def _unfilter(raw: bytes, height: int, row_bytes: int, bpp: int) -> list[bytes]:
    """Undo the per-row PNG filters (None, Sub, Up, Average, Paeth)."""
    if len(raw) < height * (row_bytes + 1):
        raise ValueError("truncated PNG: fewer pixel rows than the header promises")
    rows: list[bytes] = []
    previous = bytearray(row_bytes)
    position = 0
    for _ in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1 : position + 1 + row_bytes])
        position += row_bytes + 1
        for index in range(row_bytes):
            left = line[index - bpp] if index >= bpp else 0
            up = previous[index]
            if kind == 1:
                line[index] = (line[index] + left) & 0xFF
            elif kind == 2:
                line[index] = (line[index] + up) & 0xFF
            elif kind == 3:
                line[index] = (line[index] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                up_left = previous[index - bpp] if index >= bpp else 0
                line[index] = (line[index] + _paeth(left, up, up_left)) & 0xFF
            elif kind != 0:
                raise ValueError(f"corrupt PNG: unknown row filter {kind}")
        rows.append(bytes(line))
        previous = line
    return rows


def _samples(line: bytes, depth: int, count: int) -> list[int]:
    """The first ``count`` samples of one unfiltered row, as integers."""
    if depth == 8:
        return list(line[:count])
    if depth == 16:
        return [(line[2 * i] << 8) | line[2 * i + 1] for i in range(count)]
    per_byte = 8 // depth
    mask = (1 << depth) - 1
    return [(line[i // per_byte] >> (8 - depth * (i % per_byte + 1))) & mask for i in range(count)]


def png_alpha(data: bytes) -> list[list[int]]:
    """Each pixel's opacity (0 transparent .. 255 opaque), row by row, for a non-interlaced PNG.

    Raises ``ValueError`` for a broken or interlaced PNG.
    """
    info = read_png(data)
    if info.interlaced:
        raise ValueError("interlaced PNGs are not decoded by the conformance reader")
    try:
        raw = zlib.decompress(info.idat)
    except zlib.error as exc:
        raise ValueError(f"corrupt PNG: pixel data does not inflate: {exc}") from exc
    channels = _CHANNELS[info.color_type]
    bits_per_pixel = channels * info.bit_depth
    row_bytes = (info.width * bits_per_pixel + 7) // 8
    rows = _unfilter(raw, info.height, row_bytes, max(1, bits_per_pixel // 8))
    scale = 257 if info.bit_depth == 16 else 1
    key: tuple[int, ...] | None = None
    if info.transparency and info.color_type in (0, 2):
        key = struct.unpack(f">{channels}H", info.transparency[: 2 * channels])
    result: list[list[int]] = []
    for line in rows:
        samples = _samples(line, info.bit_depth, info.width * channels)
        pixels = [samples[i : i + channels] for i in range(0, len(samples), channels)]
        if info.color_type in (4, 6):
            result.append([pixel[-1] // scale for pixel in pixels])
        elif info.color_type == 3:
            table = info.transparency
            result.append([table[p[0]] if p[0] < len(table) else 255 for p in pixels])
        elif key is not None:
            result.append([0 if tuple(pixel) == key else 255 for pixel in pixels])
        else:
            result.append([255] * info.width)
    return result


@dataclass(frozen=True, slots=True)
class SampleImage:
    """One input photo for the suite: a name for messages, its bytes and claimed type."""

    name: str
    data: bytes
    content_type: str


TRUNCATED_PNG = product_png()[:60]
NOT_AN_IMAGE = b"This is a text file that was uploaded as a photo.\n" * 4


class ImageEditorConformance:
    """What every ``ImageEditor`` owes the core: a transparent PNG cut-out, or a clear error."""

    pytestmark = pytest.mark.asyncio

    supports_cutout_input: bool = True
    """False when the editor refuses an input that is already transparent (a cut-out)."""

    deterministic: bool = False
    """True when the same input always gives the same bytes (local editors, fakes)."""

    @pytest.fixture
    def editor(self) -> ImageEditor:
        raise NotImplementedError("provide an `editor` fixture")

    def sample_images(self) -> Sequence[SampleImage]:
        """Photos every editor must handle; extend with formats your tests can make."""
        samples = [SampleImage("plain-backdrop.png", product_png(), "image/png")]
        if self.supports_cutout_input:
            samples.append(SampleImage("cut-out.png", product_png(background=None), "image/png"))
        return samples

    def alpha_rows(self, edited: EditedImage) -> Sequence[Sequence[int]]:
        """The output's opacity per pixel, row by row (override for PNGs ``png_alpha`` skips)."""
        return png_alpha(edited.data)

    async def test_has_a_name(self, editor: ImageEditor) -> None:
        assert isinstance(editor.name, str)
        assert editor.name.strip()

    async def test_output_is_a_png_with_alpha_and_the_reported_size(
        self, editor: ImageEditor
    ) -> None:
        for sample in self.sample_images():
            edited = await editor.remove_background(sample.data, sample.content_type)
            assert isinstance(edited, EditedImage), sample.name
            assert edited.content_type == "image/png", sample.name
            info = read_png(edited.data)
            assert info.has_alpha, f"{sample.name}: the PNG has no alpha channel"
            assert (edited.width, edited.height) == (info.width, info.height), sample.name

    async def test_background_turns_transparent_and_the_item_stays(
        self, editor: ImageEditor
    ) -> None:
        edited = await editor.remove_background(product_png(), "image/png")
        alpha = self.alpha_rows(edited)
        height, width = len(alpha), len(alpha[0])
        corners = [alpha[0][0], alpha[0][width - 1], alpha[height - 1][0], alpha[-1][-1]]
        assert corners == [0, 0, 0, 0], "the backdrop around the item is not transparent"
        assert alpha[height // 2][width // 2] >= 128, "the item itself was made transparent"

    async def test_claimed_content_type_is_not_trusted(self, editor: ImageEditor) -> None:
        """A client may label a PNG as JPEG; the editor decodes what the bytes are."""
        edited = await editor.remove_background(product_png(), "image/jpeg")
        assert read_png(edited.data).has_alpha

    @pytest.mark.parametrize(
        ("data", "content_type"),
        [
            pytest.param(NOT_AN_IMAGE, "image/jpeg", id="text"),
            pytest.param(TRUNCATED_PNG, "image/png", id="truncated-png"),
            pytest.param(b"", "image/png", id="empty"),
        ],
    )
    async def test_undecodable_input_raises_image_editor_error(
        self, editor: ImageEditor, data: bytes, content_type: str
    ) -> None:
        with pytest.raises(ImageEditorError):
            await editor.remove_background(data, content_type)

    async def test_same_input_gives_the_same_output(self, editor: ImageEditor) -> None:
        if not self.deterministic:
            pytest.skip("the editor does not declare deterministic output")
        photo = product_png()
        first = await editor.remove_background(photo, "image/png")
        second = await editor.remove_background(photo, "image/png")
        assert first == second
