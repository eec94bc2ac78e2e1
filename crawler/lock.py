"""One writer per data directory: ``DIR/.lock``.

POSIX record locks (``fcntl.lockf``) on two bytes of ``DIR/.lock``:

* byte 0 — the owner: a crawl or a reindex.  Held for the whole run; a second
  crawl finds it taken and refuses with one line naming the holder.
* byte 1 — the indexer child of a crawl.  After a crawl is killed its indexer
  may still be flushing for a second or two; a new owner waits for byte 1.

The kernel drops the locks of a dead process, so a stale lock (a crashed or killed
run) is simply free: the new owner reads the old holder's line, logs that it takes
it over and writes its own.  The file's text is informative only:
``pid=123 host=h started=2026-11-21T16:00:00Z command=crawl crawl_id=...``.

POSIX locks belong to a process and are released when *any* descriptor of the file
is closed by it, so the holder never opens ``.lock`` a second time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_FILE = ".lock"
OWNER_BYTE, WORKER_BYTE = 0, 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron wrappers may simply try again later


class LockedError(RuntimeError):
    """The data directory is in use by another live process."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        who = (
            f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"{holder.get('command', 'run')} since {holder.get('started', '?')}"
        )
        super().__init__(
            f"{path.parent} is in use by another {holder.get('command', 'run')} "
            f"({who}); not starting"
        )


def _parse(text: str) -> dict:
    out = {}
    for token in text.split():
        key, _, value = token.partition("=")
        if value:
            out[key] = value
    return out


def read_holder(data_dir: str | Path) -> dict:
    """The last holder's line as a dict (empty if none).  Never call it in the holder."""
    try:
        return _parse((Path(data_dir) / LOCK_FILE).read_text(encoding="utf-8"))
    except OSError:
        return {}


class DataDirLock:
    """``with DataDirLock(dir, "crawl") as lock:`` — raises LockedError when taken."""

    def __init__(
        self,
        data_dir: str | Path,
        command: str = "crawl",
        crawl_id: str | None = None,
        worker_wait: float = 60.0,
    ):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILE
        self.command = command
        self.crawl_id = crawl_id
        self.worker_wait = worker_wait
        self.fd: int | None = None
        self.previous: dict = {}  # the stale holder taken over, if any

    def acquire(self) -> DataDirLock:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, OWNER_BYTE)
        except OSError:
            holder = _parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)  # we held nothing: closing releases nothing
            raise LockedError(self.path, holder) from None
        self.fd = fd
        self.previous = _parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if self.previous:
            logger.warning(
                "taking over a stale lock of %s: pid %s on %s (%s since %s) is gone",
                self.data_dir,
                self.previous.get("pid"),
                self.previous.get("host"),
                self.previous.get("command"),
                self.previous.get("started"),
            )
        self._wait_for_worker()
        self.write(crawl_id=self.crawl_id)
        return self

    def _wait_for_worker(self) -> None:
        """An orphaned indexer of a killed crawl may still be closing: let it finish."""
        deadline = time.monotonic() + self.worker_wait
        while True:
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, WORKER_BYTE)
            except OSError:
                if time.monotonic() > deadline:
                    self.release()
                    raise LockedError(
                        self.path,
                        {
                            "command": "indexer of an earlier crawl",
                            "pid": "?",
                            "host": socket.gethostname(),
                            "started": "?",
                        },
                    ) from None
                time.sleep(0.1)
                continue
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, WORKER_BYTE)
            return

    def write(self, **extra: object) -> None:
        """(Re)write the informative line, e.g. once the crawl id is known."""
        fields = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": self.command,
            **{k: v for k, v in extra.items() if v},
        }
        line = " ".join(f"{k}={v}" for k, v in fields.items()) + "\n"
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, line.encode("utf-8"), 0)
        os.fsync(self.fd)

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # a clean exit leaves no holder line behind
        except OSError:
            pass
        os.close(self.fd)  # closing drops the lock
        self.fd = None

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def check_free(data_dir: str | Path) -> None:
    """Raise LockedError now if a live run holds ``data_dir`` (a cheap early check)."""
    path = Path(data_dir) / LOCK_FILE
    if not path.exists():
        return
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, OWNER_BYTE)
    except OSError:
        raise LockedError(path, _parse(os.pread(fd, 4096, 0).decode("utf-8", "replace"))) from None
    finally:
        os.close(fd)


def hold_worker_lock(data_dir: str | Path) -> int | None:
    """Called in the indexer child: hold byte 1 until the process ends.  Returns the fd."""
    path = Path(data_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, WORKER_BYTE)
    except OSError as exc:
        logger.warning("indexer could not lock %s: %s", path, exc)
        return None
    return fd
