"""What every benchmark needs to start the two sandboxes as processes of their own (the
clients then reach them over real HTTP, as in production)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], health: str, *, attempts: int = 300) -> subprocess.Popen:
    """Start `python <args>` in the project and wait (up to 30 s) until `health` answers."""
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module names)
        [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(attempts):
        try:
            if requests.get(health, timeout=1).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"sandbox did not start: {' '.join(args)}")
