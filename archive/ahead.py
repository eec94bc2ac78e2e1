"""Extraction ahead of the indexer's writes: a second core for a backlog.

Extraction (``archive.extract.process_capture``) is most of the indexer's work and a
pure function of (url, content type, payload).  ``AheadIndexer`` feeds an ``Indexer``
its captures *in order*, as ``Indexer.add`` always sees them, while the extractions of
the next few captures run ahead: in a helper process and, while the helper works, in
this process too.  Results are the same as extracting inline (the same function on the
same bytes); only the time differs.  A capture whose ahead extraction failed in any way
is extracted again inline, where ``Indexer.add`` records the error as it always does.

The helper starts only when a backlog fills the window (a crawl whose indexer keeps up
never pays for it): during a crawl the crawler has one core and the niced indexer the
rest; when the fetching is over, or in ``union-archive reindex``, both cores extract.
It dies with its parent (PR_SET_PDEATHSIG), so a killed indexer leaves no orphan.
"""
from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

from archive.capture import Capture

logger = logging.getLogger(__name__)

_UNSET = object()


def _helper_start(nice: int) -> None:
    """The helper: dies with the indexer (Linux: SIGKILL when its parent goes), and is a
    crawl child like the indexer (``archive.indexer._as_crawl_child``)."""
    import ctypes
    import os
    import signal

    from archive.indexer import _as_crawl_child

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:      # the parent went before prctl took effect
        os._exit(0)
    _as_crawl_child(nice)


def extract_payload(url: str, content_type: str | None, body: bytes | None,
                    location: tuple[str, int, int] | None):
    """The helper's task: the payload (given, or read from its WARC record), extracted."""
    from archive.extract import process_capture

    if body is None:
        from archive.warc_read import read_payload

        body = read_payload(*location)
    if not body:
        return None
    from archive.indexer import prepare_documents

    ex = process_capture(url, content_type, body)
    if prepare_documents(ex):   # folded text, signature, index forms: work done here too
        # left out of the result the helper pickles back (~95 -> ~54 KB a page), as only
        # making the forms above read them: the body lines (and stitch(), for multi-page
        # articles, which are not prepared) and the folded text
        ex.lines = []
        for doc in ex.documents:
            doc.pop("_folded", None)
    return ex


class AheadIndexer:
    """``add`` captures in order; ``close`` applies what waits.  ``window``: captures held
    while extractions run ahead; ``helpers``: helper processes (0: none); ``in_flight``:
    extractions queued to each helper at most.

    The helper must not run dry while this process writes a batch (``Indexer.flush``:
    ~100 documents, ~0.1 s): with 3 extractions queued (~20 ms of work) it waited ~20 % of
    the time, with 12 in a window of 64 ~10 %, with 32 in a window of 128 ~3 % (3,000
    captures with their bodies, as a crawl's backlog hands them over, on two cores:
    12.0-12.5 -> 11.5-11.6 s, the CPU in all the same).  The window must stay well above
    ``in_flight``: with 32 in a window of 64 this process ran out of captures to extract."""

    def __init__(self, ix, window: int = 128, helpers: int = 1, nice: int = 0,
                 in_flight: int = 32):
        self.ix = ix
        self.window = window
        self.in_flight = max(1, min(in_flight, window - 1))
        self.helpers = helpers
        self.nice = nice
        self.pending: deque[list] = deque()     # [capture, Future | extraction | _UNSET]
        self.pool: ProcessPoolExecutor | None = None
        self.inflight: deque[Future] = deque()   # extractions queued to the helper
        self.in_helper = 0       # extractions done by the helper (for tests and logs)

    # -- what may be extracted ahead ---------------------------------------------------
    def _candidate(self, cap: Capture) -> bool:
        from archive.indexer import _wanted

        return (cap.record_type == "response" and cap.status == 200 and _wanted(cap)
                and (cap.body is not None or bool(cap.warc_filename)))

    def _task(self, cap: Capture) -> tuple:
        location = None
        if cap.body is None:
            location = (str(self.ix._locator.path(cap.warc_filename)), cap.warc_offset,
                        cap.warc_length)
        return cap.url, cap.content_type, cap.body, location

    # -- the pipeline ----------------------------------------------------------------------
    def add(self, cap: Capture) -> None:
        """Hold ``cap``; once the window is full, apply the oldest capture."""
        slot = [cap, _UNSET]
        self.pending.append(slot)
        if len(self.pending) >= self.window and self.helpers and self.pool is None:
            self._start_pool()
        self._top_up()
        while len(self.pending) >= self.window:
            self.step()

    def _top_up(self) -> None:
        """Keep ``in_flight`` extractions queued to the helper, giving it the latest captures
        waiting (the oldest are nearest to being applied: this process extracts those)."""
        if self.pool is None:
            return
        inflight = self.inflight      # submitted, oldest first: one helper does them in order
        while inflight and inflight[0].done():
            inflight.popleft()
        busy = len(inflight)          # with more helpers, an upper bound: fewer submitted
        for slot in reversed(self.pending):
            if busy >= self.in_flight * self.helpers:
                return
            if slot[1] is _UNSET and self._candidate(slot[0]):
                try:
                    slot[1] = self.pool.submit(extract_payload, *self._task(slot[0]))
                except RuntimeError:         # the pool broke: extract here from now on
                    self._stop_pool(broken=True)
                    return
                inflight.append(slot[1])
                busy += 1

    def step(self) -> None:
        """Apply the oldest capture; while its extraction runs in the helper, extract the
        next one waiting here."""
        head = self.pending[0]
        self._top_up()
        while isinstance(head[1], Future) and not head[1].done():
            todo = next((s for s in self.pending if s[1] is _UNSET and self._candidate(s[0])), None)
            if todo is None:
                break
            todo[1] = self._extract_here(todo[0])
            self._top_up()
        cap, got = self.pending.popleft()
        if isinstance(got, Future):
            try:
                got = got.result()
                self.in_helper += 1
            except Exception as exc:   # any failure there: extracted again inline
                logger.debug("ahead extraction of %s failed (%s): inline", cap.url, exc)
                got = None
                if self.pool is not None and getattr(self.pool, "_broken", False):
                    logger.warning("the extraction helper died: extracting in one process")
                    self._stop_pool(broken=True)
        self.ix.add(cap, None if got is _UNSET else got)

    def _extract_here(self, cap: Capture):
        try:
            return extract_payload(*self._task(cap))
        except Exception:
            return None              # Indexer.add extracts it again and records the error

    def flush(self) -> None:
        """Apply every capture held (the queue is empty for now)."""
        while self.pending:
            self.step()

    def close(self) -> None:
        """Apply what waits, then stop the helper."""
        self.flush()
        self.stop()

    def stop(self) -> None:
        """Stop the helper (what waits is not applied: after a failure)."""
        self._stop_pool()

    # -- the helper ------------------------------------------------------------------------
    def _start_pool(self) -> None:
        try:
            self.pool = ProcessPoolExecutor(
                max_workers=self.helpers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_helper_start, initargs=(self.nice,))
        except (OSError, ValueError) as exc:
            logger.warning("no helper process for extraction (%s): extracting in one", exc)
            self.helpers = 0

    def _stop_pool(self, broken: bool = False) -> None:
        if broken:
            self.helpers = 0
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.inflight.clear()
