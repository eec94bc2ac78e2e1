"""Digest and validator history across crawls of one data directory.

An SQLite file beside the archive (``<UNION_DATA_DIR>/warc-state.sqlite``), written
only by the crawl process, so it never contends with the indexer's writes to
archive.db and it survives ``union-archive reindex``.  Lookups go to disk (indexed
primary keys), so memory stays bounded whatever the number of URLs.

Rows are committed when the WARC file holding their records is closed: a crash
can lose history (the next crawl then stores those payloads in full again) but
can never leave a revisit pointing at a record that was cut away.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
create table if not exists _validators (
    url text primary key, etag text, last_modified text, payload_digest text,
    original_url text, warc_date text, warc_filename text, warc_offset integer, warc_length integer,
    fetched_at text);
create table if not exists _digests (
    payload_digest text primary key, url text, warc_date text,
    warc_filename text, warc_offset integer, warc_length integer);
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
        return self.db.execute("select * from _digests where payload_digest = ?",
                               (payload_digest,)).fetchone()

    def add_original(self, payload_digest: str, url: str, warc_date: str,
                     filename: str, offset: int, length: int) -> None:
        self.db.execute("insert or ignore into _digests values (?,?,?,?,?,?)",
                        (payload_digest, url, warc_date, filename, offset, length))

    def set_validators(self, url: str, etag: str | None, last_modified: str | None,
                       payload_digest: str, original: dict, fetched_at: str) -> None:
        """``original``: the full response record holding this payload (url/date/location)."""
        self.db.execute(
            "insert or replace into _validators values (?,?,?,?,?,?,?,?,?,?)",
            (url, etag, last_modified, payload_digest, original["url"], original["warc_date"],
             original["warc_filename"], original["warc_offset"], original["warc_length"],
             fetched_at))

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def close(self) -> None:
        self.db.close()


def rebuild(state: CaptureState, warc_files: list[Path], min_size: int = 256) -> int:
    """Refill an empty state from existing WARC files (e.g. the state file was lost).
    Returns the number of response records seen."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc_read import header, iso_seconds

    n = 0
    for path in warc_files:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                rh, hh = record.rec_headers, record.http_headers
                size = len(record.raw_stream.read())
                it.read_to_end(record)
                url, date = rh.get_header("WARC-Target-URI"), rh.get_header("WARC-Date")
                digest = rh.get_header("WARC-Payload-Digest")
                if not digest:
                    continue
                if record.rec_type == "response":
                    n += 1
                    source = {"url": url, "warc_date": date, "warc_filename": path.name,
                              "warc_offset": it.get_record_offset(),
                              "warc_length": it.get_record_length()}
                    if size >= min_size:
                        state.add_original(digest, url, date, path.name, source["warc_offset"],
                                           source["warc_length"])
                else:
                    if hh.get_statuscode() != "200":
                        continue
                    row = state.original(digest)
                    if row is None:
                        continue
                    source = dict(row)
                if hh.get_statuscode() == "200":
                    headers = list(hh.headers)
                    state.set_validators(url, header(headers, "ETag"), header(headers, "Last-Modified"),
                                         digest, source, iso_seconds(date))
    state.commit()
    return n
