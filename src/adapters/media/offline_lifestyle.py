"""The offline lifestyle generator: the item cut out and staged in a rendered scene, with Pillow.

It is the embedded default, so lifestyle runs work without an image-model key. Each scene
is a small set: a lit back wall (vertical gradient with a soft window glow), a floor plane
receding to a horizon, a plinth or table top, a few soft props, and the item standing on
it with a contact shadow. The scene key picks palette, camera height and props, so the three
scenes of a run differ visibly. The item comes from the background-removed variant when
the run has one; otherwise the photo's plain backdrop is removed here, and a photo that
cannot be cut out is shown as a framed print on the set instead of failing the scene.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from typing import Final

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS, ImageRefused, decode_bounded
from reseller_adapters.images.offline import remove_background
from reseller_core.ports import ImageEditorError
from reseller_core.ports.media import (
    GeneratedScene,
    LifestyleGenerationError,
    SceneRequest,
    SourceImage,
)

RGB = tuple[int, int, int]

OUTPUT_WIDTH: Final = 1024
"""Scenes are 1024 px wide; the height follows the requested aspect ratio (4:5 → 1280)."""

PALETTES: Final[tuple[tuple[RGB, RGB, RGB, RGB], ...]] = (
    # wall top, wall bottom, floor near, accent
    ((236, 228, 216), (214, 200, 182), (166, 134, 104), (120, 146, 120)),
    ((206, 220, 230), (178, 196, 210), (120, 116, 110), (214, 170, 120)),
    ((58, 60, 70), (34, 36, 44), (28, 28, 32), (196, 160, 96)),
)
"""Warm daylight, cool morning, dark editorial: variant 1, 2, 3 of every family."""


def _aspect(ratio: str) -> tuple[int, int]:
    try:
        width_part, height_part = (int(part) for part in ratio.split(":"))
    except ValueError:
        width_part, height_part = 4, 5
    if width_part <= 0 or height_part <= 0:
        width_part, height_part = 4, 5
    return OUTPUT_WIDTH, round(OUTPUT_WIDTH * height_part / width_part / 2) * 2


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    column.putdata([_mix(top, bottom, y / 255) for y in range(256)])
    return column.resize(size, Image.Resampling.BILINEAR)


def _glow(
    size: tuple[int, int], centre: tuple[int, int], radius: int, strength: int
) -> Image.Image:
    """A soft round light as an "L" mask (window light on the wall, a lamp's pool)."""
    mask = Image.new("L", size, 0)
    x, y = centre
    ImageDraw.Draw(mask).ellipse((x - radius, y - radius, x + radius, y + radius), fill=strength)
    return mask.filter(ImageFilter.GaussianBlur(radius / 2))


def _stage(request: SceneRequest, size: tuple[int, int]) -> tuple[Image.Image, int, int]:
    """The empty set: wall, floor, props. Returns it with the floor line and plinth top."""
    width, height = size
    wall_top, wall_bottom, floor, accent = PALETTES[(request.variant_index - 1) % len(PALETTES)]
    seed = int.from_bytes(hashlib.sha256(request.scene_key.encode()).digest()[:4], "big")
    horizon = round(height * (0.58 + 0.06 * (seed % 3)))
    scene = _vertical_gradient(size, wall_top, wall_bottom)
    light = Image.new("RGB", size, _mix(wall_top, (255, 250, 240), 0.7))
    glow_x = round(width * (0.25 + 0.5 * ((seed >> 3) % 2)))
    scene = Image.composite(
        light, scene, _glow(size, (glow_x, round(height * 0.3)), width // 3, 150)
    )
    floor_image = _vertical_gradient(
        (width, height - horizon), _mix(floor, wall_bottom, 0.35), _mix(floor, (0, 0, 0), 0.25)
    )
    scene.paste(floor_image, (0, horizon))
    draw = ImageDraw.Draw(scene, "RGBA")
    draw.line((0, horizon, width, horizon), fill=(*_mix(floor, (0, 0, 0), 0.4), 90), width=3)
    # Props: a framed panel on the wall and a plant-like cluster at one side, both soft.
    panel_x = round(width * (0.62 if glow_x < width // 2 else 0.1))
    panel = (panel_x, round(height * 0.12), panel_x + width // 4, round(height * 0.12) + width // 3)
    draw.rectangle(
        panel, fill=(*_mix(accent, wall_top, 0.55), 200), outline=(*accent, 220), width=6
    )
    pot_x = round(width * (0.05 if panel_x > width // 2 else 0.84))
    pot = (pot_x, horizon - height // 10, pot_x + width // 9, horizon + height // 40)
    for index in range(5):
        leaf_x = pot_x + width // 18 + (index - 2) * width // 28
        leaf_top = horizon - height // 10 - height // 7 + (index % 2) * height // 24
        draw.ellipse(
            (leaf_x - width // 22, leaf_top, leaf_x + width // 22, leaf_top + height // 6),
            fill=(*_mix(accent, (40, 90, 50), 0.6), 210),
        )
    draw.rounded_rectangle(pot, radius=12, fill=(*_mix(accent, (0, 0, 0), 0.3), 255))
    # A plinth the item stands on, lit from the glow side.
    plinth_top = round(height * 0.86) if height > width else round(height * 0.84)
    plinth = (round(width * 0.2), plinth_top, round(width * 0.8), height)
    draw.rectangle(plinth, fill=(*_mix(wall_bottom, (255, 255, 255), 0.25), 255))
    draw.rectangle(
        (plinth[0], plinth_top, plinth[2], plinth_top + 10),
        fill=(*_mix(wall_top, (255, 255, 255), 0.5), 255),
    )
    scene = scene.filter(ImageFilter.GaussianBlur(1.2))
    return scene, horizon, plinth_top


def _cut_out(source: SourceImage, max_pixels: int) -> Image.Image:
    """The item as RGBA with a transparent backdrop, or the photo as a framed print."""
    try:
        decoded = decode_bounded(source.data, max_pixels=max_pixels, max_side=2048)
    except ImageRefused as exc:
        raise LifestyleGenerationError(
            f"source image unreadable: {exc}", reason="bad_source"
        ) from exc
    image = decoded.image.convert("RGBA")
    see_through = image.getchannel("A").point(lambda value: 255 if value < 128 else 0)
    if see_through.getbbox() is not None:
        box = image.getchannel("A").point(lambda value: 255 if value >= 32 else 0).getbbox()
        return image.crop(box) if box else image
    try:
        edited = remove_background(source.data, max_pixels)
    except ImageEditorError:
        framed = Image.new("RGBA", (image.width + 24, image.height + 24), (250, 248, 244, 255))
        framed.paste(image, (12, 12))
        return framed
    cut = Image.open(io.BytesIO(edited.data)).convert("RGBA")
    box = cut.getchannel("A").point(lambda value: 255 if value >= 32 else 0).getbbox()
    return cut.crop(box) if box else cut


def compose_scene(request: SceneRequest, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> bytes:
    """The scene as JPEG bytes: the first source's item staged on the rendered set."""
    if not request.sources:
        raise LifestyleGenerationError("no source image", reason="no_source")
    size = _aspect(request.aspect_ratio)
    width, height = size
    scene, _horizon, plinth_top = _stage(request, size)
    item = _cut_out(request.sources[0], max_pixels)
    scale = min(width * 0.46 / item.width, height * 0.44 / item.height)
    item = item.resize(
        (max(1, round(item.width * scale)), max(1, round(item.height * scale))),
        Image.Resampling.LANCZOS,
    )
    left = (width - item.width) // 2
    top = plinth_top - item.height + round(item.height * 0.02)
    # Contact shadow: a flattened, blurred ellipse under the item, and a faint cast shadow.
    shadow = Image.new("L", size, 0)
    shadow_draw = ImageDraw.Draw(shadow)
    shadow_draw.ellipse(
        (
            left - item.width * 0.05,
            plinth_top - item.height * 0.04,
            left + item.width * 1.05,
            plinth_top + item.height * 0.05,
        ),
        fill=150,
    )
    cast = item.getchannel("A").resize((item.width, max(1, item.height // 5)))
    shadow.paste(
        ImageChops.multiply(cast, Image.new("L", cast.size, 90)),
        (left + item.width // 8, plinth_top - cast.height // 2),
        cast,
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(4, item.width // 30)))
    scene = Image.composite(Image.new("RGB", size, (20, 18, 16)), scene, shadow)
    scene.paste(item, (left, top), item)
    buffer = io.BytesIO()
    scene.save(buffer, format="JPEG", quality=90, optimize=True)
    return buffer.getvalue()


class OfflineLifestyleGenerator:
    """``LifestyleImageGenerator`` that stages the item locally; deterministic, no network."""

    name = "offline"
    model = "offline-scene-v1"

    def __init__(self, *, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> None:
        self.max_image_pixels = max_image_pixels

    async def generate_scene(self, request: SceneRequest) -> GeneratedScene:
        data = await asyncio.to_thread(compose_scene, request, self.max_image_pixels)
        width, height = _aspect(request.aspect_ratio)
        return GeneratedScene(
            data=data,
            content_type="image/jpeg",
            model=self.model,
            returned_image_count=1,
            width=width,
            height=height,
        )
