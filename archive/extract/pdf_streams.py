"""pdfminer's stream filters with a budget: decompression bombs in PDFs end in an error.

pdfminer.six decodes a stream (FlateDecode, LZWDecode, RunLengthDecode) whole, with no
limit of its own, so a 1 MB stream can ask for gigabytes.  Its filters are looked up in
``pdfminer.pdftypes`` when a stream is decoded, so ``install()`` replaces them there once
with bounded equivalents that share one budget per document (``budget(n)``): past it they
raise ``StreamTooLarge``.  The other filters (ASCII85, ASCIIHex) only shrink their input and
images are never decoded for text.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import zlib
from collections.abc import Iterator
from io import BytesIO

MAX_STREAM_BYTES = 64 * 1024 * 1024  # decoded bytes of all of one PDF's streams
_left = contextvars.ContextVar("pdf_stream_budget", default=None)


class StreamTooLarge(ValueError):
    pass


@contextlib.contextmanager
def budget(limit: int = MAX_STREAM_BYTES) -> Iterator[None]:
    """Within this block, pdfminer decodes at most ``limit`` bytes of streams in all."""
    install()
    token = _left.set([limit, limit])
    try:
        yield
    finally:
        _left.reset(token)


def _budgeted(decode):
    @functools.wraps(decode)
    def wrapper(*args, **kwargs):
        if _left.get() is not None:
            return decode(*args, **kwargs)
        with budget():  # outside a document's budget: one for this stream
            return decode(*args, **kwargs)

    return wrapper


def _take(n: int) -> None:
    left = _left.get()
    left[0] -= n
    if left[0] < 0:
        raise StreamTooLarge(f"pdf streams larger than {left[1]} bytes when decoded")


def _room() -> int:
    return max(_left.get()[0], 0)


@_budgeted
def inflate(data: bytes, tolerant: bool = False) -> bytes:
    """zlib data, decoded within the budget; ``tolerant``: what it gave before an error
    (pdfminer's fallback for streams with a bad checksum)."""
    d, out = zlib.decompressobj(), []
    try:
        part = d.decompress(data, _room() + 1)
        while True:
            _take(len(part))
            out.append(part)
            if d.eof or not d.unconsumed_tail:
                break
            part = d.decompress(d.unconsumed_tail, _room() + 1)
        if not d.eof:
            raise zlib.error("incomplete or truncated stream")
    except zlib.error:
        if not tolerant:
            raise
    return b"".join(out)


@_budgeted
def lzwdecode(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out = []
    for part in LZWDecoder(BytesIO(data)).run():
        _take(len(part))
        out.append(part)
    return b"".join(out)


@_budgeted
def rldecode(data: bytes) -> bytes:
    """RunLengthDecode (PDF 32000 7.4.5), within the budget."""
    out, i = bytearray(), 0
    while i < len(data):
        n = data[i]
        if n == 128:
            break
        if n < 128:
            part = data[i + 1 : i + 2 + n]
            i += 2 + n
        else:
            part = data[i + 1 : i + 2] * (257 - n)
            i += 2
        _take(len(part))
        out += part
    return bytes(out)


class _Zlib:
    """What ``pdfminer.pdftypes`` uses of the zlib module."""

    error = zlib.error
    decompressobj = staticmethod(zlib.decompressobj)
    decompress = staticmethod(inflate)


def install() -> None:
    from pdfminer import pdftypes

    if pdftypes.zlib is not _Zlib:
        pdftypes.zlib = _Zlib
        pdftypes.decompress_corrupted = lambda data: inflate(data, tolerant=True)
        pdftypes.lzwdecode = lzwdecode
        pdftypes.rldecode = rldecode
