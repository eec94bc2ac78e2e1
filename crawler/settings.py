"""Scrapy settings for union-archive: polite by default.

`union-archive crawl` and `scrapy crawl union` both use these.  Tests and the
demo crawl loopback portals and lower the delays through ``-s`` overrides.
"""

import secrets
from datetime import UTC, datetime

from archive.contract import __version__

BOT_NAME = "union-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    f"union-archive/{__version__} "
    "(+https://github.com/union-archive/union-archive; archiving trade-union reports)"
)

# --- politeness -------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # seconds between requests to one host (Crawl-delay raises it)
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0  # seconds; doubles per retry (crawler.middlewares.BackoffRetryMiddleware)
RETRY_BACKOFF_MAX = 30.0
DOWNLOAD_TIMEOUT = 30
# Scrapy's two headers, and only the content codings that warcio, pywb and archive.warc.read
# all decode in any install (warcio decodes br only where brotlicffi is installed, zstd not
# at all); bodies sent so anyway are archived and decoded all the same
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}

# --- limits so that traps end -----------------------------------------------
DEPTH_LIMIT = 16  # clicks from a start page; next pages of a list are free
URLLENGTH_LIMIT = 512
DOWNLOAD_MAXSIZE = (
    20 * 1024 * 1024
)  # bytes; larger responses are cancelled and recorded as failures
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
UNION_PATTERN_CHAIN_LIMIT = 60  # hops in a row between pages of one URL shape or along a pager
UNION_PAGER_SHAPE_LIMIT = 5  # pager hops in one chain to a URL of another shape
UNION_HOST_PAGE_BUDGET = 0  # pages per host and crawl (0 = no limit; --host-budget)
UNION_RECHECK_DOCUMENTS = True  # recrawls re-check known document URLs (marks vanished ones gone)
UNION_RECHECK_MISSING_DAYS = 7  # links that answered 404/410 this recently are not asked again
# revisit schedule of archived articles and attachments (crawler/revisit.py, docs/scheduling.md)
UNION_RECHECK = "due"  # "due": only those whose revisit time has come; "all": every one
UNION_REVISIT_MIN_DAYS = 1.0  # bounds of a URL's revisit interval
UNION_REVISIT_MAX_DAYS = 30.0
UNION_REVISIT_INITIAL_DAYS = 7.0  # first interval without Last-Modified (else 10 % of its age)
UNION_REVISIT_GROWTH = 1.5  # interval x this after an unchanged check
UNION_REVISIT_SHRINK = 0.5  # interval x this after a changed one
UNION_REVISIT_SLACK_HOURS = 6.0  # due this much before its time still counts as due

# --- archive ------------------------------------------------------------------
UNION_DATA_DIR = "data"
UNION_CRAWL_ID = (
    datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
)  # one per process; `crawl --resume` keeps the old one
UNION_INDEXER_ENABLED = True
UNION_ALLOW_LOOPBACK = False  # loopback/private targets are refused unless allowed
UNION_ALLOW_PRIVATE = False
# bytes kept free on the disks of the data and WARC directories: below it a crawl stops,
# resumable (crawler/diskspace.py), so the indexer, frontier and log can still be written
UNION_MIN_FREE_SPACE = 250_000_000
WARC_ENABLED = True
WARC_PREFIX = "union"
WARC_DIR = None  # None: <UNION_DATA_DIR>/warc; any other is recorded in warc-dirs.txt
WARC_MAX_SIZE = 1_000_000_000  # bytes of a WARC file; the next exchange starts a new one
WARC_COMPRESSOR = None  # "isal" or "zlib"; None: isal (crawler/warc/writer.py)
WARC_GZIP_LEVEL = None  # None: the compressor's default level
WARC_DESCRIPTION = None  # the operator's description in each warcinfo record
WARC_CONDITIONAL_GET = True  # ask with the stored ETag/Last-Modified; a 304 becomes a revisit
WARC_DEDUP = True  # a payload already archived is written as a revisit record
WARC_DEDUP_MIN_SIZE = 256  # bytes; smaller payloads are always stored in full
WARC_CDXJ = True  # write <UNION_DATA_DIR>/indexes/<crawl id>.cdxj
WARC_STATE_PATH = None  # None: <UNION_DATA_DIR>/warc-state.sqlite (digests and validators)
UNION_INDEXER_QUEUE = 2000  # captures in memory on their way to the indexer; more wait on disk
UNION_EXTRACT_HELPERS = 1  # processes that extract ahead when captures back up; 0: none
UNION_RESUME = False  # set by `crawl --resume`: continue the interrupted crawl's row
UNION_TEST_CRASH = None  # tests only: a kill point, e.g. "indexer:60" (crawler/extensions.py)
# several workers, one frontier: set by `crawl --redis` (crawler/distributed.py)
UNION_REDIS_URL = None
UNION_REDIS_WORKER = None
UNION_REDIS_KEY = None  # prefix of the crawl's keys; None: "union-archive"
UNION_REDIS_BUSY_SECONDS = None  # an idle worker waits this long; None: 2 x DOWNLOAD_TIMEOUT, >= 60

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RedirectScopeMiddleware": 90,  # before robots.txt is asked for
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
    "crawler.middlewares.CrawlDelayMiddleware": 101,
    "crawler.extensions.HostBudgetMiddleware": 110,  # UNION_HOST_PAGE_BUDGET
    "crawler.middlewares.NotDueRedirectMiddleware": 120,  # revisit schedule for redirect targets
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # the spiders set no allowed_domains, so Scrapy's offsite filter let everything
    # through, at a signal handler and a URL parse per request (docs/performance.md):
    # scope is ScopeMiddleware's (links) and RedirectScopeMiddleware's (redirect targets)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.QuickMetaRefreshMiddleware": 580,  # Scrapy's, asked when it may matter
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Scrapy's, with tldextract's bundled public suffix list: no download from the internet
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.cookies.OfflineCookiesMiddleware": 700,
    # after decompression and redirects in the response order: challenges and app shells
    # go to Chromium (crawler/browser.py); other pages pass untouched
    "crawler.browser.BrowserMiddleware": 585,
    # closer to the downloader than redirects (600) and decompression (590): sees every
    # hop and the body as on the wire
    "crawler.warc.middleware.WarcCaptureMiddleware": 950,
}
# --- browser capture (crawler/browser.py): only for challenges, app shells, `render: browser`
UNION_BROWSER_ENABLED = True
UNION_BROWSER_EXECUTABLE = "/usr/bin/chromium"  # Debian's; Playwright never downloads one
UNION_BROWSER_PAGES = 1  # browser pages at a time
UNION_BROWSER_PAGE_TIMEOUT = 30.0  # seconds a page may take, its requests included
UNION_BROWSER_JS_HEAP_MB = 256  # V8 heap bound of a page
UNION_BROWSER_CHALLENGES_PER_HOST = 3  # browser runs for challenges of one host, then a failure
UNION_BROWSER_NETNS = True  # Chromium in a network namespace of its own, where one can be made
UNION_BROWSER_HOSTS = []  # host:port whose every page is rendered (`render: browser`)

DOWNLOAD_HANDLERS = {  # keeps reason phrase and raw header lines for the WARC records
    "http": "crawler.warc.handler.WarcHTTPDownloadHandler",
    "https": "crawler.warc.handler.WarcHTTPDownloadHandler",
}
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.ScopeMiddleware": 50,
    # pages of one list do not add depth (DEPTH_LIMIT counts clicks from the start pages)
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "crawler.middlewares.PageRefererMiddleware": 700,  # the same Referer, once a page
    "crawler.middlewares.PaginationDepthMiddleware": 900,
}
EXTENSIONS = {
    "crawler.extensions.IndexerBridge": 500,
    "crawler.distributed.WorkerIdle": 510,  # only with `crawl --redis` (UNION_REDIS_URL)
    "crawler.progress.CrawlProgress": 530,  # only with UNION_PROGRESS
}

# Scrapy (asyncio reactor) starts CONCURRENT_ITEMS tasks for every callback's output; its
# default of 100 costs CPU on every response (docs/performance.md). Our callbacks
# yield a few requests and no items: 8 is plenty.
CONCURRENT_ITEMS = 8
# Scrapy checks each callback for a generator that returns a value by reading its source
# and parsing it (inspect.getsource + ast.parse); its cache holds bound methods weakly, so
# the check runs again for every response. It is off; tests/test_links_scope.py runs the
# same check once over the spiders' callbacks instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
# the status on the screen and the log in DIR/logs only (crawler/progress.py): "auto", "live"
# or "lines", set by `union-archive crawl --progress`; empty: Scrapy's log on stderr
UNION_PROGRESS = ""
UNION_PROGRESS_INTERVAL = 60.0  # seconds between plain progress lines (not a terminal)
LOGSTATS_INTERVAL = 15.0
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control: an HTTP server in the crawler that runs Python code sent
# to it (token in a job file under the user's home): no such door in an archiving crawler
# of untrusted pages, as with the telnet console; it also imports aiohttp at each start
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# app routes (/#/list/2, #!/...) are pages of their own; other fragments are not (crawler/routes.py)
REQUEST_FINGERPRINTER_CLASS = "crawler.routes.RouteFingerprinter"
FEED_EXPORT_ENCODING = "utf-8"
