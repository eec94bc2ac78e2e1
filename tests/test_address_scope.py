"""The crawl's address rules hold for the address actually connected to: numeric host
spellings, host names that resolve to loopback, redirects, start URLs, at the command line
and at every connection (a hostile server on 127.0.0.1 logs what reached it)."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from twisted.internet.address import IPv4Address

from crawler.addresses import RefusedAddress
from crawler.warc.handler import WarcClientFactory
from tests.conftest import NETGUARD_LOG, crawl_cmd, netguard_lines, run_cli
from tests.hostile import html, serve

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_SPELLINGS = ("127.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.0.0.1.")


def hosts_file_loopback_name() -> str | None:
    """A name other than localhost that this machine resolves to 127.x (from /etc/hosts)."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#")[0].split()
        if fields and fields[0].startswith("127."):
            for name in fields[1:]:
                if "localhost" not in name and socket.gethostbyname(name).startswith("127."):
                    return name
    return None


def loopback_hosts() -> list[str]:
    name = hosts_file_loopback_name()
    return [*LOOPBACK_SPELLINGS, "localhost"] + ([name] if name else [])


@pytest.fixture
def site():
    routes = {
        "/": html('<a href="/a.html">工会工作报告</a>'),
        "/a.html": html("<p>报告</p>"),
        "/robots.txt": (200, [("Content-Type", "text/plain")], b"User-agent: *\n"),
    }
    with serve(routes) as server:
        yield server


@pytest.mark.parametrize("host", loopback_hosts())
def test_start_url_on_loopback_in_any_spelling_is_refused(site, tmp_path, host):
    url = f"http://{host}:{site.port}/"
    proc = run_cli("crawl", "--data", str(tmp_path), "--delay", "0", "--start-url", url, timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    [line] = proc.stderr.splitlines()
    assert line.startswith("union-archive: error: ") and "--allow-loopback" in line, line
    assert site.log == []  # not even robots.txt


def test_every_connection_is_checked_not_only_the_command_line(site, tmp_path):
    """``scrapy crawl`` has no command-line check: the download handler refuses the
    loopback start URLs (numeric spellings, names resolving to 127.0.0.1) by the address
    it would connect to, records each refusal as a failed capture and sends nothing."""
    urls = [f"http://{host}:{site.port}/" for host in loopback_hosts()]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "union",
            "-a",
            "start_urls=" + ",".join(urls),
            "-s",
            f"UNION_DATA_DIR={tmp_path}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            "-s",
            "RETRY_BACKOFF_BASE=0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert site.log == []
    conn = sqlite3.connect(tmp_path / "archive.db")
    errors = dict(conn.execute("select url, error from captures where url not like '%robots.txt'"))
    # each refusal recorded once (never retried), under the URL Scrapy requests: w3lib >= 2.6
    # writes a numeric spelling of an IPv4 address (0x7f000001, 127.1) as 127.0.0.1
    assert set(errors) == {Request(url).url for url in urls}
    for url, error in errors.items():
        host = urlsplit(url).hostname
        assert f"loopback address refused: {host} " in error and "--allow-loopback" in error
        assert host in ("localhost", "127.0.0.1") or f"{host} is 127.0.0.1 " in error
    assert conn.execute("select count(*) from captures where status is not null").fetchone() == (0,)


METADATA_SPELLINGS = (
    "2852039166",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "10.1",
    "[::ffff:169.254.169.254]",
)


def test_a_start_redirect_to_a_private_address_does_not_join_the_crawl(tmp_path):
    """With --allow-loopback only, start pages redirecting to the cloud metadata service
    (169.254.169.254 spelled as one number, hex, octal) or to 10.0.0.1 (``10.1``): the
    redirects are archived, the targets' hosts never join the crawl, and nothing is sent
    to them, not even a look-up for their robots.txt."""
    routes = {
        f"/r{i}": (302, [("Location", f"http://{host}/latest/meta-data/")], b"")
        for i, host in enumerate(METADATA_SPELLINGS)
    }
    start = NETGUARD_LOG.stat().st_size
    with serve(routes) as server:
        urls = [server.url + f"r{i}" for i in range(len(METADATA_SPELLINGS))]
        proc = subprocess.run(
            crawl_cmd(tmp_path, urls), capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "joins the crawl's hosts" not in proc.stderr
    conn = sqlite3.connect(tmp_path / "archive.db")
    hosts = {urlsplit(u).netloc for (u,) in conn.execute("select url from captures")}
    assert hosts == {urlsplit(server.url).netloc}  # the redirects only
    assert conn.execute("select count(*) from captures where status = 302").fetchone() == (
        len(urls),
    )
    assert netguard_lines(start) == []


def test_the_connected_peer_is_checked_before_anything_is_sent():
    """The last check: whatever a name resolved to, a new connection to a refused
    address gets no protocol (no request is written to it)."""
    peer = IPv4Address("TCP", "127.0.0.1", 80)
    factory = WarcClientFactory(lambda protocol: None, "test", allow_private=True)
    with pytest.raises(RefusedAddress, match="loopback address refused: 127.0.0.1"):
        factory.buildProtocol(peer)
    metadata = IPv4Address("TCP", "169.254.169.254", 80)
    with pytest.raises(RefusedAddress, match="--allow-private"):
        WarcClientFactory(lambda p: None, "test", allow_loopback=True).buildProtocol(metadata)
    allowed = WarcClientFactory(lambda p: None, "test", allow_loopback=True)
    assert allowed.buildProtocol(peer) is not None
