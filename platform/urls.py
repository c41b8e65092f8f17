"""URLs that tenant admins configure: normalised on the way in, credentials kept out of
what the API shows."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def normalise(url: str) -> str:
    """Scheme and host in lower case (``HTTP://X`` and ``http://x`` are one URL)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if parts.hostname:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = (userinfo + "@" if userinfo else "") + hostport.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


def without_credentials(url: str | None) -> str | None:
    """For display: ``rtsp://user:pass@cam/1`` becomes ``rtsp://cam/1``."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(
        (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment)
    )
