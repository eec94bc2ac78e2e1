"""What the crawler asks of archive.db, and the few marks it makes on its crawls row.

The crawler never runs SQL on the archive's tables: it calls these (through
``archive.contract``).  Reads open the database read-only and answer "nothing" while it
is being created or is locked, so a crawl never waits on its own archive.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def _utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rows(db_path: Path, sql: str, params=(), timeout: float = 30) -> list[dict]:
    if not Path(db_path).exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=timeout)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def crawl_row(db_path: Path, crawl_id: str) -> dict | None:
    """The crawls row of one crawl, or None."""
    found = _rows(db_path, "select * from crawls where id = ?", [crawl_id])
    return found[0] if found else None


def latest_unfinished(db_path: Path) -> dict | None:
    """The latest crawl that did not finish (interrupted, or running when it was killed)."""
    found = _rows(
        db_path,
        "select * from crawls where status in ('running', 'interrupted') "
        "order by started_at desc, rowid desc limit 1",
    )
    return found[0] if found else None


def crawl_progress(db_path: Path, crawl_id: str) -> tuple[dict, dict[str, tuple[int, int]]]:
    """(the crawl's row, {site: (documents, reports)}) as the indexer has written them so
    far; empty while the database is being created or is locked."""
    if not Path(db_path).exists():
        return {}, {}
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            conn.row_factory = sqlite3.Row
            row = conn.execute("select * from crawls where id = ?", [crawl_id]).fetchone()
            hosts = {
                site: (n, r)
                for site, n, r in conn.execute(
                    "select site, count(*), coalesce(sum(is_report), 0) from documents "
                    "where crawl_id = ? group by site",
                    [crawl_id],
                )
            }
            return (dict(row) if row else {}), hosts
        finally:
            conn.close()
    except sqlite3.Error:
        return {}, {}


def mark_interrupted(db_path: Path) -> list[str]:
    """Crawls left ``running`` by a killed run become ``interrupted`` (resumable); their ids."""
    from archive.store import schema

    if not Path(db_path).exists():
        return []
    db = schema.connect(db_path)
    try:
        stale = [r["id"] for r in db.query("select id from crawls where status = 'running'")]
        with db.conn:
            db.conn.executemany(
                "update crawls set status = 'interrupted' where id = ?", [(i,) for i in stale]
            )
        return stale
    finally:
        db.conn.close()


def mark_failed(
    db_path: Path, crawl_id: str, start_urls: list[str], started_at: str, status: str
) -> None:
    """The crawls row of a run whose indexer died (or that stopped for lack of space)
    gets ``status`` instead of a ``running`` no one would close; the row is written if the
    indexer died before it could.  Errors are logged: the crawl's own exit must go on."""
    from archive.store import schema

    try:
        db = schema.connect(db_path)
        try:
            with db.atomic():
                db.conn.execute(
                    "update crawls set status = ?, finished_at = ? "
                    "where id = ? and status = 'running'",
                    [status, _utcnow(), crawl_id],
                )
                if not db.conn.execute("select 1 from crawls where id = ?", [crawl_id]).fetchone():
                    db["crawls"].insert(
                        {
                            "id": crawl_id,
                            "started_at": started_at,
                            "finished_at": _utcnow(),
                            "start_urls": "\n".join(start_urls),
                            "status": status,
                            "pages": 0,
                            "documents": 0,
                            "reports": 0,
                            "errors": 0,
                        }
                    )
        finally:
            db.conn.close()
    except Exception as exc:
        logger.error("could not mark crawl %s as %r: %s", crawl_id, status, exc)


class KnownDocuments:
    """Read-only lookups in archive.db: which URLs gave documents before."""

    def __init__(self, db_path: Path):
        self.conn = None
        if db_path.exists():
            try:
                self.conn = sqlite3.connect(
                    f"file:{db_path}?mode=ro", uri=True, check_same_thread=False, timeout=30
                )
                self.conn.execute("select url from documents limit 1")
            except sqlite3.Error:
                self.conn = None

    def has(self, url: str) -> bool:
        if self.conn is None:
            return False
        return (
            self.conn.execute("select 1 from documents where url = ? limit 1", (url,)).fetchone()
            is not None
        )

    def recently_missing(self, url: str, since: str) -> bool:
        """Its last capture (at or after ``since``, ISO) answered 404/410 and it never
        gave a document: not worth asking again so soon."""
        if self.conn is None:
            return False
        row = self.conn.execute(
            "select status, fetched_at from captures where url = ? order by id desc limit 1", (url,)
        ).fetchone()
        return bool(row and row[0] in (404, 410) and (row[1] or "") >= since and not self.has(url))

    def unfinished(self) -> list[tuple[str, str]]:
        """(started_at, finished_at or "~") of the crawls that did not finish (killed,
        interrupted, stopped by a limit; also the one running now)."""
        if self.conn is None:
            return []
        try:
            return [
                (a or "", b or "~")
                for a, b in self.conn.execute(
                    "select started_at, finished_at from crawls where status != 'finished'"
                )
            ]
        except sqlite3.Error:
            return []

    def urls(self, netlocs: set[str]) -> Iterator[str]:
        """Document URLs on these hosts, streamed (bounded memory)."""
        if self.conn is None:
            return
        for (url,) in self.conn.execute("select distinct url from documents order by url"):
            if urlsplit(url).netloc.lower() in netlocs:
                yield url

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
