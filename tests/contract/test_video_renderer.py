"""The ffmpeg slideshow renderer makes a real MP4 of the requested size and length."""

from __future__ import annotations

import io
import os
import tempfile

import imageio_ffmpeg
import pytest
from PIL import Image

from reseller_adapters.media.ffmpeg_video import FPS, FfmpegVideoRenderer
from reseller_core.ports.media import VIDEO_FRAME_SIZES, SourceImage, VideoRenderError, VideoRequest
from tests.images import product_photo


def _probe(data: bytes) -> tuple[dict[str, object], list[bytes]]:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "v.mp4")
        with open(path, "wb") as handle:
            handle.write(data)
        reader = imageio_ffmpeg.read_frames(path)
        meta = next(reader)
        frames = list(reader)
    return meta, frames


def _images(count: int) -> list[SourceImage]:
    colours = [(200, 30, 40), (30, 120, 200), (40, 160, 60)]
    return [
        SourceImage(
            image_id=f"img{index}",
            kind="original",
            content_type="image/jpeg",
            data=product_photo("JPEG", size=(400, 300), item=colours[index % 3]),
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("ratio", ["1:1", "9:16"])
async def test_slideshow_has_the_frame_size_and_duration_asked(ratio: str) -> None:
    width, height = VIDEO_FRAME_SIZES[ratio]
    request = VideoRequest(
        marketplace="depop",
        width=width,
        height=height,
        duration_seconds=5,
        images=_images(2),
        title="Red canvas tote bag",
    )
    video = await FfmpegVideoRenderer().render(request)
    assert video.content_type == "video/mp4" and video.data[4:8] == b"ftyp"
    meta, frames = _probe(video.data)
    assert meta["codec"] == "h264" and meta["size"] == (width, height)
    assert meta["duration"] == pytest.approx(5.0, abs=0.1)
    assert len(frames) == 5 * FPS
    # The last frame shows the second image: its blue item in the middle of the frame.
    last = Image.frombytes("RGB", (width, height), frames[-1])
    red, _green, blue = last.getpixel((width // 2, height // 2))
    assert blue > 150 and red < 90


async def test_no_images_or_odd_sizes_are_refused() -> None:
    renderer = FfmpegVideoRenderer()
    with pytest.raises(VideoRenderError):
        await renderer.render(
            VideoRequest(marketplace="ebay", width=720, height=1280, duration_seconds=5, images=[])
        )
    with pytest.raises(VideoRenderError):
        await renderer.render(
            VideoRequest(
                marketplace="ebay", width=721, height=1280, duration_seconds=5, images=_images(1)
            )
        )
    bad = [SourceImage(image_id="x", kind="original", content_type="image/png", data=b"nope")]
    with pytest.raises(VideoRenderError):
        await renderer.render(
            VideoRequest(marketplace="ebay", width=720, height=1280, duration_seconds=5, images=bad)
        )


def test_transparent_images_are_flattened_on_a_light_backdrop() -> None:
    from reseller_adapters.media.ffmpeg_video import _decode

    cut = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    buffer = io.BytesIO()
    cut.save(buffer, format="PNG")
    flat = _decode(
        SourceImage(
            image_id="x",
            kind="background_removed",
            content_type="image/png",
            data=buffer.getvalue(),
        ),
        10**8,
    )
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == (246, 244, 240)
