"""The Zoo: every site on its own ThreadingHTTPServer on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .site import NOT_ALLOWED, NOT_FOUND, Page, Site

MAX_FORM = 64 * 1024  # bytes of a POST body the zoo reads


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: str
) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when it is sent (weak comparison, a list or
    "*"); only without it does If-Modified-Since count (not modified when the page's
    Last-Modified is not later; an unreadable date is ignored)."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        weak = etag[2:] if etag.startswith("W/") else etag
        tags = [t.strip() for t in if_none_match.split(",")]
        return any((t[2:] if t.startswith("W/") else t) == weak for t in tags)
    if if_modified_since is not None:
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "ZooHTTP/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else keep-alive clients wait on a delayed ACK per response
    site: Site  # set on a per-server subclass
    log: list
    lock: threading.Lock

    def log_message(self, *args):  # keep test output quiet
        pass

    def _serve(self, head_only: bool, form: bytes | None = None) -> None:
        split = urlsplit(self.path)
        path, query = split.path or "/", split.query
        site = self.site
        gate = getattr(site, "gate", None)  # a site behind an anti-bot challenge
        page = gate(path, self.headers.get("Cookie")) if gate is not None else None
        stored = False
        if page is not None:
            pass
        elif form is not None:
            page = site.post(path, query, form) or NOT_ALLOWED
        else:
            page = site.dynamic(path, query)
        if page is None:
            page = site.pages.get(path)
            stored = page is not None
        if page is None:
            page = Page(status=404, body=NOT_FOUND, content_type="text/html; charset=utf-8")
        if page.delay:
            time.sleep(page.delay)
        headers = []
        if page.content_type:
            headers.append(("Content-Type", page.content_type))
        headers += page.headers
        body = page.body
        status = page.status
        if stored and status == 200 and site.validators:
            headers += [("ETag", page.etag), ("Last-Modified", site.last_modified)]
            if not_modified(
                self.headers.get("If-None-Match"),
                self.headers.get("If-Modified-Since"),
                page.etag,
                site.last_modified,
            ):
                status, body = 304, b""
                headers = [h for h in headers if h[0] in ("ETag", "Last-Modified")]
        textual = (page.content_type or "").startswith("text/")
        if (
            stored
            and status == 200
            and site.gzip
            and textual
            and len(body) > 512
            and "gzip" in self.headers.get("Accept-Encoding", "")
        ):
            body = page.gzipped()
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        elif stored and site.gzip and textual:
            headers.append(("Vary", "Accept-Encoding"))
        length = page.length if page.chunks is not None else len(body)
        headers.append(("Content-Length", str(length)))
        with self.lock:
            self.log.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "status": status,
                    "headers": {k: v for k, v in self.headers.items()},
                    "body": (form or b"").decode("latin-1"),
                    "time": time.monotonic(),
                }
            )
        try:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if head_only:
                return
            if page.chunks is not None:
                for chunk in page.chunks():
                    self.wfile.write(chunk)
            elif body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):
        self._serve(head_only=False)

    def do_HEAD(self):
        self._serve(head_only=True)

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_FORM:
            self.send_error(400 if length < 0 else 413)
            return
        self._serve(head_only=False, form=self.rfile.read(length))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _site_classes(large_pages: int, browser_sites: bool = False):
    from .sites import big5, fanwen, hanweb, large, mislabeled, news, portal, traps, trs, wenku

    classes = [
        trs.TrsSite,
        news.NewsSite,
        wenku.WenkuSite,
        fanwen.FanwenSite,
        big5.Big5Site,
        mislabeled.MislabeledSite,
        portal.PortalSite,
        traps.TrapsSite,
        hanweb.HanwebSite,
    ]
    if large_pages > 0:
        classes.append(large.LargeSite)
    if browser_sites:
        from .sites import guard, hashspa, spa

        classes += [guard.GuardSite, spa.SpaSite, hashspa.HashSpaSite]
    return classes


class Zoo:
    """Start with ``with Zoo() as z`` or ``Zoo().start()``; see docs/zoo.md."""

    def __init__(
        self,
        large_pages: int = 0,
        slow_seconds: float = 3.0,
        host: str = "127.0.0.1",
        oversized_bytes: int = 30 * 1024 * 1024,
        seed: int = 2026,
        ports: dict | None = None,
        browser_sites: bool = False,
    ) -> None:
        if host != "127.0.0.1":
            raise ValueError("the zoo only serves on 127.0.0.1")
        self.host = host
        self.options = dict(
            large_pages=large_pages,
            slow_seconds=slow_seconds,
            oversized_bytes=oversized_bytes,
            seed=seed,
        )
        self.ports = ports or {}
        self.browser_sites = browser_sites  # the sites only a browser enters
        self.sites: dict[str, Site] = {}
        self._servers: dict[str, _Server] = {}
        self._logs: dict[str, list] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._threads: list[threading.Thread] = []
        self.urls: dict[str, str] = {}
        self.truth: dict = {}

    # ---- lifecycle
    def start(self) -> Zoo:
        classes = _site_classes(self.options["large_pages"], self.browser_sites)
        servers = {}
        try:
            for cls in classes:
                servers[cls.name] = _Server(
                    (self.host, self.ports.get(cls.name, 0)),
                    BaseHTTPRequestHandler,
                    bind_and_activate=True,
                )
        except OSError:
            for srv in servers.values():
                srv.server_close()
            raise
        self.urls = {
            name: f"http://{self.host}:{srv.server_address[1]}/" for name, srv in servers.items()
        }
        try:
            for cls in classes:
                site = cls(self.urls[cls.name], self.urls, **self.options)
                log, lock = [], threading.Lock()
                handler = type(
                    f"{cls.__name__}Handler", (_Handler,), {"site": site, "log": log, "lock": lock}
                )
                servers[cls.name].RequestHandlerClass = handler
                self.sites[cls.name] = site
                self._logs[cls.name] = log
                self._locks[cls.name] = lock
        except BaseException:
            for srv in servers.values():
                srv.server_close()
            raise
        self._servers = servers
        for name, srv in servers.items():
            thread = threading.Thread(
                target=srv.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"zoo-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        self.truth = self._build_truth()
        return self

    def stop(self) -> None:
        stoppers = [threading.Thread(target=srv.shutdown) for srv in self._servers.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for srv in self._servers.values():
            srv.server_close()
        self._servers = {}
        self._threads = []

    def __enter__(self) -> Zoo:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- API
    @property
    def start_urls(self) -> list[str]:
        return [site.url(site.start_path) for site in self.sites.values()]

    def requests(self, name: str) -> list[dict]:
        """Requests served by site `name` so far (still available after stop())."""
        with self._locks[name]:
            return list(self._logs[name])

    def write_truth(self, path: str | Path) -> None:
        Path(path).write_text(
            json.dumps(self.truth, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    def _build_truth(self) -> dict:
        truth = {"documents": [], "forbidden": [], "traps": [], "faults": {}, "sites": {}}
        for name, site in self.sites.items():
            truth["documents"] += site.docs
            truth["forbidden"] += [site.url(p) for p in site.forbidden]
            truth["traps"] += [site.url(p) for p in site.traps]
            truth["faults"].update({k: site.url(p) for k, p in site.faults.items()})
            truth["sites"][name] = {
                "base": site.base,
                "start_url": site.url(site.start_path),
                "encoding": site.encoding,
                "declared": site.declared,
            }
            truth["sites"][name].update(getattr(site, "truth_extra", {}))
        return truth
