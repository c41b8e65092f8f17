"""Product processes of a bench: wait for readiness, stop them (shared by the benches)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from pathlib import Path

import httpx


async def wait_ready(process: subprocess.Popen[bytes], port: int, name: str, log: Path) -> None:
    """Poll ``GET /readyz`` on 127.0.0.1:``port`` every 0.1 s until it answers 200 (at most
    60 s). Raises ``RuntimeError`` naming ``name`` and its ``log`` when the process exits
    first or never becomes ready."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        for _ in range(600):
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if (await c.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{name} did not start; see {log}")


def stop_process(process: subprocess.Popen[bytes], grace: float = 40.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds if it has not exited."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
