"""What a document's pages show besides search: its page's context (same cluster, history,
citation), its whole text at ``/-/text/DOC_ID``, and links in canned query results."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.publish.changes import document_history
from archive.publish.crawl_reports import crawls_with_reports
from archive.publish.serve import ARCHIVE_DB, LIMITS, archive_database
from archive.publish.warc_routes import not_found

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from datasette.app import Datasette
    from datasette.utils.asgi import Request


@hookimpl
def render_cell(
    value: Any, column: str, table: str | None, database: str, datasette: Datasette
) -> markupsafe.Markup | None:
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
def extra_template_vars(
    view_name: str, table: str | None, database: str, datasette: Datasette, request: Request
) -> dict | Callable[[], Awaitable[dict]]:
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


async def document_text(datasette: Datasette, request: Request) -> Response:
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
        return not_found("No such document")
    return Response(
        rows[0][0] or b"",
        status=200,
        content_type="text/plain; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="{doc_id}.txt"',
            "x-content-type-options": "nosniff",
        },
    )
