"""A crawl's report as a page, ``/-/crawl-report/CRAWL_ID`` (``.md``: the file itself)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import markupsafe
from datasette.utils.asgi import Response

from archive.publish.serve import archive_database
from archive.publish.warc_routes import not_found, plain_file_in

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


def crawls_with_reports(datasette: Datasette) -> set[str]:
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


async def crawl_report_file(datasette: Datasette, crawl_id: str) -> Path | None:
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
    return plain_file_in(path.parent, path.name)


async def crawl_report(datasette: Datasette, request: Request) -> Response:
    crawl_id = request.url_vars["crawl_id"]
    path = await crawl_report_file(datasette, crawl_id)
    if path is None:
        return not_found("No report for this crawl")
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
