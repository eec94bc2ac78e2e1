"""Entry points of the crawl's child processes (the indexer, then the clustering pass).

They live apart from ``crawler.extensions`` so that a spawned child imports what it runs
and not Scrapy: ~0.27 s less at each start, the clustering's in the crawl's serial tail.
(``tests/test_indexer_spool.py`` checks that a child imports no Scrapy.)
"""
from __future__ import annotations

from pathlib import Path


def index_worker(q, data_dir: str, crawl_id: str, start_urls: list[str], started_at: str,
                 resume: bool, crash_at_flush: int | None, ready=None, helpers: int = 1) -> None:
    """The indexer child: holds the worker byte of DIR/.lock, then runs the indexer."""
    if ready is not None:
        ready.set()          # the queue is unpickled: the crawler may now close it at any time
    from archive.indexer import run_worker
    from crawler.lock import hold_worker_lock

    hold_worker_lock(data_dir)
    run_worker(q, str(Path(data_dir) / "archive.db"), crawl_id, start_urls, started_at,
               resume=resume, crash_at_flush=crash_at_flush, cluster=False, helpers=helpers)


def cluster_worker(data_dir: str, crawl_id: str) -> None:
    """After the indexer: the archive's duplicate clusters, in a fresh process
    (``archive.indexer.run_cluster``), holding the worker byte of DIR/.lock too."""
    from archive.indexer import run_cluster
    from crawler.lock import hold_worker_lock

    hold_worker_lock(data_dir)
    run_cluster(str(Path(data_dir) / "archive.db"), crawl_id)
