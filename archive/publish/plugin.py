"""Datasette plugin (entry point ``union_archive``): Chinese search, WARC downloads, links.

* ``prepare_connection`` (trylast, so it runs after Datasette's own hook and wins):
  replaces the stock ``escape_fts`` SQL function with ``archive.store.search.rewrite_query``,
  so the stock table search box (``?_search=``) searches ``documents_fts`` correctly for
  1-character, 2-character and longer Chinese queries; also registers
  ``search_query(q)`` (the same function) for canned queries ranked with bm25,
  ``search_title_query(q)`` (every term in the title) and ``search_snippet(text, q)``
  (the text around the first match); the magic parameter ``:_ranked_from`` bounds the
  ranked search of a common term (``archive.publish.search_page``).
  Note: every database served by this Datasette gets that ``escape_fts``.
* ``/-/warc/`` lists the WARC files; ``/-/warc/FILENAME`` serves one whole WARC file
  (HTTP Range -> 206, ``application/warc``); only plain files directly inside one of the
  archive's WARC directories (``<archive.db's directory>/warc``, the ``WARC_DIR``s recorded
  in its ``warc-dirs.txt``, Redis workers' ``workers/*/warc``: ``archive.warc.dirs``)
  whose name ends in .warc or .warc.gz are served
  (no ``..``, no symlinks leading out, no ``.open`` files still being written).
* ``/-/record/DOC_ID`` serves the single WARC record a document was extracted from
  (documents.warc_filename / warc_offset / warc_length): a gzip member of a .warc.gz
  file is itself a valid one-record .warc.gz. While the crawl still writes that file
  (``NAME.open``), the record is read from there (read with ``archive.warc.read``).
* ``asgi_wrapper``: read-only at the edge: any method but GET, HEAD and OPTIONS is
  answered 405 before Datasette sees it (no write endpoints, no CSRF-able forms). Searches
  are bounded there too (``LIMITS`` in ``archive.publish.serve``): a search parameter longer than
  ``search_chars`` and ``_searchmode=raw`` (FTS5 syntax) are a 400; at most
  ``running_searches`` searches run at once, ``waiting_searches`` wait, more are a 503.
  A search of the documents table, and a page of it whose filters keep more rows than are
  counted, take the bounded path of ``archive.publish.search_page``.
* Works around Datasette 0.65 with rich >= 14 (installed here through typer): its default
  error handler calls ``rich...print_exception()`` outside an ``except`` block for plain
  404s, which raises and turns every unmatched URL into a 500. The plugin turns that
  rich printing off (Datasette still prints 500 tracebacks with ``traceback``).
* ``/-/cite/DOC_ID.bib`` and ``.json``: the document's citation as BibTeX and CSL-JSON; its
  page shows it in GB/T 7714 form (``archive.publish.citation``).
* ``/-/text/DOC_ID``: a document's whole text as plain text (a document page shows at most
  ``LIMITS["page_text_chars"]`` characters of it, ``archive.publish.serve``).
* ``/-/crawl-report/CRAWL_ID``: the report of a crawl of this archive (``archive.publish.report``,
  ``<archive.db's directory>/logs/crawl-ID.md``) as a page, Markdown rendered by
  markdown-it-py with raw HTML off; ``/-/crawl-report/CRAWL_ID.md`` gives the file itself.
  The crawls table links each crawl that has one (``_table-archive-crawls.html``).
* ``/-/databases`` (and ``.json``) gives each database's file name, not its absolute path.
* ``permission_allowed``: tables of the archive whose names start with ``_`` (internal)
  are not served at all (403), not only hidden from the lists.
* ``/-/changes`` (what a crawl found new, changed and gone, per site), ``/-/feed/SITE.atom``
  (a site's new work reports) and the document page's ``doc_history`` (earlier versions
  with their diffs, since when the URL is gone): ``archive.publish.changes`` and
  ``archive.publish.changes_pages``.
* ``render_cell``: in canned query results, an ``id`` column links to the document
  page, ``cluster_id`` to the cluster's documents and ``url`` to the source (http/https
  only); values stay escaped.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, quote

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.publish import search_page
from archive.publish.changes import document_history
from archive.publish.changes_pages import changes_page, site_feed
from archive.publish.serve import ARCHIVE_DB, LIMITS, archive_database
from archive.store.search import rewrite_query, snippet, title_query

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
    search_page.install()  # here: Datasette registers its own filters after its plugins

    def wrap(app):
        gate = SearchGate(LIMITS["running_searches"], LIMITS["waiting_searches"])

        async def guarded(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if scope.get("method") not in READ_METHODS:
                await _refuse(
                    scope,
                    send,
                    405,
                    "This archive is read-only.",
                    [[b"allow", b"GET, HEAD, OPTIONS"]],
                )
                return
            searches = search_parameters(scope)
            problem = search_problem(searches)
            if problem:
                await _refuse(scope, send, 400, problem)
                return
            if not any(v.strip() for k, v in searches if k != "_searchmode"):
                await app(await search_page.prepare(datasette, scope), receive, send)
                return
            if not await gate.enter():
                await _refuse(
                    scope,
                    send,
                    503,
                    "Too many searches at once: please try again in a few seconds.",
                    [[b"retry-after", b"5"]],
                )
                return
            try:
                await app(await search_page.prepare(datasette, scope), receive, send)
            finally:
                gate.leave()

        return guarded

    return wrap


class SearchGate:
    """At most ``running`` searches run at once and ``waiting`` wait for a turn; a search
    beyond those is turned away, so searches never fill every SQL thread or queue without
    end (Datasette runs each request's queries one after another)."""

    def __init__(self, running: int, waiting: int):
        self.slots = asyncio.Semaphore(running)
        self.waiting, self.max_waiting = 0, waiting

    async def enter(self) -> bool:
        if self.slots.locked() and self.waiting >= self.max_waiting:
            return False
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        return True

    def leave(self) -> None:
        self.slots.release()


def search_parameters(scope) -> list[tuple[str, str]]:
    """The request's search parameters (``_search``, ``_search_COLUMN``, ``_searchmode``,
    ``q``), decoded as Datasette decodes them."""
    query = scope.get("query_string", b"").decode("latin-1")
    return [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k == "q" or k.startswith("_search")
    ]


def search_problem(searches: list[tuple[str, str]]) -> str | None:
    """Why these search parameters are refused (400), or None."""
    for key, value in searches:
        if key == "_searchmode":
            if value != "escaped":
                return (
                    "_searchmode=raw is off: queries are plain text (terms separated by "
                    'blanks, "a phrase" in double quotes).'
                )
        elif len(value) > LIMITS["search_chars"]:
            return (
                f"The search is too long: {len(value):,} characters in {key}, at most "
                f"{LIMITS['search_chars']}."
            )
    return None


async def _refuse(scope, send, status: int, message: str, headers: list | None = None):
    """A short error answered before Datasette sees the request (JSON for .json URLs)."""
    if scope.get("path", "").endswith(".json"):
        body = json.dumps({"ok": False, "error": message, "status": status}).encode()
        kind = b"application/json; charset=utf-8"
    else:
        body, kind = (message + "\n").encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [[b"content-type", kind], *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


@hookimpl
def register_magic_parameters(datasette):
    # :_ranked_from in the ranked search: where its window of recent matches starts
    return [("ranked", search_page.ranked_parameter)]


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, rewrite_query, deterministic=True)
    conn.create_function("search_query", 1, rewrite_query, deterministic=True)
    conn.create_function("search_snippet", 2, snippet, deterministic=True)
    conn.create_function("search_title_query", 1, title_query, deterministic=True)


@hookimpl
def permission_allowed(action, resource):
    # Tables whose names start with "_" are internal (README): hidden is not enough, since
    # Datasette still serves a hidden table to anyone who types its URL.
    if (
        action == "view-table"
        and isinstance(resource, (tuple, list))
        and len(resource) == 2
        and resource[0] == ARCHIVE_DB
        and str(resource[1]).startswith("_")
    ):
        return False
    return None


@hookimpl
def register_routes(datasette):
    from datasette.views.special import JsonDataView

    from archive.publish.citation import citation_file

    return [
        (r"^/-/warc/?$", warc_index),
        (r"^/-/warc/(?P<filename>[^/]+)$", warc_file),
        (r"^/-/record/(?P<doc_id>[^/]+)$", warc_record),
        (r"^/-/text/(?P<doc_id>[^/]+)$", document_text),
        (r"^/-/changes(\.(?P<format>json))?$", changes_page),
        (r"^/-/feed/(?P<site>[^/]+)\.atom$", site_feed),
        (r"^/-/cite/(?P<doc_id>[0-9a-f]{16})\.(?P<format>bib|json)$", citation_file),
        (r"^/-/crawl-report/(?P<crawl_id>[^/]+?)(?P<md>\.md)?$", crawl_report),
        # plugin routes come before Datasette's own: this one replaces /-/databases
        (
            r"^/-/databases(\.(?P<format>json))?$",
            JsonDataView.as_view(datasette, "databases.json", lambda: public_databases(datasette)),
        ),
    ]


def public_databases(datasette) -> list[dict]:
    """Datasette's /-/databases data with each file's name where it gives its absolute
    path (where the archive lives on the server is nobody's business)."""
    return [
        {
            "name": db.name,
            "route": db.route,
            "path": Path(db.path).name if db.path else None,
            "size": db.size,
            "is_mutable": db.is_mutable,
            "is_memory": db.is_memory,
            "hash": db.hash,
        }
        for name, db in datasette.databases.items()
        if name != "_internal"
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
            value, value
        )
    return None


@hookimpl
def extra_template_vars(view_name, table, database, datasette, request):
    if database == ARCHIVE_DB and table == "crawls" and view_name == "table":
        return {"crawl_reports": crawls_with_reports(datasette)}
    if database != ARCHIVE_DB or table != "documents" or request is None:
        return {}
    if view_name == "table":
        q = request.args.get("_search")
        return {
            "ranked_search_url": (datasette.urls.database(database) + "/search?q=" + quote(q))
            if q
            else None
        }
    if view_name != "row":
        return {}
    page_text_chars = LIMITS["page_text_chars"]

    async def inner():
        from datasette.utils import urlsafe_components

        from archive.publish.citation import page_vars

        pks = urlsafe_components(request.url_vars.get("pks", ""))
        db = archive_database(datasette)
        if db is None or len(pks) != 1:
            return {"same_cluster": [], "page_text_chars": page_text_chars, "doc_history": None}
        rows = (
            await db.execute(
                "select id, title, site, published_date from documents where cluster_id = "
                "(select cluster_id from documents where id = :id) and id != :id "
                "order by published_date limit 50",
                {"id": pks[0]},
            )
        ).rows
        history = await db.execute_fn(
            lambda conn: document_history(conn, pks[0], page_text_chars, LIMITS["page_versions"])
        )
        return {
            "same_cluster": [dict(r) for r in rows],
            "page_text_chars": page_text_chars,
            "doc_history": history,
            **await page_vars(datasette, request, pks[0]),
        }

    return inner


# --------------------------------------------------------------------- helpers


def warc_dirs(datasette) -> list[Path]:
    """The archive's WARC directories: DIR/warc, WARC_DIRs its crawls recorded in
    DIR/warc-dirs.txt, Redis workers' DIR/workers/*/warc (archive.warc.dirs)."""
    from archive.warc.dirs import warc_dirs as dirs_of

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


def _byte_position(digits: str) -> int:
    """A Range position; one past any file size when it has more than 18 significant
    digits (``int()`` refuses strings of over 4,300 digits, which would be a 500)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def parse_range(header: str | None, size: int):
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


async def warc_file(datasette, request, send):
    filename = request.url_vars["filename"]
    path = safe_warc_path(datasette, filename)
    if path is None:
        return _not_found("No such WARC file")
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


async def document_location(datasette, doc_id: str):
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
        return Response.text("The stored WARC location does not point at one record\n", status=500)
    gz = filename.endswith(".gz")
    name = f"{doc_id}.warc" + (".gz" if gz else "")
    headers = {k.decode(): v.decode() for k, v in _headers(name, len(data))}
    for key in ("content-type", "content-length", "accept-ranges"):
        headers.pop(key)
    return Response(data, status=200, headers=headers, content_type="application/warc")


async def document_text(datasette, request):
    """A document's whole text as UTF-8 plain text (its page shows the start of a long one)."""
    db = archive_database(datasette)
    doc_id = request.url_vars["doc_id"]
    rows = (
        []
        if db is None
        else (
            await db.execute("select cast(text as blob) from documents where id = ?", [doc_id])
        ).rows
    )
    if not rows:
        return _not_found("No such document")
    return Response(
        rows[0][0] or b"",
        status=200,
        content_type="text/plain; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="{doc_id}.txt"',
            "x-content-type-options": "nosniff",
        },
    )


def crawls_with_reports(datasette) -> set[str]:
    """Ids of the crawls whose report is in the archive's logs directory."""
    db = archive_database(datasette)
    if db is None or not db.path:
        return set()
    logs = Path(db.path).resolve().parent / "logs"
    try:
        names = [p.name for p in logs.iterdir()]
    except OSError:
        return set()
    return {
        n[len("crawl-") : -len(".md")]
        for n in names
        if n.startswith("crawl-") and n.endswith(".md")
    }


async def crawl_report_file(datasette, crawl_id: str) -> Path | None:
    """The report of a crawl the archive has, as a plain file in its logs directory."""
    from archive.publish.report import ReportError, report_path

    db = archive_database(datasette)
    if db is None or not db.path:
        return None
    try:
        path = report_path(Path(db.path).resolve().parent, crawl_id)
    except ReportError:
        return None
    rows = (await db.execute("select 1 from crawls where id = ?", [crawl_id])).rows
    if not rows:
        return None
    return _plain_file_in(path.parent, path.name)


async def crawl_report(datasette, request):
    crawl_id = request.url_vars["crawl_id"]
    path = await crawl_report_file(datasette, crawl_id)
    if path is None:
        return _not_found("No report for this crawl")
    text = path.read_text(encoding="utf-8", errors="replace")
    if request.url_vars.get("md"):
        return Response(
            text,
            status=200,
            content_type="text/markdown; charset=utf-8",
            headers={"x-content-type-options": "nosniff"},
        )
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    html = await datasette.render_template(
        "crawl_report.html",
        {
            "crawl_id": crawl_id,
            "report": markupsafe.Markup(body),
            "markdown_url": datasette.urls.path("/-/crawl-report/" + quote(crawl_id) + ".md"),
        },
        request=request,
    )
    return Response.html(html)
