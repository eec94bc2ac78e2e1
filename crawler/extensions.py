"""IndexerBridge: hands every capture to the indexer child process.

Extraction and SQLite writes run in a separate process (``archive.store.worker.run_worker``)
so that they never stall the Twisted reactor.  Captures reach it through a bounded
in-memory queue; when the indexer is a whole queue behind, they wait in a spool on disk
(``DIR/.indexer-spool``, queuelib's FifoDiskQueue, the queue Scrapy's JOBDIR uses) and go
on in order as the queue drains: a crawl runs at its own rate whatever extraction costs,
and the crawler's memory does not grow with the indexer's backlog.

Also here: ``HostBudgetMiddleware`` (per-host page budgets) and the crash-test hook
``UNION_TEST_CRASH`` (tests only: ``capture:N``, ``warc:N``, ``db:N`` make the crawl kill
itself with SIGKILL after the Nth capture, in the middle of the Nth WARC exchange, or
inside the indexer's Nth database transaction; ``fetch:TEXT`` / ``fetch-term:TEXT``
send SIGKILL / SIGTERM while a request whose URL contains TEXT is on the wire).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import pickle
import queue as queue_mod
import shutil
import signal
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.contract import archive_db, mark_failed
from crawler import processes
from crawler.diskspace import DISK_FULL
from crawler.signals import capture_written

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request

    from archive.contract import Capture

logger = logging.getLogger(__name__)

STATUS_BY_REASON = {
    "finished": "finished",
    "closespider_pagecount": "finished (page limit)",
    "closespider_itemcount": "finished (item limit)",
    "closespider_timeout": "finished (time limit)",
    "shutdown": "interrupted",
    DISK_FULL: "interrupted",
}


def _crash_point(settings) -> tuple[str, int | str] | None:
    value = settings.get("UNION_TEST_CRASH")
    if not value:
        return None
    kind, _, arg = str(value).partition(":")
    return kind, (arg if kind.startswith("fetch") else int(arg or 1))


_OPEN_BRIDGES: set = set()


def finish_open_bridges() -> None:
    """Tell every indexer still running that its crawl is over (see IndexerBridge._finish)."""
    for bridge in list(_OPEN_BRIDGES):
        bridge._stopped_without_close()


class IndexerBridge:
    def __init__(self, crawler):
        s = crawler.settings
        if not s.getbool("UNION_INDEXER_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.data_dir = Path(s.get("UNION_DATA_DIR"))
        self.crawl_id = s.get("UNION_CRAWL_ID")
        self.queue_size = s.getint("UNION_INDEXER_QUEUE")
        # processes that extract ahead when captures back up (archive.store.parallel)
        self.helpers = max(0, s.getint("UNION_EXTRACT_HELPERS"))
        self.resume = s.getbool("UNION_RESUME")
        self.jobdir = s.get("JOBDIR")
        self.crash = _crash_point(s)
        self.captures = 0
        self.proc = None
        self.closing = None  # set by the indexer once it has every capture
        self.queue = None
        self.spool = None  # queuelib.FifoDiskQueue, opened on the first overflow
        self.spilled = 0
        self._drainer = None
        self.finished = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        # spider_closed is connected in spider_opened, after the WARC middleware's own
        # handler: its files are closed (renamed from .open) and indexed while the indexer
        # catches up, not after it
        crawler.signals.connect(self._stopped_without_close, signal=signals.engine_stopped)
        crawler.signals.connect(self.capture, signal=capture_written)
        if self.crash and self.crash[0].startswith("fetch"):
            crawler.signals.connect(self._fetch_crash, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexerBridge:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        self._last_capture = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ctx = multiprocessing.get_context("spawn")
        self.queue = ctx.Queue(maxsize=self.queue_size)
        self._clear_spool()
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.started_at, self.start_urls = started, list(getattr(spider, "start_urls", []))
        crash_db = self.crash[1] if self.crash and self.crash[0] == "db" else None
        ready = ctx.Event()
        self.closing = ctx.Event()
        self.proc = ctx.Process(
            target=processes.index_worker,
            name="union-indexer",
            daemon=False,
            args=(self.queue,),
            kwargs={
                "data_dir": str(self.data_dir),
                "crawl_id": self.crawl_id,
                "start_urls": self.start_urls,
                "started_at": started,
                "resume": self.resume,
                "crash_at_flush": crash_db,
                "ready": ready,
                "helpers": self.helpers,
                "closing": self.closing,
            },
        )
        self.proc.start()
        atexit.register(self._stopped_without_close)  # runs before multiprocessing joins it
        _OPEN_BRIDGES.add(self)
        # Wait until the child has unpickled its queue: a crawl stopped (SIGTERM) in the
        # first instant would otherwise release the queue's semaphores under the starting
        # child, which then dies with FileNotFoundError in SemLock._rebuild.
        while not ready.wait(0.5):
            if not self.proc.is_alive():
                logger.error("indexer process exited at start (code %s)", self.proc.exitcode)
                break
        logger.info("indexer process %s started for crawl %s", self.proc.pid, self.crawl_id)
        from twisted.internet import task

        self._drainer = task.LoopingCall(self._drain)
        self._drainer.start(0.2, now=False)

    # -- the spool: captures wait on disk while the indexer is a whole queue behind --------
    @property
    def spool_dir(self) -> Path:
        return self.data_dir / ".indexer-spool"

    def _clear_spool(self) -> None:
        if self.spool_dir.exists():
            # a killed crawl's backlog (queuelib saves its state only on close): those
            # captures are in the WARC files; `union-archive reindex` indexes them
            logger.warning(
                "a spool of captures not indexed by an interrupted crawl is removed "
                "(%s); `union-archive reindex` rebuilds the archive from the WARC files",
                self.spool_dir,
            )
            shutil.rmtree(self.spool_dir, ignore_errors=True)

    def _send(self, msg) -> None:
        """To the indexer, in order: straight into the queue unless it is full or captures
        already wait in the spool (then behind them)."""
        if self.spool is None or not len(self.spool):
            try:
                self.queue.put_nowait(msg)
                return
            except queue_mod.Full:
                pass
        if self.spool is None:
            from queuelib import FifoDiskQueue

            self.spool = FifoDiskQueue(str(self.spool_dir))
        self.spool.push(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))
        self.spilled += 1

    def _drain(self, block: bool = False) -> None:
        """Spooled captures into the queue while it has room (``block``: all of them, as
        long as the indexer lives).  They go as the pickled bytes the spool holds (the
        indexer unpickles them): not unpickled and pickled again on the reactor."""
        while self.spool is not None and len(self.spool):
            data = self.spool.peek()
            if block:
                if not self._put_while_alive(data):
                    return
            else:
                try:
                    self.queue.put_nowait(data)
                except queue_mod.Full:
                    return
            self.spool.pop()

    def _put_while_alive(self, msg) -> bool:
        """A blocking put that gives up when the indexer has exited."""
        while True:
            try:
                self.queue.put(msg, timeout=1.0)
                return True
            except queue_mod.Full:
                if not self.proc.is_alive():
                    return False

    def _close_spool(self) -> None:
        if self._drainer is not None and self._drainer.running:
            self._drainer.stop()
        if self.spool is not None:
            left = len(self.spool)
            self.spool.close()
            self.spool = None
            if left:
                logger.error(
                    "%d captures were not handed to the indexer (it exited); "
                    "`union-archive reindex` indexes them from the WARC files",
                    left,
                )
        shutil.rmtree(self.spool_dir, ignore_errors=True)
        self.crawler.stats.set_value("union/indexer_spilled", self.spilled)

    def capture(self, capture: Capture) -> None:
        self._last_capture = time.monotonic()
        if self.queue is not None:
            if capture.record_type == "response" and capture.warc_filename:
                # the payload is in the WARC file already (flushed): send where, not what,
                # so a lagging indexer costs a few hundred bytes a page, never the crawl
                capture = replace(capture, body=None)
            self._send(capture)  # never blocks: a backlog waits on disk
        self.captures += 1
        if self.crash and self.crash[0] == "warc" and self.captures == 1:
            # armed once the WARC writer exists (it opens after this extension)
            _arm_warc_crash(self.crawler, max(1, self.crash[1] - 1))
        if self.crash and self.crash[0] == "capture" and self.captures >= self.crash[1]:
            logger.warning("UNION_TEST_CRASH: SIGKILL after capture %d", self.captures)
            os.kill(os.getpid(), signal.SIGKILL)
        if (
            self.crash
            and self.crash[0] == "indexer"
            and self.captures == self.crash[1]
            and self.proc is not None
        ):
            logger.warning(
                "UNION_TEST_CRASH: SIGKILL of the indexer after capture %d", self.captures
            )
            os.kill(self.proc.pid, signal.SIGKILL)

    def _fetch_crash(self, request, spider):
        kind, text = self.crash
        if text in request.url:
            from twisted.internet import reactor

            sig = signal.SIGTERM if kind == "fetch-term" else signal.SIGKILL
            logger.warning("UNION_TEST_CRASH: %s while fetching %s", sig.name, request.url)
            reactor.callLater(0.5, os.kill, os.getpid(), sig)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._finish(reason)

    def _stopped_without_close(self):
        """engine_stopped / interpreter exit without spider_closed (a stop signal that
        arrived while the spider was still opening): the indexer must still be told."""
        self._finish("shutdown")

    def _start_clustering(self, at_once: bool = False):
        """The clustering process, started while the indexer closes: once every capture
        is applied and its extraction helper has exited (little work is left then), so
        that the new process's start and imports overlap the indexer's last writes, not
        the helper's memory.  Waits for that point unless ``at_once``; None if
        the indexer exits first.  Returns (process, the write end of its pipe: True to
        cluster, False to exit)."""
        if not at_once:
            if self.closing is None:
                return None
            while not self.closing.wait(0.1):
                if not self.proc.is_alive():
                    return None
        ctx = multiprocessing.get_context("spawn")
        read, write = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=processes.cluster_worker,
            name="union-cluster",
            daemon=False,
            args=(str(self.data_dir), self.crawl_id, read),
        )
        proc.start()
        read.close()
        return proc, write

    def _finish(self, reason):
        if self.proc is None or self.finished:
            return
        self.finished = True
        _OPEN_BRIDGES.discard(self)
        status = STATUS_BY_REASON.get(reason, reason)
        self._drain(block=True)
        self._close_spool()
        self._put_while_alive(("finish", status))
        clustering = self._start_clustering()
        self.proc.join()  # the queue's feeder thread writes on meanwhile
        exitcode = self.proc.exitcode
        if exitcode != 0:
            # nobody reads the pipe any more: waiting for the feeder thread to empty the
            # queue into it would hang the crawl once the pipe is full
            self.queue.cancel_join_thread()
        self.queue.close()
        self.queue.join_thread()
        if exitcode != 0:
            if clustering is not None:
                _tell(clustering[1], False)
                clustering[0].join()
            logger.error(
                "indexer process exited with code %s; every capture is in the WARC "
                "files: `union-archive reindex --data %s` builds the archive from them",
                exitcode,
                self.data_dir,
            )
            # a crawl stopped for lack of space stays resumable: its unindexed pages are
            # fetched again by the resumed run, as after a kill
            mark_failed(
                archive_db(self.data_dir),
                self.crawl_id,
                self.start_urls,
                self.started_at,
                "interrupted" if reason == DISK_FULL else "indexer failed",
            )
        else:
            # the clusters of the whole archive, in a fresh process now that the
            # indexer's memory is back with the system (archive.store.worker.run_cluster)
            if clustering is None:
                clustering = self._start_clustering(at_once=True)
            proc, go = clustering
            _tell(go, True)
            proc.join()  # a process that died waiting: its exit code below
            if proc.exitcode != 0:
                logger.error("duplicate clustering exited with code %s", proc.exitcode)
                exitcode = proc.exitcode
        waited = time.monotonic() - getattr(self, "_last_capture", time.monotonic())
        self.crawler.stats.set_value("union/indexer_catchup_seconds", round(waited, 2))
        logger.info("indexer finished %.1fs after the last fetch", waited)
        self.crawler.stats.set_value("union/indexer_exitcode", exitcode)
        if self.jobdir and Path(self.jobdir).is_dir():
            # the scheduler saved the frontier before this signal: it may be resumed from
            try:
                (Path(self.jobdir) / "clean-shutdown").write_text(f"{reason}\n", encoding="utf-8")
            except OSError:  # a full disk: the frontier is not trusted, the resume restarts
                pass


def _tell(pipe, word: bool) -> None:
    """The clustering process's word, and the pipe closed (it may have died waiting)."""
    try:
        pipe.send(word)
    except OSError:
        pass
    finally:
        pipe.close()


def _arm_warc_crash(crawler, n: int) -> None:
    """Test hook: in the Nth exchange written to WARC, write half of its bytes, then SIGKILL."""
    from crawler.warc.middleware import WarcCaptureMiddleware

    mws = crawler.engine.downloader.middleware.middlewares
    mw = next((m for m in mws if isinstance(m, WarcCaptureMiddleware)), None)
    if mw is None or mw.writer is None:
        logger.error("UNION_TEST_CRASH=warc: no WARC writer to crash in")
        return
    writer = mw.writer
    original = writer.write
    count = {"n": 0}

    def write(records):
        count["n"] += 1
        if count["n"] < n:
            return original(records)
        import io

        buf = io.BytesIO()
        for record in records:
            writer.builder.serialize(buf, record)
        data = buf.getvalue()
        if writer._fh is None:
            writer._open()
        writer._fh.write(data[: len(data) // 2])
        writer._fh.flush()
        logger.warning("UNION_TEST_CRASH: SIGKILL inside WARC write %d", count["n"])
        os.kill(os.getpid(), signal.SIGKILL)

    writer.write = write


class HostBudgetMiddleware:
    """``UNION_HOST_PAGE_BUDGET`` = N: at most N requests per host (host:port) reach the
    network in one run (each redirect hop counts; retries and robots.txt do not); the rest are
    dropped, so a host that never ends (calendars, generated lists) cannot hold the crawl
    forever."""

    def __init__(self, crawler):
        self.budget = crawler.settings.getint("UNION_HOST_PAGE_BUDGET")
        if self.budget <= 0:
            raise NotConfigured
        self.stats = crawler.stats
        self.used: Counter = Counter()
        self.spent: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostBudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.path == "/robots.txt" or request.meta.get("retry_times"):
            return None
        host = parts.netloc.lower()
        if self.used[host] >= self.budget:
            self.stats.inc_value("union/budget/dropped")
            if host not in self.spent:
                self.spent.add(host)
                logger.warning(
                    "page budget of %s spent (%d requests): dropping the rest", host, self.budget
                )
            raise IgnoreRequest(f"page budget of {host} spent")
        self.used[host] += 1
        return None
