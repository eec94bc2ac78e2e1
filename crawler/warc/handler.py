"""Scrapy's HTTP/1.1 download handler, keeping the exchange as it crossed the wire.

Scrapy's ``Response`` loses the reason phrase, the header order, case and
duplicates.  This handler's connection protocol tees the bytes of the request head
it writes and of the response head it reads; the download puts them in
``request.meta["_warc_raw"] = (request_head: bytes, response_head: bytes)`` for
``WarcCaptureMiddleware``.  The body is what Twisted hands over: de-chunked, with
its Content-Encoding untouched.

Settings::

    DOWNLOAD_HANDLERS = {"http": "crawler.warc.handler.WarcHTTPDownloadHandler",
                         "https": "crawler.warc.handler.WarcHTTPDownloadHandler"}

It is also where the crawl's address rules (``crawler.addresses``) meet the network:
before connecting, the URL's host (in any numeric spelling) and, for a name, the address
the resolver answers must be allowed by ``UNION_ALLOW_LOOPBACK`` / ``UNION_ALLOW_PRIVATE``;
and the address a connection actually reached is checked again before a byte is sent.
A refused fetch raises ``RefusedAddress``: recorded as a failure, never retried.

(Built on Scrapy internals of ``scrapy.core.downloader.handlers.http11``; tested with
Scrapy 2.19.  Without this handler the middleware falls back to Scrapy's parsed
response and a standard reason phrase.)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.deprecate import warn_on_deprecated_spider_attribute
from scrapy.utils.httpobj import urlparse_cached

from crawler.addresses import RefusedAddress, address_refused, connect_refusal, flag, host_address

if TYPE_CHECKING:
    from scrapy.http import Request, Response
    from twisted.internet.defer import Deferred

RAW_META_KEY = "_warc_raw"
_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 256 * 1024


class _TeeTransport:
    """Forwards to the real transport and keeps the bytes up to the end of the head."""

    def __init__(self, transport, sink: bytearray):
        self._transport = transport
        self._sink = sink

    def _keep(self, data: bytes) -> None:
        if _HEAD_END not in self._sink and len(self._sink) < _MAX_HEAD:
            self._sink += data
            end = self._sink.find(_HEAD_END)
            if end >= 0:
                del self._sink[end + 4 :]

    def write(self, data):
        self._keep(data)
        return self._transport.write(data)

    def writeSequence(self, seq):
        seq = list(seq)
        for data in seq:
            self._keep(data)
        return self._transport.writeSequence(seq)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class WarcClientProtocol(http11._LenientHTTP11ClientProtocol):
    _head_in: bytearray | None = None

    def request(self, request: Request) -> Deferred:
        sent = bytearray()
        write_to = request.writeTo
        request.writeTo = lambda transport: write_to(_TeeTransport(transport, sent))
        self._head_in = bytearray()
        received = self._head_in
        d = super().request(request)

        def attach(response):
            end = received.find(_HEAD_END)
            response._warc_raw = (bytes(sent), bytes(received[: end + 4] if end >= 0 else received))
            return response

        d.addCallback(attach)
        return d

    def dataReceived(self, data: bytes) -> None:
        head = self._head_in
        if head is not None and _HEAD_END not in head and len(head) < _MAX_HEAD:
            head += data
        super().dataReceived(data)


class WarcClientFactory(http11._LenientHTTP11ClientFactory):
    def __init__(self, *args, allow_loopback: bool = False, allow_private: bool = False):
        super().__init__(*args)
        self.allow = (allow_loopback, allow_private)

    def buildProtocol(self, addr: Any) -> WarcClientProtocol:
        # the peer of a new connection: whatever resolved to it, nothing is sent to a refused one
        why = connect_refusal(addr.host, *self.allow) if hasattr(addr, "host") else None
        if why:
            raise RefusedAddress(f"connected to a {why}")
        return WarcClientProtocol(self._quiescentCallback)


class _WarcAgent(http11._ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        request.meta[RAW_META_KEY] = getattr(txresponse, "_warc_raw", None)
        return super()._cb_bodyready(txresponse, request)


class WarcHTTPDownloadHandler(http11.HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.allow = (
            crawler.settings.getbool("UNION_ALLOW_LOOPBACK"),
            crawler.settings.getbool("UNION_ALLOW_PRIVATE"),
        )
        self._pool._factory = functools.partial(
            WarcClientFactory, allow_loopback=self.allow[0], allow_private=self.allow[1]
        )

    async def _check_address(self, request) -> None:
        """Raises RefusedAddress when the request's host is, or resolves to, a refused address."""
        host = urlparse_cached(request).hostname or ""
        ip = host_address(host)
        if ip is None:
            why = address_refused(host, *self.allow)  # localhost names
            if why:
                raise RefusedAddress(f"{why} refused: {host} (pass {flag(why)} to allow it)")
            from twisted.internet import reactor

            try:  # Scrapy's caching resolver: the connection is then made to this answer
                ip = await maybe_deferred_to_future(reactor.resolve(host))
            except Exception:
                return  # the connection attempt reports the failed look-up
        why = connect_refusal(ip, *self.allow, host=host)
        if why:
            raise RefusedAddress(why)

    async def download_request(self, request: Request) -> Response:
        # Same as HTTP11DownloadHandler.download_request, with _WarcAgent and address checks.
        await self._check_address(request)
        spider = self._crawler.spider
        if hasattr(spider, "download_maxsize"):  # pragma: no cover
            warn_on_deprecated_spider_attribute("download_maxsize", "DOWNLOAD_MAXSIZE")
        request.meta.pop(RAW_META_KEY, None)
        agent = _WarcAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=getattr(spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                http11.logger.warning(http11.get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
