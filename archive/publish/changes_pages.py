"""The published pages of what changed (routes of ``archive.publish.plugin``).

* ``/-/changes`` (and ``.json``): what the latest crawl found new, changed and gone, per
  site; ``?crawl=ID`` for another crawl (``archive.publish.changes.crawl_changes``).
* ``/-/feed/SITE.atom``: the Atom feed of SITE's new work reports (``archive.publish.changes``).

The document page's versions block is filled by the plugin's ``extra_template_vars``
(``archive.publish.changes.document_history``) and drawn by ``_document_versions.html`` and
``_document_gone.html``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from datasette.utils.asgi import Response

from archive.publish import changes
from archive.publish.serve import ARCHIVE_DB, LIMITS, archive_database

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


def feed_path(datasette: Datasette, site: str) -> str:
    return datasette.urls.path("/-/feed/" + quote(site, safe=":") + ".atom")


async def changes_page(datasette: Datasette, request: Request) -> Response:
    db = archive_database(datasette)
    crawl_id = request.args.get("crawl") or None
    data = (
        None
        if db is None
        else await db.execute_fn(
            lambda conn: changes.crawl_changes(conn, crawl_id, LIMITS["changes_rows"])
        )
    )
    as_json = request.url_vars.get("format") == "json"
    if data is None:
        message = f"No crawl {crawl_id}" if crawl_id else "No crawl yet"
        if as_json:
            return Response.json({"ok": False, "error": message, "status": 404}, status=404)
        return Response.text(message + "\n", status=404)
    for entry in data["sites"]:
        entry["feed"] = feed_path(datasette, entry["site"])
    if as_json:
        return Response.json(data)
    html = await datasette.render_template(
        "changes.html", {**data, "database": ARCHIVE_DB}, request=request
    )
    return Response.html(html)


async def site_feed(datasette: Datasette, request: Request) -> Response:
    db = archive_database(datasette)
    site = request.url_vars["site"]

    def read(conn):
        if not changes.site_exists(conn, site):
            return None
        return changes.feed_entries(conn, site, LIMITS["feed_entries"])

    entries = None if db is None else await db.execute_fn(read)
    if entries is None:
        return Response.text("No such site in the archive\n", status=404)
    documents = datasette.urls.table(ARCHIVE_DB, "documents")
    body = changes.atom_feed(
        site,
        entries,
        self_url=datasette.absolute_url(request, feed_path(datasette, site)),
        site_url=datasette.absolute_url(
            request, f"{documents}?site={quote(site, safe='')}&is_report=1"
        ),
        document_url=lambda doc_id: datasette.absolute_url(
            request, datasette.urls.row(ARCHIVE_DB, "documents", doc_id)
        ),
    )
    return Response(
        body,
        status=200,
        content_type="application/atom+xml; charset=utf-8",
        headers={"x-content-type-options": "nosniff"},
    )
