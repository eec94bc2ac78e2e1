"""Datasette plugin (entry point ``union_archive``): Chinese search, WARC downloads, links.

* ``prepare_connection``: registers ``search_rowids(q[, column])`` (the rowids of every
  document matching ``q``, as a JSON array, from the archive's search index; ``column``:
  ``title`` or ``text`` only) and ``search_snippet(text, q)`` (the text around the first
  match) on the archive database's connections; the stock table search box (``?_search=``)
  goes through ``archive.publish.search_page``, and the magic parameter ``:_ranked_rows``
  gives the ranked search its rows, best first.
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
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from datasette import hookimpl

from archive.publish import search_page
from archive.publish.changes_pages import changes_page, site_feed
from archive.publish.crawl_reports import crawl_report

# hooks of this plugin defined with the pages they serve: registered through this module
from archive.publish.document_pages import (  # noqa: F401
    document_text,
    extra_template_vars,
    render_cell,
)
from archive.publish.serve import ARCHIVE_DB, LIMITS
from archive.publish.warc_routes import warc_file, warc_index, warc_record
from archive.store.search import matching_rowids, snippet
from archive.store.search_index import index_path

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from datasette.app import Datasette

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _no_rich_error_printing() -> None:
    import datasette.handle_exception as handler

    if getattr(handler, "rich", None) is not None:
        handler.rich = None


_no_rich_error_printing()


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Callable:
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


def search_parameters(scope: dict) -> list[tuple[str, str]]:
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
def register_magic_parameters(datasette: Datasette) -> list[tuple[str, Callable]]:
    # :_ranked_rows in the ranked search: its rows, ranked by search_page.prepare
    return [("ranked", search_page.ranked_parameter)]


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Datasette) -> None:
    if database != ARCHIVE_DB:
        return
    path = index_path(datasette.get_database(database).path)

    def search_rowids(q: str | None, column: str | None = None) -> str:
        return json.dumps(matching_rowids(path, q, column))

    conn.create_function("search_rowids", 1, search_rowids)
    conn.create_function("search_rowids", 2, search_rowids)
    conn.create_function("search_snippet", 2, snippet, deterministic=True)


@hookimpl
def permission_allowed(action: str, resource: Any) -> bool | None:
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
def register_routes(datasette: Datasette) -> list[tuple[str, Callable]]:
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


def public_databases(datasette: Datasette) -> list[dict]:
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
