"""Support for the WARC tests (no tests here): a loopback site with the HTTP details
the capture must keep, and a real Scrapy crawl run in a subprocess.

    python -m tests.test_warc_support CONFIG.json   # runs one crawl (used by run_crawl)
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.bombs import PAGE
from tests.hostile import Loopback
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[1]

DUP = ("<html><body>" + "重复内容。" * 200 + "</body></html>").encode("utf-8")
LAST_MODIFIED = formatdate(1700000000, usegmt=True)


class Site(Loopback):
    """A loopback server with the HTTP details the capture must keep; ``log`` keeps
    (method, path, headers) per request."""

    def __init__(self, tls: tuple[str, str] | None = None):
        """``tls``: (certfile, keyfile) to serve https instead of http."""
        self.log: list[tuple[str, str, dict]] = []
        self.sent: dict[str, bytes] = {}  # path -> the body bytes sent (as on the wire, de-chunked)
        self.refused_port = free_port()  # nothing listens there
        self.changed = False
        self.hits: dict[str, int] = {}
        super().__init__(self._get, tls=tls)

    def _get(self, h: BaseHTTPRequestHandler) -> None:
        self.log.append(("GET", h.path, dict(h.headers.items())))
        self.route(h)

    # -- pages -------------------------------------------------------------------
    def index(self) -> bytes:
        links = [
            "/fine",
            "/gzip",
            "/chunked",
            "/redirect",
            "/missing",
            "/boom",
            "/etag",
            "/lm",
            "/dup-a",
            "/dup-b",
            "/list?page=2&sort=date",
            "/private/secret",
            "/headers",
            "/chunked-gzip",
            "/flaky",
            f"http://127.0.0.1:{self.refused_port}/gone",
        ]
        items = "".join(f'<li><a href="{u}">链接{i}</a></li>' for i, u in enumerate(links))
        return (
            f"<html><head><meta charset='utf-8'><title>工会首页</title></head>"
            f"<body><ul>{items}</ul></body></html>"
        ).encode()

    def _send(self, h, status, body, headers=(), reason=None, path=None):
        h.send_response_only(status, reason)
        h.send_header("Date", h.date_time_string())
        for k, v in headers:
            h.send_header(k, v)
        if not any(k.lower() == "transfer-encoding" for k, _ in headers):
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        self.sent[path or h.path] = body

    def _chunked(self, h, body, headers, chunk=700):
        h.send_response_only(200, "OK")
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for i in range(0, len(body), chunk):
            part = body[i : i + chunk]
            h.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
        self.sent[h.path] = body

    def route(self, h):
        p = h.path
        html = [("Content-Type", "text/html; charset=utf-8")]
        article = (
            PAGE
            + f"<!-- {p.split('?')[0]} -->".encode()
            + (b"<!-- changed -->" if self.changed else b"")
        )
        if p == "/robots.txt":
            self._send(
                h, 200, b"User-agent: *\nDisallow: /private/\n", [("Content-Type", "text/plain")]
            )
        elif p == "/":
            self._send(h, 200, self.index(), html)
        elif p == "/fine":
            self._send(h, 200, article, html, reason="Fine")
        elif p == "/gzip":
            self._send(
                h,
                200,
                gzip.compress(article, mtime=0),
                html + [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")],
            )
        elif p == "/chunked":
            self._chunked(h, article, html)
        elif p == "/chunked-gzip":
            self._chunked(h, gzip.compress(article, mtime=0), html + [("Content-Encoding", "gzip")])
        elif p == "/redirect":
            self._send(h, 302, b"", [("Location", "/target?x=1&y=%E4%B8%AD")], reason="Found It")
        elif p.startswith("/target"):
            self._send(h, 200, article, html)
        elif p == "/missing":
            self._send(h, 404, b"<html>not here</html>", html, reason="Not Here")
        elif p == "/boom":
            self._send(h, 500, b"<html>boom</html>", html)
        elif p == "/flaky":  # the 2nd request ever fails once (503); the retry is conditional too
            self.hits[p] = self.hits.get(p, 0) + 1
            if self.hits[p] == 2:
                self._send(h, 503, b"busy", html, path="/flaky#503")
            elif h.headers.get("If-None-Match") == '"f1"':
                self._send(h, 304, b"", [("ETag", '"f1"')], path="/flaky#304")
            else:
                self._send(h, 200, article, html + [("ETag", '"f1"')])
        elif p == "/etag":
            etag = '"v2"' if self.changed else '"v1"'
            if h.headers.get("If-None-Match") == etag:
                self._send(h, 304, b"", [("ETag", etag)], path="/etag#304")
            else:
                self._send(h, 200, article, html + [("ETag", etag)])
        elif p == "/lm":
            if h.headers.get("If-Modified-Since") == LAST_MODIFIED and not self.changed:
                self._send(h, 304, b"", [], path="/lm#304")
            else:
                self._send(
                    h, 200, article + b"<!--lm-->", html + [("Last-Modified", LAST_MODIFIED)]
                )
        elif p.startswith("/dup-"):
            self._send(h, 200, DUP, html)
        elif p == "/dups":  # 16 URLs of one payload, fetched at once
            links = "".join(f'<a href="/dup-c{i}">{i}</a>' for i in range(16))
            self._send(h, 200, f"<html><body>{links}</body></html>".encode(), html)
        elif p.startswith("/list"):
            self._send(h, 200, ("<html><body>列表第二页 " + p + "</body></html>").encode(), html)
        elif p == "/cut":  # promises 5000 bytes, sends 40 and hangs up
            h.send_response_only(200, "OK")
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(PAGE[:40])
            h.wfile.flush()
            h.close_connection = True
            self.sent[p] = PAGE[:40]
        elif p == "/slow":
            import time

            time.sleep(2.5)
            self._send(h, 200, b"too late", html)
        elif p == "/headers":
            # duplicate headers, unusual case and no space after the colon: kept as sent
            h.send_response_only(200, "OK")
            h._headers_buffer.append(
                b"x-MiXeD-case:no-space\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
            )
            h.send_header("Content-Type", "text/plain; charset=utf-8")
            h.send_header("Content-Length", "2")
            h.end_headers()
            h.wfile.write(b"ok")
            self.sent[p] = b"ok"
        else:
            self._send(h, 404, b"no", html)


def self_signed(tmp: Path) -> tuple[str, str]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


# the crawl's cookie handling (the site sets cookies): no public suffix list download
OFFLINE_COOKIES = {
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.cookies.OfflineCookiesMiddleware": 700,
}


def crawl_settings(data_dir: Path, crawl_id: str, **extra) -> dict:
    if "DOWNLOADER_MIDDLEWARES" in extra:
        extra["DOWNLOADER_MIDDLEWARES"] = {**OFFLINE_COOKIES, **extra["DOWNLOADER_MIDDLEWARES"]}
    s = {
        "UNION_DATA_DIR": str(data_dir),
        "UNION_CRAWL_ID": crawl_id,
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.warc.middleware.WarcCaptureMiddleware": 950,
            **OFFLINE_COOKIES,
        },
        "DOWNLOAD_HANDLERS": {
            "http": "crawler.warc.handler.WarcHTTPDownloadHandler",
            "https": "crawler.warc.handler.WarcHTTPDownloadHandler",
        },
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "WARNING",
        "DOWNLOAD_TIMEOUT": 5,
        "RETRY_TIMES": 1,
        "TELNETCONSOLE_ENABLED": False,
        "WARC_DESCRIPTION": "test crawl",
        "CONCURRENT_REQUESTS": 4,
        "UNION_ALLOW_LOOPBACK": True,  # the handler's address rules: the site is on 127.0.0.1
        "UNION_MIN_FREE_SPACE": 0,  # no reserve: tests/test_disk_full.py tests it
    }
    s.update(extra)
    return s


def run_crawl(tmp: Path, start_urls: list[str], settings: dict, name="crawl", timeout=120) -> Path:
    """Crawl in a subprocess; returns the JSONL file of the captures emitted live."""
    out = tmp / f"{name}-captures.jsonl"
    cfg = tmp / f"{name}.json"
    cfg.write_text(json.dumps({"start_urls": start_urls, "settings": settings, "out": str(out)}))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.test_warc_support", str(cfg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _broken_index_lines_middleware():
    from crawler.warc.middleware import WarcCaptureMiddleware

    class BrokenIndexLines(WarcCaptureMiddleware):
        """The capture middleware whose CDXJ lines fail after the first five records, as
        a full disk or a record cdxj-indexer cannot read would make them fail."""

        def _open(self, spider):
            super()._open(spider)
            real, calls = self.index_lines.add, []

            def add(*args):
                calls.append(1)
                if len(calls) > 5:
                    raise OSError("no space left on device (test)")
                return real(*args)

            self.index_lines.add = add

    return BrokenIndexLines


def __getattr__(name):
    """``tests.test_warc_support.BrokenIndexLines``, made when Scrapy's settings name it: the
    middleware module imports Twisted's reactor, which must not happen on importing this
    module (Scrapy installs the asyncio reactor first)."""
    if name == "BrokenIndexLines":
        return _broken_index_lines_middleware()
    raise AttributeError(name)


def capture_dict(cap) -> dict:
    d = dict(cap.__dict__)
    body = d.pop("body")
    d["body_sha1"] = hashlib.sha1(body).hexdigest() if body is not None else None
    return d


def as_read_back(live: list[dict]) -> list[dict]:
    """Live captures as the WARC files give them back: where a revisit's original is, the
    crawler knows live; a reindex finds it among the captures read before."""
    return [dict(c, original_at=None) for c in live]


def _main(cfg_path: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.signals import capture_written

    cfg = json.loads(Path(cfg_path).read_text())
    out = open(cfg["out"], "w", encoding="utf-8")

    class FollowSpider(scrapy.Spider):
        name = "follow"
        start_urls = cfg["start_urls"]

        def parse(self, response):
            if not isinstance(response, scrapy.http.TextResponse):
                return
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, callback=self.parse)

        @classmethod
        def from_crawler(cls, crawler, *a, **kw):
            spider = super().from_crawler(crawler, *a, **kw)
            crawler.signals.connect(
                lambda capture: out.write(json.dumps(capture_dict(capture)) + "\n"),
                signal=capture_written,
                weak=False,
            )
            return spider

    import crawler.settings as ours

    # the crawler's defaults (crawler/settings.py), under this bare crawl's own settings
    defaults = {k: getattr(ours, k) for k in dir(ours) if k.startswith(("UNION_", "WARC_"))}
    process = CrawlerProcess({**defaults, **cfg["settings"]})
    process.crawl(FollowSpider)
    process.start()
    out.close()


if __name__ == "__main__":
    _main(sys.argv[1])
