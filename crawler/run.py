"""Run one crawl in this process: Scrapy + WARC capture + indexer child."""
from __future__ import annotations

import logging
import socket
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings


def crawl_settings(data_dir: Path, overrides: dict | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("UNION_DATA_DIR", str(data_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def unreachable(urls: list[str], timeout: float = 5.0) -> list[str]:
    """One line per start host that cannot be reached at all (DNS or TCP)."""
    problems = []
    for host, port in sorted({(urlsplit(u).hostname, urlsplit(u).port or
                               (443 if urlsplit(u).scheme == "https" else 80)) for u in urls}):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            problems.append(f"cannot reach {host}:{port}: {reason}")
    return problems


def run_crawl(start_urls: list[str], data_dir: Path, overrides: dict | None = None) -> dict | None:
    """Crawl, capture and index; returns the crawls row of this run."""
    from crawler.spiders.union import UnionSpider
    import archive.store as store

    data_dir = Path(data_dir)
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    settings = crawl_settings(data_dir, overrides)
    crawl_id = settings.get("UNION_CRAWL_ID")
    log_file = logging.FileHandler(data_dir / "logs" / f"crawl-{crawl_id}.log", encoding="utf-8")
    log_file.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    logging.getLogger().addHandler(log_file)
    try:
        process = CrawlerProcess(settings, install_root_handler=True)
        process.crawl(UnionSpider, start_urls=start_urls)
        process.start()
    finally:
        logging.getLogger().removeHandler(log_file)
        log_file.close()
    db = store.connect(data_dir / "archive.db")
    try:
        row = db["crawls"].get(crawl_id)
    except Exception:
        row = None
    db.conn.close()
    return dict(row) if row else None
