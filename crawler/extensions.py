"""IndexerBridge: hands every capture to the indexer child process.

Extraction and SQLite writes run in a separate process (``archive.indexer.run_worker``)
so that they never stall the Twisted reactor; a bounded queue gives backpressure.
"""
from __future__ import annotations

import logging
import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.signals import capture_written

logger = logging.getLogger(__name__)

STATUS_BY_REASON = {"finished": "finished", "closespider_pagecount": "finished (page limit)",
                    "closespider_itemcount": "finished (item limit)",
                    "closespider_timeout": "finished (time limit)", "shutdown": "interrupted"}


class IndexerBridge:
    def __init__(self, crawler):
        s = crawler.settings
        if not s.getbool("UNION_INDEXER_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.data_dir = Path(s.get("UNION_DATA_DIR", "data"))
        self.crawl_id = s.get("UNION_CRAWL_ID")
        self.queue_size = s.getint("UNION_INDEXER_QUEUE", 1000)
        self.proc = None
        self.queue = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.capture, signal=capture_written)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        from archive.indexer import run_worker

        self.data_dir.mkdir(parents=True, exist_ok=True)
        ctx = multiprocessing.get_context("spawn")
        self.queue = ctx.Queue(maxsize=self.queue_size)
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.proc = ctx.Process(
            target=run_worker, name="union-indexer", daemon=False,
            args=(self.queue, str(self.data_dir / "archive.db"), self.crawl_id,
                  list(getattr(spider, "start_urls", [])), started))
        self.proc.start()
        logger.info("indexer process %s started for crawl %s", self.proc.pid, self.crawl_id)

    def capture(self, capture):
        if self.queue is not None:
            self.queue.put(capture)   # blocks when the indexer is behind: backpressure

    def spider_closed(self, spider, reason):
        if self.proc is None:
            return
        status = STATUS_BY_REASON.get(reason, reason)
        self.queue.put(("finish", status))
        self.queue.close()
        self.queue.join_thread()
        self.proc.join()
        if self.proc.exitcode != 0:
            logger.error("indexer process exited with code %s", self.proc.exitcode)
        self.crawler.stats.set_value("union/indexer_exitcode", self.proc.exitcode)
