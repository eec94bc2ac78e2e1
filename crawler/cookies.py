"""Scrapy's cookie handling without its one download: the public suffix list.

Scrapy's ``CookiesMiddleware`` asks tldextract whether a cookie's domain is a public
suffix, and tldextract's default fetches the list from publicsuffix.org first (a DNS
look-up and an HTTPS request outside the crawl's hosts).  ``OfflineCookiesMiddleware``
makes it use the snapshot shipped inside the tldextract package instead.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares import cookies
from tldextract import TLDExtract

# no URLs and no cache directory: the bundled snapshot, read once, nothing written
OFFLINE_SPLIT = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class OfflineCookiesMiddleware(cookies.CookiesMiddleware):
    def __init__(self, *args, **kwargs):
        # Scrapy looks the extractor up by this module-level name on every cookie; set here
        # so that however the middleware is made (from_crawler or directly) it is offline
        cookies._split_domain = OFFLINE_SPLIT
        super().__init__(*args, **kwargs)
