"""WarcCaptureMiddleware: every exchange into WARC, then ``capture_written``.

Install it closer to the downloader than RedirectMiddleware (600) and
HttpCompressionMiddleware (590), so that it sees every redirect hop and the body
as on the wire (Content-Encoding kept)::

    DOWNLOADER_MIDDLEWARES = {"crawler.warc.middleware.WarcCaptureMiddleware": 950}

Per exchange it writes, in one file and in this order: the response record (or a
revisit record), the request record (WARC-Concurrent-To the response) and a
metadata record (referrer, depth, ...).  A network failure gets one metadata record
(``fetch-error``).  Then it sends ``capture_written`` with an ``archive.capture.Capture``.

Recrawls: a GET's payload already archived (same WARC-Payload-Digest, any URL, this
crawl or an earlier one on the same data dir) is written as an identical-payload-digest
revisit (a POST's answer is always a full response); a URL with a stored
ETag/Last-Modified is fetched with If-None-Match / If-Modified-Since and a 304 is written
as a server-not-modified revisit.  Every check (200, 304, 404/410) also updates the
URL's revisit schedule (``crawler.revisit``).

The metadata record of a response carries the page's outlinks (``outlink: URL KIND``,
found by ``crawler.links.extract_links``, the very list the spider then follows: it is
handed over in ``request.meta["union_outlinks"]``) and the charsets the crawler knows:
declared in the HTTP header and in ``<meta>``, and the one it read the page with
(Scrapy/w3lib's choice).  The codec the indexer finally decodes with (it repairs
mislabelled pages) is ``captures.encoding``, not in the WARC.  A revisit of the same URL
leaves outlinks and charsets out: they are those of the record it refers to.
``request.meta["warc_conditional"] = False`` turns conditional GET off for one request
(e.g. list pages whose links must be read again); robots.txt is never conditional.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

from scrapy.exceptions import IgnoreRequest

from archive.contract import Capture, body_and_error, header, iso_seconds
from crawler.links import extract_links
from crawler.signals import capture_written
from crawler.warc import records as rec
from crawler.warc.files import CaptureFiles, one_line
from crawler.warc.handler import RAW_META_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

OUTLINKS_KEY = "union_outlinks"  # request.meta: the links written into the metadata record


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _timed(method):
    """Adds the thread CPU time spent in ``method`` to ``self.cpu`` (stat warc/cpu_seconds)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        t = time.thread_time()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.cpu += time.thread_time() - t

    return wrapper


class WarcCaptureMiddleware(CaptureFiles):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        return cls(crawler)

    # -- conditional GET -------------------------------------------------------------
    @_timed
    def process_request(self, request: Request) -> None:
        request.meta.pop(OUTLINKS_KEY, None)  # a redirect or retry copied the meta
        if not self.conditional or request.method != "GET":
            return None
        url = urldefrag(request.url)[0]
        ours = request.meta.get("_warc_conditional")
        if ours is not None:
            if ours["url"] == url:
                return None  # a retry of our conditional request
            # a redirect carried our validators to another URL: they are not its validators
            for name, key in ((b"If-None-Match", "etag"), (b"If-Modified-Since", "last_modified")):
                if ours[key] and request.headers.get(name) == ours[key].encode("latin-1"):
                    del request.headers[name]
            del request.meta["_warc_conditional"]
        if request.meta.get("warc_conditional") is False:
            return None
        if urlsplit(url).path == "/robots.txt":
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        self._ensure_open()
        row = self.state.validators(url)
        if row is None or not (row["etag"] or row["last_modified"]):
            return None
        if not self._readable(row, url):
            return None  # a 304 would refer to a lost record: fetch it in full
        if row["etag"]:
            request.headers[b"If-None-Match"] = row["etag"].encode("latin-1")
        if row["last_modified"]:
            request.headers[b"If-Modified-Since"] = row["last_modified"].encode("latin-1")
        request.meta["_warc_conditional"] = dict(row)
        return None

    # -- exchanges -----------------------------------------------------------------
    @_timed
    def process_response(self, request: Request, response: Response) -> Response:
        self._ensure_open()
        raw = request.meta.pop(RAW_META_KEY, None)
        conditional = request.meta.get("_warc_conditional")
        if raw and raw[1]:
            req_head, resp_head = raw
        else:
            req_head, resp_head = (
                rec.synthesize_request_head(request),
                rec.synthesize_response_head(response),
            )
        if not req_head:
            req_head = rec.synthesize_request_head(request)
        resp_head = rec.strip_transfer_encoding(resp_head)
        _, _, headers = rec.parse_head(resp_head)
        uri = urldefrag(request.url)[0]
        if conditional is not None and conditional["url"] != uri:
            conditional = None
        b = self.writer.builder
        date = b.curr_warc_date()
        body = response.body
        extra = {}
        if response.ip_address is not None:
            extra["WARC-IP-Address"] = str(response.ip_address)
        flags = response.flags or []
        complete = "dataloss" not in flags and "download_stopped" not in flags
        if not complete:
            extra["WARC-Truncated"] = "disconnect" if "dataloss" in flags else "unspecified"

        digest = rec.sha1_digest(body)
        # a POST's answer stands for its form, not its URL: no original, schedule or validators,
        # and never a revisit, which replay and the index would key by its URL alone
        by_url = request.method == "GET"
        refers = None  # the full response record this one refers to (revisits)
        original_at = None  # where that record is
        if response.status == 304 and conditional:
            refers = {"url": conditional["original_url"], "warc_date": conditional["warc_date"]}
            original_at = _location(conditional)
            digest = conditional["payload_digest"]
            first = rec.revisit_record(
                b, uri, date, resp_head, rec.REVISIT_NOT_MODIFIED, digest, refers, extra
            )
        else:
            original = None
            if by_url and self.dedup and complete and len(body) >= self.dedup_min:
                original = self.state.original(digest)
                if original is not None and not self._readable(original, uri):
                    self.state.forget_original(digest)  # this response takes its place
                    original = None
            if original is not None:
                refers = dict(original)
                original_at = _location(refers)
                first = rec.revisit_record(
                    b, uri, date, resp_head, rec.REVISIT_IDENTICAL, digest, refers, extra
                )
            else:
                first = rec.response_record(b, uri, date, resp_head, body, digest, extra)
        first_id = first.rec_headers.get_header("WARC-Record-ID")
        second = rec.request_record(b, uri, date, req_head, request.body or b"", first_id)

        if response.status == 304 and refers is not None:
            decoded, error = None, None
        else:
            decoded, error = body_and_error(body, headers)
        referrer = _text(request.headers.get(b"Referer"))
        redirects = request.meta.get("redirect_urls") or []
        depth = request.meta.get("depth", 0)
        fields = [
            ("referrer", referrer),
            ("via", redirects[-1] if redirects else None),
            ("depth", depth),
            ("content-error", error),
        ]
        if (
            response.status == 200
            and decoded is not None
            and error is None
            and not (refers is not None and refers["url"] == uri)
        ):
            fields += self._page_facts(request, response, decoded, headers)
        third = rec.metadata_record(b, uri, date, fields, concurrent_to=first_id)
        written = self._write([first, second, third])
        if written is None:
            raise IgnoreRequest(f"not archived (the crawl stops): {uri}")
        fname, off, length = written[0]

        record_type = "revisit" if refers is not None else "response"
        if (
            by_url
            and record_type == "response"
            and self.dedup
            and complete
            and len(body) >= self.dedup_min
        ):
            self.state.add_original(digest, uri, date, fname, off, length)
        if complete and by_url:
            self.state.checked(uri, date, response.status, digest, headers, self.policy)
        if response.status == 200 and complete and by_url:
            etag, lm = header(headers, "ETag"), header(headers, "Last-Modified")
            source = (
                refers
                if refers is not None
                else {
                    "url": uri,
                    "warc_date": date,
                    "warc_filename": fname,
                    "warc_offset": off,
                    "warc_length": length,
                }
            )
            self.state.set_validators(uri, etag, lm, digest, source, iso_seconds(date))
        self.stats.inc_value(f"warc/records/{record_type}")

        cap = Capture(
            url=uri,
            status=response.status,
            content_type=header(headers, "Content-Type"),
            warc_filename=fname,
            warc_offset=off,
            warc_length=length,
            payload_digest=digest,
            fetched_at=iso_seconds(date),
            crawl_id=self.crawl_id,
            error=error,
            record_type=record_type,
            refers_to_url=refers["url"] if refers else None,
            refers_to_date=refers["warc_date"] if refers else None,
            body=decoded,
            depth=depth,
            referrer=referrer,
            method=request.method,
            original_at=original_at,
        )
        self.crawler.signals.send_catch_log(signal=capture_written, capture=cap)
        return response

    def _page_facts(self, request, response, body: bytes, headers) -> list[tuple[str, str]]:
        """Charsets and outlinks of an HTML page (metadata fields); the links are handed
        to the spider in ``request.meta`` so that the page is parsed once."""
        from scrapy.http import HtmlResponse

        ctype = header(headers, "Content-Type") or ""
        if not isinstance(response, HtmlResponse) and "html" not in ctype.lower():
            return []
        from archive.contract import declared_charsets

        http_cs, meta_cs = declared_charsets(body, ctype)
        page = HtmlResponse(
            response.url,
            body=body,
            headers={"Content-Type": ctype} if ctype else None,
            request=request,
        )
        t = time.thread_time()
        try:
            links = extract_links(page.url, page)
            read_as = page.encoding
        except Exception as exc:  # links are the spider's business: never fail a capture
            logger.debug("no outlinks for %s: %s", page.url, exc)
            return []
        finally:
            # the spider's own work, done here once for both: not counted as capture cost
            self.cpu -= time.thread_time() - t
        request.meta[OUTLINKS_KEY] = links
        return [
            ("charset-http-header", http_cs),
            ("charset-meta", meta_cs),
            ("charset-read-as", read_as),
        ] + [("outlink", f"{link.url} {link.kind}") for link in links]

    @_timed
    def process_exception(self, request: Request, exception: Exception) -> None:
        request.meta.pop(RAW_META_KEY, None)
        if isinstance(exception, IgnoreRequest):
            return None  # not fetched (robots.txt, scope, ...): nothing to archive
        self.record_failure(request, one_line(exception))
        return None

    def record_failure(self, request: Request, error: str) -> None:
        """A fetch-error metadata record and a failure capture for ``request`` (a network
        failure, or a page another component could not capture, e.g. the browser's)."""
        self._ensure_open()
        uri = urldefrag(request.url)[0]
        b = self.writer.builder
        date = b.curr_warc_date()
        referrer = _text(request.headers.get(b"Referer"))
        depth = request.meta.get("depth", 0)
        record = rec.metadata_record(
            b,
            uri,
            date,
            [
                ("fetch-error", error),
                ("referrer", referrer),
                ("depth", depth),
                ("method", request.method if request.method != "GET" else None),
            ],
        )
        written = self._write([record])
        if written is None:
            return None
        [(fname, off, length)] = written
        self.stats.inc_value("warc/records/failure")
        cap = Capture(
            url=uri,
            status=None,
            warc_filename=fname,
            warc_offset=off,
            warc_length=length,
            fetched_at=iso_seconds(date),
            crawl_id=self.crawl_id,
            error=error,
            record_type="failure",
            depth=depth,
            referrer=referrer,
            method=request.method,
        )
        self.crawler.signals.send_catch_log(signal=capture_written, capture=cap)


def _location(row) -> tuple[str, int, int] | None:
    """(file, offset, length) of the record a state row names, if it names one."""
    if row.get("warc_filename") is None:
        return None
    return (row["warc_filename"], row["warc_offset"], row["warc_length"])
