"""A bare link-following spider: the baseline the benchmarks compare against.

No WARC capture, no indexer, no script pagination: plain Scrapy following
<a href> links on the start hosts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import scrapy

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.http import Request, Response


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {
        "EXTENSIONS": {"crawler.extensions.IndexerBridge": None},
        "DOWNLOADER_MIDDLEWARES": {},
        "DOWNLOAD_HANDLERS": {},  # Scrapy's own HTTP handler, not the WARC tee
        "SPIDER_MIDDLEWARES": {},
        "WARC_ENABLED": False,
        "UNION_INDEXER_ENABLED": False,
    }

    def __init__(self, start_urls=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(start_urls, str):
            start_urls = start_urls.split(",")
        self.start_urls = list(start_urls or [])
        self.allowed_netlocs = {urlsplit(u).netloc for u in self.start_urls}

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href)
            if urlsplit(url).netloc in self.allowed_netlocs:
                yield scrapy.Request(url, callback=self.parse)
