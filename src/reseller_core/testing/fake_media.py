"""A fake ``VideoRenderer`` for tests that exercise the video flow without encoding video.

``RecordingVideoRenderer`` answers at once with a few bytes that name the request (not a
playable MP4), at the requested frame size and duration, and records every request; set
``fail_with`` to make it refuse with ``VideoRenderError``.
"""

from __future__ import annotations

import msgspec

from reseller_core.ports.media import RenderedVideo, VideoRenderError, VideoRequest


class RecordingVideoRenderer:
    name = "recording"

    def __init__(self) -> None:
        self.requests: list[VideoRequest] = []
        self.fail_with: str | None = None

    async def render(self, request: VideoRequest) -> RenderedVideo:
        self.requests.append(request)
        if self.fail_with is not None:
            raise VideoRenderError(self.fail_with)
        summary = {
            "marketplace": request.marketplace,
            "slides": [image.image_id for image in request.images],
            "title": request.title,
        }
        return RenderedVideo(
            data=b"fake-mp4:" + msgspec.json.encode(summary),
            content_type="video/mp4",
            width=request.width,
            height=request.height,
            duration_seconds=float(request.duration_seconds),
        )
