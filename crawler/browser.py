"""Browser capture: Debian's Chromium through Playwright, only for the pages that need it.

``BrowserMiddleware`` (a downloader middleware, after the WARC middleware and
decompression) looks at each HTML answer Scrapy fetched.  Three kinds go to the browser:

* a **challenge**: a script-only page (any status: 加速乐's 521, Ruishu's 412, a 200)
  whose script computes a cookie and reloads;
* an **app shell**: an empty root element and script bundles, no content links;
* any page of a host whose source is marked ``render: browser`` in the sources file.

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

import asyncio
import http.cookiejar
import json
import logging
import os
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html
from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse

from crawler.links import Link, extract_links
from crawler.middlewares import check_url
from crawler.warc.middleware import WarcCaptureMiddleware

logger = logging.getLogger(__name__)

CHALLENGE, APP_SHELL, SOURCE = "challenge", "app shell", "render: browser"
SUB_META = "union_browser_sub"  # request.meta: a request the browser made
RENDERED_META = "union_rendered"  # request.meta: why the response was rendered
_MAX_SHELL_BYTES = 64 * 1024  # larger pages carry content of their own
_MAX_SHELL_TEXT = 80  # visible characters (as latin-1) a shell or challenge may show
_DROP_FROM_BROWSER = {"accept-encoding", "host", "content-length", "connection"}
_DROP_TO_BROWSER = {b"content-encoding", b"content-length", b"transfer-encoding"}
_LINK_KEYS = {"url", "href", "link", "path", "uri"}


def browser_reason(status: int, body: bytes, content_type: str, outlinks=None) -> str | None:
    """Why this answer needs a browser (CHALLENGE, APP_SHELL), or None.  ``outlinks``:
    the links the WARC middleware already found; a page with any needs none."""
    if outlinks:
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
                    target = urljoin(url, value.strip()).split("#")[0]
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


@dataclass
class Rendered:
    url: str
    status: int | None
    html: str
    cookies: list = field(default_factory=list)
    links: list = field(default_factory=list)  # from JSON answers


class BrowserUnavailable(Exception):
    pass


class Renderer:
    """One Chromium (started on first use), a fresh context per page, every request of
    the page answered by ``fetch`` (a coroutine: Playwright request -> Scrapy response)."""

    def __init__(self, settings):
        self.executable = settings.get("UNION_BROWSER_EXECUTABLE") or "/usr/bin/chromium"
        self.timeout = settings.getfloat("UNION_BROWSER_PAGE_TIMEOUT", 30.0)
        self.heap_mb = settings.getint("UNION_BROWSER_JS_HEAP_MB", 256)
        self.user_agent = settings.get("USER_AGENT")
        self.semaphore = asyncio.Semaphore(max(1, settings.getint("UNION_BROWSER_PAGES", 1)))
        self._playwright = None
        self._browser = None

    def missing(self) -> str | None:
        """Why no browser can run here, or None."""
        if not os.access(self.executable, os.X_OK):
            return f"Chromium not found at {self.executable} (apt-get install chromium)"
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            return "the Python package playwright is not installed (pip install -e '.[browser]')"
        return None

    async def _launch(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        from playwright.async_api import async_playwright

        if self._playwright is None:
            self._playwright = await async_playwright().start()
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            f"--js-flags=--max-old-space-size={self.heap_mb}",
        ]
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, args=args
            )
        except Exception as exc:
            raise BrowserUnavailable(f"Chromium did not start: {_one_line(exc)}") from exc
        return self._browser

    async def render(self, url: str, first, cookies: list[dict], fetch, blocked) -> Rendered:
        """Open ``url`` answering its first navigation with ``first`` (status, headers,
        body); ``blocked(url)`` says why a request may not leave (or None)."""
        async with self.semaphore:
            browser = await self._launch()
            context = await browser.new_context(
                user_agent=self.user_agent, locale="zh-CN", service_workers="block"
            )
            try:
                return await asyncio.wait_for(
                    self._render(context, url, first, cookies, fetch, blocked), self.timeout
                )
            except TimeoutError:
                raise TimeoutError(f"page not rendered within {self.timeout:g} s") from None
            finally:
                try:
                    await context.close()
                except Exception:  # a crashed browser has no context left to close
                    pass

    async def _render(self, context, url, first, cookies, fetch, blocked) -> Rendered:
        from playwright.async_api import Error as PlaywrightError

        if cookies:
            await context.add_cookies(cookies)
        page = await context.new_page()
        crashed = asyncio.get_running_loop().create_future()
        page.on("crash", lambda _: crashed.done() or crashed.set_result("the page crashed"))
        state = {"first": first, "status": None, "links": []}

        async def route(route):
            request = route.request
            main = request.is_navigation_request() and request.frame == page.main_frame
            try:
                if state["first"] is not None and main and request.url == url:
                    status, headers, body = state["first"]
                    state["first"] = None
                else:
                    why = blocked(request.url)
                    if why:
                        await route.abort("blockedbyclient")
                        return
                    cookie = "; ".join(
                        f"{c['name']}={c['value']}" for c in await context.cookies([request.url])
                    )
                    try:
                        status, headers, body, links = await fetch(request, cookie)
                    except IgnoreRequest:
                        await route.abort("blockedbyclient")
                        return
                    state["links"] += links
                if main:
                    state["status"] = status
                await route.fulfill(status=status, headers=headers, body=body)
            except PlaywrightError:
                pass  # the page went away (a new navigation, closed): nothing to answer
            except Exception as exc:
                logger.info("browser request %s failed: %s", request.url, _one_line(exc))
                try:
                    await route.abort("failed")
                except PlaywrightError:
                    pass

        await page.route("**/*", route)

        async def load():
            try:
                await page.goto(url, wait_until="load")
            except PlaywrightError as exc:
                if not any(
                    w in str(exc) for w in ("interrupted by another navigation", "ERR_ABORTED")
                ):
                    raise
            # scripts that reload (challenges) or fetch (apps): wait until the network rests
            for _ in range(3):
                try:
                    await page.wait_for_load_state("networkidle")
                    return await page.content()
                except PlaywrightError as exc:
                    if "navigat" not in str(exc).lower():
                        raise
            return await page.content()

        done, _ = await asyncio.wait(
            [asyncio.ensure_future(load()), crashed], return_when=asyncio.FIRST_COMPLETED
        )
        if crashed in done:
            raise RuntimeError(crashed.result())
        html = done.pop().result()
        return Rendered(
            url=page.url,
            status=state["status"],
            html=html,
            cookies=await context.cookies(),
            links=state["links"],
        )

    async def close(self):
        try:
            if self._browser is not None:
                await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()
        except Exception:  # a dead browser: nothing left to close
            pass
        self._browser = self._playwright = None


def _one_line(exc) -> str:
    return (" ".join(str(exc).split()) or exc.__class__.__name__)[:300]


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
        if not s.getbool("UNION_BROWSER_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.allow_loopback = s.getbool("UNION_ALLOW_LOOPBACK")
        self.allow_private = s.getbool("UNION_ALLOW_PRIVATE")
        self.max_challenges = s.getint("UNION_BROWSER_CHALLENGES_PER_HOST", 3)
        self.renderer = Renderer(s)
        self.forced_hosts = {h.lower() for h in s.getlist("UNION_BROWSER_HOSTS")}
        self.challenges: dict[str, int] = {}
        self.skipped_hosts: set[str] = set()
        self._missing: str | None | bool = False  # False: not asked yet
        from scrapy import signals

        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def spider_closed(self, spider):
        await self.renderer.close()

    def _component(self, cls):
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, cls):
                return mw
        return None

    async def process_response(self, request, response):
        meta = request.meta
        if meta.get(SUB_META) or meta.get(RENDERED_META) or request.method != "GET":
            return response
        if urlsplit(request.url).path == "/robots.txt":
            return response
        host = urlsplit(request.url).netloc.lower()
        forced = host in self.forced_hosts
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if forced and response.status == 200 and "html" in ctype.lower():
            reason = SOURCE
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
            logger.warning("browser failed on %s: %s", request.url, _one_line(exc))
            self._record_failure(request, f"browser ({reason}): {_one_line(exc)}")
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
            rendered.url.split("#")[0],
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
        why = None
        if netlocs and urlsplit(url).netloc.lower() not in netlocs:
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
