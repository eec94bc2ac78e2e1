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
    "id": str,
    "url": str,
    "part": int,
    "site": str,
    "title": str,
    "text": str,
    "published_date": str,
    "report_date": str,
    "year": int,
    "org": str,
    "region": str,
    "doc_type": str,
    "is_report": int,
    "report_score": float,
    "script": str,
    "placeholders": str,
    "encoding": str,
    "source_url": str,
    "cluster_id": str,
    "warc_filename": str,
    "warc_offset": int,
    "warc_length": int,
    "captured_at": str,
    "crawl_id": str,
    "gone_at": str,  # when its URL answered 404/410 in a later crawl (never deleted)
    # official-document (公文) fields the text states (archive.extract.official)
    "doc_number": str,
    "addressee": str,
    "issuer": str,
    "issued_date": str,
    "first_captured_at": str,
    "first_crawl_id": str,  # when and by which crawl first archived
}
CAPTURE_COLUMNS = {
    "id": int,
    "url": str,
    "status": int,
    "content_type": str,
    "encoding": str,
    "warc_filename": str,
    "warc_offset": int,
    "warc_length": int,
    "payload_digest": str,
    "fetched_at": str,
    "crawl_id": str,
    "error": str,
    "record_type": str,
    "refers_to_url": str,
    "depth": int,
    "referrer": str,
    "method": str,  # GET, or POST for the later pages of POST-paged lists
}
# earlier versions of documents whose title or text changed: a documents row as it was, plus
VERSION_COLUMNS = {
    "document_id": str,
    "superseded_at": str,
    "superseded_crawl_id": str,  # the crawl that archived the version replacing it
}
CRAWL_COLUMNS = {
    "id": str,
    "started_at": str,
    "finished_at": str,
    "start_urls": str,
    "pages": int,
    "documents": int,
    "reports": int,
    "errors": int,
    "status": str,
    "new_documents": int,
    "changed": int,
    "unchanged": int,
    "gone": int,
}


def document_id(url: str, part: int = 0) -> str:
    """Stable id of a document: from its URL and its part number on that page."""
    return hashlib.sha1(f"{url}#{part}".encode()).hexdigest()[:16]


# columns whose filtered pages have an index in the newest-first order of their own
NEWEST_BY = ("site", "year", "doc_type", "region")

PAGE_SIZE = 8192  # of a new archive (an existing one keeps its own)


def connect(path: str | Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    # pages larger than SQLite's default: a document's text spans fewer pages, so a batch's
    # writes (documents and their search index segment) take less CPU.  Only before the
    # file has a first page: later, and once in WAL mode, SQLite ignores it.
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
        for cols in (
            ["url"],
            ["site"],
            ["year"],
            ["region"],
            ["doc_type"],
            ["cluster_id"],
            ["crawl_id"],
        ):
            db["documents"].create_index(cols)
    # newest-first pages (the table's order, and a search's; Datasette's next pages break
    # ties by id) walk this index and stop early
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_documents_published_date "
        "ON documents (published_date DESC, id)"
    )
    # facets count script and is_report from their indexes, never from the rows' pages
    for col in ("script", "is_report"):
        db.execute(f"CREATE INDEX IF NOT EXISTS idx_documents_{col} ON documents ({col})")
    if "document_versions" not in db.table_names():
        db["document_versions"].create({**DOCUMENT_COLUMNS, **VERSION_COLUMNS})
    # columns added after the first release: archives made before them get them here
    added = set()
    for table, columns in (
        ("documents", DOCUMENT_COLUMNS),
        ("crawls", CRAWL_COLUMNS),
        ("captures", CAPTURE_COLUMNS),
        ("document_versions", VERSION_COLUMNS),
    ):
        have = db[table].columns_dict
        for name, kind in columns.items():
            if name not in have:
                db[table].add_column(name, kind)
                added.add((table, name))
    if ("documents", "first_crawl_id") in added:
        _backfill_first_capture(db)
    if ("document_versions", "superseded_crawl_id") in added:
        _backfill_superseding_crawl(db)
    for cols in (["doc_number"], ["issuer"]):  # what researchers filter by
        db["documents"].create_index(cols, if_not_exists=True)
    # the changes page and the feeds (archive.publish.changes) look documents up by these
    db["documents"].create_index(["first_crawl_id"], if_not_exists=True)
    db["documents"].create_index(["site", "is_report", "first_captured_at"], if_not_exists=True)
    db["document_versions"].create_index(["document_id"], if_not_exists=True)
    db["document_versions"].create_index(["superseded_crawl_id"], if_not_exists=True)

    # a page filtered on one of these, newest first, walks its index and stops early: the
    # rows' own pages hold the column after the text, several pages into the row
    for col in NEWEST_BY:
        db.execute(
            f"CREATE INDEX IF NOT EXISTS idx_documents_{col}_newest "
            f"ON documents ({col}, published_date DESC, id)"
        )


def _backfill_first_capture(db: sqlite_utils.Database) -> None:
    """Archives made before ``first_*``: the URL's earliest 200 capture, else the row's own
    capture (``union-archive reindex`` gives the exact values from the WARC files)."""
    first = (
        "(select {} from captures c where c.url = documents.url and c.status = 200 "
        "order by c.fetched_at limit 1)"
    )
    db.execute(
        "update documents set first_captured_at = coalesce({}, captured_at), "
        "first_crawl_id = coalesce({}, crawl_id) where first_crawl_id is null".format(
            first.format("c.fetched_at"), first.format("c.crawl_id")
        )
    )


def _backfill_superseding_crawl(db: sqlite_utils.Database) -> None:
    """Versions kept before ``superseded_crawl_id``: the crawl running when they were replaced."""
    db.execute(
        "update document_versions set superseded_crawl_id = (select id from crawls "
        "where started_at <= document_versions.superseded_at order by started_at desc "
        "limit 1) where superseded_crawl_id is null"
    )
