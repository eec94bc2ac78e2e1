"""A small hostile HTTP server on 127.0.0.1 for tests: fixed routes, a request log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Loopback:
    """A threaded http.server on 127.0.0.1 (a context manager) that hands every GET to
    ``respond(handler)``; ``base`` is its URL without the last slash, ``url`` with it."""

    def __init__(
        self,
        respond: Callable[[BaseHTTPRequestHandler], None],
        host: str = "127.0.0.1",
        tls: tuple[str, str] | None = None,
        post: bool = False,
    ):
        """``tls``: (certfile, keyfile) to serve https instead of http; ``post``: hand every
        POST to ``respond`` too (its body unread: ``respond`` reads it)."""

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                respond(self)

            if post:
                do_POST = do_GET

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        scheme = "http"
        if tls:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.base = f"{scheme}://{host}:{self.port}"
        self.url = self.base + "/"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serve(routes: dict, host: str = "127.0.0.1") -> Iterator[Loopback]:
    """``routes``: path -> (status, [(header, value)], body bytes), or a function of the
    handler returning one.  Unknown paths answer 404.  Yields the server: ``.url`` is
    its base URL, ``.port``, ``.log`` the requests it got (method, path, headers)."""
    log: list[dict] = []

    def respond(h: BaseHTTPRequestHandler) -> None:
        log.append({"method": "GET", "path": h.path, "headers": dict(h.headers)})
        route = routes.get(h.path.split("?")[0], (404, [], b"not found"))
        status, headers, body = route(h) if callable(route) else route
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with Loopback(respond, host) as server:
        server.log = log
        yield server


def html(body: str, *headers: tuple[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
    """A 200 HTML route."""
    return (200, [("Content-Type", "text/html; charset=utf-8"), *headers], body.encode("utf-8"))
