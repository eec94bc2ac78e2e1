"""Server programs the tests start: a free loopback port, the program run until it answers,
and stopped again."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_200(url: str) -> bool:
    """``url`` answers 200 within two seconds (a refused or failed request is False)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def answering(
    cmd: list[str], url: str, log_path: Path, name: str, wait: float, cwd: Path | None = None
) -> Iterator[None]:
    """Runs ``cmd`` (its output into ``log_path``) until ``url`` answers 200, at most ``wait``
    seconds (else RuntimeError with the log's tail, naming ``name``); stops it on leaving."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + wait
            while not answers_200(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} did not start: " + log_path.read_text(errors="replace")[-2000:]
                    )
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
