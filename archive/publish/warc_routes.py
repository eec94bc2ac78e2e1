"""The published WARC files: ``/-/warc/`` lists them, ``/-/warc/FILENAME`` serves one (HTTP
Range), ``/-/record/DOC_ID`` the single record a document was extracted from."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import markupsafe
from datasette.utils.asgi import Response

from archive.publish.serve import archive_database

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from datasette.app import Datasette
    from datasette.utils.asgi import Request

WARC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.warc(\.gz)?$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


# --------------------------------------------------------------------- helpers


def warc_dirs(datasette: Datasette) -> list[Path]:
    """The archive's WARC directories: DIR/warc, WARC_DIRs its crawls recorded in
    DIR/warc-dirs.txt, Redis workers' DIR/workers/*/warc (archive.warc.dirs)."""
    from archive.warc.dirs import warc_dirs as dirs_of

    db = archive_database(datasette)
    if db is None or not db.path:
        return []
    return dirs_of(Path(db.path).resolve().parent)


def plain_file_in(base: Path, filename: str) -> Path | None:
    path = base / filename
    try:
        if path.is_symlink() or path.resolve().parent != base.resolve() or not path.is_file():
            return None
    except OSError:
        return None
    return path


def safe_warc_path(datasette: Datasette, filename: str) -> Path | None:
    """The file ``filename`` directly inside one of the WARC directories, or None if it must
    not be served."""
    if not filename or not WARC_NAME.match(filename):
        return None
    for base in warc_dirs(datasette):
        path = plain_file_in(base, filename)
        if path is not None:
            return path
    return None


def _byte_position(digits: str) -> int:
    """A Range position; one past any file size when it has more than 18 significant
    digits (``int()`` refuses strings of over 4,300 digits, which would be a 500)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end inclusive) for a single satisfiable byte range, None for a full
    response, or "unsatisfiable"."""
    if not header:
        return None
    m = RANGE.match(header.strip())
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None  # multiple or malformed ranges: the whole file (RFC 9110 allows it)
    if m.group(1) == "":
        suffix = _byte_position(m.group(2))
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = _byte_position(m.group(1))
    end = _byte_position(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _headers(filename: str, length: int, extra: dict | None = None) -> list:
    h = {
        "content-type": "application/warc",
        "content-length": str(length),
        "content-disposition": f'attachment; filename="{filename}"',
        "accept-ranges": "bytes",
        "x-content-type-options": "nosniff",
        "cache-control": "public, max-age=3600",
    }
    h.update(extra or {})
    return [[k.encode("latin-1"), v.encode("latin-1")] for k, v in h.items()]


async def _send_file(send, path: Path, start: int, length: int, status: int, headers, head: bool):
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if head or length == 0:
        await send({"type": "http.response.body", "body": b""})
        return
    import aiofiles

    async with aiofiles.open(path, "rb") as fh:
        await fh.seek(start)
        left = length
        while left > 0:
            chunk = await fh.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        if left > 0:  # the file shrank under us: end the body anyway
            await send({"type": "http.response.body", "body": b""})


def not_found(message: str = "Not found") -> Response:
    return Response.text(message + "\n", status=404)


# ---------------------------------------------------------------------- views


async def warc_index(datasette: Datasette, request: Request) -> Response:
    files, seen = [], set()
    for base in warc_dirs(datasette):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            if p.name not in seen and safe_warc_path(datasette, p.name) == p:
                seen.add(p.name)
                files.append((p.name, p.stat().st_size))
    if request.args.get("_format") == "json" or request.path.endswith(".json"):
        return Response.json(
            [
                {"filename": n, "size": s, "url": datasette.urls.path("/-/warc/" + quote(n))}
                for n, s in files
            ]
        )
    items = markupsafe.Markup("").join(
        markupsafe.Markup('<li><a href="{}">{}</a> ({:,} bytes)</li>').format(
            datasette.urls.path("/-/warc/" + quote(n)), n, s
        )
        for n, s in files
    )
    html = await datasette.render_template(
        "warc_index.html", {"files": files, "items": items}, request=request
    )
    return Response.html(html)


async def warc_file(
    datasette: Datasette, request: Request, send: Callable[[dict], Awaitable[None]]
) -> Response | None:
    filename = request.url_vars["filename"]
    path = safe_warc_path(datasette, filename)
    if path is None:
        return not_found("No such WARC file")
    size = path.stat().st_size
    head = request.method == "HEAD"
    rng = parse_range(request.headers.get("range"), size)
    if rng == "unsatisfiable":
        await send(
            {
                "type": "http.response.start",
                "status": 416,
                "headers": [
                    [b"content-range", f"bytes */{size}".encode()],
                    [b"content-length", b"0"],
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return None
    if rng is None:
        await _send_file(send, path, 0, size, 200, _headers(filename, size), head)
        return None
    start, end = rng
    length = end - start + 1
    await _send_file(
        send,
        path,
        start,
        length,
        206,
        _headers(filename, length, {"content-range": f"bytes {start}-{end}/{size}"}),
        head,
    )
    return None


async def document_location(datasette: Datasette, doc_id: str) -> tuple[str, int, int] | None:
    db = archive_database(datasette)
    if db is None:
        return None
    rows = (
        await db.execute(
            "select warc_filename, warc_offset, warc_length from documents where id = ?", [doc_id]
        )
    ).rows
    if not rows or rows[0][0] is None or rows[0][1] is None or not rows[0][2]:
        return None
    return rows[0][0], int(rows[0][1]), int(rows[0][2])


def record_source(datasette: Datasette, filename: str) -> Path | None:
    """The file holding a document's record: the finished WARC file or, while the crawl is
    still writing it, the same name + ".open" (records already written there are complete)."""
    path = safe_warc_path(datasette, filename)
    if path is not None or not WARC_NAME.match(filename or ""):
        return path
    for base in warc_dirs(datasette):
        open_path = plain_file_in(base, filename + ".open")
        if open_path is not None:
            return open_path
    return None


def read_record_bytes(path: Path, offset: int, length: int) -> bytes | None:
    """The raw bytes of exactly one record (for a .warc.gz: one gzip member), else None."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc.read import read_record

    try:
        data = read_record(path, offset, length)
        kinds = []
        for rec in ArchiveIterator(io.BytesIO(data)):
            while rec.raw_stream.read(1 << 20):  # as stored: no Content-Encoding to decode
                pass
            kinds.append(rec.rec_type)
    except Exception:  # noqa: BLE001 - a wrong location is reported, never served
        return None
    return data if len(kinds) == 1 else None


async def warc_record(datasette: Datasette, request: Request) -> Response:
    doc_id = request.url_vars["doc_id"]
    loc = await document_location(datasette, doc_id)
    if loc is None:
        return not_found("No WARC record for this document")
    filename, offset, length = loc
    path = record_source(datasette, filename)
    if path is None:
        return not_found("The WARC file of this document is not available")
    data = read_record_bytes(path, offset, length)
    if data is None:
        return Response.text("The stored WARC location does not point at one record\n", status=500)
    gz = filename.endswith(".gz")
    name = f"{doc_id}.warc" + (".gz" if gz else "")
    headers = {k.decode(): v.decode() for k, v in _headers(name, len(data))}
    for key in ("content-type", "content-length", "accept-ranges"):
        headers.pop(key)
    return Response(data, status=200, headers=headers, content_type="application/warc")
