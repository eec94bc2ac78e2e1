"""Shared fixtures: the portal zoo on loopback and one real crawl of it."""
from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def zoo():
    from zoo import Zoo

    with Zoo(slow_seconds=3.0) as z:
        yield z


def crawl_cmd(data_dir, start_urls, *extra):
    cmd = [sys.executable, "-m", "archive.cli", "crawl", "--data", str(data_dir),
           "--allow-loopback", "--delay", "0",
           "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_BACKOFF_BASE=0.1", *extra]
    for url in start_urls:
        cmd += ["--start-url", url]
    return cmd


@pytest.fixture(scope="session")
def crawled(zoo, tmp_path_factory):
    """The whole zoo crawled once through the real CLI (Scrapy over HTTP, WARC, indexer)."""
    data = tmp_path_factory.mktemp("archive")
    proc = subprocess.run(crawl_cmd(data, zoo.start_urls), capture_output=True, text=True,
                          timeout=900)
    return SimpleNamespace(data=data, proc=proc, zoo=zoo)
