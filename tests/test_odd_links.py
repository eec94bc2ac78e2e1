"""One odd link on a page costs nothing but itself (a hostile page on 127.0.0.1)."""

from __future__ import annotations

import sqlite3
import subprocess

from tests.conftest import crawl_cmd
from tests.hostile import html, serve
from tests.test_links_scope import ODD_LINKS


def test_a_page_with_odd_links_keeps_its_other_links(tmp_path):
    routes = {
        "/": html(ODD_LINKS),
        **{f"/a{i}.html": html(f"<p>第{i}篇</p>") for i in range(1, 6)},
        "/robots.txt": (200, [("Content-Type", "text/plain")], b"User-agent: *\n"),
    }
    with serve(routes) as site:
        proc = subprocess.run(
            crawl_cmd(tmp_path, [site.url]), capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Missing scheme" not in proc.stderr and "Traceback" not in proc.stderr
    fetched = {r["path"] for r in site.log}
    assert {f"/a{i}.html" for i in range(1, 6)} <= fetched
    assert fetched <= {"/", "/robots.txt"} | {f"/a{i}.html" for i in range(1, 6)}
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select errors from crawls").fetchone() == (0,)
