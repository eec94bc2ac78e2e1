"""Faithful WARC capture for the crawl.

* ``handler.WarcHTTPDownloadHandler`` — Scrapy's HTTP/1.1 handler that also keeps the
  exact request and response heads as they crossed the wire (reason phrase, header
  order, case and duplicates).
* ``middleware.WarcCaptureMiddleware`` — writes request/response/revisit/metadata
  records per exchange, does conditional GET and digest deduplication, and sends
  ``crawler.signals.capture_written``.
* ``files.CaptureFiles`` — the middleware's files, state and CDXJ lines: opened,
  written one exchange at a time, stopped on a full disk, closed.
* ``writer.WarcFileWriter`` — size-rotated ``.warc.gz`` files (``.open`` while written),
  gzip per record at a configurable level.
* ``state.CaptureState`` — digest and validator history across crawls (SQLite file).
* ``cdxj`` — CDXJ index per crawl; ``wacz`` — WACZ packaging (``union-archive wacz``).

See docs/warc.md.
"""
