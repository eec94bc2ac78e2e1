"""How to cite an archived document: GB/T 7714-2015, BibTeX and CSL-JSON.

Every form names the original URL, the capture time (its date as the 引用日期, the date the
cited content was seen) and the archive's record URL (``/-/record/DOC_ID``, the WARC record
the text was extracted from), so a reader can check the citation against the capture.
``union-archive export`` writes the same GB/T 7714 text and record URL for every document
(docs/export.md, "Citations").

* ``record_path(doc_id)``, ``record_url(base, doc_id)`` — where the archive serves the record;
* ``gbt7714(doc, record_url)``, ``bibtex(doc, record_url)``, ``csl_json(doc, record_url)`` —
  from a ``documents`` row (a mapping with at least id, url, title, org, published_date,
  captured_at);
* ``citation_file(datasette, request)`` — the ``/-/cite/DOC_ID.bib`` and ``.json`` downloads;
  ``page_vars(datasette, request, doc_id)`` — what the document page shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request, Response

UNKNOWN_AUTHOR = "佚名"  # GB/T 7714-2015 8.1.1: an unknown responsible party
UNTITLED = "无题名"
CITE_FIELDS = "id, url, part, title, org, site, published_date, captured_at, warc_filename"
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# BibTeX counts braces whatever precedes them, so a literal brace must be a command
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def record_path(doc_id: str) -> str:
    return "/-/record/" + quote(doc_id, safe="")


def record_url(base: str, doc_id: str) -> str:
    """The record's URL on an archive published at ``base`` (scheme, host and any path)."""
    return base.rstrip("/") + record_path(doc_id)


def _date(value) -> str | None:
    """The YYYY-MM-DD an ISO date or timestamp starts with, else None."""
    m = _DATE.match(value or "")
    return m.group(0) if m else None


def _date_parts(value) -> list[int] | None:
    m = _DATE.match(value or "")
    return [int(g) for g in m.groups()] if m else None


def _clean(value) -> str:
    """One line: a title or name with its whitespace runs made single blanks."""
    return " ".join(str(value or "").split())


def gbt7714(doc: Mapping, record_url: str | None) -> str:
    """``[作者]. 题名[EB/OL]. (发布日期)[引用日期]. URL. 存档: 记录URL.``"""
    author = _clean(doc.get("org")) or UNKNOWN_AUTHOR
    title = _clean(doc.get("title")) or UNTITLED
    published, cited = _date(doc.get("published_date")), _date(doc.get("captured_at"))
    dates = (f"({published})" if published else "") + (f"[{cited}]" if cited else "")
    parts = [author, f"{title}[EB/OL]", dates, doc.get("url") or ""]
    if record_url:
        parts.append(f"存档: {record_url}")
    return ". ".join(p for p in parts if p) + "."


def _bib_text(value: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in value)


def _bib_url(value: str) -> str:
    # braces, backslashes and blanks would break the entry; percent-encoded they are the same URL
    return re.sub(r"[{}\\\s]", lambda m: quote(m.group(0)), value)


def bibtex(doc: Mapping, record_url: str | None) -> str:
    """A biblatex ``@online`` entry (the entry type GB/T 7714 styles print as [EB/OL])."""
    fields = []
    if _clean(doc.get("org")):
        fields.append(("author", "{" + _bib_text(_clean(doc["org"])) + "}"))
    fields.append(("title", "{" + _bib_text(_clean(doc.get("title")) or UNTITLED) + "}"))
    published = _date(doc.get("published_date"))
    if published:
        fields += [("date", published), ("year", published[:4])]
    fields.append(("url", _bib_url(doc.get("url") or "")))
    cited = _date(doc.get("captured_at"))
    if cited:
        fields.append(("urldate", cited))
    note = f"Captured {doc.get('captured_at')}" if doc.get("captured_at") else ""
    if record_url:
        note += ("; " if note else "") + f"archived WARC record: \\url{{{_bib_url(record_url)}}}"
    if note:
        fields.append(("note", note))
    fields.append(("langid", "chinese"))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@online{{union-{doc['id']},\n{body}\n}}\n"


def csl_item(doc: Mapping, record_url: str | None) -> dict:
    """One CSL-JSON item (type webpage; ``archive_location`` is the record URL)."""
    item = {
        "id": f"union-{doc['id']}",
        "type": "webpage",
        "title": _clean(doc.get("title")) or UNTITLED,
        "URL": doc.get("url"),
        "language": "zh-CN",
    }
    if _clean(doc.get("org")):
        item["author"] = [{"literal": _clean(doc["org"])}]
    if doc.get("site"):
        item["container-title"] = doc["site"]
    for key, column in (("issued", "published_date"), ("accessed", "captured_at")):
        parts = _date_parts(doc.get(column))
        if parts:
            item[key] = {"date-parts": [parts]}
    if record_url:
        item["archive_location"] = record_url
    notes = [
        f"Captured {doc['captured_at']}" if doc.get("captured_at") else "",
        f"WARC record: {record_url}" if record_url else "",
    ]
    if any(notes):
        item["note"] = "; ".join(n for n in notes if n)
    return item


def csl_json(doc: Mapping, record_url: str | None) -> str:
    """A CSL-JSON file: a list of one item (what Zotero and citeproc import)."""
    return json.dumps([csl_item(doc, record_url)], ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------ Datasette


async def _cited_document(datasette, request, doc_id: str):
    """(row, absolute record URL or None) of ``doc_id`` in the archive, or None."""
    from archive.publish.serve import archive_database

    db = archive_database(datasette)
    if db is None:
        return None
    rows = (await db.execute(f"select {CITE_FIELDS} from documents where id = ?", [doc_id])).rows
    if not rows:
        return None
    doc = dict(rows[0])
    url = (
        datasette.absolute_url(request, datasette.urls.path(record_path(doc_id)))
        if doc.get("warc_filename")
        else None
    )
    return doc, url


async def page_vars(datasette: Datasette, request: Request, doc_id: str) -> dict:
    """``citation`` for the document page: its GB/T 7714 text and download links."""
    found = await _cited_document(datasette, request, doc_id)
    if found is None:
        return {"citation": None}
    doc, url = found
    path = "/-/cite/" + quote(doc_id, safe="")
    return {
        "citation": {
            "gbt7714": gbt7714(doc, url),
            "record_url": url,
            "bibtex_url": datasette.urls.path(path + ".bib"),
            "csl_url": datasette.urls.path(path + ".json"),
        }
    }


async def citation_file(datasette: Datasette, request: Request) -> Response:
    """``/-/cite/DOC_ID.bib`` (BibTeX) and ``/-/cite/DOC_ID.json`` (CSL-JSON), as downloads."""
    from datasette.utils.asgi import Response

    doc_id, kind = request.url_vars["doc_id"], request.url_vars["format"]
    found = await _cited_document(datasette, request, doc_id)
    if found is None:
        return Response.text("No such document\n", status=404)
    doc, url = found
    if kind == "bib":
        body, content_type, name = bibtex(doc, url), "application/x-bibtex", f"{doc_id}.bib"
    else:
        body, content_type, name = (
            csl_json(doc, url),
            "application/vnd.citationstyles.csl+json",
            f"{doc_id}.csl.json",
        )
    return Response(
        body,
        status=200,
        content_type=content_type + "; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "x-content-type-options": "nosniff",
        },
    )
