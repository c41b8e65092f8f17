"""Report and shared-post photos: decoded, upright and stripped of every piece of
metadata (GPS above all) by :mod:`jogo.platform.images` before they are stored; 10 MB
and at most :data:`MAX_PER_REPORT` per report."""

from __future__ import annotations

from jogo.platform.images import MAX_BYTES, CleanImage, clean_image

MAX_PER_REPORT = 5

# What is stored: the clean file, its real content type, and the SHA-256 of those bytes.
Photo = CleanImage

__all__ = ["MAX_BYTES", "MAX_PER_REPORT", "Photo", "check_photo"]


async def check_photo(data: bytes, field: str = "photos") -> Photo:
    """The clean photo of an upload; ``InvalidInput`` on ``field`` when it is empty,
    over 10 MB, not a complete JPEG/PNG/WebP/HEIC image or over 50 megapixels."""
    return await clean_image(data, field)
