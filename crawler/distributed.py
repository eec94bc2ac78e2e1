"""Several crawler processes, one frontier: Redis through scrapy-redis.

``union-archive crawl --data DIR --redis redis://host:6379/0 --worker NAME ...`` runs one
worker.  Design (README, *Scaling out on Redis*):

* the frontier and the duplicate filter are scrapy-redis's (``scrapy_redis.scheduler.Scheduler``,
  its ``RFPDupeFilter`` with the crawl's fingerprint: ``crawler.redis_dupes``), keyed by the
  crawl id: a URL enters the shared queue once, and a popped request is gone for the other
  workers (ZSET pop in a MULTI);
* each worker is a data directory of its own, ``DIR/workers/NAME`` (its own lock, WARC files
  with the prefix ``union-NAME``, capture state, indexer and archive.db of what *it* fetched);
  one archive is built from all of them with ``union-archive reindex --data DIR``, which reads
  every worker's WARC files (``archive.warc.dirs``) — the indexer needs all pages of a crawl at
  once to stitch multi-page articles and cluster duplicates, which no single worker has;
* the workers agree on one crawl id (so the WARC files of all workers form one crawl):
  ``join`` adds the worker to ``KEY:workers`` and takes ``KEY:crawl`` (set by the first
  worker); ``leave`` removes it and, when it was the last one, deletes the crawl's keys, so
  the next run is a new crawl.  A worker that is killed stays in the set: restarted under
  the same name it continues the same crawl (the frontier is in Redis);
* a worker with nothing to do does not stop while another worker is busy (it may still push
  new links): ``WorkerIdle`` keeps it open until every other worker is idle or silent for
  ``UNION_REDIS_BUSY_SECONDS``.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

if TYPE_CHECKING:
    import redis
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request

logger = logging.getLogger(__name__)

DEFAULT_KEY = "union-archive"

_JOIN = """
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return redis.call('GET', KEYS[2])
"""
_LEAVE = """
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then
  local crawl = redis.call('GET', KEYS[2])
  redis.call('DEL', KEYS[2], KEYS[3])
  if crawl then
    local base = ARGV[2] .. ':' .. crawl
    redis.call('DEL', base .. ':requests', base .. ':dupefilter')
  end
  return 1
end
return 0
"""


class RedisError(Exception):
    pass


def default_worker_name() -> str:
    return socket.gethostname().split(".")[0] or "worker"


def _keys(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}:workers", f"{prefix}:crawl", f"{prefix}:busy"


def connect(url: str) -> redis.Redis:
    try:
        import redis
    except ImportError:
        raise RedisError("--redis needs scrapy-redis: pip install 'union-archive[redis]'") from None
    try:
        import scrapy_redis  # noqa: F401
    except ImportError:
        raise RedisError("--redis needs scrapy-redis: pip install 'union-archive[redis]'") from None
    server = redis.Redis.from_url(
        url, socket_connect_timeout=10, socket_timeout=30, decode_responses=True
    )
    try:
        server.ping()
    except redis.RedisError as exc:
        raise RedisError(f"cannot reach Redis at {url}: {exc}") from None
    return server


def join(url: str, worker: str, new_crawl_id: str, prefix: str = DEFAULT_KEY) -> str:
    """Register ``worker``; the crawl id all workers share (``new_crawl_id`` if first)."""
    server = connect(url)
    try:
        return server.eval(_JOIN, 2, *_keys(prefix)[:2], worker, new_crawl_id)
    finally:
        server.close()


def leave(url: str, worker: str, prefix: str = DEFAULT_KEY) -> bool:
    """Unregister ``worker``; True when it was the last one (the crawl's keys are gone)."""
    server = connect(url)
    try:
        return bool(server.eval(_LEAVE, 3, *_keys(prefix), worker, prefix))
    finally:
        server.close()


def wait_for_workers(url: str, n: int, prefix: str = DEFAULT_KEY, timeout: float = 120.0) -> int:
    """Wait until ``n`` workers have joined (or ``timeout``); the number that did."""
    server = connect(url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            joined = server.scard(_keys(prefix)[0])
            if joined >= n or time.monotonic() > deadline:
                return joined
            time.sleep(0.1)
    finally:
        server.close()


def redis_settings(url: str, worker: str, crawl_id: str, prefix: str = DEFAULT_KEY) -> dict:
    """Scrapy settings of one worker."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "crawler.redis_dupes.RouteDupeFilter",  # app routes kept apart
        "REDIS_URL": url,
        # never flush on close: the other workers still use the queue (``leave`` cleans up)
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": f"{prefix}:{crawl_id}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:{crawl_id}:dupefilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,  # a blocking pop would stall the reactor
        "UNION_CRAWL_ID": crawl_id,
        "UNION_REDIS_URL": url,
        "UNION_REDIS_WORKER": worker,
        "UNION_REDIS_KEY": prefix,
        "WARC_PREFIX": f"union-{worker}",
    }


class WorkerIdle:
    """Extension: keeps an idle worker open while another worker is busy."""

    def __init__(self, crawler):
        s = crawler.settings
        self.url = s.get("UNION_REDIS_URL")
        if not self.url:
            raise NotConfigured
        self.worker = s.get("UNION_REDIS_WORKER")
        self.key = _keys(s.get("UNION_REDIS_KEY") or DEFAULT_KEY)[2]
        self.workers_key = _keys(s.get("UNION_REDIS_KEY") or DEFAULT_KEY)[0]
        busy = s.get("UNION_REDIS_BUSY_SECONDS")  # None: twice DOWNLOAD_TIMEOUT, at least 60
        self.busy_seconds = (
            float(busy) if busy is not None else max(60.0, 2 * s.getfloat("DOWNLOAD_TIMEOUT"))
        )
        self.server = connect(self.url)
        self.last = 0.0
        crawler.signals.connect(self.active, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerIdle:
        return cls(crawler)

    def active(self, request: Request, spider: Spider) -> None:
        now = time.time()
        if now - self.last > 2:  # a heartbeat, not a write per request
            self.server.hset(self.key, self.worker, f"{now:.3f}")
            self.last = now

    def idle(self, spider: Spider) -> None:
        self.server.hset(self.key, self.worker, "0")
        self.last = 0.0
        members = self.server.smembers(self.workers_key)
        now = time.time()
        busy = [
            w
            for w, t in self.server.hgetall(self.key).items()
            if w != self.worker and w in members and float(t or 0) > now - self.busy_seconds
        ]
        if busy:
            logger.debug("idle, waiting for busy workers %s", ", ".join(sorted(busy)))
            raise DontCloseSpider

    def closed(self, spider: Spider, reason: str) -> None:
        try:
            self.server.hset(self.key, self.worker, "0")
        finally:
            self.server.close()
