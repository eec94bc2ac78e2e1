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

(Built on Scrapy internals of ``scrapy.core.downloader.handlers.http11``; tested with
Scrapy 2.19.  Without this handler the middleware falls back to Scrapy's parsed
response and a standard reason phrase.)
"""
from __future__ import annotations

from scrapy.core.downloader.handlers import http11
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.deprecate import warn_on_deprecated_spider_attribute

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
                del self._sink[end + 4:]

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

    def request(self, request):
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

    def dataReceived(self, data):
        head = self._head_in
        if head is not None and _HEAD_END not in head and len(head) < _MAX_HEAD:
            head += data
        super().dataReceived(data)


class WarcClientFactory(http11._LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):
        return WarcClientProtocol(self._quiescentCallback)


class _WarcAgent(http11._ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        request.meta[RAW_META_KEY] = getattr(txresponse, "_warc_raw", None)
        return super()._cb_bodyready(txresponse, request)


class WarcHTTPDownloadHandler(http11.HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool._factory = WarcClientFactory

    async def download_request(self, request):
        # Same as HTTP11DownloadHandler.download_request, with _WarcAgent.
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
