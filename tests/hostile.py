"""A small hostile HTTP server on 127.0.0.1 for tests: fixed routes, a request log."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serve(routes: dict, host: str = "127.0.0.1"):
    """``routes``: path -> (status, [(header, value)], body bytes), or a function of the
    handler returning one.  Unknown paths answer 404.  Yields the server: ``.url`` is
    its base URL, ``.port``, ``.log`` the requests it got (method, path, headers)."""
    log: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            log.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
            route = routes.get(self.path.split("?")[0], (404, [], b"not found"))
            status, headers, body = route(self) if callable(route) else route
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    server.port = server.server_address[1]
    server.url = f"http://{host}:{server.port}/"
    server.log = log
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def html(body: str, *headers: tuple[str, str]):
    """A 200 HTML route."""
    return (200, [("Content-Type", "text/html; charset=utf-8"), *headers], body.encode("utf-8"))
