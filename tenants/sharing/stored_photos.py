"""Photos stored before uploads were cleaned (migration 0017): ``jogo photos clean``.

Rows of such photos (report attachments, shared-post photos) are not ``cleaned``, and the
photo routes do not serve them. :func:`clean_stored_photos` reads each file, runs it
through :func:`jogo.platform.images.clean_image_sync` (decoded, upright, no metadata,
re-encoded) and writes the clean file back under the same storage key; the row then gets
the clean content type, size and SHA-256 and is marked cleaned. A file that does not
decode, or is missing, is only counted: its row stays uncleaned, so it is never served.
Rows already cleaned are skipped, so the command may run again at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio

from jogo.platform import db, registry
from jogo.platform.errors import InvalidInput
from jogo.platform.images import CleanImage, clean_image_sync
from jogo.platform.storage import FileStore


@dataclass
class StoredPhotos:
    """Counts of files: ``cleaned`` (re-encoded and now served), ``refused`` (did not
    decode; never served), ``missing`` (no file under the row's key)."""

    cleaned: int = 0
    refused: int = 0
    missing: int = 0


async def clean_stored_photos(data_dir: Path) -> StoredPhotos:
    """Cleans every uncleaned stored photo of every tenant under ``data_dir``
    (``attachments/`` and ``shared/``, as the photo routes read them)."""
    counts = StoredPhotos()
    attachments = FileStore(data_dir / "attachments")
    shared = FileStore(data_dir / "shared")
    for tenant in await registry.list_tenants():
        async with db.tenant_tx(tenant.id):
            reports = await db.fetch(
                "SELECT id, storage_key FROM report_attachments WHERE NOT cleaned"
            )
            posts = await db.fetch(
                "SELECT id, photo_key FROM shared_posts"
                " WHERE photo_key IS NOT NULL AND NOT photo_cleaned"
            )
        for row in reports:
            if clean := await _clean_file(attachments, row["storage_key"], counts):
                async with db.tenant_tx(tenant.id):
                    await db.fetch(
                        "UPDATE report_attachments SET cleaned = true, content_type = $2,"
                        " size_bytes = $3, sha256 = $4 WHERE id = $1",
                        row["id"],
                        clean.content_type,
                        len(clean.data),
                        clean.sha256,
                    )
        for row in posts:
            if clean := await _clean_file(shared, row["photo_key"], counts):
                async with db.tenant_tx(tenant.id):
                    await db.fetch(
                        "UPDATE shared_posts SET photo_cleaned = true, photo_type = $2"
                        " WHERE id = $1",
                        row["id"],
                        clean.content_type,
                    )
    return counts


async def _clean_file(store: FileStore, key: str, counts: StoredPhotos) -> CleanImage | None:
    """The clean image, already written back under ``key``; None when missing/refused."""
    try:
        data = await store.read(key)
    except FileNotFoundError:
        counts.missing += 1
        return None
    try:
        # No size limit here: the file was accepted once; the pixel limit still holds.
        clean = await anyio.to_thread.run_sync(clean_image_sync, data, "photo")
    except InvalidInput:
        counts.refused += 1
        return None
    await store.put(key, clean.data)
    counts.cleaned += 1
    return clean
