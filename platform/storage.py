"""Files kept under the data folder (report photos). Keys are made by the platform,
never taken from a request; writes are atomic (temp file, then rename)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import anyio

KEY = re.compile(r"^[0-9a-f-]{36}(/[0-9a-f-]{36})+\.[a-z]{3,4}$")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not KEY.match(key):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically (temp file, then rename), creating folders, in a
        worker thread. Raises ``ValueError`` for a key the platform would not make, ``OSError`` on
        disk errors."""
        await anyio.to_thread.run_sync(self._write, key, data)

    async def read(self, key: str) -> bytes:
        """The bytes stored under ``key``. Raises ``FileNotFoundError`` when absent, ``ValueError``
        for a malformed key."""
        return await anyio.to_thread.run_sync(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        """Remove the file under ``key``; a missing file is no error. Raises ``ValueError`` for a
        malformed key."""
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))
