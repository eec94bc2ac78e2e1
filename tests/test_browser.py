"""A real headless Chromium (Debian's) against `union-archive serve` over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.fixtures_archive import XSS, build_archive, serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    arch = build_archive(tmp_path_factory.mktemp("browser"))
    with serving(arch.root) as base:
        yield arch, base


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_search_facet_read_download(server, browser, tmp_path):
    arch, base = server
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # home page: search 工会 from its search box
    page.goto(base + "/")
    assert "工会工作报告档案" in page.inner_text("h1")
    shots = Path(os.environ.get("UNION_SCREENSHOT_DIR", tmp_path))
    page.screenshot(path=str(shots / "home.png"))
    page.fill("#home-search", "工会")
    page.press("#home-search", "Enter")
    page.wait_for_url("**/archive/documents?_search=*")
    assert page.input_value("#_search") == "工会"
    assert "6 rows where search matches" in page.inner_text("h3")
    shown = page.locator("table.rows-and-columns tbody tr").count()
    assert shown == 6

    # apply the region facet 福建省厦门市
    page.click(".facet-info[data-column='region'] a:has-text('福建省厦门市')")
    page.wait_for_url("**region=*")
    assert "3 rows" in page.inner_text("h3")
    assert page.locator("table.rows-and-columns tbody tr").count() == 3
    page.screenshot(path=str(shots / "search.png"), full_page=True)

    # open a document from the results
    doc = arch.doc("siming")
    page.click(f"table.rows-and-columns a[href='/archive/documents/{doc['id']}']")
    page.wait_for_url(f"**/archive/documents/{doc['id']}")
    assert page.inner_text("h1.doc-title") == doc["title"]
    assert page.locator(".doc-text p").count() == len([p for p in doc["text"].split("\n") if p])

    # download its single-record WARC and read it back
    with page.expect_download() as info:
        page.click("a.download-record")
    target = tmp_path / "record.warc.gz"
    info.value.save_as(target)
    with open(target, "rb") as fh:
        recs = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)
        ]
    assert recs == [("response", doc["url"])]

    # the <script> payload in a title and a body shows as text and never runs
    xss = arch.doc("xss")
    page.goto(f"{base}/archive/documents/{xss['id']}")
    assert page.inner_text("h1.doc-title") == XSS + "工会通知"
    assert XSS in page.inner_text(".doc-text")
    page.goto(base + "/archive/documents?_search=通知")
    page.wait_for_load_state("load")
    assert XSS in page.inner_text("table.rows-and-columns")
    page.goto(f"{base}/archive/documents/{xss['id']}")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('article script, article img').length") == 0

    shot = shots / "document.png"
    page.goto(f"{base}/archive/documents/{doc['id']}")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    context.close()


def test_document_page_citation_and_its_downloads(server, browser, tmp_path):
    """A reader copies the GB/T 7714 citation, downloads BibTeX and CSL-JSON, and follows the
    record URL they name to the WARC record."""
    import json

    from pybtex.database import parse_string

    from archive.publish import citation

    arch, base = server
    doc = arch.doc("guangyuan")
    record = f"{base}/-/record/{doc['id']}"
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/archive/documents/{doc['id']}")
    shown = page.inner_text(".doc-citation")
    assert shown == (
        f"广元市总工会. 关于全市工会工作情况的汇报[EB/OL]. (2011-11-01)[2026-11-21]. "
        f"{doc['url']}. 存档: {record}."
    )
    assert shown == citation.gbt7714(doc, record)
    assert page.locator(".doc-cite").is_visible()

    with page.expect_download() as info:
        page.click("a.cite-bibtex")
    assert info.value.suggested_filename == f"{doc['id']}.bib"
    info.value.save_as(tmp_path / "cite.bib")
    [entry] = parse_string(
        (tmp_path / "cite.bib").read_text(encoding="utf-8"), "bibtex"
    ).entries.values()
    assert entry.fields["url"] == doc["url"] and entry.fields["urldate"] == "2026-11-21"
    assert record in entry.fields["note"] and doc["captured_at"] in entry.fields["note"]

    with page.expect_download() as info:
        page.click("a.cite-csl")
    info.value.save_as(tmp_path / "cite.json")
    [item] = json.loads((tmp_path / "cite.json").read_text(encoding="utf-8"))
    assert (item["URL"], item["archive_location"]) == (doc["url"], record)
    assert item["accessed"] == {"date-parts": [[2026, 11, 21]]}

    with page.expect_download() as info:
        page.click("a.cite-record")
    info.value.save_as(tmp_path / "record.warc.gz")
    with open(tmp_path / "record.warc.gz", "rb") as fh:
        recs = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)
        ]
    assert recs == [("response", doc["url"])]
    context.close()
