"""Report photos: JPEG, PNG or WebP by their bytes (never by name), 10 MB each."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from jogo.platform.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_REPORT = 5
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes, field: str = "photos") -> Photo:
    if not data:
        raise InvalidInput("the photo is empty", field=field)
    if len(data) > MAX_BYTES:
        raise InvalidInput("a photo may be at most 10 MB", field=field)
    content_type = sniff(data)
    if content_type is None:
        raise InvalidInput("a photo must be a JPEG, PNG or WebP image", field=field)
    return Photo(data, content_type, hashlib.sha256(data).hexdigest())
