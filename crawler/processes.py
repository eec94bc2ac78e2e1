"""Entry points of the crawl's child processes (the indexer, then the clustering pass).

They live apart from ``crawler.extensions`` so that a spawned child imports what it runs
and not Scrapy, which would lengthen each start (the clustering's is in the crawl's serial
tail).
(``tests/test_indexer_spool.py`` checks that a child imports no Scrapy.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.contract import archive_db

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event


def index_worker(
    q: Queue,
    data_dir: str,
    crawl_id: str,
    start_urls: list[str],
    started_at: str,
    resume: bool,
    crash_at_flush: int | None,
    ready: Event | None = None,
    helpers: int = 1,
    closing: Event | None = None,
) -> None:
    """The indexer child: holds the worker byte of DIR/.lock, then runs the indexer
    (``closing``: an event it sets once it has every capture, and only closes)."""
    if ready is not None:
        ready.set()  # the queue is unpickled: the crawler may now close it at any time
    from archive.contract import run_indexer
    from crawler.lock import hold_worker_lock

    hold_worker_lock(data_dir)
    run_indexer(
        q,
        str(archive_db(data_dir)),
        crawl_id,
        start_urls,
        started_at,
        resume=resume,
        crash_at_flush=crash_at_flush,
        cluster=False,
        helpers=helpers,
        closing=closing,
    )


def cluster_worker(data_dir: str, crawl_id: str, go: Connection | None = None) -> None:
    """After the indexer: the archive's duplicate clusters, in a fresh process
    (``archive.contract.run_clustering``), holding the worker byte of DIR/.lock too.

    ``go``: the read end of a pipe.  The process is then started while the indexer
    closes, imports what it runs, and waits for a word: True (the indexer is done and
    exited cleanly: cluster) or False, or the crawler gone (end of file): exit."""
    from archive.contract import as_crawl_child, preload_clustering, run_clustering

    as_crawl_child(0)  # deaf to SIGINT/SIGTERM while it waits, as the indexer is
    preload_clustering()  # the clustering's imports, before the word
    from crawler.lock import hold_worker_lock

    if go is not None:
        try:
            word = go.recv()
        except (EOFError, OSError):
            return
        finally:
            go.close()
        if word is not True:
            return
    hold_worker_lock(data_dir)
    run_clustering(str(archive_db(data_dir)), crawl_id)
