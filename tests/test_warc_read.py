"""``read_payload``'s fast path against warcio's parser, record by record."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.read import _payload_fast, decode_content, header, read_payload


def warc_record(
    block: bytes, rtype: bytes = b"response", ctype: bytes = b"application/http; msgtype=response"
) -> bytes:
    head = (
        b"WARC/1.0\r\nWARC-Type: " + rtype + b"\r\nWARC-Target-URI: http://127.0.0.1/x\r\n"
        b"WARC-Date: 2026-11-22T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:0>\r\n"
        b"Content-Type: " + ctype + b"\r\nContent-Length: " + str(len(block)).encode() + b"\r\n\r\n"
    )
    return head + block + b"\r\n\r\n"


def by_warcio(data: bytes) -> bytes:
    for record in ArchiveIterator(io.BytesIO(data)):
        raw = record.raw_stream.read()
        headers = list(record.http_headers.headers) if record.http_headers else []
        return decode_content(raw, header(headers, "Content-Encoding"))
    raise AssertionError("no record")


BODY = "工会工作汇报\r\n\r\n第二段".encode("gbk") * 50
CASES = {  # name: (HTTP block, whether the fast path takes it)
    "plain": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY, True),
    "gzip": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gzip.compress(BODY), True),
    "first of two encodings": (
        b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\nContent-Encoding: br\r\n"
        b"\r\n" + gzip.compress(BODY),
        True,
    ),
    "chunked, kept as stored": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
        True,
    ),
    "empty body": (b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n", True),
    "bare LF lines": (b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n" + BODY, False),
    "a folded line": (b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\r\n" + BODY, False),
    "a blank-looking line": (b"HTTP/1.1 200 OK\r\nX-A: b\r\n \r\nX-C: d\r\n\r\n" + BODY, False),
    "no header end": (b"HTTP/1.1 200 OK\r\nX-A: b", False),
}


@pytest.mark.parametrize("name", CASES)
def test_fast_path_reads_what_warcio_reads(name, tmp_path):
    block, fast = CASES[name]
    data = gzip.compress(warc_record(block))
    path = tmp_path / "one.warc.gz"
    path.write_bytes(b"x" * 7 + data)  # a record at an offset, as in a file
    assert read_payload(path, 7, len(data)) == by_warcio(data)
    assert (_payload_fast(data) is not None) is fast


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(warc_record(b"HTTP/1.1 200 OK\r\n\r\n", b"revisit")),
        gzip.compress(
            warc_record(b"GET / HTTP/1.1\r\n\r\n", b"request", b"application/http; msgtype=request")
        ),
        warc_record(b"HTTP/1.1 200 OK\r\n\r\nabc"),  # not gzipped
        gzip.compress(warc_record(b"HTTP/1.1 200 OK\r\n\r\nabc")) * 2,  # two members
        zlib.compress(warc_record(b"HTTP/1.1 200 OK\r\n\r\nabc")),  # not gzip
    ],
    ids=["revisit", "request", "uncompressed", "two members", "zlib stream"],
)
def test_fast_path_leaves_other_records_to_warcio(data):
    assert _payload_fast(data) is None


@pytest.mark.parametrize("shift", [1, 9], ids=["inside the gzip header", "inside the record"])
def test_a_wrong_location_is_a_value_error(tmp_path, shift):
    """A location that does not start a record (a wrong offset, a damaged file) gives
    the ValueError every caller handles (the indexer records the capture unread and
    goes on), not warcio's parser errors, which stopped the indexer."""
    data = gzip.compress(warc_record(CASES["plain"][0]))
    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"\0" * 7 + data)
    assert read_payload(path, 7, len(data))
    with pytest.raises(ValueError):
        read_payload(path, 7 + shift, len(data) - shift)
