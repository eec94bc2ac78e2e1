"""Datasette plugin (entry point ``union_archive``): Chinese search, WARC downloads, links.

* ``prepare_connection`` (trylast, so it runs after Datasette's own hook and wins):
  replaces the stock ``escape_fts`` SQL function with ``archive.search.rewrite_query``,
  so the stock table search box (``?_search=``) searches ``documents_fts`` correctly for
  1-character, 2-character and longer Chinese queries; also registers
  ``search_query(q)`` (the same function) for canned queries ranked with bm25 and
  ``search_snippet(text, q)`` (the text around the first match).
  Note: every database served by this Datasette gets that ``escape_fts``.
* ``/-/warc/`` lists the WARC files; ``/-/warc/FILENAME`` serves one whole WARC file
  (HTTP Range -> 206, ``application/warc``); only plain files directly inside one of the
  archive's WARC directories (``<archive.db's directory>/warc``, the ``WARC_DIR``s recorded
  in its ``warc-dirs.txt``, Redis workers' ``workers/*/warc``: ``archive.warc_dirs``)
  whose name ends in .warc or .warc.gz are served
  (no ``..``, no symlinks leading out, no ``.open`` files still being written).
* ``/-/record/DOC_ID`` serves the single WARC record a document was extracted from
  (documents.warc_filename / warc_offset / warc_length): a gzip member of a .warc.gz
  file is itself a valid one-record .warc.gz. While the crawl still writes that file
  (``NAME.open``), the record is read from there (read with ``archive.warc_read``).
* ``asgi_wrapper``: read-only at the edge: any method but GET, HEAD and OPTIONS is
  answered 405 before Datasette sees it (no write endpoints, no CSRF-able forms).
* Works around Datasette 0.65 with rich >= 14 (installed here through typer): its default
  error handler calls ``rich...print_exception()`` outside an ``except`` block for plain
  404s, which raises and turns every unmatched URL into a 500. The plugin turns that
  rich printing off (Datasette still prints 500 tracebacks with ``traceback``).
* ``render_cell``: in canned query results, an ``id`` column links to the document
  page, ``cluster_id`` to the cluster's documents and ``url`` to the source (http/https
  only); values stay escaped.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.search import rewrite_query, snippet

ARCHIVE_DB = "archive"
WARC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.warc(\.gz)?$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _no_rich_error_printing() -> None:
    import datasette.handle_exception as handler

    if getattr(handler, "rich", None) is not None:
        handler.rich = None


_no_rich_error_printing()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method") not in READ_METHODS:
                await send({"type": "http.response.start", "status": 405, "headers": [
                    [b"allow", b"GET, HEAD, OPTIONS"],
                    [b"content-type", b"text/plain; charset=utf-8"]]})
                await send({"type": "http.response.body",
                            "body": b"This archive is read-only.\n"})
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, rewrite_query, deterministic=True)
    conn.create_function("search_query", 1, rewrite_query, deterministic=True)
    conn.create_function("search_snippet", 2, snippet, deterministic=True)


@hookimpl
def register_routes():
    return [
        (r"^/-/warc/?$", warc_index),
        (r"^/-/warc/(?P<filename>[^/]+)$", warc_file),
        (r"^/-/record/(?P<doc_id>[^/]+)$", warc_record),
    ]


@hookimpl
def render_cell(value, column, table, database, datasette):
    if table is not None or database != ARCHIVE_DB or not isinstance(value, str):
        return None
    if column == "id" and re.fullmatch(r"[0-9a-f]{16}", value):
        href = datasette.urls.row(database, "documents", value)
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    if column == "cluster_id" and re.fullmatch(r"[0-9a-f]{16}", value):
        href = datasette.urls.table(database, "documents") + "?cluster_id=" + value
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    if column in ("url", "source_url") and value.startswith(("http://", "https://")):
        return markupsafe.Markup('<a href="{}" rel="nofollow noopener noreferrer">{}</a>').format(
            value, value)
    return None


@hookimpl
def extra_template_vars(view_name, table, database, datasette, request):
    if database != ARCHIVE_DB or table != "documents" or request is None:
        return {}
    if view_name == "table":
        q = request.args.get("_search")
        return {"ranked_search_url": (datasette.urls.database(database) + "/search?q=" + quote(q))
                if q else None}
    if view_name != "row":
        return {}

    async def inner():
        from datasette.utils import urlsafe_components

        pks = urlsafe_components(request.url_vars.get("pks", ""))
        db = archive_database(datasette)
        if db is None or len(pks) != 1:
            return {"same_cluster": []}
        rows = (await db.execute(
            "select id, title, site, published_date from documents where cluster_id = "
            "(select cluster_id from documents where id = :id) and id != :id "
            "order by published_date limit 50", {"id": pks[0]})).rows
        return {"same_cluster": [dict(r) for r in rows]}

    return inner


# --------------------------------------------------------------------- helpers

def archive_database(datasette):
    try:
        return datasette.get_database(ARCHIVE_DB)
    except KeyError:
        return None


def warc_dirs(datasette) -> list[Path]:
    """The archive's WARC directories: DIR/warc, WARC_DIRs its crawls recorded in
    DIR/warc-dirs.txt, Redis workers' DIR/workers/*/warc (archive.warc_dirs)."""
    from archive.warc_dirs import warc_dirs as dirs_of

    db = archive_database(datasette)
    if db is None or not db.path:
        return []
    return dirs_of(Path(db.path).resolve().parent)


def _plain_file_in(base: Path, filename: str) -> Path | None:
    path = base / filename
    try:
        if path.is_symlink() or path.resolve().parent != base.resolve() or not path.is_file():
            return None
    except OSError:
        return None
    return path


def safe_warc_path(datasette, filename: str) -> Path | None:
    """The file ``filename`` directly inside one of the WARC directories, or None if it must
    not be served."""
    if not filename or not WARC_NAME.match(filename):
        return None
    for base in warc_dirs(datasette):
        path = _plain_file_in(base, filename)
        if path is not None:
            return path
    return None


def parse_range(header: str | None, size: int):
    """(start, end inclusive) for a single satisfiable byte range, None for a full
    response, or "unsatisfiable"."""
    if not header:
        return None
    m = RANGE.match(header.strip())
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None  # multiple or malformed ranges: the whole file (RFC 9110 allows it)
    if m.group(1) == "":
        suffix = int(m.group(2))
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
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


def _not_found(message="Not found"):
    return Response.text(message + "\n", status=404)


# ---------------------------------------------------------------------- views

async def warc_index(datasette, request):
    files, seen = [], set()
    for base in warc_dirs(datasette):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            if p.name not in seen and safe_warc_path(datasette, p.name) == p:
                seen.add(p.name)
                files.append((p.name, p.stat().st_size))
    if request.args.get("_format") == "json" or request.path.endswith(".json"):
        return Response.json([{"filename": n, "size": s, "url": datasette.urls.path(
            "/-/warc/" + quote(n))} for n, s in files])
    items = markupsafe.Markup("").join(
        markupsafe.Markup('<li><a href="{}">{}</a> ({:,} bytes)</li>').format(
            datasette.urls.path("/-/warc/" + quote(n)), n, s) for n, s in files)
    html = await datasette.render_template(
        "warc_index.html", {"files": files, "items": items}, request=request)
    return Response.html(html)


async def warc_file(datasette, request, send):
    filename = request.url_vars["filename"]
    path = safe_warc_path(datasette, filename)
    if path is None:
        return _not_found("No such WARC file")
    size = path.stat().st_size
    head = request.method == "HEAD"
    rng = parse_range(request.headers.get("range"), size)
    if rng == "unsatisfiable":
        await send({"type": "http.response.start", "status": 416, "headers": [
            [b"content-range", f"bytes */{size}".encode()], [b"content-length", b"0"]]})
        await send({"type": "http.response.body", "body": b""})
        return None
    if rng is None:
        await _send_file(send, path, 0, size, 200, _headers(filename, size), head)
        return None
    start, end = rng
    length = end - start + 1
    await _send_file(send, path, start, length, 206, _headers(
        filename, length, {"content-range": f"bytes {start}-{end}/{size}"}), head)
    return None


async def document_location(datasette, doc_id: str):
    db = archive_database(datasette)
    if db is None:
        return None
    rows = (await db.execute(
        "select warc_filename, warc_offset, warc_length from documents where id = ?",
        [doc_id])).rows
    if not rows or rows[0][0] is None or rows[0][1] is None or not rows[0][2]:
        return None
    return rows[0][0], int(rows[0][1]), int(rows[0][2])


def record_source(datasette, filename: str) -> Path | None:
    """The file holding a document's record: the finished WARC file or, while the crawl is
    still writing it, the same name + ".open" (records already written there are complete)."""
    path = safe_warc_path(datasette, filename)
    if path is not None or not WARC_NAME.match(filename or ""):
        return path
    for base in warc_dirs(datasette):
        open_path = _plain_file_in(base, filename + ".open")
        if open_path is not None:
            return open_path
    return None


def read_record_bytes(path: Path, offset: int, length: int) -> bytes | None:
    """The raw bytes of exactly one record (for a .warc.gz: one gzip member), else None."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc_read import read_record

    try:
        data = read_record(path, offset, length)
        kinds = []
        for rec in ArchiveIterator(io.BytesIO(data)):
            while rec.raw_stream.read(1 << 20):   # as stored: no Content-Encoding to decode
                pass
            kinds.append(rec.rec_type)
    except Exception:  # noqa: BLE001 - a wrong location is reported, never served
        return None
    return data if len(kinds) == 1 else None


async def warc_record(datasette, request):
    doc_id = request.url_vars["doc_id"]
    loc = await document_location(datasette, doc_id)
    if loc is None:
        return _not_found("No WARC record for this document")
    filename, offset, length = loc
    path = record_source(datasette, filename)
    if path is None:
        return _not_found("The WARC file of this document is not available")
    data = read_record_bytes(path, offset, length)
    if data is None:
        return Response.text("The stored WARC location does not point at one record\n",
                             status=500)
    gz = filename.endswith(".gz")
    name = f"{doc_id}.warc" + (".gz" if gz else "")
    headers = {k.decode(): v.decode() for k, v in _headers(name, len(data))}
    for key in ("content-type", "content-length", "accept-ranges"):
        headers.pop(key)
    return Response(data, status=200, headers=headers, content_type="application/warc")
