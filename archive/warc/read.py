"""Reading the archive's WARC files back (no Scrapy needed).

* ``iter_captures(paths)`` — the ``Capture`` objects the crawl emitted live, rebuilt
  from the records (response/revisit + their metadata record; failures from their
  metadata record), bodies decoded of Content-Encoding.
* ``crawl_infos(paths)`` — crawl id -> warcinfo fields (start_urls, description, ...).
* ``read_record`` / ``write_single_record`` / ``read_payload`` — one record by
  (file, offset, length), e.g. a document's provenance; ``record_id_at`` — its WARC-Record-ID.
* ``record_command`` — ``union-archive record DOC_ID --data DIR [-o FILE]``.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.capture import Capture

OPEN_SUFFIX = ".open"
MAX_DECODED = 64 * 1024 * 1024  # bytes a body may have once its Content-Encoding is removed
_CHUNK = 1024 * 1024


class DecodingError(ValueError):
    pass


# -- Content-Encoding ------------------------------------------------------------
def _gunzip(data: bytes, limit: int) -> bytes:
    out, d = [], zlib.decompressobj(zlib.MAX_WBITS | 16)
    size = 0
    while data:
        chunk = d.decompress(data, limit + 1 - size)
        out.append(chunk)
        size += len(chunk)
        if size > limit:
            raise DecodingError(f"decoded body larger than {limit} bytes")
        if d.eof:  # concatenated gzip members
            data = d.unused_data
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
            if not data.strip(b"\0"):
                break
        else:
            data = d.unconsumed_tail
            if not data and not chunk:
                break
    return b"".join(out)


def _inflate(data: bytes, limit: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib-wrapped (RFC) or raw (common)
        try:
            d = zlib.decompressobj(wbits)
            out = d.decompress(data, limit + 1)
            if len(out) > limit:
                raise DecodingError(f"decoded body larger than {limit} bytes")
            return out + d.flush()
        except zlib.error:
            continue
    raise DecodingError("invalid deflate data")


def _unbrotli(data: bytes, limit: int) -> bytes:
    import brotli

    # brotli's output limit is a hint (it may return more), so the total is counted here
    d, out, size = brotli.Decompressor(), [], 0
    chunk = d.process(data, output_buffer_limit=_CHUNK)
    while chunk:
        size += len(chunk)
        if size > limit:
            raise DecodingError(f"decoded body larger than {limit} bytes")
        out.append(chunk)
        chunk = b"" if d.is_finished() else d.process(b"", output_buffer_limit=_CHUNK)
    return b"".join(out)


def _unzstd(data: bytes, limit: int) -> bytes:
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd

    out, size = [], 0
    while data:  # one frame after another
        d = zstd.ZstdDecompressor()
        chunk = d.decompress(data, max_length=limit + 1 - size)
        size += len(chunk)
        if size > limit:
            raise DecodingError(f"decoded body larger than {limit} bytes")
        out.append(chunk)
        if not d.eof:  # a truncated last frame: what it gave
            break
        data = d.unused_data
    return b"".join(out)


def decode_content(body: bytes, content_encoding: str | None, limit: int = MAX_DECODED) -> bytes:
    """The body with its Content-Encoding(s) removed (gzip, deflate, br, zstd, identity)."""
    if not content_encoding or not body:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body = _gunzip(body, limit)
            elif coding == "deflate":
                body = _inflate(body, limit)
            elif coding == "br":
                body = _unbrotli(body, limit)
            elif coding == "zstd":
                body = _unzstd(body, limit)
            elif coding in ("identity", "none"):
                continue
            else:
                raise DecodingError(f"unsupported Content-Encoding {coding!r}")
        except DecodingError:
            raise
        except ImportError as exc:
            raise DecodingError(f"no decoder for Content-Encoding {coding!r}: {exc}") from None
        except Exception as exc:
            raise DecodingError(f"bad {coding} body: {exc.__class__.__name__}: {exc}") from None
        if len(body) > limit:
            raise DecodingError(f"decoded body larger than {limit} bytes")
    return body


def header(headers: list[tuple[str, str]] | None, name: str) -> str | None:
    name = name.lower()
    for k, v in headers or ():
        if k.lower() == name:
            return v
    return None


def iso_seconds(warc_date: str | None) -> str | None:
    """WARC-Date (maybe with fractions) -> ``YYYY-MM-DDTHH:MM:SSZ``."""
    if not warc_date:
        return None
    return warc_date[:19] + "Z"


def parse_fields(payload: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out.setdefault(k.strip(), v.strip())
    return out


def body_and_error(body: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, str | None]:
    """Decoded body for Capture.body; a one-line error when decoding failed (raw body kept)."""
    try:
        return decode_content(body, header(headers, "Content-Encoding")), None
    except DecodingError as exc:
        return body, f"content decoding failed: {exc}"[:500]


# -- files -------------------------------------------------------------------------
def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists() and Path(str(p) + OPEN_SUFFIX).exists():
        return Path(str(p) + OPEN_SUFFIX)  # still being written
    return p


def _fields_of(path: Path, want) -> dict:
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "warcinfo":
                return want(record)
            break
    return {}


def crawl_infos(paths: Iterable[str | Path]) -> dict[str, dict]:
    """crawl id -> {"start_urls": [...], "description": ..., "files": [...], ...} from
    warcinfo records."""
    infos: dict[str, dict] = {}
    for path in paths:
        path = _resolve(path)

        def read(record):
            payload = record.content_stream().read().decode("utf-8", "replace")
            fields: dict[str, list[str]] = {}
            for line in payload.splitlines():
                if ":" in line:
                    k, v = line.split(":", 1)
                    fields.setdefault(k.strip(), []).append(v.strip())
            return fields

        fields = _fields_of(path, read)
        crawl_id = (fields.get("crawl-id") or fields.get("isPartOf") or [None])[0]
        if not crawl_id:
            continue
        info = infos.setdefault(crawl_id, {"start_urls": fields.get("start-url", []), "files": []})
        for k, v in fields.items():
            if k != "start-url":
                info.setdefault(k, v[0])
        info["files"].append(path.name.removesuffix(OPEN_SUFFIX))
    return infos


def iter_captures(paths: Iterable[str | Path]) -> Iterator[Capture]:
    """Captures in write order from WARC files (given in write order)."""
    originals: dict[str, tuple[Path, int, int]] = {}  # payload digest -> its response record
    for path in paths:
        path = _resolve(path)
        final_name = path.name.removesuffix(OPEN_SUFFIX)
        crawl_id = None
        pending: Capture | None = None
        pending_id: str | None = None
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, no_record_parse=False, check_digests=False)
            for record in it:
                rtype = record.rec_type
                rh = record.rec_headers
                if rtype == "warcinfo":
                    fields = parse_fields(record.content_stream().read())
                    crawl_id = fields.get("crawl-id") or fields.get("isPartOf")
                    continue
                if rtype in ("response", "revisit"):
                    if pending is not None:
                        yield pending
                    raw = record.raw_stream.read()
                    offset, length = it.get_record_offset(), None
                    it.read_to_end(record)
                    length = it.get_record_length()
                    hh = record.http_headers
                    headers = list(hh.headers) if hh else []
                    status = int(hh.get_statuscode()) if hh and hh.get_statuscode() else None
                    digest = rh.get_header("WARC-Payload-Digest")
                    cap = Capture(
                        url=rh.get_header("WARC-Target-URI"),
                        status=status,
                        content_type=header(headers, "Content-Type"),
                        warc_filename=final_name,
                        warc_offset=offset,
                        warc_length=length,
                        payload_digest=digest,
                        fetched_at=iso_seconds(rh.get_header("WARC-Date")),
                        crawl_id=crawl_id,
                        record_type=rtype,
                    )
                    if rtype == "response":
                        cap.body, cap.error = body_and_error(raw, headers)
                        if digest and raw:
                            originals.setdefault(digest, (path, offset, length))
                    else:
                        cap.refers_to_url = rh.get_header("WARC-Refers-To-Target-URI")
                        cap.refers_to_date = rh.get_header("WARC-Refers-To-Date")
                        if "identical-payload-digest" in (rh.get_header("WARC-Profile") or ""):
                            hit = originals.get(digest)
                            if hit:
                                cap.body, cap.error = body_and_error(
                                    read_payload_raw(*hit), headers
                                )
                    pending, pending_id = cap, rh.get_header("WARC-Record-ID")
                    continue
                if rtype == "request":
                    if (
                        pending is not None
                        and record.http_headers is not None
                        and rh.get_header("WARC-Concurrent-To") == pending_id
                    ):
                        pending.method = record.http_headers.protocol or "GET"
                    continue
                if rtype == "metadata":
                    fields = parse_fields(record.content_stream().read())
                    concurrent = rh.get_header("WARC-Concurrent-To")
                    if pending is not None and concurrent == pending_id:
                        pending.depth = _int(fields.get("depth"))
                        pending.referrer = fields.get("referrer")
                        if fields.get("content-error") and not pending.error:
                            pending.error = fields["content-error"]
                        yield pending
                        pending = pending_id = None
                    elif "fetch-error" in fields:
                        if pending is not None:
                            yield pending
                            pending = pending_id = None
                        it.read_to_end(record)
                        yield Capture(
                            url=rh.get_header("WARC-Target-URI"),
                            status=None,
                            warc_filename=final_name,
                            warc_offset=it.get_record_offset(),
                            warc_length=it.get_record_length(),
                            fetched_at=iso_seconds(rh.get_header("WARC-Date")),
                            crawl_id=crawl_id,
                            error=fields["fetch-error"],
                            record_type="failure",
                            depth=_int(fields.get("depth")),
                            referrer=fields.get("referrer"),
                            method=fields.get("method") or "GET",
                        )
            if pending is not None:
                yield pending


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


# -- single records -------------------------------------------------------------------
def read_record(path: str | Path, offset: int, length: int) -> bytes:
    """The raw bytes (one gzip member) of the record at ``offset``."""
    p = Path(path)
    for candidate in (p, Path(str(p) + OPEN_SUFFIX), p):  # renamed on close: try both names
        try:
            fh = open(candidate, "rb")
            break
        except FileNotFoundError:
            continue
    else:
        raise FileNotFoundError(f"no WARC file {p.name} (nor {p.name}{OPEN_SUFFIX})")
    with fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{path}: only {len(data)} of {length} bytes at offset {offset}")
    return data


def write_single_record(path: str | Path, offset: int, length: int, out_path: str | Path) -> Path:
    """Write the record at (offset, length) as a valid one-record .warc.gz file."""
    data = read_record(path, offset, length)
    records = list(_iter_bytes(data))
    if len(records) != 1:
        raise ValueError(f"{path}@{offset}+{length} is not exactly one WARC record")
    out_path = Path(out_path)
    tmp = out_path.with_name(out_path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out_path)
    return out_path


def record_id_at(fh: BinaryIO, offset: int) -> str | None:
    """The WARC-Record-ID of the record at ``offset`` of an open WARC file (its head is all
    that is read), or None when no record starts there."""
    try:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            return record.rec_headers.get_header("WARC-Record-ID")
    except (ArchiveLoadFailed, StatusAndHeadersParserException, OSError, EOFError, zlib.error):
        return None
    return None


def _iter_bytes(data: bytes):
    for record in ArchiveIterator(io.BytesIO(data)):
        # the payload as stored: decoding its Content-Encoding proves nothing about the record
        while record.raw_stream.read(_CHUNK):
            pass
        yield record.rec_type


def record_problem(
    path: str | Path, offset: int, length: int, payload_digest: str | None = None
) -> str | None:
    """Why the response record at (``path``, ``offset``, ``length``) cannot be read back
    whole, in one line, or None when it can: one complete gzip member holding a response
    record whose block and payload digests check and, when given, whose payload digest is
    ``payload_digest``.  A revisit record may only refer to such a record."""
    try:
        data = read_record(path, offset, length)
    except (OSError, ValueError) as exc:
        return str(exc)
    raw = _inflate_member(data)
    if raw is None:
        return f"no whole gzip member at {Path(path).name}@{offset}"
    try:
        for record in ArchiveIterator(io.BytesIO(raw), check_digests=True):
            record.raw_stream.read()
            if record.rec_type != "response":
                return f"a {record.rec_type} record, not a response, at {Path(path).name}@{offset}"
            if record.digest_checker.passed is False:
                return (
                    f"digest mismatch at {Path(path).name}@{offset}: "
                    + "; ".join(map(str, record.digest_checker.problems))[:200]
                )
            found = record.rec_headers.get_header("WARC-Payload-Digest")
            if payload_digest and found != payload_digest:
                return f"another payload ({found}) at {Path(path).name}@{offset}"
            return None
    except (ArchiveLoadFailed, StatusAndHeadersParserException) as exc:
        return f"no readable record at {Path(path).name}@{offset}: {str(exc)[:200]}"
    return f"no record at {Path(path).name}@{offset}"


def read_payload_raw(path: str | Path, offset: int, length: int) -> bytes:
    """The HTTP payload of a response record as stored (Content-Encoding kept)."""
    for record in ArchiveIterator(io.BytesIO(read_record(path, offset, length))):
        return record.raw_stream.read()
    raise ValueError(f"no record at {path}@{offset}")


def _inflate_member(data: bytes) -> bytes | None:
    """The one gzip member ``data`` is, inflated (by ISA-L when installed), or None when
    it is not exactly one gzip member."""
    try:
        from isal.isal_zlib import decompressobj
    except ImportError:
        decompressobj = zlib.decompressobj
    try:
        d = decompressobj(zlib.MAX_WBITS | 16)
        out = d.decompress(data)
    except Exception:
        return None
    return out if d.eof and not d.unused_data else None


def read_payload(path: str | Path, offset: int, length: int) -> bytes:
    """The HTTP payload of a response record, Content-Encoding removed."""
    data = read_record(path, offset, length)
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            raw = record.raw_stream.read()
            headers = list(record.http_headers.headers) if record.http_headers else []
            return decode_content(raw, header(headers, "Content-Encoding"))
    except (ArchiveLoadFailed, StatusAndHeadersParserException) as exc:
        # a wrong location or a damaged record: the ValueError every caller handles
        raise ValueError(f"no readable record at {path}@{offset}: {str(exc)[:200]}") from exc
    raise ValueError(f"no record at {path}@{offset}")
