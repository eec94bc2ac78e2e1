"""Cookies never make the crawler ask the internet for the public-suffix list.

Scrapy's CookiesMiddleware checks a cookie's Domain against the public-suffix list with
tldextract, whose default extractor downloads the list from publicsuffix.org the first
time (and caches it in the user's home).  The crawl's cookie middleware, as configured in
crawler/settings.py, is run in a fresh process with an empty tldextract cache while every
name lookup is recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, socket
looked_up = []
real = socket.getaddrinfo
def recording(host, *args, **kwargs):
    looked_up.append(host)
    raise OSError("no network in this test")
socket.getaddrinfo = recording

from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

settings = Settings()
settings.setmodule("crawler.settings", priority="project")
mws = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
[path] = [p for p, order in mws.items() if order == 700]
mw = load_object(path)()
request = Request("http://www.shop.example.co.uk/a.html")
response = Response(request.url, headers={"Set-Cookie": [
    "site=1; Domain=example.co.uk; Path=/",        # a registrable domain: kept
    "wide=1; Domain=co.uk; Path=/"]}, request=request)   # a public suffix: refused
mw.process_response(request, response)
follow = Request("http://www.shop.example.co.uk/b.html")
mw.process_request(follow)
print(json.dumps({"middleware": path, "looked_up": looked_up,
                  "cookie": follow.headers.get("Cookie", b"").decode()}))
"""


def test_cookie_domains_are_checked_without_the_network(tmp_path):
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        TLDEXTRACT_CACHE=str(tmp_path / "tld"),
    )
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["looked_up"] == [], out
    assert out["cookie"] == "site=1", out
