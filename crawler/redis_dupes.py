"""scrapy-redis's shared duplicate filter with the crawl's request fingerprint (``crawl --redis``).

scrapy-redis computes a fingerprint of its own, which drops every URL fragment and would
take a single-page app's route (``/#/list/2``) for a repeat of ``/``; this filter asks
``crawler.routes.RouteFingerprinter``, as Scrapy's own filter does in a one-process crawl.
Imported only by scrapy-redis's scheduler, so the ``redis`` extra stays optional.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.routes import RouteFingerprinter

if TYPE_CHECKING:
    from scrapy import Request


class RouteDupeFilter(RFPDupeFilter):
    fingerprinter = RouteFingerprinter()

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()
