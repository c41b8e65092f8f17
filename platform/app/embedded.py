"""Embedded PostgreSQL (the ``pgserver`` wheel) for ``jogo up`` with no database URL.

pgserver counts the processes using a data folder and stops the server when the last
one exits, so ``jogo up`` and a ``jogo tenant create`` in another shell share it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from jogo.platform.errors import SettingsError

log = logging.getLogger("jogo.embedded")


def has_embedded_database(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds an embedded database (made by ``jogo up``)."""
    return (data_dir / "pgdata" / "PG_VERSION").is_file()


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the server in ``data_dir/pgdata``; returns the owner's URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless.
        warnings.simplefilter("ignore")
        import pgserver

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"cannot create data folder {data_dir}: {exc.strerror}") from None
    pgdata = (data_dir / "pgdata").resolve()
    log.info("starting embedded PostgreSQL in %s", pgdata)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # pgserver raises plain exceptions with its log attached
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SettingsError(f"embedded PostgreSQL did not start: {first}") from None
    uri: str = server.get_uri()
    return uri
