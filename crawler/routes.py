"""App routes: URL fragments a single-page app reads as its page (``#/list/2``, ``#!/article/41``).

A fragment is never sent to the server: it addresses a page of its own only for a browser
that runs the page's scripts, which read ``location.hash``.  A fragment starting with ``/``
or ``!/`` (a hash-bang route) is such an app route; any other (``#top``, ``#content``,
``#``) is a place in a page, and a link to it is a link to the page.  Links keep app routes
(``page_url``) and the crawl's request fingerprinter (``REQUEST_FINGERPRINTER_CLASS``) counts
them, so ``/#/list/2`` is a request of its own, not a repeat of ``/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urldefrag

from scrapy.utils.request import fingerprint

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

ROUTE_PREFIXES = ("/", "!/")


def app_route(url: str) -> str:
    """The app route in ``url``'s fragment (``/list/2``, ``!/article/41``), or ""."""
    fragment = urldefrag(url)[1]
    return fragment if fragment.startswith(ROUTE_PREFIXES) else ""


def page_url(url: str) -> str:
    """``url`` as the address of a page: an app route kept, any other fragment dropped."""
    base, fragment = urldefrag(url)
    return f"{base}#{fragment}" if fragment.startswith(ROUTE_PREFIXES) else base


class RouteFingerprinter:
    """Scrapy's own request fingerprint, with the fragment kept when it is an app route
    (Scrapy's ``keep_fragments``); a plain fragment is ignored as Scrapy does."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        pass

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RouteFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        return fingerprint(request, keep_fragments=bool(app_route(request.url)))
