"""Building the WARC records of one HTTP exchange (warcio record objects)."""

from __future__ import annotations

import hashlib
import io
from http import HTTPStatus
from typing import TYPE_CHECKING

from warcio.statusandheaders import StatusAndHeaders

from crawler.warc.writer import RecordBuilder

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.http import Request, Response
    from warcio.recordloader import ArcWarcRecord

REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class RawHttpHeaders(StatusAndHeaders):
    """HTTP headers whose serialized form is exactly the bytes received/sent."""

    def __init__(self, statusline, headers, protocol, raw: bytes):
        super().__init__(statusline, headers, protocol)
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter: Callable | None = None) -> None:
        pass  # keep the wire bytes


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits -> 2 characters
_SHIFTS = tuple(range(150, -1, -10))


def _b32(digest20: bytes) -> str:
    """base32 of a 20-byte digest (160 bits, no padding), 10 bits at a time."""
    n = int.from_bytes(digest20, "big")
    return "".join([_B32_PAIRS[(n >> s) & 1023] for s in _SHIFTS])


def sha1_digest(*parts: bytes) -> str:
    h = hashlib.sha1()
    for part in parts:
        h.update(part)
    return "sha1:" + _b32(h.digest())


def parse_head(raw: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    """(first line, protocol, [(name, value)]) of an HTTP head (latin-1 decoded)."""
    text = raw.decode("latin-1")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    first = lines[0]
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return first, first.split(" ", 1)[0], headers


def strip_transfer_encoding(raw: bytes) -> bytes:
    """Remove Transfer-Encoding header lines (and their continuations): the stored body is
    de-chunked."""
    sep = b"\r\n" if b"\r\n" in raw else b"\n"
    out, dropping = [], False
    for line in raw.split(sep):
        if line[:1] in (b" ", b"\t") and line.strip():
            if not dropping:
                out.append(line)
            continue
        dropping = line.split(b":", 1)[0].strip().lower() == b"transfer-encoding" and b":" in line
        if not dropping:
            out.append(line)
    return sep.join(out)


def synthesize_response_head(response: Response) -> bytes:
    """Fallback when the WARC download handler is not installed: Scrapy's parsed view."""
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    lines = [f"{protocol} {response.status} {phrase}".encode("latin-1")]
    for name, values in response.headers.items():
        for value in values:
            lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def synthesize_request_head(request: Request) -> bytes:
    from urllib.parse import urlsplit

    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{request.method} {target} HTTP/1.1".encode("latin-1")]
    if b"Host" not in request.headers:
        lines.append(b"Host: " + parts.netloc.encode("idna"))
    for name, values in request.headers.items():
        for value in values:
            lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _http_headers(raw_head: bytes) -> RawHttpHeaders:
    first, protocol, headers = parse_head(raw_head)
    rest = first[len(protocol) :].lstrip(" ")
    return RawHttpHeaders(rest, headers, protocol, raw_head)


def _wh(b: RecordBuilder, kind: str, uri: str, date: str, **more) -> dict:
    """WARC headers in the usual order: type, id, target, date, then the rest."""
    return {
        "WARC-Type": kind,
        "WARC-Record-ID": b._make_warc_id(),
        "WARC-Target-URI": uri,
        "WARC-Date": date,
        **more,
    }


def response_record(
    b: RecordBuilder,
    uri: str,
    date: str,
    raw_head: bytes,
    body: bytes,
    payload_digest: str,
    extra: dict,
) -> ArcWarcRecord:
    return b.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=_http_headers(raw_head),
        warc_headers_dict=_wh(
            b,
            "response",
            uri,
            date,
            **extra,
            **{
                "WARC-Payload-Digest": payload_digest,
                "WARC-Block-Digest": sha1_digest(raw_head, body),
            },
        ),
    )


def revisit_record(
    b: RecordBuilder,
    uri: str,
    date: str,
    raw_head: bytes,
    profile: str,
    payload_digest: str | None,
    refers_to: dict,
    extra: dict,
) -> ArcWarcRecord:
    headers = {
        **_wh(b, "revisit", uri, date),
        "WARC-Profile": profile,
        "WARC-Refers-To-Target-URI": refers_to["url"],
        "WARC-Refers-To-Date": refers_to["warc_date"],
        **extra,
    }
    if payload_digest:
        headers["WARC-Payload-Digest"] = payload_digest
    headers["WARC-Block-Digest"] = sha1_digest(raw_head)
    record = b.create_warc_record(
        uri, "revisit", http_headers=_http_headers(raw_head), warc_headers_dict=headers
    )
    return record


def request_record(
    b: RecordBuilder, uri: str, date: str, raw_head: bytes, body: bytes, concurrent_to: str
) -> ArcWarcRecord:
    return b.create_warc_record(
        uri,
        "request",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=_http_headers(raw_head),
        warc_headers_dict=_wh(
            b,
            "request",
            uri,
            date,
            **{
                "WARC-Concurrent-To": concurrent_to,
                "WARC-Block-Digest": sha1_digest(raw_head, body),
            },
        ),
    )


def metadata_record(
    b: RecordBuilder,
    uri: str,
    date: str,
    fields: list[tuple[str, object]],
    concurrent_to: str | None = None,
) -> ArcWarcRecord:
    lines = []
    for name, value in fields:
        if value is None or value == "":
            continue
        value = " ".join(str(value).split())  # warc-fields values are one line
        lines.append(f"{name}: {value}\r\n")
    payload = "".join(lines).encode("utf-8")
    headers = _wh(b, "metadata", uri, date)
    if concurrent_to:
        headers["WARC-Concurrent-To"] = concurrent_to
    headers["WARC-Block-Digest"] = sha1_digest(payload)
    return b.create_warc_record(
        uri,
        "metadata",
        payload=io.BytesIO(payload),
        length=len(payload),
        warc_content_type="application/warc-fields",
        warc_headers_dict=headers,
        http_headers=None,
    )
