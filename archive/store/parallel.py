"""Extraction ahead of the indexer's writes: a second core for a backlog.

Extraction (``archive.extract.page.process_capture``) is most of the indexer's work and a
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

The helper is a process of its own with two pipes (tasks in, results out, each in the
order sent), driven by the indexer's main thread: no executor threads.  With
``concurrent.futures.ProcessPoolExecutor`` a thread of the indexer would move every task
to the helper and every result back, needing the GIL for each step while the main
thread holds it for extraction: the helper would wait on it, and the main thread would
lose time waking that thread.  Here a task is a few
hundred bytes, sent only while the task pipe has room for every task not yet answered
(so sending never blocks, and helper and indexer can never wait on each other), and
results are read as they come, each time a capture is added or applied.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
from collections import deque
from typing import TYPE_CHECKING

from archive.capture import Capture

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from archive.extract.page import Extraction

logger = logging.getLogger(__name__)

_UNSET = object()  # not extracted yet
_SENT = object()  # sent to a helper, its result not read yet
_FAILED = object()  # the helper could not extract it: extracted again inline
_PIPE_SIZE = 1 << 20  # asked for each pipe (Linux F_SETPIPE_SZ; /proc/sys/fs/pipe-max-size)
_PAGE = 4096  # a pipe holds its size / _PAGE buffers, each at most one page


def _helper_start(nice: int) -> None:
    """The helper: dies with the indexer (Linux: SIGKILL when its parent goes), and is a
    crawl child like the indexer (``archive.store.process.as_crawl_child``)."""
    import ctypes
    import os
    import signal

    from archive.store.process import as_crawl_child

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent went before prctl took effect
        os._exit(0)
    as_crawl_child(nice)


def extract_payload(
    url: str, content_type: str | None, body: bytes | None, location: tuple[str, int, int] | None
) -> Extraction | None:
    """The helper's task: the payload (given, or read from its WARC record), extracted."""
    from archive.extract.page import process_capture

    if body is None:
        from archive.warc.read import read_payload

        body = read_payload(*location)
    if not body:
        return None
    from archive.store.documents import prepare_documents

    ex = process_capture(url, content_type, body)
    if prepare_documents(ex):  # folded text, signature, index forms: work done here too
        # left out of the result the helper pickles back (a smaller pickle), as only
        # making the forms above read them: the body lines (and stitch(), for multi-page
        # articles, which are not prepared) and the folded text
        ex.lines = []
        for doc in ex.documents:
            doc.pop("_folded", None)
    return ex


def _grow_pipe(conn) -> int:
    """Ask for a ``_PIPE_SIZE`` pipe buffer; returns the size it has (64 KB: Linux's
    default, and what is assumed where the size cannot be read)."""
    try:
        import fcntl

        fd = conn.fileno()
        try:
            fcntl.fcntl(fd, 1031, _PIPE_SIZE)  # F_SETPIPE_SZ
        except OSError:
            pass
        return fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
    except (ImportError, OSError, ValueError):
        return 1 << 16


def helper_main(tasks: Connection, results: Connection, nice: int = 0) -> None:
    """The helper process: (url, content type, body, location) tasks in, in order;
    (True, extraction) or (False, None) out, in the same order.  Ends at None, or when
    either pipe is closed (the indexer stopped or died)."""
    _helper_start(nice)
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            data = pickle.dumps((True, extract_payload(*task)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # any failure: the indexer extracts it inline
            data = pickle.dumps((False, None))
        try:
            results.send_bytes(data)
        except OSError:  # the indexer closed its end: it is stopping
            return


def _buffers(size: int) -> int:
    """Pipe buffers a message of ``size`` bytes may take at most: ``send_bytes`` writes
    its 4-byte header apart from a payload over 16 KB, and a write fills the last buffer's
    page before it takes new ones."""
    return -(-(size + 4) // _PAGE) + 2


class _Helper:
    """One helper process and its two pipes.  ``sent``: the slots whose tasks it has, in
    the order sent (its results come back in that order).  A task is sent only when the
    task pipe has room for it and every task not yet answered (counted in pipe buffers,
    ``room``), or when the helper has nothing left (it is reading): so sending never
    blocks, and indexer and helper never wait on each other (one on a full task pipe,
    the other on a full result pipe)."""

    def __init__(self, nice: int):
        ctx = multiprocessing.get_context("spawn")
        task_r, self.tasks = ctx.Pipe(duplex=False)
        self.results, result_w = ctx.Pipe(duplex=False)
        self.room = max(1, _grow_pipe(self.tasks) // _PAGE)
        _grow_pipe(self.results)
        self.proc = ctx.Process(
            target=helper_main, args=(task_r, result_w, nice), name="union-extract", daemon=True
        )
        self.proc.start()
        task_r.close()
        result_w.close()
        self.sent: deque[tuple[list, int]] = deque()  # (slot, its task's pipe buffers)
        self.in_pipe = 0  # pipe buffers of the tasks not answered yet, at most

    def fits(self, data: bytes) -> bool:
        return not self.sent or self.in_pipe + _buffers(len(data)) <= self.room

    def send(self, slot: list, data: bytes) -> None:
        self.tasks.send_bytes(data)
        self.sent.append((slot, _buffers(len(data))))
        self.in_pipe += self.sent[-1][1]

    def receive(self) -> bool:
        """Read one result into its slot (blocks until there is one); True if extracted."""
        ok, ex = pickle.loads(self.results.recv_bytes())
        slot, size = self.sent.popleft()
        self.in_pipe -= size
        slot[1] = ex if ok else _FAILED
        return ok

    def ready(self) -> bool:
        return bool(self.sent) and self.results.poll(0)

    def stop(self) -> None:
        """Stop the process; results not read are dropped (their slots: extracted inline)."""
        for slot, _size in self.sent:
            slot[1] = _UNSET
        self.sent.clear()
        self.in_pipe = 0
        self.results.close()  # a helper blocked sending a result gets an error: ends
        try:
            self.tasks.send(None)
        except OSError:
            pass
        self.tasks.close()  # ... and one waiting for a task, end of file
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


class AheadIndexer:
    """``add`` captures in order; ``close`` applies what waits.  ``window``: captures held
    while extractions run ahead; ``helpers``: helper processes (0: none); ``in_flight``:
    extractions queued to each helper at most.

    The helper must not run dry while this process writes a batch (``Indexer.flush``), so
    enough extractions are queued to it to outlast a batch's write (docs/performance.md
    has the measurements).  The window must stay well above ``in_flight``, or this
    process runs out of captures to extract."""

    def __init__(self, ix, window: int = 128, helpers: int = 1, nice: int = 0, in_flight: int = 32):
        self.ix = ix
        self.window = window
        self.in_flight = max(1, min(in_flight, window - 1))
        self.helpers = helpers
        self.nice = nice
        self.pending: deque[list] = deque()  # [capture, state], state: _UNSET, _SENT,
        #                                         _FAILED or the extraction
        self.pool: list[_Helper] | None = None  # the helper processes, once started
        self.in_helper = 0  # extractions done by the helper (for tests and logs)

    # -- what may be extracted ahead ---------------------------------------------------
    def _candidate(self, cap: Capture) -> bool:
        from archive.store.documents import wanted

        return (
            cap.record_type == "response"
            and cap.status == 200
            and wanted(cap)
            and (cap.body is not None or bool(cap.warc_filename))
        )

    def _task(self, cap: Capture) -> tuple:
        location = None
        if cap.body is None:
            location = (
                str(self.ix._locator.path(cap.warc_filename)),
                cap.warc_offset,
                cap.warc_length,
            )
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

    def _collect(self) -> None:
        """Read every result that has come back."""
        for helper in self.pool or ():
            try:
                while helper.ready():
                    self.in_helper += helper.receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                self._helper_died()
                return

    def _top_up(self) -> None:
        """Keep ``in_flight`` extractions queued to each helper, giving it the latest
        captures waiting (the oldest are nearest to being applied: this process extracts
        those)."""
        if self.pool is None:
            return
        self._collect()
        pool = self.pool
        if pool is None:
            return
        helper = pool[0] if len(pool) == 1 else min(pool, key=lambda h: len(h.sent))
        for slot in reversed(self.pending):
            if len(helper.sent) >= self.in_flight:
                return
            if slot[1] is not _UNSET or not self._candidate(slot[0]):
                continue
            data = pickle.dumps(self._task(slot[0]), protocol=pickle.HIGHEST_PROTOCOL)
            if not helper.fits(data):
                return  # the pipe may be full: wait for answers
            slot[1] = _SENT
            try:
                helper.send(slot, data)
            except OSError:
                slot[1] = _UNSET
                self._helper_died()
                return
            if len(pool) > 1:
                helper = min(pool, key=lambda h: len(h.sent))

    def _helper_of(self, slot: list) -> _Helper | None:
        for helper in self.pool or ():
            if any(s is slot for s, _size in helper.sent):
                return helper
        return None

    def step(self) -> None:
        """Apply the oldest capture; while its extraction runs in the helper, extract the
        next one waiting here."""
        head = self.pending[0]
        self._top_up()
        while head[1] is _SENT:
            todo = next((s for s in self.pending if s[1] is _UNSET and self._candidate(s[0])), None)
            if todo is None:
                break
            todo[1] = self._extract_here(todo[0])
            self._top_up()
        if head[1] is _SENT:  # nothing left to do here: wait for the helper
            helper = self._helper_of(head)
            try:
                while head[1] is _SENT:
                    self.in_helper += helper.receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                self._helper_died()
        cap, got = self.pending.popleft()
        if got is _FAILED:  # any failure there: extracted again inline
            logger.debug("ahead extraction of %s failed: inline", cap.url)
            got = None
        self.ix.add(cap, None if got is _UNSET else got)

    def _extract_here(self, cap: Capture):
        try:
            return extract_payload(*self._task(cap))
        except Exception:
            return None  # Indexer.add extracts it again and records the error

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
            self.pool = [_Helper(self.nice) for _ in range(self.helpers)]
        except (OSError, ValueError) as exc:
            logger.warning("no helper process for extraction (%s): extracting in one", exc)
            self.helpers = 0
            self.pool = None

    def _helper_died(self) -> None:
        logger.warning("the extraction helper died: extracting in one process")
        self._stop_pool(broken=True)

    def _stop_pool(self, broken: bool = False) -> None:
        if broken:
            self.helpers = 0
        pool, self.pool = self.pool, None
        for helper in pool or ():
            helper.stop()
