"""Changes you can see: a document's earlier versions with a diff and since when it is gone,
what a crawl found new, changed and gone per site (/-/changes), and each site's Atom feed of
new reports (/-/feed/SITE.atom). The changes come from real recrawls of two zoo portals over
HTTP; the pages are read through Datasette's client and in Debian's headless Chromium.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from datetime import datetime
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from archive.publish.changes import entry_id
from archive.publish.serve import make_datasette
from archive.store.schema import document_id
from tests.conftest import crawl_cmd
from tests.fixtures_archive import XSS, add_document, build_archive, serving
from tests.sql import rows
from tests.test_incremental import REVISIT, edit_document, editable_docs, remove_document
from tests.test_incremental import add_document as add_zoo_page

CHROMIUM = "/usr/bin/chromium"
ATOM = "{http://www.w3.org/2005/Atom}"
NOTE = "（本文已于2025年7月修订）"
MARKUP_NOTE = "&lt;script&gt;alert(1)&lt;/script&gt;（已更正）"  # markup once extracted
ADDED_TITLE = "某区总工会2025年上半年工作总结"


def _crawl(data, start_urls, *extra):
    proc = subprocess.run(
        crawl_cmd(data, start_urls, *REVISIT, *extra), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """The news and trs portals crawled; then a report edited on each (the trs one with
    markup in its new text), a news item deleted, a report added to a news list; recrawled
    with --recheck all."""
    from zoo import Zoo

    data = tmp_path_factory.mktemp("changes")
    with Zoo(slow_seconds=0.2) as z:
        start = [z.urls["news"], z.urls["trs"]]
        _crawl(data, start)
        editable = editable_docs(z)
        news = {d["title"][:6]: d for d in editable if d["url"].startswith(z.urls["news"])}
        trs = {d["title"][:6]: d for d in editable if d["url"].startswith(z.urls["trs"])}
        edited_news, edited_trs = news["德阳市总工会"], trs["关于全市工会"]
        edit_document(z, edited_news, NOTE)
        edit_document(z, edited_trs, MARKUP_NOTE)
        removed = news["快递小哥有了"]
        remove_document(z, removed)
        added = add_zoo_page(
            z,
            news["苍溪县总工会"],
            z.urls["news"] + "ghgz/list.shtml",
            "/c/2025-07-01/9900001.shtml",
            ADDED_TITLE,
        )
        _crawl(data, start, "--recheck", "all")
        crawls = [
            c["id"] for c in rows(data / "archive.db", "select id from crawls order by started_at")
        ]
        yield SimpleNamespace(
            data=data,
            zoo=z,
            crawls=crawls,
            news_site=z.urls["news"].split("/")[2],
            trs_site=z.urls["trs"].split("/")[2],
            edited_news=document_id(edited_news["url"]),
            edited_trs=document_id(edited_trs["url"]),
            removed=document_id(removed["url"]),
            added=document_id(added),
        )


@pytest.fixture(scope="module")
def ds(recrawled):
    return make_datasette(recrawled.data)


def get(ds, path):
    return asyncio.run(ds.client.get(path))


# ------------------------------------------------------------------ the document page


def test_document_page_shows_the_earlier_version_and_what_changed(recrawled, ds):
    r = get(ds, f"/archive/documents/{recrawled.edited_news}")
    assert r.status_code == 200
    html = r.text
    assert 'id="versions"' in html and "1 earlier version" in html
    # the edited paragraph: the old one removed, the new one added with the note marked
    assert '<li class="diff-added"><ins>' in html and f"<mark>{NOTE}</mark>" in html
    assert html.count('<li class="diff-removed">') == 1
    assert f'by crawl <a href="/archive/crawls/{recrawled.crawls[1]}">' in html
    # a document that did not change has no such block
    [same] = rows(
        recrawled.data / "archive.db",
        "select id from documents where site = ? and id not in (?, ?, ?, ?) limit 1",
        [
            recrawled.news_site,
            recrawled.edited_news,
            recrawled.edited_trs,
            recrawled.removed,
            recrawled.added,
        ],
    )
    assert 'id="versions"' not in get(ds, f"/archive/documents/{same['id']}").text


def test_markup_in_a_changed_text_is_shown_escaped(recrawled, ds):
    html = get(ds, f"/archive/documents/{recrawled.edited_trs}").text
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;（已更正）</mark>" in html
    assert "<script>alert(1)" not in html


def test_gone_document_says_since_when(recrawled, ds):
    [doc] = rows(
        recrawled.data / "archive.db",
        "select gone_at, text from documents where id = ?",
        [recrawled.removed],
    )
    assert doc["gone_at"] and doc["text"]
    html = get(ds, f"/archive/documents/{recrawled.removed}").text
    assert 'class="doc-gone"' in html and "Gone from the web" in html
    assert f"answered\n  404 since <time>{doc['gone_at']}</time>" in html
    assert recrawled.crawls[1] in html
    assert "doc-gone" not in get(ds, f"/archive/documents/{recrawled.edited_news}").text


# ------------------------------------------------------------------ the changes page


def test_changes_page_lists_new_changed_and_gone_per_site(recrawled, ds):
    r = get(ds, "/-/changes.json")
    assert r.status_code == 200
    data = r.json()
    assert data["crawl"]["id"] == recrawled.crawls[1]
    got = {
        s["site"]: {k: {d["id"] for d in s[k]} for k in ("new", "changed", "gone")}
        for s in data["sites"]
    }
    assert got == {
        recrawled.news_site: {
            "new": {recrawled.added},
            "changed": {recrawled.edited_news},
            "gone": {recrawled.removed},
        },
        recrawled.trs_site: {"new": set(), "changed": {recrawled.edited_trs}, "gone": set()},
    }
    row = data["crawl"]
    assert (
        data["totals"]
        == {"new": row["new_documents"], "changed": row["changed"], "gone": row["gone"]}
        == {"new": 1, "changed": 2, "gone": 1}
    )
    news = next(s for s in data["sites"] if s["site"] == recrawled.news_site)
    assert news["feed"] == f"/-/feed/{recrawled.news_site}.atom"
    assert news["gone"][0]["status"] == 404 and news["new"][0]["title"] == ADDED_TITLE

    # the first crawl: everything it archived was new
    first = get(ds, f"/-/changes.json?crawl={recrawled.crawls[0]}").json()
    [count] = rows(
        recrawled.data / "archive.db",
        "select new_documents from crawls where id = ?",
        [recrawled.crawls[0]],
    )
    assert first["totals"] == {"new": count["new_documents"], "changed": 0, "gone": 0}
    assert count["new_documents"] > 10
    assert get(ds, "/-/changes.json?crawl=nope").status_code == 404

    html = get(ds, "/-/changes").text
    assert f"What crawl {recrawled.crawls[1]} found" in html
    assert "1 new, 2 changed, 1 gone" in html
    assert f'href="/archive/documents/{recrawled.edited_trs}#versions"' in html
    assert f'type="application/atom+xml" title="New work reports: {recrawled.news_site}"' in html
    assert f'href="/-/changes?crawl={recrawled.crawls[0]}"' in html
    assert 'href="/-/changes"' in get(ds, "/").text  # from the home page


def test_changes_are_counted_in_full_and_listed_up_to_the_limit(recrawled):
    from archive.publish.changes import crawl_changes

    db = recrawled.data / "archive.db"
    [row] = rows(db, "select new_documents from crawls where id = ?", [recrawled.crawls[0]])
    conn = sqlite3.connect(db)
    try:
        data = crawl_changes(conn, recrawled.crawls[0], limit=3)
    finally:
        conn.close()
    assert data["totals"]["new"] == row["new_documents"] > 3
    assert sum(len(s["new"]) for s in data["sites"]) == 3 and data["cut"]


# ------------------------------------------------------------------ the Atom feeds


def _feed(ds, site):
    r = get(ds, f"/-/feed/{site}.atom")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return r.content, ElementTree.fromstring(r.content)  # a real XML parser


def _check_atom(feed) -> list:
    """The rules of RFC 4287 a reader relies on: one id, title and updated per feed and
    entry, an author, an alternate link per entry, RFC 3339 dates, unique ids."""
    assert feed.tag == ATOM + "feed"
    for elem in [feed, *feed.findall(ATOM + "entry")]:
        for name in ("id", "title", "updated"):
            assert len(elem.findall(ATOM + name)) == 1, (elem, name)
        datetime.fromisoformat(elem.findtext(ATOM + "updated"))
        assert elem.findtext(ATOM + "id").startswith("urn:uuid:")
    assert feed.find(ATOM + "author/" + ATOM + "name").text
    assert feed.find(ATOM + "link[@rel='self']").get("href").endswith(".atom")
    entries = feed.findall(ATOM + "entry")
    for e in entries:
        links = e.findall(ATOM + "link")
        assert len(links) == 1 and links[0].get("rel", "alternate") == "alternate"
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(ids) == len(set(ids))
    return entries


def test_each_site_has_an_atom_feed_of_its_new_reports(recrawled, ds):
    db = recrawled.data / "archive.db"
    for site in (recrawled.news_site, recrawled.trs_site):
        body, feed = _feed(ds, site)
        entries = _check_atom(feed)
        reports = rows(
            db,
            "select id, url, part, title, first_captured_at from documents "
            "where site = ? and is_report = 1",
            [site],
        )
        # one entry per report of that site, and nothing of the other site
        assert sorted(e.findtext(ATOM + "id") for e in entries) == sorted(
            entry_id(d["url"], d["part"]) for d in reports
        )
        assert len(entries) == len(reports) > 2
        # newest first: when the archive first had it, not when it was last fetched
        times = [datetime.fromisoformat(e.findtext(ATOM + "updated")) for e in entries]
        assert times == sorted(times, reverse=True)
        assert body == _feed(ds, site)[0]  # the same feed when nothing changed
    _, feed = _feed(ds, recrawled.news_site)
    first = feed.find(ATOM + "entry")
    assert first.findtext(ATOM + "title") == ADDED_TITLE
    link = first.find(ATOM + "link").get("href")
    assert link == f"http://localhost/archive/documents/{recrawled.added}"
    assert get(ds, link.removeprefix("http://localhost")).status_code == 200
    # the edited report keeps its place: it is not new
    [edited] = [
        e
        for e in feed.findall(ATOM + "entry")
        if e.find(ATOM + "link").get("href").endswith(recrawled.edited_news)
    ]
    [row] = rows(
        db,
        "select first_captured_at, captured_at from documents where id = ?",
        [recrawled.edited_news],
    )
    assert (
        datetime.fromisoformat(edited.findtext(ATOM + "updated"))
        == datetime.fromisoformat(row["first_captured_at"])
        < datetime.fromisoformat(row["captured_at"])
    )
    assert get(ds, "/-/feed/nowhere.example.org.atom").status_code == 404


def test_feed_carries_crawled_text_that_xml_cannot(tmp_path):
    """Control characters are not allowed in XML 1.0: they are left out, and markup stays
    text."""
    arch = build_archive(tmp_path)
    row = add_document(
        arch.db_path,
        "ctl",
        "\x0b工会\x1b工作总结" + XSS,
        "正文\x0c第一段。\n第二段。",
        first_captured_at="2026-11-22T00:00:00Z",
    )
    with sqlite3.connect(arch.db_path) as conn:
        conn.execute("update documents set is_report = 1 where id = ?", [row["id"]])
    ds = make_datasette(arch.root)
    _, feed = _feed(ds, "www.xmgh.org")
    entries = _check_atom(feed)
    assert entries[0].findtext(ATOM + "title") == "工会工作总结" + XSS
    assert entries[0].findtext(ATOM + "summary") == "正文第一段。 第二段。"
    assert entries[0].findtext(ATOM + "id") == entry_id(row["url"], 0)


# ------------------------------------------------------------------ in a real browser


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing")
def test_changes_in_chromium(recrawled, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    shots = os.environ.get("UNION_SCREENSHOT_DIR", str(tmp_path))
    with serving(recrawled.data) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(locale="zh-CN")
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + "/-/changes")
        news = page.locator(f"section.changes-site[data-site='{recrawled.news_site}']")
        assert news.locator(".changes-new li").count() == 1
        assert ADDED_TITLE in news.locator(".changes-new").inner_text()
        assert news.locator(".changes-gone li").count() == 1
        page.screenshot(path=f"{shots}/changes.png", full_page=True)

        # from the list to the changed trs report: its diff, the markup shown as text
        trs = page.locator(f"section.changes-site[data-site='{recrawled.trs_site}']")
        trs.locator(".changes-changed a").click()
        page.wait_for_url(f"**/archive/documents/{recrawled.edited_trs}#versions")
        added = page.locator(".doc-versions .diff-added mark")
        assert added.first.inner_text() == XSS + "（已更正）"
        assert page.locator(".doc-versions .diff-removed").count() == 1
        assert page.evaluate("document.querySelectorAll('article script').length") == 0
        page.screenshot(path=f"{shots}/versions.png", full_page=True)

        page.goto(f"{base}/archive/documents/{recrawled.removed}")
        assert "Gone from the web" in page.inner_text(".doc-gone")
        page.wait_for_timeout(200)
        assert dialogs == []
        browser.close()
