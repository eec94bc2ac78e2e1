"""Project signals.

``capture_written`` is sent by ``crawler.warc.middleware.WarcCaptureMiddleware``
once per fetched URL (each redirect hop, robots.txt, error responses, network
failures) *after* the WARC records of that exchange are written::

    crawler.signals.send_catch_log(signal=capture_written, capture=Capture(...))

Handlers receive one keyword argument, ``capture`` (an ``archive.capture.Capture``).
"""

capture_written = object()
