"""SQLite archive: the public schema and the writes to it (sqlite-utils).

Public tables (documented in README.md; keep them stable):
  documents, captures, crawls
Internal tables (hidden in Datasette) start with an underscore.
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import sqlite_utils

DOCUMENT_COLUMNS = {
    "id": str, "url": str, "part": int, "site": str, "title": str, "text": str,
    "published_date": str, "report_date": str, "year": int, "org": str,
    "region": str, "doc_type": str, "is_report": int, "report_score": float,
    "script": str, "placeholders": str, "encoding": str, "source_url": str,
    "cluster_id": str, "warc_filename": str, "warc_offset": int, "warc_length": int,
    "captured_at": str, "crawl_id": str,
    "gone_at": str,          # when its URL answered 404/410 in a later crawl (never deleted)
}
CAPTURE_COLUMNS = {
    "id": int, "url": str, "status": int, "content_type": str, "encoding": str,
    "warc_filename": str, "warc_offset": int, "warc_length": int,
    "payload_digest": str, "fetched_at": str, "crawl_id": str, "error": str,
    "record_type": str, "refers_to_url": str, "depth": int, "referrer": str,
    "method": str,           # GET, or POST for the later pages of POST-paged lists
}
CRAWL_COLUMNS = {
    "id": str, "started_at": str, "finished_at": str, "start_urls": str,
    "pages": int, "documents": int, "reports": int, "errors": int, "status": str,
    "new_documents": int, "changed": int, "unchanged": int, "gone": int,
}


def document_id(url: str, part: int = 0) -> str:
    """Stable id of a document: from its URL and its part number on that page."""
    return hashlib.sha1(f"{url}#{part}".encode("utf-8")).hexdigest()[:16]


# columns whose filtered pages have an index in the newest-first order of their own
NEWEST_BY = ("site", "year", "doc_type", "region")

PAGE_SIZE = 8192   # of a new archive (an existing one keeps its own)


def connect(path: str | Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    # 8 KB pages: a document's text (~22 KB) spans 3 pages instead of 6, and the writes of
    # a batch (documents and their search index segment) took 7-13 % less CPU than with
    # SQLite's 4 KB (3,000 large-portal documents in batches of 100, five alternated runs
    # each, in two hours of one session: least 0.58 -> 0.50 and 0.69 -> 0.64 ms a document;
    # 16 KB: 0.52).  Only before the file has a first page: later, and once in WAL mode,
    # SQLite ignores it.
    db.execute(f"PRAGMA page_size={PAGE_SIZE}")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=30000")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    if "crawls" not in db.table_names():
        db["crawls"].create(CRAWL_COLUMNS, pk="id")
    if "captures" not in db.table_names():
        db["captures"].create(CAPTURE_COLUMNS, pk="id")
        db["captures"].create_index(["url"])
        db["captures"].create_index(["crawl_id"])
        db["captures"].create_index(["payload_digest"])
    if "documents" not in db.table_names():
        db["documents"].create(DOCUMENT_COLUMNS, pk="id")
        for cols in (["url"], ["site"], ["year"], ["region"], ["doc_type"],
                     ["cluster_id"], ["crawl_id"]):
            db["documents"].create_index(cols)
    # newest-first pages (the table's order, and a search's; Datasette's next pages break
    # ties by id) walk this index and stop early
    db.execute("CREATE INDEX IF NOT EXISTS idx_documents_published_date "
               "ON documents (published_date DESC, id)")
    # facets count script and is_report from their indexes, never from the rows' pages
    for col in ("script", "is_report"):
        db.execute(f"CREATE INDEX IF NOT EXISTS idx_documents_{col} ON documents ({col})")
    # columns added after the first release: archives made before them get them here
    for table, columns in (("documents", DOCUMENT_COLUMNS), ("crawls", CRAWL_COLUMNS),
                           ("captures", CAPTURE_COLUMNS)):
        have = db[table].columns_dict
        for name, kind in columns.items():
            if name not in have:
                db[table].add_column(name, kind)
    # a page filtered on one of these, newest first, walks its index and stops early: the
    # rows' own pages hold the column after the text, several pages into the row
    for col in NEWEST_BY:
        db.execute(f"CREATE INDEX IF NOT EXISTS idx_documents_{col}_newest "
                   f"ON documents ({col}, published_date DESC, id)")
