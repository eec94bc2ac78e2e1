"""A crawl sends nothing outside its scope: no look-ups or connections beyond the hosts it
crawls (the network guard of tests/conftest.py logs and refuses any)."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import NETGUARD_LOG, crawl_cmd, netguard_lines
from tests.hostile import html, serve


def test_a_site_setting_cookies_makes_no_public_suffix_list_download(tmp_path):
    """Scrapy's cookie middleware asks tldextract whether a cookie's domain is a public
    suffix; tldextract's default first downloads the list from publicsuffix.org."""
    routes = {
        "/": html(
            '<a href="/a.html">工会工作报告</a>',
            ("Set-Cookie", "sid=1; Path=/"),
            ("Set-Cookie", "region=cn; Domain=127.0.0.1; Path=/"),
        ),
        "/a.html": html("<p>工会工作报告全文。</p>"),
        "/robots.txt": (200, [("Content-Type", "text/plain")], b"User-agent: *\n"),
    }
    start = NETGUARD_LOG.stat().st_size
    with serve(routes) as site:
        env_cache = {"TLDEXTRACT_CACHE": str(tmp_path / "tldextract")}  # nothing cached yet
        proc = subprocess.run(
            crawl_cmd(tmp_path / "data", [site.url]),
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env_cache},
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = [r for r in site.log if r["path"] == "/a.html"]
    assert page and "sid=1" in page[0]["headers"].get("Cookie", "")  # cookies were handled
    assert netguard_lines(start) == []
