"""The focused spider: from portal entry pages to every report they lead to.

It only discovers and schedules: every response is captured into WARC by
``crawler.warc`` and extracted in the indexer process, never here.

Recrawls (an archive already holds documents): start pages, pagination and every
page that gave no document (lists, columns) are fetched in full every time
(``warc_conditional = False``) because their links must be read again.  Pages that
gave documents (articles) and attachments are re-checked only when their revisit
schedule says they are due (``crawler.revisit``; ``UNION_RECHECK = "all"``, i.e.
``crawl --recheck all``, re-checks every one now), and then with conditional GET by
the WARC middleware; a link to one that is not due is not requested at all.  A 304 is
parsed too, from the payload archived earlier, so nothing below an unchanged article
is lost (attachments, continuation pages).  Documents archived earlier on the start
hosts are re-checked when due even when no page links to them any more
(``UNION_RECHECK_DOCUMENTS``), so that a vanished one is recorded as gone.  Links
that answered 404/410 less than ``UNION_RECHECK_MISSING_DAYS`` (default 7) days ago
and never gave a document are not asked again until then.

Lists whose later pages are POSTs (Hanweb jcms ``jpage``, old JSP ``pgno`` forms) are read
through ``crawler.post_lists``: a list's first page asks for all of them.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse

from archive.contract import KnownDocuments, archive_db
from crawler import post_lists
from crawler.links import extract_links, url_shape
from crawler.revisit import RevisitPolicy
from crawler.sources import load_sources

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class Schedule:
    """Read-only lookups in the revisit schedule (warc-state.sqlite, ``_schedule``): is
    an archived URL due for a re-check?  Unknown URLs are due; ``everything`` makes all due."""

    def __init__(
        self,
        state_path: Path,
        due_before: str,
        everything: bool = False,
        unfinished: list[tuple[str, str]] = (),
    ):
        self.due_before = due_before
        self.everything = everything
        self.unfinished = list(unfinished)
        self.conn = None
        if not everything and state_path.exists():
            try:
                self.conn = sqlite3.connect(
                    f"file:{state_path}?mode=ro", uri=True, check_same_thread=False, timeout=30
                )
                self.conn.execute("select next_due from _schedule limit 1")
            except sqlite3.Error:
                self.conn = None

    def due(self, url: str) -> bool:
        if self.conn is None:
            return True
        row = self.conn.execute(
            "select next_due, checked_at from _schedule where url = ?", (url,)
        ).fetchone()
        if row is None or not row[0] or row[0] <= self.due_before:
            return True
        # checked by a crawl that did not finish: the links it led to may never have been
        # followed, so it is asked again (conditionally: a 304 is parsed from the archive)
        return any(a <= (row[1] or "") <= b for a, b in self.unfinished)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


RECHECK_MODES = ("due", "all")


class UnionSpider(scrapy.Spider):
    name = "union"

    def __init__(self, start_urls=None, sources=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u.strip()]
        if not start_urls:
            start_urls = [s["url"] for s in load_sources(sources)]
        self.start_urls = list(start_urls)
        # scope: the host *and port* of every start URL
        self.allowed_netlocs = {urlsplit(u).netloc.lower() for u in self.start_urls}
        self.known: KnownDocuments | None = None
        self.schedule: Schedule | None = None
        # URLs the scheduler took in this run: a link to one of them would only be dropped
        # by the duplicate filter, after the archive lookups, a Request, the spider
        # middlewares and a fingerprint (most links of a portal's pages are such repeats)
        self.scheduled: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> UnionSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._request_scheduled, signal=scrapy.signals.request_scheduled)
        return spider

    def _request_scheduled(self, request, spider):
        self.scheduled.add(request.url)

    def _schedule(self) -> Schedule:
        if self.schedule is None:
            from crawler.warc.state import STATE_FILE

            mode = (self.settings.get("UNION_RECHECK") or "due").lower()
            if mode not in RECHECK_MODES:
                raise ValueError(f"UNION_RECHECK must be one of {RECHECK_MODES}, not {mode!r}")
            data_dir = Path(self.settings.get("UNION_DATA_DIR") or "data")
            path = Path(self.settings.get("WARC_STATE_PATH") or data_dir / STATE_FILE)
            self.schedule = Schedule(
                path,
                RevisitPolicy.from_settings(self.settings).due_before(),
                everything=mode == "all",
                unfinished=self._known().unfinished(),
            )
        return self.schedule

    def _not_due(self, url: str) -> bool:
        """An archived document that is not due for a re-check: not to be requested."""
        if self._known().has(url) and not self._schedule().due(url):
            self.crawler.stats.inc_value("union/skipped/not_due")
            return True
        return False

    def _known(self) -> KnownDocuments:
        if self.known is None:
            data_dir = Path(self.settings.get("UNION_DATA_DIR") or "data")
            self.known = KnownDocuments(archive_db(data_dir))
        return self.known

    def closed(self, reason: str) -> None:
        if self.known is not None:
            self.known.close()
        if self.schedule is not None:
            self.schedule.close()

    # The requests name no callback: ``parse`` is Scrapy's default.  A request written to
    # the JOBDIR's disk queue with a bound method as its callback is looked up by name
    # through inspect.getmembers(spider) on every write.
    async def start(self) -> AsyncIterator[Request]:
        for url in self.start_urls:
            yield scrapy.Request(
                url,
                priority=20,
                meta={
                    "shape": url_shape(url),
                    "chain": 0,
                    "warc_conditional": False,
                    "handle_httpstatus_list": [304],
                },
            )
        if self.settings.getbool("UNION_RECHECK_DOCUMENTS"):
            for url in self._known().urls(self.allowed_netlocs):
                if not self._schedule().due(url):
                    self.crawler.stats.inc_value("union/skipped/not_due")
                    continue
                yield scrapy.Request(
                    url,
                    priority=-10,
                    meta={
                        "shape": url_shape(url),
                        "chain": 0,
                        "link_kind": "recheck",
                        "handle_httpstatus_list": [304],
                    },
                )

    def parse(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            response = self._archived(response)
            if response is None:
                return
        if not isinstance(response, scrapy.http.TextResponse):
            return  # attachments and binaries: captured, nothing to follow
        shape = response.meta.get("shape")
        chain = response.meta.get("chain", 0)
        known = self._known()
        since = self._missing_since()
        links = response.meta.get("union_outlinks")  # found by the WARC middleware
        kind = response.meta.get(post_lists.KIND_META)
        if kind == "jpage":
            links = post_lists.record_links(response)  # a later page of a jpage list
        elif links is None:
            links = extract_links(response.url, response)
        if kind is None:  # a list's first page asks for all its POST pages
            posts, links = post_lists.later_pages(response, links)
            if posts:
                self.crawler.stats.inc_value("union/post_pages", len(posts))
                yield from posts
        scheduled = self.scheduled
        for link in links:
            if link.url in scheduled:
                continue
            if since and known.recently_missing(link.url, since):
                self.crawler.stats.inc_value("union/skipped/recently_missing")
                continue
            if link.kind != "pagination" and self._not_due(link.url):
                continue
            link_shape = url_shape(link.url)
            # a pager hop continues the chain whatever its URL's shape (a2024-01-01 ->
            # b2024-01-02, aaaa -> aaab): pagination adds no depth, so this is what ends it
            pager = link.kind == "pagination"
            same = link_shape == shape
            meta = {
                "shape": link_shape,
                "chain": chain + 1 if same or pager else 0,
                "link_kind": link.kind,
                "handle_httpstatus_list": [304],
            }
            if pager:  # a list's pages share one shape: count the hops that change it
                meta["pager_turns"] = response.meta.get("pager_turns", 0) + (not same)
            if link.kind == "pagination" or (link.kind == "page" and not known.has(link.url)):
                meta["warc_conditional"] = False  # lists: their links must be read again
            try:
                request = scrapy.Request(link.url, priority=link.priority, meta=meta)
            except ValueError as exc:  # one odd link must not cost the page its others
                self.crawler.stats.inc_value("union/skipped/bad_link")
                logger.info("link %r on %s skipped: %s", link.url, response.url, exc)
                continue
            yield request

    def _missing_since(self) -> str | None:
        if not hasattr(self, "_since"):
            from datetime import datetime, timedelta

            days = self.settings.getfloat("UNION_RECHECK_MISSING_DAYS")
            self._since = (
                None
                if days <= 0
                else (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
            )
        return self._since

    def _archived(self, response):
        """A 304: the page as archived earlier (to read its links), or None."""
        from archive.contract import read_payload

        ref = response.meta.get("_warc_conditional") or {}
        name = ref.get("warc_filename")
        if not name:
            return None
        from archive.contract import WarcLocator

        if getattr(self, "_warc_locator", None) is None:
            self._warc_locator = WarcLocator(
                self.settings.get("UNION_DATA_DIR") or "data", first=self.settings.get("WARC_DIR")
            )
        path = self._warc_locator.find(name)
        if path is not None:
            try:
                body = read_payload(path, ref["warc_offset"], ref["warc_length"])
            except Exception as exc:
                logger.warning("cannot read the archived copy of %s: %s", response.url, exc)
                return None
            if not body.lstrip()[:1] == b"<":
                return None  # not markup (an attachment): nothing to follow
            return HtmlResponse(response.url, status=200, body=body, request=response.request)
        return None
