"""``read_payload``: the payload of a response record, read back by warcio."""

from __future__ import annotations

import gzip

import pytest

from archive.warc.read import read_payload


def warc_record(
    block: bytes, rtype: bytes = b"response", ctype: bytes = b"application/http; msgtype=response"
) -> bytes:
    head = (
        b"WARC/1.0\r\nWARC-Type: " + rtype + b"\r\nWARC-Target-URI: http://127.0.0.1/x\r\n"
        b"WARC-Date: 2026-11-22T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:0>\r\n"
        b"Content-Type: " + ctype + b"\r\nContent-Length: " + str(len(block)).encode() + b"\r\n\r\n"
    )
    return head + block + b"\r\n\r\n"


BODY = "工会工作汇报\r\n\r\n第二段".encode("gbk") * 50
CASES = {  # name: HTTP block whose payload, Content-Encoding removed, is BODY
    "plain": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY,
    "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gzip.compress(BODY),
    "bare LF lines": b"HTTP/1.1 200 OK\nContent-Type: text/html\n\n" + BODY,
}


@pytest.mark.parametrize("name", CASES)
def test_read_payload_gives_the_body_without_its_encoding(name, tmp_path):
    data = gzip.compress(warc_record(CASES[name]))
    path = tmp_path / "one.warc.gz"
    path.write_bytes(b"x" * 7 + data)  # a record at an offset, as in a file
    assert read_payload(path, 7, len(data)) == BODY


@pytest.mark.parametrize("shift", [1, 9], ids=["inside the gzip header", "inside the record"])
def test_a_wrong_location_is_a_value_error(tmp_path, shift):
    """A location that does not start a record (a wrong offset, a damaged file) gives
    the ValueError every caller handles (the indexer records the capture unread and
    goes on), not warcio's parser errors, which stopped the indexer."""
    data = gzip.compress(warc_record(CASES["plain"]))
    path = tmp_path / "a.warc.gz"
    path.write_bytes(b"\0" * 7 + data)
    assert read_payload(path, 7, len(data))
    with pytest.raises(ValueError):
        read_payload(path, 7 + shift, len(data) - shift)
