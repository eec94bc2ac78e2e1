"""Run one crawl in this process: Scrapy + WARC capture + indexer child.

Around the Scrapy run (see docs/scheduling.md):
* the data directory's lock (``crawler.lock``) is held for the whole run;
* leftovers of a killed run are put right first: ``crawls`` rows still marked
  running become ``interrupted``, half-written ``.open`` WARC files are cut back to
  their last complete record and their records go into the capture state (so a
  resumed or next crawl asks for them with conditional GET instead of storing them again);
* the frontier lives in Scrapy's JOBDIR, ``DIR/jobs/<crawl_id>``; it is trusted on
  ``--resume`` only if the run ended cleanly (SIGTERM/SIGINT, a marker written at
  spider close).  After a SIGKILL it is dropped and the crawl restarts from its
  start URLs under the same crawl id: list pages are read again, everything already
  captured answers 304 and is a revisit.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.contract import (
    archive_db,
    crawl_row,
    latest_unfinished,
    mark_interrupted,
    own_warc_dirs,
)
from crawler.diskspace import DISK_FULL, STOP_DETAIL_STAT

if TYPE_CHECKING:
    from crawler.revisit import RevisitPolicy

logger = logging.getLogger(__name__)

CLEAN_MARKER = "clean-shutdown"  # written into the JOBDIR by crawler.extensions
UNFINISHED = ("running", "interrupted")


class ResumeError(Exception):
    pass


def crawl_settings(data_dir: Path, overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("UNION_DATA_DIR", str(data_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def check_overrides(overrides: dict) -> str | None:
    """One line for the first ``-s KEY=VALUE`` whose value cannot be read as its setting's
    default is (a boolean, a number or a dict), else None."""
    from scrapy.settings import default_settings

    import crawler.settings as ours

    for key, value in overrides.items():
        default = getattr(ours, key, getattr(default_settings, key, None))
        for kind, read, expected in (
            (bool, Settings.getbool, "a boolean (0/1, true/false)"),
            ((int, float), Settings.getfloat, "a number"),
            (dict, Settings.getdict, "a dict (JSON)"),
        ):
            if isinstance(default, kind):
                try:
                    read(Settings({key: value}), key)
                except (TypeError, ValueError):
                    return f"-s {key}={value}: expected {expected}"
                break
    return None


def unreachable(urls: list[str], timeout: float = 5.0) -> list[str]:
    """One line per start host that cannot be reached at all (DNS or TCP)."""
    problems = []
    for host, port in sorted(
        {
            (
                urlsplit(u).hostname,
                urlsplit(u).port or (443 if urlsplit(u).scheme == "https" else 80),
            )
            for u in urls
        }
    ):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            problems.append(f"cannot reach {host}:{port}: {reason}")
    return problems


def _stop_reason(jobdir: Path) -> str | None:
    """Why the spider closed (CLEAN_MARKER's text), None when it did not close cleanly."""
    try:
        reason = (jobdir / CLEAN_MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return reason or None  # empty: its write failed (a full disk)


def _ran_to_its_end(jobdir: Path) -> bool:
    """Did the spider close for a reason other than a stop signal or a full disk?"""
    return _stop_reason(jobdir) not in (None, "shutdown", DISK_FULL)


def resumable(data_dir: Path) -> dict | None:
    """The latest crawl that did not finish (interrupted, or running when it was killed)."""
    return latest_unfinished(archive_db(data_dir))


def put_right(data_dir: Path, policy: RevisitPolicy | None = None) -> dict:
    """Repair what a killed run left behind.  Call with the data directory's lock held.
    ``policy``: the crawl's ``crawler.revisit.RevisitPolicy`` (default: the defaults)."""
    from crawler.warc.state import STATE_FILE, CaptureState, rebuild
    from crawler.warc.writer import recover_open_files

    done = {"interrupted": [], "recovered": []}
    done["interrupted"] = mark_interrupted(archive_db(data_dir))
    recovered = [p for d in own_warc_dirs(data_dir) if d.is_dir() for p in recover_open_files(d)]
    if recovered:
        state = CaptureState(data_dir / STATE_FILE)
        try:
            rebuild(
                state, recovered, policy=policy
            )  # their records were never committed to the state
        finally:
            state.close()
    done["recovered"] = [p.name for p in recovered]
    for crawl_id in done["interrupted"]:
        logger.warning("crawl %s was killed: marked interrupted", crawl_id)
    return done


def _prepare_jobdir(jobdir: Path, resume: bool) -> bool:
    """True when the saved frontier can be used as it is."""
    marker = jobdir / CLEAN_MARKER
    reason = _stop_reason(jobdir)
    # a frontier saved on a full disk may lack requests: not trusted either
    clean = resume and reason is not None and reason != DISK_FULL
    if jobdir.exists() and not clean:
        if resume:
            logger.warning(
                "the frontier in %s was not saved cleanly (%s): "
                "starting again from the start URLs; what was captured comes back "
                "as 304 revisits",
                jobdir,
                "the disk was full" if reason == DISK_FULL else "the crawl was killed",
            )
        shutil.rmtree(jobdir)
    marker.unlink(missing_ok=True)
    jobdir.mkdir(parents=True, exist_ok=True)
    return clean


class _LogFile(logging.FileHandler):
    """The crawl's log file; a line it cannot write (a full disk) is only on stderr."""

    def handleError(self, record):
        pass

    def close(self):
        try:
            super().close()
        except OSError:
            pass


class _EarlyStop:
    """Catches SIGTERM/SIGINT from the moment the crawl starts until Scrapy installs its
    shutdown handlers (after the reactor has started, a second or more after the data
    directory is locked); a signal caught here becomes Scrapy's own graceful stop as soon
    as the reactor runs, instead of killing the process half way through start-up."""

    def __init__(self):
        self.signum = None
        self.process = None
        self.routed = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, self._caught)
            except ValueError:  # not the main thread: Scrapy's handlers are not used either
                pass

    def _caught(self, signum, _frame):
        self.signum = signum
        if self.process is None:
            return  # importing twisted's reactor now would install the wrong one
        from twisted.internet import reactor

        if reactor.running:
            self._route()

    def _route(self):
        if self.signum is not None and not self.routed:
            self.routed = True
            self.process._signal_shutdown(self.signum, None)  # Scrapy's own graceful stop

    def hand_over(self, process) -> None:
        from twisted.internet import reactor

        self.process = process
        reactor.callWhenRunning(self._route)


def run_crawl(
    start_urls: list[str], data_dir: Path, overrides: dict | None = None, resume: bool = False
) -> dict | None:
    """Crawl, capture and index; returns the crawls row of this run, with ``stopped``
    (one line) when the crawl stopped early for lack of space.

    ``resume``: continue the latest unfinished crawl (same id; its start URLs unless
    ``start_urls`` are given).  Raises ``crawler.lock.LockedError`` when another run
    holds the data directory, ``ResumeError`` when there is nothing to resume.
    """
    from crawler.lock import DataDirLock
    from crawler.spiders.union import UnionSpider

    data_dir = Path(data_dir)
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    settings = crawl_settings(data_dir, overrides)
    early = _EarlyStop()  # SIGTERM/SIGINT before Scrapy's own handlers: a clean stop too
    with DataDirLock(data_dir, "crawl") as lock:
        from crawler.revisit import RevisitPolicy

        put_right(data_dir, RevisitPolicy.from_settings(settings))
        if resume:
            row = resumable(data_dir)
            if row is None:
                raise ResumeError(f"no interrupted crawl to resume in {data_dir}")
            settings.set("UNION_CRAWL_ID", row["id"], priority="cmdline")
            settings.set("UNION_RESUME", True, priority="cmdline")
            start_urls = list(start_urls) or [u for u in (row["start_urls"] or "").split("\n") if u]
        crawl_id = settings.get("UNION_CRAWL_ID")
        lock.write(crawl_id=crawl_id)
        jobdir = data_dir / "jobs" / crawl_id
        if not settings.get("JOBDIR"):
            _prepare_jobdir(jobdir, resume)
            settings.set("JOBDIR", str(jobdir), priority="cmdline")
        log_file = _LogFile(data_dir / "logs" / f"crawl-{crawl_id}.log", encoding="utf-8")
        log_file.setFormatter(
            logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s")
        )
        logging.getLogger().addHandler(log_file)
        from crawler.progress import screen_to_log

        restore_screen = screen_to_log(settings, Path(log_file.baseFilename))  # UNION_PROGRESS
        try:
            process = CrawlerProcess(settings, install_root_handler=True)
            crawler = process.create_crawler(UnionSpider)
            process.crawl(crawler, start_urls=start_urls)
            early.hand_over(process)
            process.start()
            from crawler.extensions import finish_open_bridges

            finish_open_bridges()  # a stop that came before spider_closed could run
        finally:
            restore_screen()
            logging.getLogger().removeHandler(log_file)
            log_file.close()
        stopped = crawler.stats.get_value(STOP_DETAIL_STAT)
        row = crawl_row(archive_db(data_dir), crawl_id)
        if row and str(row["status"]).startswith("finished"):
            shutil.rmtree(jobdir, ignore_errors=True)  # nothing left to resume
        elif row and row["status"] == "indexer failed" and _ran_to_its_end(jobdir):
            shutil.rmtree(jobdir, ignore_errors=True)  # fetched all: reindex, not resume
    if stopped:  # the crawl stopped early (a full disk): why, in one line
        row = dict(row or {"id": crawl_id}, stopped=stopped)
        if row.get("status", "running") == "running":  # the next run marks it so
            row["status"] = "interrupted"
    return dict(row) if row else None
