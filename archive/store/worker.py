"""The indexer's and the clustering's processes, as the crawler starts them."""

from __future__ import annotations

import logging
import os
import pickle
import queue as queue_mod
import sys
import time
from typing import TYPE_CHECKING

from archive.capture import Capture
from archive.store import search
from archive.store.indexer import Indexer, utcnow
from archive.store.process import as_crawl_child

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Event

logger = logging.getLogger(__name__)


# -- the child process the crawler talks to ----------------------------------------------
def run_cluster(db_path: str, crawl_id: str | None = None, nice: int = 10) -> None:
    """The duplicate clusters of the whole archive, at the end of a crawl, in a process
    of their own: the crawl's indexer has exited by then, so its heap (parsers, caches,
    a long run's fragments) is back with the system before the one pass whose
    memory grows with the archive.  The crawls row's ``finished_at`` moves to the end."""
    as_crawl_child(nice)
    ix = Indexer(db_path)
    try:
        ix._cluster()
        search.sync_search(ix.db, ix.search, settle=True)
        if crawl_id:
            with ix.db.conn:
                ix.db.execute(
                    "update crawls set finished_at = ? where id = ?", [utcnow(), crawl_id]
                )
    finally:
        ix.close()


def run_worker(
    q: Queue,
    db_path: str,
    crawl_id: str,
    start_urls: list[str],
    started_at: str,
    progress_seconds: float = 10.0,
    resume: bool = False,
    crash_at_flush: int | None = None,
    nice: int = 10,
    cluster: bool = True,
    helpers: int = 1,
    closing: Event | None = None,
) -> None:
    """The crawl's indexer: captures from ``q`` until ("finish", status).  ``closing``: an
    event set once every capture is applied and the extraction helper has exited (the
    crawler then starts the clustering process, which imports while this one writes its
    last batch and the crawls row, and exits)."""
    as_crawl_child(nice)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [indexer] %(levelname)s: %(message)s"
    )
    ix = Indexer(db_path, crash_at_flush=crash_at_flush)
    ix.start_crawl(crawl_id, start_urls, started_at, resume=resume)
    from archive.store.parallel import AheadIndexer

    ahead = AheadIndexer(ix, helpers=helpers)  # a backlog: extracted on two cores
    parent = os.getppid()
    # our copy of the queue's write end: closed, so that a dead crawler means end-of-file
    # here (a crawler killed in the middle of a put would otherwise block us for ever)
    writer = getattr(q, "_writer", None)
    if writer is not None:
        writer.close()
    last = time.monotonic()
    status = "interrupted"
    while True:
        try:
            msg = q.get_nowait() if ahead.pending else q.get(timeout=1.0)
        except queue_mod.Empty:
            if ahead.pending:  # nothing new: apply what waits, oldest first
                ahead.step()
                continue
            if os.getppid() != parent:  # the crawler died (SIGKILL): close what we have
                break
            ix.flush()
            continue
        except (EOFError, OSError):  # the crawler died: its end of the pipe is gone
            logger.warning("the crawler is gone: closing crawl %s as interrupted", crawl_id)
            break
        if isinstance(msg, bytes):  # a capture that waited in the crawler's disk spool
            msg = pickle.loads(msg)
        if isinstance(msg, Capture):
            ahead.add(msg)
        elif isinstance(msg, tuple) and msg[0] == "finish":
            status = msg[1]
            break
        if time.monotonic() - last >= progress_seconds:
            last = time.monotonic()
            c = ix.counts
            print(
                f"[union-archive] indexed {c['pages']} captures: {c['documents']} documents "
                f"({c['reports']} reports), {c['errors']} errors",
                file=sys.stderr,
                flush=True,
            )
    ahead.close()
    if closing is not None:  # every capture is in and the helper has exited
        closing.set()
    ix.finish(status, cluster=cluster)
    ix.close()
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the extraction helper, if any
    helper = kids.ru_utime + kids.ru_stime
    cpu = time.process_time() + helper
    print(
        f"[union-archive] indexer used {cpu:.1f} s of CPU for {ix.counts['pages']} captures "
        f"({1000 * cpu / max(1, ix.counts['pages']):.1f} ms each; of it the extraction helper "
        f"{helper:.1f} s, {ahead.in_helper} captures)",
        file=sys.stderr,
        flush=True,
    )
