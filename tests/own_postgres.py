"""A PostgreSQL server of the test's own, on a spare port in a temporary folder, that
the test may stop, kill and start (never the shared server the other tests use).

Built with ``initdb`` and ``pg_ctl`` of the PostgreSQL installed on the machine
(``JOGO_TEST_PG_BIN``, default ``/usr/lib/postgresql/15/bin``). PostgreSQL refuses to
run as root, so under root the server runs as the ``postgres`` user (or ``nobody``),
which owns the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("JOGO_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_SECONDS = 60


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run PostgreSQL as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and there is no postgres or nobody user")


@dataclass
class OwnPostgres:
    folder: Path
    port: int
    user: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PG_BIN / args[0]), *args[1:]],
            user=self.user.pw_uid if self.user else None,
            group=self.user.pw_gid if self.user else None,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"},
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=check,
            timeout=START_SECONDS + 10,
        )

    @classmethod
    def create(cls) -> OwnPostgres:
        folder = Path(tempfile.mkdtemp(prefix="jogo-own-pg-"))
        server = cls(folder, _spare_port(), _run_as())
        if server.user is not None:
            os.chown(folder, server.user.pw_uid, server.user.pw_gid)
        server._run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        return server

    def start(self, *, accepting: bool = True) -> None:
        """Start and wait until it accepts connections. After a crash, a start can be
        refused while the old server's children are still exiting: tried again until
        ``START_SECONDS``.

        ``accepting=False`` starts it as a standby without hot standby: it stays in
        recovery and refuses every connection with SQLSTATE 57P03 (asyncpg's
        ``CannotConnectNowError``), as a server starting up does, until it is stopped and
        started again normally."""
        signal_file = self.data / "standby.signal"
        if accepting:
            signal_file.unlink(missing_ok=True)
        else:
            signal_file.touch()
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.folder} -c fsync=off -c max_connections=200"
            + ("" if accepting else " -c hot_standby=off")
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            done = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_SECONDS),
                "start",
                check=False,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{self.tail()}")
            time.sleep(0.3)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def kill_postmaster(self) -> None:
        """``kill -9`` of the postmaster: a crash; the next start recovers."""
        os.kill(self.postmaster_pid(), signal.SIGKILL)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
