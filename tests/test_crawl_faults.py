"""Bad input during a crawl gets a clear error or a recorded failure, never a crash."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import crawl_cmd, run_cli
from tests.processes import free_port


def test_timeout_is_recorded_as_a_failure(zoo, tmp_path):
    slow = zoo.truth["faults"]["slow"]
    proc = subprocess.run(
        crawl_cmd(tmp_path, [slow], "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(tmp_path / "archive.db")
    rows = conn.execute(
        "select status, error, record_type, warc_filename from captures where url = ?", [slow]
    ).fetchall()
    assert len(rows) == 2  # first try and one retry, both recorded
    for status, error, record_type, warc in rows:
        assert status is None and "took longer than 1.0 seconds" in error
        assert record_type == "failure" and warc.endswith(".warc.gz")
    assert conn.execute("select errors, status from crawls").fetchone() == (2, "finished")


def test_unreachable_host_is_a_one_line_error(tmp_path):
    port = free_port()  # nothing listens there
    proc = subprocess.run(
        crawl_cmd(tmp_path, [f"http://127.0.0.1:{port}/"]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"union-archive: error: cannot reach 127.0.0.1:{port}: Connection refused"
    )


@pytest.mark.parametrize(
    "command, args, says",
    [
        ("crawl", ["--start-url", "http://127.0.0.1:9/"], "--allow-loopback"),
        ("crawl", ["--start-url", "ftp://example.org/"], "not an http(s) URL"),
        ("crawl", ["--max-pages", "-3"], ""),
        ("reindex", [], "no WARC files"),
    ],
    ids=["loopback-needs-an-explicit-allow", "not-http", "negative-max-pages", "no-warc-files"],
)
def test_bad_arguments_are_clear(tmp_path, command, args, says):
    proc = run_cli(command, "--data", str(tmp_path), *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert says in proc.stderr


def test_sigterm_while_the_indexer_starts_is_a_clean_interrupt(zoo, tmp_path):
    """A stop in the crawl's first instant (the indexer child still starting) once killed
    the child (SemLock FileNotFoundError) or hung the crawler at exit: it must be a plain
    interrupted run, resumable, exit 3."""
    import signal

    proc = subprocess.Popen(
        crawl_cmd(tmp_path, [zoo.truth["sites"]["traps"]["start_url"]]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "indexer process" in line:
            proc.send_signal(signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=120)
    err = "".join(seen) + err
    assert proc.returncode == 3, err[-3000:]
    assert "Traceback" not in err and "interrupted" in out
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status from crawls").fetchall() == [("interrupted",)]


def test_sigterm_before_scrapy_runs_is_a_clean_interrupt(zoo, tmp_path):
    """SIGTERM as soon as the data directory is locked (before Scrapy has installed its
    shutdown handlers: the default action would kill the process, exit -15) is the same
    graceful stop: exit 3, crawls row interrupted, no traceback."""
    import signal
    import time

    proc = subprocess.Popen(
        crawl_cmd(tmp_path, zoo.start_urls),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / ".lock"
    deadline = time.monotonic() + 60
    while "pid=" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err[-3000:]
    assert "Traceback" not in err and "interrupted" in out
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status from crawls").fetchall() == [("interrupted",)]


def test_bad_warc_compression_settings_are_one_line_errors(tmp_path):
    """Settings are checked before anything goes over the network: a wrong one is the
    error even when the start host is down; a right one gets as far as the host check."""
    down = "http://127.0.0.1:9/"
    for setting, expected in (
        ("WARC_GZIP_LEVEL=7", "WARC_GZIP_LEVEL must be 0..3 for the isal"),
        ("WARC_COMPRESSOR=brotli", "WARC_COMPRESSOR must be one of isal, zlib"),
        ("WARC_GZIP_LEVEL=high", "WARC_GZIP_LEVEL must be 0..3"),
        ("WARC_COMPRESSOR=zlib", "cannot reach 127.0.0.1:9"),
    ):
        proc = subprocess.run(
            crawl_cmd(tmp_path, [down], "-s", setting), capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stderr.startswith(f"union-archive: error: {expected}"), proc.stderr
        assert "Traceback" not in proc.stderr and not (tmp_path / "warc").exists()


def test_indexer_killed_mid_crawl_loses_nothing(crawled, tmp_path):
    """The indexer dies alone (SIGKILL after the 60th capture): the crawl still fetches
    and archives everything, ends (it used to hang on the queue's pipe) with one clear
    error and an `indexer failed` crawls row, and `reindex` then gives the same
    documents as the crawl of the whole zoo whose indexer lived."""
    from warcio.archiveiterator import ArchiveIterator

    data = tmp_path / "data"
    proc = subprocess.run(
        crawl_cmd(data, crawled.zoo.start_urls, "-s", "UNION_TEST_CRASH=indexer:60"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "UNION_TEST_CRASH: SIGKILL of the indexer after capture 60" in proc.stderr
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert (
        f"union-archive: error: the indexer stopped during the crawl; every capture is in the "
        f"WARC files: union-archive reindex --data {data} builds the archive from them"
    ) in proc.stderr.splitlines()
    [crawl] = (
        sqlite3.connect(data / "archive.db").execute("select id, status from crawls").fetchall()
    )
    assert crawl[1] == "indexer failed" and f"crawl {crawl[0]} indexer failed" in proc.stdout
    assert not (data / "jobs" / crawl[0]).exists()  # all fetched: nothing to resume

    files = sorted((data / "warc").glob("*.warc.gz"))
    assert files and not list((data / "warc").glob("*.open"))
    fetched = set()
    for f in files:
        with open(f, "rb") as fh:
            fetched |= {
                r.rec_headers.get_header("WARC-Target-URI")
                for r in ArchiveIterator(fh)
                if r.rec_type in ("response", "revisit")
            }
    ref = sqlite3.connect(crawled.data / "archive.db")
    assert fetched >= {u for (u,) in ref.execute("select url from documents")}

    out = run_cli("reindex", "--data", str(data))
    assert out.returncode == 0, out.stderr[-3000:]
    q = "select url, part, title, text, is_report from documents order by url, part"
    got = sqlite3.connect(data / "archive.db")
    assert got.execute(q).fetchall() == ref.execute(q).fetchall()
    assert got.execute("select status from crawls").fetchall() == [("reindexed",)]


def test_missing_isal_is_a_clear_error_and_zlib_still_works():
    """Without the isal package the default compressor is refused with a way out, and
    WARC_COMPRESSOR=zlib writes a record (a fresh interpreter that cannot import isal)."""
    code = (
        "import sys, io; sys.modules['isal'] = None\n"
        "from crawler.warc.writer import compression, WarcFileWriter\n"
        "try:\n    compression()\nexcept ValueError as e:\n    print('ERR', e)\n"
        "import tempfile, gzip, pathlib\n"
        "from crawler.warc import records as rec\n"
        "d = tempfile.mkdtemp(); w = WarcFileWriter(d, compressor='zlib')\n"
        "b = w.builder\n"
        "w.write([rec.metadata_record(b, 'http://x.test/', b.curr_warc_date(), [('k', 'v')])])\n"
        "w.close()\n"
        "f = next(pathlib.Path(d).glob('*.warc.gz'))\n"
        "print('OK', gzip.decompress(f.read_bytes())[:8])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        "ERR WARC_COMPRESSOR 'isal' needs the isal package (pip install isal); "
        "or set WARC_COMPRESSOR to 'zlib'"
    ) in proc.stdout
    assert "OK b'WARC/1.1'" in proc.stdout


class _ThreeHosts:
    """Three loopback servers (three netlocs); A's pages redirect and set referrer
    policies, and every request's path and Referer is logged per server."""

    def __init__(self):
        import http.server
        import threading

        self.log: list[tuple[int, str, str | None]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                port = self.server.server_port
                owner.log.append((port, self.path, self.headers.get("Referer")))
                a, b, c = owner.a.server_port, owner.b.server_port, owner.c.server_port
                pages = {
                    "/start/": (
                        "",
                        '<a href="/p1">p1</a><a href="/np">np</a><a href="/or">or</a>'
                        '<a href="/go">go</a><a href="/same">same</a><a href="/mr">mr</a>'
                        '<a href="/mr16">mr16</a>',
                    ),
                    "/np": ("no-referrer", '<a href="/np-child">c</a>'),
                    "/or": ("origin", '<a href="/or-child1">c1</a><a href="/or-child2">c2</a>'),
                    "/home/": ("", '<a href="/b-child">c</a>'),
                }
                if port == a and self.path in ("/go", "/same", "/moved/"):
                    target = {
                        "/go": f"http://127.0.0.1:{c}/secret",
                        "/same": "/target",
                        "/moved/": f"http://127.0.0.1:{b}/home/",
                    }[self.path]
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return
                if self.path in ("/mr", "/mr16"):  # meta refresh, mixed case / UTF-16
                    page = (
                        f'<html><head><META HTTP-EQUIV="ReFresh" CONTENT="0; url='
                        f'{self.path}-target"></head><body>moved</body></html>'
                    )
                    wide = self.path == "/mr16"
                    self.send_response(200)
                    self.send_header(
                        "Content-Type", "text/html; charset=" + ("utf-16" if wide else "utf-8")
                    )
                    self.end_headers()
                    self.wfile.write(page.encode("utf-16") if wide else page.encode())
                    return
                policy, links = pages.get(self.path, ("", ""))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if policy:
                    self.send_header("Referrer-Policy", policy)
                self.end_headers()
                self.wfile.write(f"<html><body><p>{self.path}</p>{links}</body></html>".encode())

        self.a, self.b, self.c = (
            http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(3)
        )
        for server in (self.a, self.b, self.c):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        for server in (self.a, self.b, self.c):
            server.shutdown()
            server.server_close()


def test_a_start_url_moving_to_a_refused_address_is_not_followed():
    """The start-URL exception of RedirectScopeMiddleware does not open loopback or private
    addresses: the target is checked as any link is.  Scrapy's own test crawler and the
    real spider, the middleware called directly: a failing check must not send a request
    to those addresses."""
    import pytest
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import RedirectScopeMiddleware
    from crawler.spiders.union import UnionSpider

    crawler = get_crawler(UnionSpider)
    crawler.spider = spider = crawler._create_spider(start_urls=["http://example.org/"])
    mw = RedirectScopeMiddleware.from_crawler(crawler)
    moved = Request("http://www.example.org/", meta={"redirect_urls": ["http://example.org/"]})
    assert mw.process_request(moved) is None and "www.example.org" in spider.allowed_netlocs
    for target in ("http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(target, meta={"redirect_urls": ["http://example.org/"]}))
    assert spider.allowed_netlocs == {"example.org", "www.example.org"}
    elsewhere = Request("http://other.org/", meta={"redirect_urls": ["http://example.org/a"]})
    with pytest.raises(IgnoreRequest):
        mw.process_request(elsewhere)


def test_redirects_stay_in_scope_and_referers_follow_the_policies(tmp_path):
    """A redirect to another host is archived, its target is not fetched (unless a start
    URL moved there: that host joins the crawl's); a redirect on the host is followed, and so
    are meta refreshes (in mixed case, and in a UTF-16 page: QuickMetaRefreshMiddleware's
    shortcut must not miss them). The Referer of each link is what Scrapy's own policies
    give (PageRefererMiddleware computes it once a page), the page's Referrer-Policy header
    included."""
    from scrapy.spidermiddlewares.referer import (
        DefaultReferrerPolicy,
        NoReferrerPolicy,
        OriginPolicy,
    )

    hosts = _ThreeHosts()
    try:
        a, b, c = hosts.a.server_port, hosts.b.server_port, hosts.c.server_port
        base = f"http://127.0.0.1:{a}"
        proc = subprocess.run(
            crawl_cmd(tmp_path, [base + "/start/", base + "/moved/"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        hosts.close()
    assert proc.returncode == 0, proc.stderr[-3000:]
    # a start URL that moved to B made B a crawl host (its page and links); a page's
    # redirect to C is archived, and C is never asked anything (not even robots.txt)
    on_b = {path for port, path, _ref in hosts.log if port == b}
    assert {"/home/", "/b-child"} <= on_b, on_b
    assert not [entry for entry in hosts.log if entry[0] == c]
    assert "'union/filtered/redirect_offsite': 1" in proc.stderr
    assert "'union/scope/hosts_from_start_redirects': 1" in proc.stderr
    got = {path: ref for port, path, ref in hosts.log if port == a}
    assert "/target" in got  # same host: followed
    assert "/mr-target" in got and "/mr16-target" in got  # meta refresh
    want = {
        "/p1": DefaultReferrerPolicy().referrer(base + "/start/", base + "/p1"),
        "/np-child": NoReferrerPolicy().referrer(base + "/np", base + "/np-child"),
        "/or-child1": OriginPolicy().referrer(base + "/or", base + "/or-child1"),
        "/or-child2": OriginPolicy().referrer(base + "/or", base + "/or-child2"),
    }
    assert want["/p1"] == base + "/start/" and want["/np-child"] is None
    assert want["/or-child1"] == base + "/"
    assert {path: got.get(path) for path in want} == want
    conn = sqlite3.connect(tmp_path / "archive.db")
    urls = {u for (u,) in conn.execute("select url from captures")}
    assert base + "/go" in urls and f"http://127.0.0.1:{c}/secret" not in urls


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    [line] = proc.stderr.splitlines()
    assert line.startswith("union-archive: error: "), line
    return line


def test_bad_port_and_bad_setting_values_are_one_line_errors(tmp_path):
    for url in ("http://127.0.0.1:99999/", "http://127.0.0.1:port/"):
        proc = subprocess.run(
            crawl_cmd(tmp_path, [url]), capture_output=True, text=True, timeout=60
        )
        assert f"bad port in URL: {url}" in _one_line_error(proc)
    for setting, expected in (
        ("DOWNLOAD_TIMEOUT=abc", "expected a number"),
        ("AUTOTHROTTLE_ENABLED=maybe", "expected a boolean"),
        ("ITEM_PIPELINES={", "expected a dict"),
    ):
        proc = subprocess.run(
            crawl_cmd(tmp_path, ["http://127.0.0.1:9/"], "-s", setting),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert f"-s {setting}: {expected}" in _one_line_error(proc)
    assert not list(tmp_path.iterdir())  # nothing written, no crawl started


def test_a_read_only_data_dir_is_a_one_line_error(tmp_path):
    """Crawl and reindex with the data directory on a read-only file system (a tmpfs
    mounted read-only in a mount namespace of the command's own: even root cannot write)."""
    import shutil

    import pytest

    ro = tmp_path / "ro"
    ro.mkdir()
    wrap = ["unshare", "-Urm", "sh", "-c", f'mount -t tmpfs -o ro tmpfs "{ro}" && exec "$@"', "sh"]
    if not shutil.which("unshare") or subprocess.run([*wrap, "true"]).returncode:
        pytest.skip("no mount namespace to make a read-only file system in")
    for cmd in (
        crawl_cmd(ro, ["http://127.0.0.1:9/"]),
        [sys.executable, "-m", "cli.main", "reindex", "--data", str(ro)],
        crawl_cmd(ro / "new", ["http://127.0.0.1:9/"]),
    ):
        proc = subprocess.run([*wrap, *cmd], capture_output=True, text=True, timeout=60)
        assert "cannot write to " in _one_line_error(proc)
        assert "Read-only file system" in proc.stderr
