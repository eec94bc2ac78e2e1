"""The crawl's WARC files and capture state: opened (a killed run's files recovered, its
CDXJ index repaired), written one whole exchange at a time with its CDXJ lines, stopped below
the free-space reserve, closed at the end."""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.internet import reactor

from crawler.diskspace import DISK_FULL, STOP_DETAIL_STAT, is_disk_full, low_space
from crawler.revisit import RevisitPolicy
from crawler.warc.state import STATE_FILE, CaptureState
from crawler.warc.writer import WarcFileWriter, default_info, recover_open_files

if TYPE_CHECKING:
    from scrapy import Spider

logger = logging.getLogger(__name__)


def one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split()) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {msg}"[:500]


class CaptureFiles:
    """The WARC side of ``WarcCaptureMiddleware``: its files, state and CDXJ lines."""

    def __init__(self, crawler):
        s = crawler.settings
        if not s.getbool("WARC_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.data_dir = Path(s.get("UNION_DATA_DIR") or "data")
        self.warc_dir = Path(s.get("WARC_DIR") or self.data_dir / "warc")
        self.prefix = s.get("WARC_PREFIX") or "union"
        self.max_size = s.getint("WARC_MAX_SIZE")
        self.gzip_level = s.get("WARC_GZIP_LEVEL")  # None: the compressor's default
        self.compressor = s.get("WARC_COMPRESSOR")
        self.description = s.get("WARC_DESCRIPTION")
        self.crawl_id = s.get("UNION_CRAWL_ID") or (
            datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
        )
        self.conditional = s.getbool("WARC_CONDITIONAL_GET")
        self.dedup = s.getbool("WARC_DEDUP")
        self.dedup_min = s.getint("WARC_DEDUP_MIN_SIZE")
        self.cdxj = s.getbool("WARC_CDXJ")
        self.state_path = Path(s.get("WARC_STATE_PATH") or self.data_dir / STATE_FILE)
        self.user_agent = s.get("USER_AGENT")
        self.policy = RevisitPolicy.from_settings(s)
        self.min_free = s.getint("UNION_MIN_FREE_SPACE")
        self._stopping = False  # a stop was asked for (no space, a failed write)
        self.writer: WarcFileWriter | None = None
        self.index_lines = None  # archive.contract.cdxj_index_lines: made as records are written
        self._locator = None  # archive.warc.dirs.WarcLocator, made when first asked
        self._failed = False
        self.cpu = 0.0
        self.state: CaptureState | None = None
        self.stats = crawler.stats
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    # -- lifecycle ---------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        if self.writer is not None or self._failed:
            return
        try:
            self._open(spider)
        except Exception:
            # never crawl without the archive's source of truth: stop the crawl
            self._failed = True
            logger.exception(
                "WARC capture could not start in %s; closing the spider", self.warc_dir
            )
            self.crawler.stats.set_value("warc/error", "could not start")
            reactor.callLater(0, self._close_spider, spider)
            return
        self._check_space()

    def _close_spider(self, spider, reason="warc_failed"):
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):
            from scrapy.utils.defer import deferred_from_coro

            return deferred_from_coro(engine.close_spider_async(reason=reason))
        return engine.close_spider(spider, reason)

    # -- disk space ----------------------------------------------------------------
    def _check_space(self) -> None:
        """Stop the crawl once the free space falls below UNION_MIN_FREE_SPACE."""
        if self._stopping:
            return
        why = low_space([self.warc_dir, self.data_dir], self.min_free)
        if why:
            self._stop(DISK_FULL, why)

    def _stop(self, reason: str, why: str) -> None:
        """Close the spider once, with ``reason``; ``why`` (one line) goes into the stats."""
        if self._stopping:
            return
        self._stopping = True
        logger.error("stopping the crawl: %s", why)
        self.stats.set_value(STOP_DETAIL_STAT, why)
        reactor.callLater(0, self._close_spider, self.crawler.spider, reason)

    def _write(self, records: list) -> list[tuple[str, int, int]] | None:
        """The records of one exchange into the WARC file (and the CDXJ lines); None when
        the write failed (the file keeps only whole exchanges) and the crawl is stopping."""
        self._check_space()
        try:
            written = self.writer.write(records)
        except OSError as exc:
            uri = records[0].rec_headers.get_header("WARC-Target-URI")
            why = f"cannot write {uri} into {self.warc_dir}: {exc.strerror or one_line(exc)}"
            self._stop(DISK_FULL if is_disk_full(exc) else "warc_failed", why)
            return None
        self._index(records, written)
        return written

    def _open(self, spider):
        from archive.contract import record_warc_dir

        self.warc_dir.mkdir(parents=True, exist_ok=True)
        record_warc_dir(self.data_dir, self.warc_dir)  # so record/wacz/serve/reindex find it
        recover_open_files(self.warc_dir)
        if self.cdxj:
            self._repair_indexes()
        self.state = CaptureState(self.state_path)
        existing = sorted(self.warc_dir.glob("*.warc.gz"))
        if existing and self.state.is_empty():
            from crawler.warc.state import rebuild

            n = rebuild(self.state, existing, self.dedup_min, self.policy)
            logger.info("WARC history rebuilt from %d files (%d responses)", len(existing), n)
        info = default_info(
            self.crawl_id,
            self.description,
            **{
                "start-url": list(getattr(spider, "start_urls", []) or []),
                "http-header-user-agent": self.user_agent,
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        )
        self.writer = WarcFileWriter(
            self.warc_dir,
            self.prefix,
            max_size=self.max_size,
            gzip_level=self.gzip_level,
            compressor=self.compressor,
            info=info,
            on_close=self._file_closed,
        )
        if self.cdxj:
            from archive.contract import cdxj_index_lines

            try:
                self.index_lines = cdxj_index_lines(self.data_dir, self.crawl_id)
            except OSError as exc:  # the index is then read from the WARC files at the end
                logger.warning("CDXJ lines not kept as records are written (%s)", exc)

    def _repair_indexes(self) -> None:
        """A killed run's WARC files into its crawl's CDXJ index (``cdxj.repair``): read
        back from the files, as its lines died with it."""
        from archive.contract import cdxj_repair, cdxj_side_files, own_warc_dirs

        if not cdxj_side_files(self.data_dir):  # no killed run: no need to list the WARC files
            return
        dirs = [*own_warc_dirs(self.data_dir), self.warc_dir]
        files = sorted(
            {p.resolve(): p for d in dirs if d.is_dir() for p in d.glob("*.warc.gz")}.values()
        )
        try:
            for crawl_id, names in cdxj_repair(self.data_dir, files).items():
                logger.warning(
                    "CDXJ index of crawl %s: %d WARC file(s) of a killed run added "
                    "from the files: %s",
                    crawl_id,
                    len(names),
                    ", ".join(names),
                )
        except Exception:  # never fail a crawl over an index: cdxj-indexer can rebuild it
            logger.exception("CDXJ index repair failed")

    def _index(self, records: list, written: list[tuple[str, int, int]]) -> None:
        """The CDXJ lines of records just written (response and revisit records have one)."""
        if self.index_lines is None:
            return
        try:
            for record, (fname, off, length) in zip(records, written):
                if record.rec_type == "request":
                    record.raw_stream.seek(0)  # its in-memory body, read again for the key
                self.index_lines.add(record, fname, off, length)
        except Exception:  # never fail a capture: the index is read from the files instead
            logger.exception(
                "CDXJ line of %s failed: the index will be read from the WARC files",
                records[0].rec_headers.get_header("WARC-Target-URI"),
            )
            self.index_lines.discard()
            self.index_lines = None

    def _file_closed(self, path: Path):
        try:
            self.state.commit()  # history only for records that are now in a closed file
        except sqlite3.Error as exc:  # a full disk: the next crawl stores those payloads again
            logger.error("WARC history not saved: %s", exc)
        self.stats.inc_value("warc/files")
        logger.info("WARC file closed: %s", path.name)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is None:
            return
        t = time.thread_time()
        try:
            self.writer.close()
            self.state.commit()
        except (OSError, sqlite3.Error) as exc:  # a full disk: the next run cuts the file back
            logger.error("WARC capture did not close cleanly: %s", one_line(exc))
        self.state.close()
        self.cpu += time.thread_time() - t
        self.stats.set_value("warc/cpu_seconds", round(self.cpu, 3))
        if self.cdxj and self.writer.closed_files:
            try:
                if self.index_lines is not None:
                    path = self.index_lines.finish()
                else:
                    from archive.contract import write_crawl_index

                    path = write_crawl_index(self.writer.closed_files, self.data_dir, self.crawl_id)
                logger.info("CDXJ index: %s", path)
            except Exception:  # an index can always be rebuilt from the WARCs
                logger.exception("CDXJ indexing failed")
        elif self.index_lines is not None:
            self.index_lines.discard()

    def _readable(self, row, url: str) -> bool:
        """Is the full response record of ``row`` (from ``_digests`` or ``_validators``)
        still whole in its WARC file?  A revisit refers only to such a record: one cut
        away (a truncated or lost file) would leave the payload nowhere."""
        from archive.contract import record_problem

        if self._locator is None:
            from archive.contract import WarcLocator

            self._locator = WarcLocator(self.data_dir, first=self.warc_dir)
        path = self._locator.find(row["warc_filename"])
        problem = (
            f"no WARC file {row['warc_filename']}"
            if path is None
            else record_problem(path, row["warc_offset"], row["warc_length"], row["payload_digest"])
        )
        if problem:
            logger.warning("archived copy of %s unreadable (%s): storing it in full", url, problem)
            self.stats.inc_value("warc/original_unreadable")
        return problem is None

    def _ensure_open(self):
        if self.writer is None:  # used before spider_opened (should not happen)
            self.spider_opened(self.crawler.spider)
        if self.writer is None:
            raise IgnoreRequest("WARC capture is not available: not archiving this exchange")
