"""The browser opens no connection the crawl does not make (crawler/renderer.py,
crawler/netns.py): a page's WebSockets are refused at the route level, and Chromium runs in a
network namespace of its own, so a channel no route sees cannot leave it either.  Real crawls
over 127.0.0.1 with Debian's headless Chromium, real listening sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from crawler.netns import namespace_prefix, unshare_options, write_wrapper
from crawler.renderer import Renderer
from tests.conftest import crawl_cmd
from tests.hostile import html, serve
from tests.sql import rows

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)
REPORT = "市总工会2024年工作报告"


def _settings(**over):
    from scrapy.settings import Settings

    from crawler import settings as defaults

    return Settings({**{k: v for k, v in vars(defaults).items() if k.isupper()}, **over})


class Listener:
    """A plain TCP socket listening on 127.0.0.1 (a context manager); ``connections()``
    takes what reached it (the kernel completes a connection before anyone accepts it)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1


def _socket_page(*targets: str) -> str:
    sockets = "".join(f'try {{ new WebSocket("{t}"); }} catch (e) {{}}\n' for t in targets)
    return (
        "<html><head><meta charset='utf-8'><title>工会</title></head><body><div id='app'></div>"
        f"<script>\n{sockets}var a = document.createElement('a');"
        " a.href = ['', 'gzbg', '1.html'].join('/');"  # no link in the source: a browser page
        f" a.textContent = '{REPORT}'; document.getElementById('app').appendChild(a);"
        "</script></body></html>"
    )


# ---------------------------------------------------------------- the namespace decision


def test_who_makes_the_namespace_how():
    assert unshare_options(0) == [["--net"], ["--map-root-user", "--net"]]
    assert unshare_options(1000) == [["--map-root-user", "--net"]]


def test_without_unshare_there_is_no_namespace_and_a_reason():
    assert namespace_prefix("/nonexistent/unshare") == (None, "unshare not found (util-linux)")


def test_the_wrapper_execs_chromium_under_the_prefix(tmp_path):
    where = tmp_path / "a dir"
    where.mkdir()
    path = write_wrapper(where, ["/usr/bin/unshare", "--net", "--"], "/opt/my chromium")
    assert path.read_text() == (
        "#!/bin/sh\nexec /usr/bin/unshare --net -- '/opt/my chromium' \"$@\"\n"
    )
    assert os.access(path, os.X_OK)


@pytest.mark.integration
def test_an_unshare_that_is_not_permitted_gives_no_namespace(tmp_path):
    fake = tmp_path / "unshare"
    fake.write_text(
        "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    prefix, why = namespace_prefix(str(fake))
    assert prefix is None
    assert why.endswith("failed: unshare: unshare failed: Operation not permitted"), why


@pytest.mark.integration
def test_the_renderer_says_once_when_no_namespace_can_be_made(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare on it
    renderer = Renderer(_settings())
    with caplog.at_level("WARNING", logger="crawler.renderer"):
        assert renderer.launch_path() == CHROMIUM
        assert renderer.launch_path() == CHROMIUM
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "Chromium runs without a network namespace of its own: unshare not found (util-linux)"
        " (its WebSockets are still refused and its requests still go through the crawl)"
    ]
    off = Renderer(_settings(UNION_BROWSER_NETNS=False))
    assert off.launch_path() == CHROMIUM


@pytest.mark.integration
def test_the_renderer_starts_chromium_through_a_wrapper_it_removes(tmp_path):
    import asyncio

    prefix, why = namespace_prefix()
    if prefix is None:
        pytest.skip(f"no network namespace here: {why}")
    renderer = Renderer(_settings())
    wrapper = renderer.launch_path()
    assert wrapper != CHROMIUM
    with open(wrapper) as fh:
        assert fh.read().endswith(f'{CHROMIUM} "$@"\n')
    asyncio.run(renderer.close())
    assert not os.path.exists(wrapper)


@pytest.mark.integration
def test_a_program_in_the_namespace_reaches_no_loopback_port():
    prefix, why = namespace_prefix()
    if prefix is None:
        pytest.skip(f"no network namespace here: {why}")
    with Listener() as sock:
        port = sock.port
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
        proc = subprocess.run(
            prefix + [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode != 0 and "OSError" in proc.stderr, proc.stderr
        outside = subprocess.run([sys.executable, "-c", probe], timeout=60)
        assert outside.returncode == 0  # the same probe does reach it from here
        assert sock.connections() == 1


@needs_chromium
def test_chromium_in_the_namespace_opens_no_websocket_unrouted(tmp_path):
    """Belt and braces: with no route for WebSockets, Chromium's own connection reaches the
    listener from outside the namespace and nothing from inside it."""
    playwright = pytest.importorskip("playwright.sync_api")
    prefix, why = namespace_prefix()
    if prefix is None:
        pytest.skip(f"no network namespace here: {why}")
    wrapper = write_wrapper(tmp_path, prefix, CHROMIUM)
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    seen = {}
    with playwright.sync_playwright() as p:
        for name, executable in (("plain", CHROMIUM), ("namespace", str(wrapper))):
            with Listener() as sock:
                port = sock.port
                browser = p.chromium.launch(executable_path=executable, headless=True, args=args)
                page = browser.new_page()
                page.set_content("<title>t</title>")
                code = page.evaluate(
                    """port => new Promise(done => {
                        const ws = new WebSocket("ws://127.0.0.1:" + port + "/feed");
                        ws.onclose = e => done(e.code);
                        setTimeout(() => done("pending"), 3000);
                    })""",
                    port,
                )
                browser.close()
                seen[name] = (sock.connections(), code)
    assert seen["plain"][0] == 1, seen  # the channel is real
    assert seen["namespace"] == (0, 1006), seen  # refused inside: no network at all


# ---------------------------------------------------------------- a real crawl


@needs_chromium
@pytest.mark.parametrize("netns", [True, False])
def test_a_crawled_page_opens_no_websocket(tmp_path, netns):
    """Refused at the route level with the namespace and without it."""
    pytest.importorskip("playwright.async_api")
    with Listener() as sock:
        elsewhere = f"ws://127.0.0.1:{sock.port}/feed"
        routes = {
            "/gzbg/1.html": html(f"<html><body><h1>{REPORT}</h1><p>{'工会' * 200}</p></body>"),
        }
        with serve(routes) as site:
            own = f"ws://127.0.0.1:{site.port}/ws"  # the site's own host: refused as well
            routes["/"] = html(_socket_page(elsewhere, own))
            proc = subprocess.run(
                crawl_cmd(tmp_path, [site.url], "-s", f"UNION_BROWSER_NETNS={netns}"),
                capture_output=True,
                text=True,
                timeout=600,
            )
            connections = sock.connections()
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert connections == 0  # Chromium never reached the listener
        paths = [r["path"] for r in site.log]
        assert "/ws" not in paths
        assert "/gzbg/1.html" in paths  # the crawl went on past the refused sockets
    for target in (elsewhere, own):
        line = f"a page's WebSocket to {target} was refused"
        assert proc.stderr.count(line) == 1, proc.stderr[-3000:]
    assert re.search(r"'union/browser/blocked_websocket': 2\b", proc.stderr), proc.stderr[-3000:]
    inside = "Chromium runs in a network namespace of its own" in proc.stderr
    assert inside == (netns and namespace_prefix()[0] is not None)
    docs = rows(tmp_path / "archive.db", "select url, title from documents")
    assert [d["url"] for d in docs] == [site.url + "gzbg/1.html"]
