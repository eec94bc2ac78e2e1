"""Digest and validator history across crawls of one data directory.

An SQLite file beside the archive (``<UNION_DATA_DIR>/warc-state.sqlite``), written
only by the crawl process, so it never contends with the indexer's writes to
archive.db and it survives ``union-archive reindex``.  Lookups go to disk (indexed
primary keys), so memory stays bounded whatever the number of URLs.

Rows are committed when the WARC file holding their records is closed: a crash
can lose history (the next crawl then stores those payloads in full again) but
can never leave a revisit pointing at a record that was cut away.

``_schedule`` is the revisit schedule (``crawler.revisit``): per URL when it was last
checked, its current revisit interval and when it is next due.  It is derived from the
capture history alone, so ``rebuild`` recomputes it from the WARC files.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.revisit import RevisitPolicy, iso, jitter, parse_iso

if TYPE_CHECKING:
    from collections.abc import Iterable

SCHEMA = """
create table if not exists _validators (
    url text primary key, etag text, last_modified text, payload_digest text,
    original_url text, warc_date text, warc_filename text, warc_offset integer, warc_length integer,
    fetched_at text);
create table if not exists _digests (
    payload_digest text primary key, url text, warc_date text,
    warc_filename text, warc_offset integer, warc_length integer);
create table if not exists _schedule (
    url text primary key, first_checked text, checked_at text, changed_at text,
    interval_s real, next_due text, checks integer, changes integer, status integer);
create index if not exists _schedule_due on _schedule(next_due);
"""

STATE_FILE = "warc-state.sqlite"


class CaptureState:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def is_empty(self) -> bool:
        return self.db.execute("select 1 from _digests limit 1").fetchone() is None

    def validators(self, url: str) -> sqlite3.Row | None:
        return self.db.execute("select * from _validators where url = ?", (url,)).fetchone()

    def original(self, payload_digest: str) -> sqlite3.Row | None:
        return self.db.execute(
            "select * from _digests where payload_digest = ?", (payload_digest,)
        ).fetchone()

    def forget_original(self, payload_digest: str) -> None:
        """The record holding this payload is lost: the next one stored takes its place."""
        self.db.execute("delete from _digests where payload_digest = ?", (payload_digest,))

    def add_original(
        self, payload_digest: str, url: str, warc_date: str, filename: str, offset: int, length: int
    ) -> None:
        self.db.execute(
            "insert or ignore into _digests values (?,?,?,?,?,?)",
            (payload_digest, url, warc_date, filename, offset, length),
        )

    def set_validators(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        payload_digest: str,
        original: dict,
        fetched_at: str,
    ) -> None:
        """``original``: the full response record holding this payload (url/date/location)."""
        self.db.execute(
            "insert or replace into _validators values (?,?,?,?,?,?,?,?,?,?)",
            (
                url,
                etag,
                last_modified,
                payload_digest,
                original["url"],
                original["warc_date"],
                original["warc_filename"],
                original["warc_offset"],
                original["warc_length"],
                fetched_at,
            ),
        )

    def schedule(self, url: str) -> sqlite3.Row | None:
        return self.db.execute("select * from _schedule where url = ?", (url,)).fetchone()

    def checked(
        self,
        url: str,
        warc_date: str,
        status: int,
        payload_digest: str | None,
        headers: Iterable[tuple[str, str]] | None,
        policy: RevisitPolicy,
    ) -> None:
        """A check of ``url`` at ``warc_date``: 200 (complete), 304, 404 or 410.  Call it
        before ``set_validators`` (the previous payload digest is read from there)."""
        if status not in (200, 304, 404, 410):
            return
        when = parse_iso(warc_date)
        now = iso(when)
        row = self.schedule(url)
        if status in (404, 410):
            if row is None:
                return  # never archived: the spider's recently-missing rule
            interval, changed = row["interval_s"], row["status"] in (200, 304)
        elif row is None:
            interval, changed = (
                policy.with_freshness(policy.first_interval(headers, when), headers),
                False,
            )
        else:
            prev = self.validators(url) if status == 200 else None
            changed = status == 200 and (prev is None or prev["payload_digest"] != payload_digest)
            interval = policy.with_freshness(
                policy.next_interval(row["interval_s"], changed), headers
            )
        due = iso(when + timedelta(seconds=interval * jitter(url)))
        if row is None:
            self.db.execute(
                "insert or replace into _schedule values (?,?,?,?,?,?,?,?,?)",
                (url, now, now, now, interval, due, 1, 0, status),
            )
        else:
            self.db.execute(
                "update _schedule set checked_at = ?, changed_at = ?, interval_s = ?, "
                "next_due = ?, checks = checks + 1, changes = changes + ?, status = ? "
                "where url = ?",
                (
                    now,
                    now if changed else row["changed_at"],
                    interval,
                    due,
                    int(changed),
                    status,
                    url,
                ),
            )

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        self.db.close()


def rebuild(
    state: CaptureState,
    warc_files: list[Path],
    min_size: int = 256,
    policy: RevisitPolicy | None = None,
) -> int:
    """Refill an empty state from existing WARC files (e.g. the state file was lost),
    in the order given (oldest first): digests, validators and the revisit schedule.
    Returns the number of response records seen."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.contract import header, iso_seconds

    policy = policy or RevisitPolicy()
    n = 0

    def apply(url, date, rec_type, status, digest, headers, size, truncated, location):
        nonlocal n
        if status in (404, 410):
            state.checked(url, date, status, None, headers, policy)
        if not digest:
            return
        if rec_type == "response":
            n += 1
            source = {
                "url": url,
                "warc_date": date,
                "warc_filename": location[0],
                "warc_offset": location[1],
                "warc_length": location[2],
            }
            if size >= min_size:
                state.add_original(digest, url, date, *location)
        if status in (200, 304) and not truncated:
            state.checked(url, date, status, digest, headers, policy)
        if rec_type == "revisit":
            row = state.original(digest) if status == 200 else None
            if row is None:
                return
            source = dict(row)
        if status == 200:
            state.set_validators(
                url,
                header(headers, "ETag"),
                header(headers, "Last-Modified"),
                digest,
                source,
                iso_seconds(date),
            )

    for path in warc_files:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            pending, pending_id = None, None  # a response waits for its request record
            for record in it:
                rh = record.rec_headers
                if (
                    record.rec_type == "request"
                    and pending is not None
                    and rh.get_header("WARC-Concurrent-To") == pending_id
                    and record.http_headers is not None
                    and record.http_headers.protocol != "GET"
                ):
                    pending = None  # a POST's answer stands for its form, not its URL
                if pending is not None:
                    apply(*pending)
                    pending = None
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                hh = record.http_headers
                size = len(record.raw_stream.read())
                it.read_to_end(record)
                pending_id = rh.get_header("WARC-Record-ID")
                pending = (
                    rh.get_header("WARC-Target-URI"),
                    rh.get_header("WARC-Date"),
                    record.rec_type,
                    int(hh.get_statuscode() or 0),
                    rh.get_header("WARC-Payload-Digest"),
                    list(hh.headers),
                    size,
                    rh.get_header("WARC-Truncated"),
                    (path.name, it.get_record_offset(), it.get_record_length()),
                )
            if pending is not None:
                apply(*pending)
    state.commit()
    return n
