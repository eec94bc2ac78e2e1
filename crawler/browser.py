"""Browser capture: Debian's Chromium through Playwright, only for the pages that need it.

``BrowserMiddleware`` (a downloader middleware, after the WARC middleware and
decompression) looks at each HTML answer Scrapy fetched.  Three kinds go to the browser:

* a **challenge**: a script-only page (any status: 加速乐's 521, Ruishu's 412, a 200)
  whose script computes a cookie and reloads;
* an **app shell**: an empty root element and script bundles, no content links;
* any page of a host whose source is marked ``render: browser`` in the sources file;
* a single-page app's **route** (``/#/list/2``, ``/#!/article/41``: ``crawler.routes``),
  rendered at that route: the fragment is never sent, so the answer is the app's shell,
  and Chromium opens the URL with its fragment for the app to read.

Chromium is fed the answer Scrapy already has, then every request the page makes
(the reload, scripts, XHR/fetch JSON) is routed back through Scrapy
(``engine.download_async``): robots.txt, per-host delay and concurrency, the WARC
middleware (request/response records with the wire heads and bytes, a capture for the
indexer) and the retry policy apply to them as to any page.  Requests to other hosts or
refused address ranges are aborted, never fetched.  The spider then reads the links of
the rendered DOM and of the JSON answers.  Cookies the browser holds afterwards go into
Scrapy's cookie jar, so after a challenge the host is crawled with plain requests.

One browser page at a time (``UNION_BROWSER_PAGES``), a time bound
(``UNION_BROWSER_PAGE_TIMEOUT``) and a V8 heap bound (``UNION_BROWSER_JS_HEAP_MB``) per
page; a crash or a timeout is a recorded failure (``captures.error``) and the crawl
goes on.  Without Chromium the crawler says so once and records a failure per host
that needed it.  A crawl that meets no such page never imports Playwright.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse

from crawler.links import Link, extract_links
from crawler.middlewares import check_url
from crawler.renderer import BrowserUnavailable, Renderer, one_line
from crawler.routes import app_route, page_url
from crawler.warc.middleware import WarcCaptureMiddleware

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

CHALLENGE, APP_SHELL, SOURCE, ROUTE = "challenge", "app shell", "render: browser", "app route"
SUB_META = "union_browser_sub"  # request.meta: a request the browser made
RENDERED_META = "union_rendered"  # request.meta: why the response was rendered
_MAX_SHELL_BYTES = 64 * 1024  # larger pages carry content of their own
_MAX_SHELL_TEXT = 80  # visible characters (as latin-1) a shell or challenge may show
_DROP_FROM_BROWSER = {"accept-encoding", "host", "content-length", "connection"}
_DROP_TO_BROWSER = {b"content-encoding", b"content-length", b"transfer-encoding"}
_LINK_KEYS = {"url", "href", "link", "path", "uri"}


def browser_reason(
    status: int, body: bytes, content_type: str, outlinks: list[Link] | None = None
) -> str | None:
    """Why this answer needs a browser (CHALLENGE, APP_SHELL), or None.  ``outlinks``:
    the links the WARC middleware already found; a page with any but app routes needs none."""
    if outlinks and any(not app_route(getattr(link, "url", link)) for link in outlinks):
        return None
    if "html" not in content_type.lower() and not body.lstrip()[:1] == b"<":
        return None
    if len(body) > _MAX_SHELL_BYTES or b"<script" not in body.lower():
        return None
    try:
        root = lxml_html.document_fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    anchors = [
        a
        for a in root.iter("a")
        if (a.get("href") or "").strip()
        and not a.get("href").strip().lower().startswith(("javascript:", "#"))
    ]
    if anchors:
        return None
    bundles = root.xpath("//script[@src]")
    for el in list(root.iter("script", "style", "noscript", "title")):
        el.drop_tree()
    # counted in characters of any script (the bytes' charset is not known here)
    if len("".join(root.text_content().split())) > _MAX_SHELL_TEXT:
        return None
    if status == 200 and bundles:
        return APP_SHELL
    return CHALLENGE


def json_links(url: str, body: bytes) -> list[Link]:
    """Links in a JSON answer: string values under url/href/link/path keys."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    out, seen = [], set()

    def walk(node):
        if isinstance(node, dict):
            title = node.get("title") if isinstance(node.get("title"), str) else ""
            for key, value in node.items():
                if (
                    key.lower() in _LINK_KEYS
                    and isinstance(value, str)
                    and value.strip()
                    and not value.lstrip().lower().startswith(("javascript:", "data:"))
                ):
                    target = page_url(urljoin(url, value.strip()))
                    if target.startswith(("http://", "https://")) and target not in seen:
                        seen.add(target)
                        out.append(Link(target, "page", title))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return out


def _header_dict(headers) -> dict[str, str]:
    """Scrapy headers as Playwright's fulfil wants them (Set-Cookie lines joined by \\n)."""
    out = {}
    for name, values in headers.items():
        if name.lower() in _DROP_TO_BROWSER:
            continue  # Scrapy has decompressed the body; Chromium counts its own length
        key = name.decode("latin-1")
        sep = "\n" if name.lower() == b"set-cookie" else ", "
        out[key] = sep.join(v.decode("latin-1") for v in values)
    return out


def _jar_cookie(c: dict) -> http.cookiejar.Cookie:
    expires = c.get("expires")
    expires = int(expires) if expires and expires > 0 else None
    return http.cookiejar.Cookie(
        0,
        c["name"],
        c["value"],
        None,
        False,
        c["domain"],
        c["domain"].startswith("."),
        c["domain"].startswith("."),
        c.get("path") or "/",
        True,
        bool(c.get("secure")),
        expires,
        expires is None,
        None,
        None,
        {"HttpOnly": None} if c.get("httpOnly") else {},
    )


def _browser_cookie(c: http.cookiejar.Cookie, url: str) -> dict:
    out = {"name": c.name, "value": c.value or ""}
    if c.domain_specified:
        out.update(domain=c.domain, path=c.path or "/")
    else:  # a host-only cookie: Playwright takes its host from a URL
        parts = urlsplit(url)
        out["url"] = f"{parts.scheme}://{parts.netloc}{c.path or '/'}"
    if c.expires:
        out["expires"] = float(c.expires)
    return out


class BrowserMiddleware:
    """See the module docstring.  Install after decompression in the response order::

    DOWNLOADER_MIDDLEWARES = {"crawler.browser.BrowserMiddleware": 585}
    """

    def __init__(self, crawler):
        s = crawler.settings
        if not s.getbool("UNION_BROWSER_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.allow_loopback = s.getbool("UNION_ALLOW_LOOPBACK")
        self.allow_private = s.getbool("UNION_ALLOW_PRIVATE")
        self.max_challenges = s.getint("UNION_BROWSER_CHALLENGES_PER_HOST")
        self.renderer = Renderer(s)
        self.forced_hosts = {h.lower() for h in s.getlist("UNION_BROWSER_HOSTS")}
        self.challenges: dict[str, int] = {}
        self.skipped_hosts: set[str] = set()
        self.socket_hosts: set[str] = set()  # WebSocket hosts refused and said in the log
        self._missing: str | None | bool = False  # False: not asked yet
        from scrapy import signals

        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserMiddleware:
        return cls(crawler)

    async def spider_closed(self, spider: Spider) -> None:
        await self.renderer.close()

    def _component(self, cls):
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, cls):
                return mw
        return None

    async def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        if meta.get(SUB_META) or meta.get(RENDERED_META) or request.method != "GET":
            return response
        if urlsplit(request.url).path == "/robots.txt":
            return response
        host = urlsplit(request.url).netloc.lower()
        forced = host in self.forced_hosts
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        html = response.status == 200 and "html" in ctype.lower()
        if forced and html:
            reason = SOURCE
        elif html and app_route(request.url) and b"<script" in response.body.lower():
            # the shell Scrapy fetched for this route (once per route, as the app's scripts
            # and JSON are once per page: every visit stays a real, archived exchange, and
            # an answer made up from memory would reach the WARC writer as one)
            reason = ROUTE
        else:
            reason = browser_reason(
                response.status, response.body, ctype, meta.get("union_outlinks")
            )
        if reason is None:
            return response
        if self._missing is False:
            self._missing = self.renderer.missing()
            if self._missing:
                logger.warning("pages that need a browser are skipped: %s", self._missing)
        if self._missing:
            return self._skip(
                request, response, host, f"needs a browser ({reason}): " + self._missing
            )
        if reason == CHALLENGE:
            self.challenges[host] = self.challenges.get(host, 0) + 1
            if self.challenges[host] > self.max_challenges:
                return self._skip(
                    request,
                    response,
                    host,
                    f"challenge not passed after {self.max_challenges} browser runs",
                )
        self.stats.inc_value(f"union/browser/{reason.replace(' ', '_').replace(':', '')}")
        try:
            rendered = await self.renderer.render(
                request.url,
                (response.status, _header_dict(response.headers), response.body),
                self._jar_cookies(request),
                self._fetcher(request),
                self._blocked,
            )
        except BrowserUnavailable as exc:
            self._missing = str(exc)
            logger.warning("pages that need a browser are skipped: %s", exc)
            return self._skip(request, response, host, f"needs a browser ({reason}): {exc}")
        except Exception as exc:
            self.stats.inc_value("union/browser/failed")
            logger.warning("browser failed on %s: %s", request.url, one_line(exc))
            self._record_failure(request, f"browser ({reason}): {one_line(exc)}")
            return response
        self._keep_cookies(rendered.cookies)
        if rendered.status is None or not 200 <= rendered.status < 300:
            self._record_failure(
                request, f"browser ({reason}): the page ended with status {rendered.status}"
            )
            return response
        self.stats.inc_value("union/browser/pages")
        meta[RENDERED_META] = reason
        page = HtmlResponse(
            page_url(rendered.url),  # an app route kept: the base of the route's links
            status=rendered.status,
            body=rendered.html.encode("utf-8"),
            encoding="utf-8",
            headers={"Content-Type": "text/html; charset=utf-8"},
            request=request,
        )
        links = extract_links(page.url, page)
        known = {link.url for link in links}
        links += [link for link in rendered.links if link.url not in known]
        meta["union_outlinks"] = links
        return page

    def _skip(self, request, response, host: str, why: str):
        if host not in self.skipped_hosts:
            self.skipped_hosts.add(host)
            self._record_failure(request, why)
        self.stats.inc_value("union/browser/skipped")
        return response

    def _record_failure(self, request, error: str) -> None:
        warc = self._component(WarcCaptureMiddleware)
        if warc is not None:
            warc.record_failure(request, error)

    def _blocked(self, url: str) -> str | None:
        netlocs = getattr(self.crawler.spider, "allowed_netlocs", None)
        parts = urlsplit(url)
        why = None
        if parts.scheme in ("ws", "wss"):
            why = "websocket"
            if parts.netloc.lower() not in self.socket_hosts:
                self.socket_hosts.add(parts.netloc.lower())
                logger.warning(
                    "a page's WebSocket to %s was refused (WebSockets are not crawled or "
                    "archived; union/browser/blocked_websocket counts them)",
                    url,
                )
        elif netlocs and parts.netloc.lower() not in netlocs:
            why = "offsite"
        elif check_url(url, self.allow_loopback, self.allow_private):
            why = "scope"
        if why:
            self.stats.inc_value(f"union/browser/blocked_{why}")
        return why

    def _fetcher(self, page_request):
        depth = page_request.meta.get("depth", 0)

        async def fetch(pw_request, cookie: str):
            headers = {
                k: v
                for k, v in (await pw_request.all_headers()).items()
                if k.lower() not in _DROP_FROM_BROWSER and not k.startswith(":")
            }
            headers.pop("cookie", None)
            if cookie:
                headers["Cookie"] = cookie
            request = Request(
                pw_request.url,
                method=pw_request.method,
                headers=headers,
                body=pw_request.post_data_buffer or b"",
                dont_filter=True,
                meta={
                    SUB_META: True,
                    "dont_redirect": True,
                    "handle_httpstatus_all": True,
                    "dont_merge_cookies": True,
                    "warc_conditional": False,
                    "depth": depth,
                },
            )
            self.stats.inc_value("union/browser/requests")
            response = await self.crawler.engine.download_async(request)
            ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
            links = json_links(response.url, response.body) if "json" in ctype else []
            return response.status, _header_dict(response.headers), response.body, links

        return fetch

    def _jar(self):
        mw = self._component(CookiesMiddleware)
        return None if mw is None else mw.jars[None]

    def _jar_cookies(self, request) -> list[dict]:
        jar = self._jar()
        if jar is None:
            return []
        host = urlsplit(request.url).hostname or ""
        return [
            _browser_cookie(c, request.url)
            for c in jar.jar
            if c.domain.lstrip(".") == host or host.endswith("." + c.domain.lstrip("."))
        ]

    def _keep_cookies(self, cookies: list[dict]) -> None:
        """The browser's cookies (a challenge's clearance) into Scrapy's jar."""
        jar = self._jar()
        if jar is None:
            return
        for c in cookies:
            jar.set_cookie(_jar_cookie(c))
