"""The crawl command, and the command line of a loopback crawl (``crawl_command``)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from urllib.parse import urlsplit

import click

from cli.main import data_option, fail, writable_dir

EXIT_INTERRUPTED = 3  # the crawl was stopped (SIGTERM/SIGINT): `crawl --resume` continues it


def crawl_summary(row: dict | None) -> str:
    """One line for a crawls row: its status and counts."""
    if not row:
        return "no crawl row was written"
    if "pages" not in row:  # its row could not be read (a full disk)
        return f"crawl {row['id']} {row['status']}"
    return (
        f"crawl {row['id']} {row['status']}: {row['pages']} pages, {row['documents']} documents "
        f"({row['reports']} reports; {row.get('new_documents') or 0} new, "
        f"{row.get('changed') or 0} changed, {row.get('unchanged') or 0} unchanged), "
        f"{row['errors']} errors" + (f", {row['gone']} gone" if row.get("gone") else "")
    )


def write_crawl_report(data_dir: Path, crawl_id: str) -> None:
    """The crawl's report (archive.publish.report), for crawl and reindex; a report that cannot
    be written is a warning."""
    from archive.publish.report import ReportError, write_report

    try:
        click.echo(f"report: {write_report(data_dir, crawl_id)}")
    except (OSError, ReportError, sqlite3.Error) as exc:
        click.echo(f"union-archive: warning: no crawl report: {exc}", err=True)


def _parse_settings(pairs) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            fail(f"-s expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key] = value
    return out


@click.command()
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="Entry page (repeatable). Without it, the sources file is crawled.",
)
@click.option(
    "--sources",
    type=click.Path(path_type=Path),
    default=None,
    help="Sources file (default: the shipped live sources, crawler/sources.yml).",
)
@data_option
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    default=0,
    help="Stop after N responses (0: no limit).",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds between requests to one host (default 1.0; Crawl-delay may raise it).",
)
@click.option("--allow-loopback", is_flag=True, help="Allow 127.0.0.0/8 and localhost targets.")
@click.option("--allow-private", is_flag=True, help="Allow private and link-local address ranges.")
@click.option(
    "--host-budget",
    type=click.IntRange(min=0),
    default=None,
    help="At most N pages per host in this run (UNION_HOST_PAGE_BUDGET; 0: no limit).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the last interrupted crawl of this archive (same crawl id).",
)
@click.option(
    "--recheck",
    type=click.Choice(["due", "all"]),
    default=None,
    help="Archived articles and attachments to re-check: those due by their revisit "
    "schedule (default) or all of them now.",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy setting (repeatable).",
)
@click.option(
    "--redis",
    "redis_url",
    default=None,
    metavar="URL",
    help="Share the frontier with other workers in this Redis (scrapy-redis); this "
    "worker writes into DIR/workers/NAME. Build the archive afterwards with "
    "`union-archive reindex --data DIR`.",
)
@click.option(
    "--worker",
    default=None,
    metavar="NAME",
    help="Name of this worker with --redis (default: the host name); distinct per process.",
)
@click.option(
    "--wait-workers",
    type=click.IntRange(min=1),
    default=1,
    metavar="N",
    help="With --redis: start crawling once N workers have joined (at most 120 s).",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "live", "lines", "log"]),
    default="auto",
    show_default=True,
    help="What the screen shows: a status block redrawn in place (live), a plain line "
    "every UNION_PROGRESS_INTERVAL seconds (lines), live on a terminal and lines "
    "elsewhere (auto), or Scrapy's whole log as before (log). Except with log, "
    "the log goes to DIR/logs/crawl-ID.log only.",
)
def crawl(
    start_urls: tuple[str, ...],
    sources: Path | None,
    data_dir: Path,
    max_pages: int,
    delay: float | None,
    allow_loopback: bool,
    allow_private: bool,
    host_budget: int | None,
    resume: bool,
    recheck: str | None,
    settings: tuple[str, ...],
    redis_url: str | None,
    worker: str | None,
    wait_workers: int,
    progress: str,
) -> None:
    """Crawl portals, write WARC files and the SQLite archive.

    Exit status: 0 finished, 1 failed, 3 interrupted (resume with --resume),
    75 the archive is in use by another run."""
    archive_dir = data_dir
    worker, data_dir = _worker_dir(archive_dir, redis_url, worker, resume)
    _check_free(data_dir)
    start_urls, browser_hosts = _start_urls(data_dir, start_urls, sources, resume)
    _check_targets(start_urls, allow_loopback, allow_private)
    overrides = _checked_overrides(data_dir, settings)
    writable_dir(data_dir)
    _check_reachable(start_urls)
    overrides.update(UNION_ALLOW_LOOPBACK=allow_loopback, UNION_ALLOW_PRIVATE=allow_private)
    _add_option_settings(overrides, progress, browser_hosts, max_pages, host_budget, recheck, delay)
    if redis_url:
        resume = _join_redis(redis_url, worker, data_dir, overrides, wait_workers)
    row = _run(start_urls, data_dir, overrides, resume)
    _report(row, data_dir, archive_dir, overrides, redis_url, worker)


def _worker_dir(
    archive_dir: Path, redis_url: str | None, worker: str | None, resume: bool
) -> tuple[str | None, Path]:
    """This worker's name and data directory: with --redis, DIR/workers/NAME."""
    if worker is not None and not redis_url:
        fail("--worker needs --redis")
    if not redis_url:
        return worker, archive_dir
    import re

    from archive.warc.dirs import WORKERS_DIR
    from crawler.distributed import default_worker_name

    worker = worker or default_worker_name()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", worker):
        fail(f"--worker {worker!r}: letters, digits, '.', '_', '-' only")
    if resume:
        fail(
            "--resume does not apply to --redis: the frontier is in Redis; start the "
            "worker again under the same --worker name to continue"
        )
    return worker, archive_dir / WORKERS_DIR / worker


def _check_free(data_dir: Path) -> None:
    """Refuse a data directory another run holds (exit 75) or that cannot be written."""
    from crawler.lock import EXIT_LOCKED, LockedError, check_free

    try:
        check_free(data_dir)
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    except OSError as exc:
        fail(f"cannot write to {data_dir}: {exc.strerror or exc}")


def _start_urls(
    data_dir: Path, start_urls: tuple[str, ...], sources: Path | None, resume: bool
) -> tuple[list[str], list[str]]:
    """The start URLs (given, the interrupted crawl's with --resume, else the sources
    file's) and the hosts of sources marked `render: browser` (crawler/browser.py)."""
    from crawler.run import resumable
    from crawler.sources import SourcesError, load_sources

    if resume and not start_urls and sources is None:
        row = resumable(data_dir)
        if row is None:
            fail(f"no interrupted crawl to resume in {data_dir}")
        start_urls = [u for u in (row["start_urls"] or "").split("\n") if u]
    if start_urls:
        return list(start_urls), []
    try:
        listed = load_sources(sources)
    except SourcesError as exc:
        fail(str(exc))
    browser_hosts = [s["url"].split("/")[2].lower() for s in listed if s.get("render") == "browser"]
    return [s["url"] for s in listed], browser_hosts


def _check_targets(start_urls: list[str], allow_loopback: bool, allow_private: bool) -> None:
    """Refuse a start URL out of scope, by its form first, then by the addresses its host
    name resolves to."""
    from crawler.addresses import resolved_refusal
    from crawler.middlewares import check_url

    for url in start_urls:
        why = check_url(url, allow_loopback, allow_private)
        if why:
            fail(why)
    for url in start_urls:
        parts = urlsplit(url)
        why = resolved_refusal(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            allow_loopback,
            allow_private,
        )
        if why:
            fail(f"{url}: {why}")


def _checked_overrides(data_dir: Path, pairs: tuple[str, ...]) -> dict:
    """The -s settings, checked before anything goes over the network, and the free
    space they ask for."""
    from crawler.run import check_overrides
    from crawler.warc.writer import compression

    overrides = _parse_settings(pairs)
    try:
        compression(overrides.get("WARC_COMPRESSOR"), overrides.get("WARC_GZIP_LEVEL"))
    except ValueError as exc:
        fail(str(exc))
    why = check_overrides(overrides)
    if why:
        fail(why)
    _check_space(data_dir, overrides)  # reads the settings: only once they are known good
    return overrides


def _check_reachable(start_urls: list[str]) -> None:
    """Refuse a crawl none of whose hosts can be reached; warn of each one that cannot."""
    from crawler.run import unreachable

    problems = unreachable(list(start_urls))
    if len(problems) == len({u.split("/")[2] for u in start_urls}):
        fail("; ".join(problems))
    for p in problems:
        click.echo(f"union-archive: warning: {p}", err=True)


def _add_option_settings(
    overrides: dict,
    progress: str,
    browser_hosts: list[str],
    max_pages: int,
    host_budget: int | None,
    recheck: str | None,
    delay: float | None,
) -> None:
    """The settings the command's options stand for; a -s setting of the same name wins
    where the option only suggests one."""
    if progress != "log":
        overrides.setdefault("UNION_PROGRESS", progress)
    if browser_hosts:
        overrides.setdefault("UNION_BROWSER_HOSTS", browser_hosts)
    if max_pages:
        overrides["CLOSESPIDER_PAGECOUNT"] = max_pages
    if host_budget is not None:
        overrides["UNION_HOST_PAGE_BUDGET"] = host_budget
    if recheck is not None:
        overrides["UNION_RECHECK"] = recheck
    if delay is not None:
        overrides.update(DOWNLOAD_DELAY=delay, AUTOTHROTTLE_START_DELAY=max(delay, 0.01))
        if delay == 0:
            overrides.update(AUTOTHROTTLE_ENABLED=False, RANDOMIZE_DOWNLOAD_DELAY=False)


def _run(start_urls: list[str], data_dir: Path, overrides: dict, resume: bool) -> dict | None:
    """The crawl in this process; its crawls row (None if none was written)."""
    from crawler.lock import EXIT_LOCKED, LockedError
    from crawler.run import ResumeError, run_crawl

    try:
        return run_crawl(list(start_urls), data_dir, overrides, resume=resume)
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    except ResumeError as exc:
        fail(str(exc))


def _report(
    row: dict | None,
    data_dir: Path,
    archive_dir: Path,
    overrides: dict,
    redis_url: str | None,
    worker: str | None,
) -> None:
    """The crawl's summary, report and next step on the screen; exits 3 when it was
    interrupted, 1 when it did not finish."""
    stopped = row.pop("stopped", None) if row else None
    click.echo(crawl_summary(row))
    if row:
        write_crawl_report(data_dir, row["id"])
    if stopped:
        click.echo(
            f"union-archive: error: the crawl stopped: {stopped}; free some space, then: "
            f"union-archive crawl --data {data_dir} --resume",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    if redis_url and row and str(row["status"]).startswith("finished"):
        _leave_redis(redis_url, worker, overrides, archive_dir)
    warc = overrides.get("WARC_DIR") or data_dir / "warc"
    click.echo(f"archive: {data_dir / 'archive.db'}  WARC: {warc}")
    if row and row["status"] == "interrupted":
        click.echo(
            f"continue with: union-archive crawl --data {archive_dir} --redis {redis_url} "
            f"--worker {worker} ..."
            if redis_url
            else f"resume with: union-archive crawl --data {data_dir} --resume",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    if row and row["status"] == "indexer failed":
        click.echo(
            f"union-archive: error: the indexer stopped during the crawl; every capture "
            f"is in the WARC files: union-archive reindex --data {data_dir} builds the "
            f"archive from them",
            err=True,
        )
    if not row or not str(row["status"]).startswith("finished"):
        sys.exit(1)


def _leave_redis(redis_url: str, worker: str, overrides: dict, archive_dir: Path) -> None:
    """This worker leaves the crawl in Redis; the last one says how to build the archive."""
    from crawler.distributed import leave

    last = leave(redis_url, worker, overrides.get("UNION_REDIS_KEY"))
    click.echo(
        f"worker {worker} done"
        + (
            f"; it was the last one: build the archive with "
            f"union-archive reindex --data {archive_dir}"
            if last
            else "; other workers of this crawl are still running"
        )
    )


def _check_space(data_dir: Path, overrides: dict) -> None:
    """Refuse to start below the free-space reserve (UNION_MIN_FREE_SPACE), in one line."""
    from crawler.diskspace import low_space
    from crawler.run import crawl_settings

    settings = crawl_settings(data_dir, overrides)
    try:
        reserve = settings.getint("UNION_MIN_FREE_SPACE")
    except ValueError:
        fail(
            f"UNION_MIN_FREE_SPACE must be a number of bytes, got "
            f"{settings.get('UNION_MIN_FREE_SPACE')!r}"
        )
    why = low_space([data_dir, settings.get("WARC_DIR") or data_dir / "warc"], reserve)
    if why:
        fail(f"not starting: {why}")


def _join_redis(url: str, worker: str, data_dir: Path, overrides: dict, wait: int = 1) -> bool:
    """Join the workers of the crawl in Redis; puts its settings into ``overrides`` (the
    user's -s settings win) and says whether this worker continues its own crawl row."""
    import secrets
    from datetime import datetime

    from crawler.distributed import DEFAULT_KEY, RedisError, join, redis_settings
    from crawler.run import resumable

    prefix = overrides.get("UNION_REDIS_KEY") or DEFAULT_KEY
    new_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    try:
        crawl_id = join(url, worker, new_id, prefix)
    except RedisError as exc:
        fail(str(exc))
    for key, value in redis_settings(url, worker, crawl_id, prefix).items():
        overrides.setdefault(key, value)
    overrides["UNION_CRAWL_ID"] = crawl_id
    click.echo(
        f"worker {worker}: crawl {crawl_id} ({'joined' if crawl_id != new_id else 'new'}), "
        f"frontier in {url}, data in {data_dir}",
        err=True,
    )
    if wait > 1:
        from crawler.distributed import wait_for_workers

        n = wait_for_workers(url, wait, prefix)
        if n < wait:
            click.echo(
                f"union-archive: warning: only {n} of {wait} workers joined; crawling", err=True
            )
    unfinished = resumable(data_dir)
    return bool(unfinished and unfinished["id"] == crawl_id)  # restarted after a kill


def crawl_command(data_dir: Path, start_urls: Iterable[str], *options: str) -> list[str]:
    """The command line that crawls the loopback portals at ``start_urls`` into ``data_dir``
    with no delay between requests (the demo's crawl, and the tests' crawls of the zoo);
    ``options``: more options of ``crawl``."""
    cmd = [sys.executable, "-m", "cli.main", "crawl", "--data", str(data_dir)]
    cmd += ["--allow-loopback", "--delay", "0", *options]
    for url in start_urls:
        cmd += ["--start-url", url]
    return cmd
