"""Politeness and safety middlewares.

* ``CrawlDelayMiddleware`` honours robots.txt ``Crawl-delay`` (Scrapy parses it
  but does not apply it) by raising the download slot's delay.
* ``BackoffRetryMiddleware`` is Scrapy's retry with exponential backoff.
* ``ScopeMiddleware`` keeps requests on the start hosts (host and port), on
  http(s), off loopback and private addresses unless allowed (``crawler.addresses``:
  by the URL's text here, by the connected address in the download handler), and ends
  URL-shape chains and pager chains (next-day calendars, endless 下一页 and similar traps).
* ``RedirectScopeMiddleware`` holds redirect targets to the same hosts and ranges: the
  redirect is archived, a target elsewhere is not fetched (nor its robots.txt).
* ``NotDueRedirectMiddleware`` drops a redirect to an archived document that is not
  due for a re-check (the spider's revisit rule, for requests the spider never sees).
* ``PageRefererMiddleware`` is Scrapy's ``RefererMiddleware``, its answer computed once
  per page for the links to one origin.
* ``QuickMetaRefreshMiddleware`` is Scrapy's ``MetaRefreshMiddleware``, which it asks
  only about pages that have the word "refresh" at all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.depth import DepthMiddleware
from scrapy.spidermiddlewares.referer import RefererMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

from crawler.addresses import address_refused, flag

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.delays: dict[str, float] = {}
        self.useragent = crawler.settings.get("USER_AGENT")
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        delay = robotparser.crawl_delay(self.useragent)
        if delay:
            netloc = urlsplit(request.url).netloc
            self.delays[netloc] = float(delay)
            logger.info("Crawl-delay %.1fs for %s (robots.txt)", delay, netloc)

    def process_request(self, request: Request) -> None:
        delay = self.delays.get(urlsplit(request.url).netloc)
        if not delay:
            return None
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay  # AutoThrottle may lower it between requests: re-raise it
        return None


class NotDueRedirectMiddleware:
    """Redirects are followed by RedirectMiddleware without passing the spider: apply the
    spider's not-due rule (``UnionSpider._not_due``) to their targets here."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NotDueRedirectMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("redirect_urls"):
            return None
        not_due = getattr(self.crawler.spider, "_not_due", None)
        if not_due is not None and not_due(request.url):
            raise IgnoreRequest(f"archived and not due for a re-check: {request.url}")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries 5xx and timeouts, waiting base * 2**n seconds before retry n."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX")

    async def _backoff(self, retry: Request | None):
        if retry is not None and self.base > 0:
            from twisted.internet import reactor  # the installed one (asyncio), never at import

            n = retry.meta.get("retry_times", 1)
            await maybe_deferred_to_future(
                deferLater(reactor, min(self.cap, self.base * 2 ** (n - 1)), lambda: None)
            )
        return retry

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._backoff(result)
        return result

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._backoff(result)
        return result


def check_url(url: str, allow_loopback: bool = False, allow_private: bool = False) -> str | None:
    """Why a URL may not be crawled (one line), or None when it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"not an http(s) URL: {url}"
    if not parts.hostname:
        return f"no host in URL: {url}"
    try:
        _ = parts.port
    except ValueError:
        return f"bad port in URL: {url}"
    why = address_refused(parts.hostname, allow_loopback, allow_private)
    if why:
        return f"{why} refused: {url} (pass {flag(why)} to allow it)"
    return None


class ScopeMiddleware:
    def __init__(self, crawler):
        s = crawler.settings
        self.allow_loopback = s.getbool("UNION_ALLOW_LOOPBACK")
        self.allow_private = s.getbool("UNION_ALLOW_PRIVATE")
        self.chain_limit = s.getint("UNION_PATTERN_CHAIN_LIMIT")
        self.pager_shape_limit = s.getint("UNION_PAGER_SHAPE_LIMIT")
        self.stats = crawler.stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def _out_of_scope(self, request: Request) -> str | None:
        """Why ``request`` leaves the crawl's hosts or address ranges, or None."""
        netlocs = getattr(self.crawler.spider, "allowed_netlocs", None)
        parts = urlsplit(request.url)
        if netlocs and parts.netloc.lower() not in netlocs:
            return "offsite"
        if check_url(request.url, self.allow_loopback, self.allow_private):
            return "scope"
        return None

    def _keep(self, request: Request) -> bool:
        why = self._out_of_scope(request)
        if why:
            self.stats.inc_value(f"union/filtered/{why}")
            return False
        if request.meta.get("chain", 0) > self.chain_limit:
            self.stats.inc_value("union/filtered/trap_chain")
            return False
        if request.meta.get("pager_turns", 0) > self.pager_shape_limit:
            self.stats.inc_value("union/filtered/trap_pager")
            return False
        return True

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for item in result:
            if not isinstance(item, Request) or self._keep(item):
                yield item

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for item in result:
            if not isinstance(item, Request) or self._keep(item):
                yield item


class RedirectScopeMiddleware(ScopeMiddleware):
    """A downloader middleware, before robots.txt's: a redirected request (HTTP or meta
    refresh) whose target leaves the start hosts, or goes to a loopback or private
    address when those are not allowed, is dropped. The redirect itself is archived;
    ``ScopeMiddleware`` only sees the links the spider yields.

    A start URL that moves to another host (``example.org`` -> ``www.example.org``) is
    followed, and that host joins the start hosts: it is where the site is (unless it is
    a loopback or private address that is not allowed)."""

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        hops = request.meta.get("redirect_urls")
        if not hops:
            return None
        why = self._out_of_scope(request)
        spider = self.crawler.spider
        netlocs = getattr(spider, "allowed_netlocs", None)
        if (
            why == "offsite"
            and isinstance(netlocs, set)
            and hops[0] in getattr(spider, "start_urls", ())
            and not check_url(request.url, self.allow_loopback, self.allow_private)
        ):
            netloc = urlsplit(request.url).netloc.lower()
            netlocs.add(netloc)
            self.stats.inc_value("union/scope/hosts_from_start_redirects")
            logger.info(
                "start URL %s moved to %s: %s joins the crawl's hosts", hops[0], request.url, netloc
            )
            return None
        if why:
            self.stats.inc_value(f"union/filtered/redirect_{why}")
            logger.info(
                "redirect to %s not followed: out of the crawl's scope (%s)", request.url, why
            )
            raise IgnoreRequest(f"redirect out of scope ({why}): {request.url}")
        return None


class PaginationDepthMiddleware(DepthMiddleware):
    """Scrapy's DepthMiddleware, except that the next page of a list (or of a multi-page
    article) is as deep as the page that links to it: DEPTH_LIMIT counts clicks away
    from the start pages, not pages of one list, so a list of 500 pages is read to its
    end.  Pagination chains stay bounded by UNION_PATTERN_CHAIN_LIMIT (pager hops in a row,
    whatever their URLs' shape), UNION_PAGER_SHAPE_LIMIT (pager hops in one chain that
    change the URL's shape), the host page budget and the URL length limit."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is not None and request.meta.get("link_kind") == "pagination":
            request.meta.pop("depth_reset", None)
            request.meta["depth"] = response.meta.get("depth", 0)
            return request
        return super().get_processed_request(request, response)


class PageRefererMiddleware(RefererMiddleware):
    """Scrapy's ``RefererMiddleware`` (same policies, settings, ``Referrer-Policy``
    headers and redirect handling), its Referer computed once per page for the links to
    one (scheme, host) and reused: every policy decides from the request URL's scheme
    and origin alone, and its meta ``referrer_policy``, which the key holds too.  The
    links of a page are processed one after another; the last page's answers are kept,
    which spares the policy and URL parsing per link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._page = None
        self._answers: dict = {}

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if response is None:
            return request
        parts = urlparse_cached(request)
        key = (parts.scheme, parts.netloc, request.meta.get("referrer_policy"))
        if response is not self._page:
            self._page, self._answers = response, {}
        try:
            referrer = self._answers[key]
        except KeyError:
            referrer = self._answers[key] = self.policy(response, request).referrer(
                response.url, request.url
            )
        if referrer is not None:
            request.headers.setdefault("Referer", referrer)
        return request


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, skipped for a page without "refresh" in its
    bytes (any case): it decodes the whole page and strips tags from it to look for
    ``<meta http-equiv="refresh">``.  Pages that may be UTF-16 or
    UTF-32 (a BOM or NUL bytes at the start), where the word is not in ASCII, still go
    through it whole."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if not isinstance(response, HtmlResponse):  # Scrapy's own answer: unchanged,
            return super().process_response(request, response)  # and no copy of a PDF
        body = response.body
        head = body[:1024]
        if (
            b"refresh" not in body.lower()
            and b"\0" not in head
            and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
        ):
            return response
        return super().process_response(request, response)
