"""A crawl's progress for a person: a status block on a terminal, plain lines elsewhere.

``UNION_PROGRESS`` (set by ``union-archive crawl --progress``; empty, Scrapy's own log on
stderr, for ``scrapy crawl``):

* ``live``: a block redrawn every second (rich): pages fetched, queued and in flight,
  the rate, documents, reports, new/changed/gone, errors, the indexer's backlog and a
  line per host;
* ``lines``: one plain line every ``UNION_PROGRESS_INTERVAL`` seconds (cron, CI, pipes);
* ``auto``: ``live`` on a terminal, else ``lines``.

While it runs, ``screen_to_log`` points the process's stderr (file descriptor 2, which the
indexer and browser children inherit) at ``DIR/logs/crawl-ID.log``, so the whole log goes
there and the screen only gets the status, warnings and errors.  The counts of documents
come from the crawls row the indexer keeps up to date in ``archive.db``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter, deque
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.contract import archive_db, crawl_progress
from crawler.signals import capture_written

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from archive.contract import Capture

MODES = ("auto", "live", "lines")
LIVE_REFRESH = 1.0  # seconds between redraws of the status block
DB_SHARE = 0.05  # at most this share of the crawl's time goes to reading archive.db
RATE_WINDOW = 10.0  # seconds of fetching the rate on a terminal is measured over

_screen = None  # the terminal (or whatever stderr was) while stderr goes to the log


def screen_to_log(settings: BaseSettings, log_path: Path) -> Callable[[], None]:
    """With ``UNION_PROGRESS`` set: stderr goes to ``log_path`` and the status to the
    stderr there was, until the function returned is called; Scrapy's own stderr handler
    is off, since the caller's log file handler already gets every record."""
    global _screen
    if not settings.get("UNION_PROGRESS"):
        return lambda: None
    settings.set("LOG_ENABLED", False, priority="cmdline")
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    _screen = open(saved, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)

    def restore() -> None:
        global _screen
        sys.stderr.flush()
        _screen.flush()
        os.dup2(saved, 2)
        os.close(saved)
        _screen = None

    return restore


def resolve_mode(value: str, stream: TextIO) -> str:
    """``auto`` as ``live`` on a terminal that can redraw, else ``lines``."""
    if value != "auto":
        return value
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return "live" if tty and os.environ.get("TERM", "") not in ("", "dumb") else "lines"


def _on_screen(record: logging.LogRecord) -> bool:
    """Warnings and errors (not Python's deprecation warnings) and Scrapy's word that a
    stop signal was received."""
    if record.name == "py.warnings":
        return False
    return record.levelno >= logging.WARNING or (
        record.name == "scrapy.crawler" and str(record.msg).startswith("Received ")
    )


class _ScreenHandler(logging.Handler):
    def __init__(self, view):
        super().__init__(logging.INFO)
        self.view = view
        self.addFilter(_on_screen)

    def emit(self, record):
        try:
            first = self.format(record).splitlines()[0] if record.msg else ""
            self.view.message(f"{record.levelname.lower()}: {first}")
        except Exception:  # noqa: BLE001 - the screen must never break the crawl
            self.handleError(record)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class LinesView:
    """One plain line a call, for logs and mail."""

    def __init__(self, out):
        self.out = out

    def show(self, s: dict) -> None:
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        self.out.write(
            f"{now} crawl {s['crawl_id']} {s['phase']} {_clock(s['elapsed'])}: "
            f"{s['pages']} pages fetched, {s['queued']} queued, {s['documents']} documents "
            f"({s['reports']} reports; {s['new']} new, {s['changed']} changed, "
            f"{s['gone']} gone), {s['errors']} errors, {s['rate']:.1f} pages/s, "
            f"{len(s['hosts'])} hosts\n"
        )
        self.out.flush()

    def message(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class LiveView:
    """The status block, redrawn in place (rich's Live display, refreshed by us)."""

    def __init__(self, out):
        from rich.console import Console
        from rich.live import Live

        self.out = out
        self.console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=False)
        self.live = Live(
            console=self.console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def _fit(self) -> None:
        try:
            size = os.get_terminal_size(self.out.fileno())
        except (OSError, ValueError):
            return
        self.console.size = (size.columns, size.lines)

    def show(self, s: dict) -> None:
        from rich.table import Table
        from rich.text import Text

        self._fit()
        head = Text()
        head.append(f"union-archive crawl {s['crawl_id']}", style="bold")
        head.append(f"  {s['phase']}  {_clock(s['elapsed'])}")
        lines = [
            head,
            Text(
                f"pages    {s['pages']} fetched  {s['queued']} queued  {s['in_flight']} in "
                f"flight  {s['rate']:.1f} pages/s"
            ),
            Text(
                f"archive  {s['documents']} documents  {s['reports']} reports  "
                f"{s['new']} new  {s['changed']} changed  {s['gone']} gone  "
                f"indexer {s['behind']} behind"
            ),
            Text(f"errors   {s['errors']}", style="red" if s["errors"] else ""),
        ]
        table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 0))
        table.add_column("host", no_wrap=True, overflow="ellipsis")
        for name in ("pages", "errors", "documents", "reports"):
            table.add_column(name, justify="right", no_wrap=True)
        room = max(1, self.console.size.height - len(lines) - 4)
        hosts = s["hosts"]
        for host, c in hosts[:room]:
            table.add_row(
                host, str(c["pages"]), str(c["errors"]), str(c["documents"]), str(c["reports"])
            )
        if len(hosts) > room:
            table.add_row(f"… {len(hosts) - room} more hosts", "", "", "", "")
        from rich.console import Group

        footer = Text(f"full log: {s['log']}", style="dim")
        self.live.update(Group(*lines, table, footer), refresh=True)

    def message(self, text: str) -> None:
        from rich.text import Text

        self.live.console.print(Text(text, style="yellow"), soft_wrap=True)

    def close(self) -> None:
        self.live.stop()


class CrawlProgress:
    """Scrapy extension: follows the crawl (captures, Scrapy's stats, the crawls row) and
    shows it through a ``LiveView`` or a ``LinesView``."""

    def __init__(self, crawler, mode: str, interval: float, out):
        s = crawler.settings
        self.crawler = crawler
        self.mode = mode
        self.interval = LIVE_REFRESH if mode == "live" else interval
        self.out = out
        self.crawl_id = s.get("UNION_CRAWL_ID")
        self.data_dir = Path(s.get("UNION_DATA_DIR"))
        self.log = self.data_dir / "logs" / f"crawl-{self.crawl_id}.log"
        self.hosts: dict[str, Counter] = {}
        self.pages = 0
        self.db_counts: dict = {}
        self.db_hosts: dict = {}
        self._db_next = 0.0
        self.started = time.monotonic()
        self.samples: deque = deque()
        self.view = None
        self.handler = None
        self.loop = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.capture, signal=capture_written)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        value = str(crawler.settings.get("UNION_PROGRESS") or "").strip().lower()
        if not value:
            raise NotConfigured
        out = _screen or sys.stderr
        if value not in MODES:  # the log is off the screen already: say so there
            out.write(
                f"warning: UNION_PROGRESS={value!r} is not one of {', '.join(MODES)}: plain lines\n"
            )
            value = "lines"
        interval = crawler.settings.getfloat("UNION_PROGRESS_INTERVAL")
        return cls(crawler, resolve_mode(value, out), max(interval, 0.1), out)

    # -- signals ---------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import task

        self.started = time.monotonic()
        self.view = LiveView(self.out) if self.mode == "live" else LinesView(self.out)
        self.handler = _ScreenHandler(self.view)
        logging.getLogger().addHandler(self.handler)
        if self.mode == "lines":
            self.view.message(
                f"crawl {self.crawl_id}: progress every {self.interval:g} s, full log in {self.log}"
            )
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=self.mode == "live")

    def capture(self, capture: Capture) -> None:
        self.pages += 1
        host = self.hosts.setdefault(urlsplit(capture.url).netloc, Counter())
        host["pages"] += 1
        if capture.error or (capture.status or 0) >= 400:
            host["errors"] += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.view is None:
            return
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self._read_db(force=True)
        from crawler.extensions import STATUS_BY_REASON

        phase = f"{STATUS_BY_REASON.get(reason, reason)}: indexing the rest"
        self.view.show(self.snapshot(phase, final=True))
        self.view.close()  # the last status stays; what the indexer's end logs goes below it

    def engine_stopped(self) -> None:
        if self.handler is not None:
            logging.getLogger().removeHandler(self.handler)
            self.handler = None

    def tick(self) -> None:
        self._read_db()
        self.view.show(self.snapshot("crawling"))

    # -- what is shown -------------------------------------------------------------------
    def _read_db(self, force: bool = False) -> None:
        """The indexer's counts from the crawls row and the documents per host, read no
        more often than keeps this under ``DB_SHARE`` of the time."""
        now = time.monotonic()
        if not force and now < self._db_next:
            return
        row, hosts = crawl_progress(archive_db(self.data_dir), self.crawl_id)
        if row or hosts:  # nothing while it is being created or locked: the next tick reads it
            self.db_counts, self.db_hosts = row, hosts
        cost = time.monotonic() - now
        self._db_next = now + max(self.interval, cost / DB_SHARE)

    def _rate(self, now: float) -> float:
        self.samples.append((now, self.pages))
        window = RATE_WINDOW if self.mode == "live" else self.interval
        while len(self.samples) > 2 and now - self.samples[1][0] >= window:
            self.samples.popleft()
        (t0, p0), (t1, p1) = self.samples[0], self.samples[-1]
        if t1 - t0 <= 0:
            return 0.0
        return (p1 - p0) / (t1 - t0)

    def snapshot(self, phase: str, final: bool = False) -> dict:
        """What is shown now; ``final``: the fetching is over, so the rate is the crawl's
        average (the recent rate would be nothing)."""
        now = time.monotonic()
        stats = self.crawler.stats
        enq = stats.get_value("scheduler/enqueued", stats.get_value("scheduler/enqueued/redis", 0))
        deq = stats.get_value("scheduler/dequeued", stats.get_value("scheduler/dequeued/redis", 0))
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        c = self.db_counts
        hosts = []
        for host in set(self.hosts) | set(self.db_hosts):
            counts = self.hosts.get(host, Counter())
            docs, reports = self.db_hosts.get(host, (0, 0))
            hosts.append(
                (
                    host,
                    {
                        "pages": counts["pages"],
                        "errors": counts["errors"],
                        "documents": docs,
                        "reports": reports,
                    },
                )
            )
        hosts.sort(key=lambda h: (-h[1]["pages"], h[0]))
        return {
            "crawl_id": self.crawl_id,
            "phase": phase,
            "elapsed": now - self.started,
            "pages": self.pages,
            "queued": max(0, (enq or 0) - (deq or 0)),
            "in_flight": sum(
                len(slot.transferring) for slot in getattr(downloader, "slots", {}).values()
            ),
            "rate": self.pages / max(now - self.started, 1e-9) if final else self._rate(now),
            "documents": c.get("documents") or 0,
            "reports": c.get("reports") or 0,
            "new": c.get("new_documents") or 0,
            "changed": c.get("changed") or 0,
            "gone": c.get("gone") or 0,
            "errors": max(c.get("errors") or 0, sum(h["errors"] for _, h in hosts)),
            "behind": max(0, self.pages - (c.get("pages") or 0)) if c else self.pages,
            "hosts": hosts,
            "log": str(self.log),
        }
