"""From captures to documents: the archive's one write path.

The crawl feeds it live (``archive.store.worker.run_worker`` in a child process of the
crawler) and ``archive.store.reindex`` feeds it the same ``Capture`` objects read back
from WARC files, so both build the same archive.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive.capture import Capture
from archive.store import schema as store
from archive.store import search
from archive.store.documents import derived, extractable, wanted

if TYPE_CHECKING:
    from archive.extract.page import Extraction

logger = logging.getLogger(__name__)


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_DERIVED = ("_folded", "_signature", "_index")


class Indexer:
    def __init__(
        self,
        db_path: str | Path,
        batch_size: int = 100,
        flush_seconds: float = 1.0,
        crash_at_flush: int | None = None,
        search_seconds: float = 10.0,
        search_documents: int = 1000,
    ):
        self.db_path = Path(db_path)
        from archive.warc.dirs import WarcLocator

        self._locator = WarcLocator(self.db_path.parent)  # DATA/warc, WARC_DIR, workers
        self.db = store.connect(self.db_path)
        search.ensure_search(self.db)
        self.search = search.open_index(self.db)  # its writer opens at the first write
        self.crash_at_flush = crash_at_flush  # tests only: SIGKILL inside the Nth write
        self._flushes = 0
        self._gone: list[tuple[str, str]] = []  # (url, fetched_at) answering 404/410
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        # the search index commits every so many seconds or documents: each commit is a
        # segment to merge, and until it the documents wait in the index's writer
        self.search_seconds = search_seconds
        self.search_documents = search_documents
        self._last_search = time.monotonic()
        self._captures: list[dict] = []
        self._documents: list[dict] = []
        self._last_flush = time.monotonic()
        self._multipage: dict[str, dict[int, tuple]] = defaultdict(dict)
        self._page_rows: list[dict] = []  # _pages: which article each page belongs to
        self._unchanged_urls: set[str] = set()  # revisits counted unchanged in this run
        self.counts = dict(
            pages=0,
            documents=0,
            reports=0,
            errors=0,
            new_documents=0,
            changed=0,
            unchanged=0,
            gone=0,
        )
        self.crawl_id: str | None = None

    # -- crawl rows -------------------------------------------------------------
    def start_crawl(
        self,
        crawl_id: str,
        start_urls: list[str],
        started_at: str | None = None,
        resume: bool = False,
    ) -> None:
        """A crawls row in state running.  ``resume``: the same crawl continues (an
        interrupted row keeps its start time and counts and goes back to running)."""
        self.crawl_id = crawl_id
        self.counts = dict.fromkeys(self.counts, 0)
        prev = None
        if resume and self.db["crawls"].exists():
            prev = next(self.db.query("select * from crawls where id = ?", [crawl_id]), None)
        if prev:
            self.counts = {k: prev.get(k) or 0 for k in self.counts}
            started_at = prev["started_at"]
        self.db["crawls"].upsert(
            {
                "id": crawl_id,
                "started_at": started_at or utcnow(),
                "finished_at": None,
                "start_urls": "\n".join(start_urls),
                "status": "running",
                **self.counts,
            },
            pk="id",
        )
        self.db.conn.commit()

    def finish(
        self, status: str = "finished", finished_at: str | None = None, cluster: bool = True
    ) -> dict:
        """Write what waits, the crawls row and (``cluster``) the duplicate clusters of
        the whole archive; a crawl's indexer leaves those to ``run_cluster`` in a fresh
        process (see there)."""
        for base in list(self._multipage):
            self._emit_multipage(base)
        self.flush()
        if cluster:
            self._cluster()
        row = {
            "id": self.crawl_id,
            "finished_at": finished_at or utcnow(),
            "status": status,
            **self.counts,
        }
        if self.crawl_id:
            self.db["crawls"].upsert(row, pk="id")
        self.db.conn.commit()
        self.sync_search()
        if cluster:  # the end of a run: the search index's merges finish too
            search.sync_search(self.db, self.search, settle=True)
        return dict(self.db["crawls"].get(self.crawl_id)) if self.crawl_id else row

    # -- captures -----------------------------------------------------------------
    def add(self, cap: Capture, extraction: Extraction | None = None) -> None:
        """Index one capture.  ``extraction``: its ``process_capture`` result when it was
        extracted ahead (``archive.store.parallel``); None: extracted here if it is to be."""
        self.counts["pages"] += 1
        row = cap.row()
        row.pop("id", None)
        row["encoding"] = None
        if cap.error or (cap.status or 0) >= 400:
            self.counts["errors"] += 1
        if (cap.method or "GET") != "GET":  # a POST-paged list's page: links, no document
            self._captures.append(row)
            self._maybe_flush()
            return
        if cap.status in (404, 410) and self._has_documents(cap.url):
            self._gone.append((cap.url, cap.fetched_at or utcnow()))  # recorded, never deleted
        body = cap.body
        if cap.record_type == "revisit":
            has_docs = self._has_documents(cap.url)
            # skip what was indexed before; but a page whose capture never reached the
            # database (a killed crawl) or a possible continuation page is read again
            if has_docs or (self._seen_payload(cap) and not self._multipage):
                if has_docs:
                    self.counts["unchanged"] += 1
                    self._unchanged_urls.add(cap.url)
                    self._gone.append((cap.url, None))
                self._captures.append(row)
                self._maybe_flush()
                return
            body = cap.body if cap.body is not None else self._original_payload(cap)
        elif extraction is not None:
            body = None  # extracted ahead from this record's payload
        elif body is None and cap.record_type == "response" and cap.warc_filename and wanted(cap):
            body = self._payload(cap)  # the crawler sends locations, not bodies
        if extraction is not None or extractable(cap, body):
            try:
                self._extract(cap, body, row, extraction)
            except Exception as exc:  # a bad page must never stop the archive
                logger.exception("extraction failed for %s", cap.url)
                row["error"] = f"extraction failed: {exc.__class__.__name__}: {exc}"[:500]
                self.counts["errors"] += 1
        self._captures.append(row)
        self._maybe_flush()

    def _extract(self, cap: Capture, body: bytes | None, row: dict, ex=None) -> None:
        from archive.extract.page import process_capture

        if ex is None:
            ex = process_capture(cap.url, cap.content_type, body)
        row["encoding"] = ex.encoding
        if ex.error and not row.get("error"):
            row["error"] = ex.error
            self.counts["errors"] += 1
        if (ex.page_count or 1) > 1 or ex.continuation_of:
            base = ex.continuation_of or cap.url
            self._page_rows.append(
                {
                    "url": cap.url,
                    "base": base,
                    "page_index": ex.page_index or 0,
                    "page_count": ex.page_count or 1,
                }
            )
            self._multipage[base][ex.page_index or 0] = (ex, cap)
            if len(self._multipage[base]) >= (ex.page_count or 1):
                self._emit_multipage(base)
            return
        self._add_documents(cap, ex.documents, ex.encoding)

    def _emit_multipage(self, base: str) -> None:
        from archive.extract.page import stitch

        pages = self._multipage.pop(base)
        count, had_first = max(p[0].page_count or 1 for p in pages.values()), 0 in pages
        if len(pages) < count:
            # pages not read again in this run (unchanged, not due): their archived copies,
            # so that a changed later page of an unchanged article is stitched again
            self._archived_pages(base, pages, count)
            if not had_first and 0 in pages and base in self._unchanged_urls:
                self.counts["unchanged"] -= 1  # counted in add(); counted again when written
        if 0 not in pages:
            return  # continuation pages without their first page: captured, not a document
        ordered = [pages[i][0] for i in sorted(pages)]
        first_cap = pages[0][1]
        self._add_documents(first_cap, stitch(ordered), ordered[0].encoding)

    def _add_documents(self, cap: Capture, docs: list[dict], encoding: str | None) -> None:
        site = urlsplit(cap.url).netloc
        is_attachment = urlsplit(cap.url).path.lower().endswith((".docx", ".pdf", ".doc"))
        for doc in docs:
            part = int(doc.get("part") or 0)
            row = {k: doc.get(k) for k in store.DOCUMENT_COLUMNS if k in doc}
            row.update(
                {
                    "id": store.document_id(cap.url, part),
                    "url": cap.url,
                    "part": part,
                    "site": site,
                    "encoding": encoding,
                    "source_url": cap.referrer if is_attachment else None,
                    "warc_filename": cap.warc_filename,
                    "warc_offset": cap.warc_offset,
                    "warc_length": cap.warc_length,
                    "captured_at": cap.fetched_at,
                    "crawl_id": cap.crawl_id,
                    "gone_at": None,
                }
            )
            if "_signature" in doc:  # computed ahead (archive.store.parallel)
                row.update({k: doc[k] for k in _DERIVED if k in doc})
            else:
                row.update(derived(row.get("title"), row.get("text")))
            self._documents.append(row)

    def _archived_pages(self, base: str, pages: dict, count: int) -> None:
        """Fill ``pages`` (index -> (Extraction, Capture)) from the latest archived 200 of
        each missing page of ``base`` (pages known from ``_pages``)."""
        from archive.extract.page import process_capture

        if "_pages" not in self.db.table_names():
            return
        urls = {
            i: u
            for u, i in self.db.execute(
                "select url, page_index from _pages where base = ? and page_index < ?",
                [base, count],
            )
        }
        for i, url in sorted(urls.items()):
            if i in pages:
                continue
            row = next(
                self.db.query(
                    "select * from captures where url = ? and status = 200 and record_type in "
                    "('response', 'revisit') order by id desc limit 1",
                    [url],
                ),
                None,
            )
            if row is None:
                continue
            cap = Capture(**{k: row[k] for k in Capture.__dataclass_fields__ if k in row})
            body = (
                self._payload(cap) if cap.record_type == "response" else self._original_payload(cap)
            )
            if body:
                ex = process_capture(cap.url, cap.content_type, body)
                if (ex.page_index or 0) == i:
                    pages[i] = (ex, cap)

    def _has_documents(self, url: str) -> bool:
        return bool(
            self.db.execute("select 1 from documents where url = ? limit 1", [url]).fetchone()
        )

    def _seen_payload(self, cap: Capture) -> bool:
        """This URL with this payload was indexed before (a list page read again)."""
        return bool(
            self.db.execute(
                "select 1 from captures where url = ? and payload_digest = ? limit 1",
                [cap.url, cap.payload_digest],
            ).fetchone()
        )

    def _original_payload(self, cap: Capture) -> bytes | None:
        """A revisit: the payload from the original record (found through captures, or
        where the crawler said it is, when that capture never reached the database)."""
        from archive.warc.read import read_payload

        hit = (
            self.db.execute(
                "select warc_filename, warc_offset, warc_length from captures where "
                "payload_digest = ? and record_type = 'response' and warc_filename is not null "
                "order by id limit 1",
                [cap.payload_digest],
            ).fetchone()
            or cap.original_at
        )
        if not hit:
            return None
        try:
            return read_payload(self._locator.path(hit[0]), hit[1], hit[2])
        except (OSError, ValueError) as exc:
            logger.warning("original of %s not readable: %s", cap.url, exc)
            return None

    def _payload(self, cap: Capture) -> bytes | None:
        """The payload of this capture's own response record (already flushed to its file)."""
        from archive.warc.read import read_payload

        try:
            return read_payload(
                self._locator.path(cap.warc_filename), cap.warc_offset, cap.warc_length
            )
        except (OSError, ValueError) as exc:
            logger.warning("record of %s not readable: %s", cap.url, exc)
            return None

    # -- writes -----------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        if (
            len(self._captures) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._captures and not self._documents and not self._gone and not self._page_rows:
            return
        # one transaction: sqlite-utils' writes nest in it as savepoints (its atomic();
        # a plain `with conn:` was committed by the first of them), so after any crash
        # the crawls row's counts agree with the captures and documents committed
        if self.db.conn.in_transaction:  # a write left open elsewhere: not nested in ours
            self.db.conn.commit()
        with self.db.atomic():
            if self._captures:
                self.db["captures"].insert_all(self._captures)
                self._maybe_crash()
            if self._documents:
                self._write_documents(self._documents)
            if self._page_rows:
                self.db["_pages"].upsert_all(self._page_rows, pk="url")
            self._write_gone(self._gone)
            if self.crawl_id:  # the row's counts always match what is committed
                self.db["crawls"].update(self.crawl_id, dict(self.counts))
            self._flushes += 1
        self._captures, self._documents, self._gone, self._page_rows = [], [], [], []
        self.search.write_ahead(self.db.conn, search.index_forms)  # committed: let go of forms
        if (
            len(self.search.written) >= self.search_documents
            or time.monotonic() - self._last_search >= self.search_seconds
        ):
            self.sync_search()

    def sync_search(self) -> None:
        """What is committed and queued goes to the search index."""
        self._last_search = time.monotonic()
        search.sync_search(self.db, self.search)

    def _maybe_crash(self) -> None:
        """Test hook (UNION_TEST_CRASH=db:N): SIGKILL of crawler and indexer in the middle
        of the Nth write, its captures written, its documents and counts not yet."""
        if self.crash_at_flush and self._flushes + 1 >= self.crash_at_flush:
            logger.warning("UNION_TEST_CRASH: SIGKILL of crawler and indexer inside a write")
            os.kill(os.getppid(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)

    def _write_gone(self, marks: list[tuple[str, str | None]]) -> None:
        """404/410 on a document URL: gone_at set (the document stays); back again: cleared."""
        for url, when in marks:
            if when is None:
                self.db.execute(
                    "update documents set gone_at = null where url = ? and gone_at is not null",
                    [url],
                )
            else:
                cur = self.db.execute(
                    "update documents set gone_at = ? where url = ? and gone_at is null",
                    [when, url],
                )
                self.counts["gone"] += max(cur.rowcount, 0)

    def _write_documents(self, docs: list[dict]) -> None:
        ids = [d["id"] for d in docs]
        marks = ",".join("?" * len(ids))
        old = {
            r["id"]: r for r in self.db.query(f"select * from documents where id in ({marks})", ids)
        }
        firsts: dict[str, tuple] = {}  # id -> its first capture, for repeats in a batch
        for d in docs:
            prev = old.get(d["id"])
            crawl_id = self.crawl_id or d.get("crawl_id")
            first = (
                (prev.get("first_captured_at"), prev.get("first_crawl_id"))
                if prev
                else (d.get("captured_at"), crawl_id)
            )
            d["first_captured_at"], d["first_crawl_id"] = firsts.setdefault(d["id"], first)
            if prev is None:
                self.counts["new_documents"] += 1
            elif prev.get("text") != d.get("text") or prev.get("title") != d.get("title"):
                self.counts["changed"] += 1
                self.db["document_versions"].insert(
                    {
                        **prev,
                        "document_id": prev["id"],
                        "superseded_at": d.get("captured_at"),
                        "superseded_crawl_id": crawl_id,
                    },
                    pk=None,
                    alter=True,
                )
            else:
                self.counts["unchanged"] += 1
            self.counts["documents"] += 1
            self.counts["reports"] += 1 if d.get("is_report") else 0
            d.setdefault("cluster_id", d["id"])
        sigs = [{"doc_id": d["id"], "signature": d.pop("_signature")} for d in docs]
        extra = {
            d["id"]: {"_folded": d.pop("_folded", None), "_index": d.pop("_index", None)}
            for d in docs
        }
        self.db["documents"].upsert_all(docs, pk="id", alter=True)
        self.db["_signatures"].upsert_all(sigs, pk="doc_id")
        # the search index changes only where what it holds did: the last version of each
        # id in this batch against its row before the batch
        last = {d["id"]: d for d in docs}
        changed = [
            d
            for d in last.values()
            if d["id"] not in old
            or tuple(map(old[d["id"]].get, search.INDEXED_COLUMNS))
            != tuple(map(d.get, search.INDEXED_COLUMNS))
        ]
        search.index_documents(
            self.db, [{**d, **extra[d["id"]]} for d in changed], store=self.search
        )

    def _cluster(self) -> None:
        """The whole archive's duplicate clusters (``archive.store.clusters``)."""
        from archive.store.clusters import cluster_archive

        cluster_archive(self.db, self.db_path)

    def close(self) -> None:
        try:  # what is queued and committed goes to the search index before the writer goes
            if not self.db.conn.in_transaction:
                search.sync_search(self.db, self.search)
        finally:
            self.search.close()
            self.db.conn.close()
