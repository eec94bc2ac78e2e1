"""The focused spider: from portal entry pages to every report they lead to.

It only discovers and schedules: every response is captured into WARC by
``crawler.warc`` and extracted in the indexer process, never here.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import scrapy

from crawler.links import extract_links, url_shape
from crawler.sources import load_sources


class UnionSpider(scrapy.Spider):
    name = "union"

    def __init__(self, start_urls=None, sources=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(start_urls, str):
            start_urls = [u for u in start_urls.split(",") if u.strip()]
        if not start_urls:
            start_urls = [s["url"] for s in load_sources(sources)]
        self.start_urls = list(start_urls)
        # scope: the host *and port* of every start URL
        self.allowed_netlocs = {urlsplit(u).netloc.lower() for u in self.start_urls}

    async def start(self):
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, priority=20,
                                 meta={"shape": url_shape(url), "chain": 0})

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return  # attachments and binaries: captured, nothing to follow
        shape = response.meta.get("shape")
        chain = response.meta.get("chain", 0)
        for link in extract_links(response.url, response):
            link_shape = url_shape(link.url)
            yield scrapy.Request(
                link.url, callback=self.parse, priority=link.priority,
                meta={"shape": link_shape, "chain": chain + 1 if link_shape == shape else 0,
                      "link_kind": link.kind},
            )
