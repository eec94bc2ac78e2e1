"""Browser capture (crawler/browser.py): real crawls of the zoo's `guard` site (a JavaScript
cookie challenge) and `spa` site (a single-page app over a JSON API) with Debian's
headless Chromium, WARC files read back with warcio, the archive's SQLite, and pywb
replaying the rendered app from the WARC files alone."""

from __future__ import annotations

import os
import subprocess
from types import SimpleNamespace

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.evaluate.zoo import text_f1
from crawler.browser import APP_SHELL, CHALLENGE, browser_reason, json_links
from tests.conftest import crawl_cmd
from tests.sql import rows

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def bzoo():
    from zoo import Zoo

    with Zoo(browser_sites=True) as z:
        yield z


def _crawl(zoo, data, sites, *extra):
    urls = [zoo.sites[name].url("/") for name in sites]
    return subprocess.run(
        crawl_cmd(data, urls, *extra), capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def crawled(bzoo, tmp_path_factory):
    pytest.importorskip("playwright.async_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    data = tmp_path_factory.mktemp("browser-crawl")
    proc = _crawl(bzoo, data, ["guard", "spa"])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return SimpleNamespace(data=data, proc=proc, zoo=bzoo)


def _records(data):
    out = []
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append(
                    SimpleNamespace(
                        type=rec.rec_type,
                        uri=rec.rec_headers.get_header("WARC-Target-URI"),
                        status=rec.http_headers.get_statuscode() if rec.http_headers else None,
                        headers=rec.http_headers,
                        body=rec.content_stream().read(),
                    )
                )
    return out


# ---------------------------------------------------------------- pure parts


def test_what_needs_a_browser():
    shell = (
        b'<html><head><script src="/static/app.js"></script></head>'
        b'<body><div id="app"></div></body></html>'
    )
    challenge = (
        b'<html><body><script>document.cookie="a="+1;location.reload()</script></body></html>'
    )
    article = (
        "<html><body><script>var x=1</script><p>" + "工会" * 40 + "</p></body></html>"
    ).encode()
    assert browser_reason(200, shell, "text/html") == APP_SHELL
    assert browser_reason(521, challenge, "text/html") == CHALLENGE
    assert browser_reason(200, challenge, "text/html") == CHALLENGE
    assert browser_reason(200, article, "text/html") is None  # text of its own
    assert browser_reason(200, shell, "text/html", outlinks=["x"]) is None
    linked = b"<html><body><a href='/a'>a</a><script></script>"
    assert browser_reason(200, linked, "text/html") is None
    assert browser_reason(200, b"{}", "application/json") is None
    assert browser_reason(404, b"<html><body>Not found</body></html>", "text/html") is None


def test_links_from_json_lists():
    body = (
        '{"items": [{"title": "甲", "url": "/article/1"}, {"title": "乙", "href": "b.html"}],'
        ' "next": {"link": "http://h.example/list/2"}, "note": "/not/a/link/key"}'
    )
    links = json_links("http://h.example/api/list?page=1", body.encode())
    assert [(x.url, x.text) for x in links] == [
        ("http://h.example/article/1", "甲"),
        ("http://h.example/api/b.html", "乙"),
        ("http://h.example/list/2", ""),
    ]
    assert json_links("http://h.example/", b"not json") == []


# ---------------------------------------------------------------- real crawls


@needs_chromium
def test_every_document_behind_challenge_and_app_is_archived(crawled):
    gold = [d for d in crawled.zoo.truth["documents"] if d["site"] in ("guard", "spa")]
    docs = {
        (d["url"], d["part"]): d
        for d in rows(crawled.data / "archive.db", "select * from documents")
    }
    reachable = [g for g in gold if g["reachable"]]
    assert len(reachable) == 6
    for g in reachable:
        d = docs.get((g["url"], g["part"]))
        assert d is not None, g["url"]
        assert text_f1(g["text"], d["text"]) >= 0.9, g["url"]
        assert d["title"] == g["title"]
        assert d["published_date"] == g["published_date"]
        assert bool(d["is_report"]) == g["is_report"], g["url"]
    assert not [u for (u, _p) in docs if "/private/" in u]
    # the report only on list page 2 of the app was found
    assert any("/api/article/27" in u for (u, _p) in docs)


@needs_chromium
def test_challenge_is_solved_once_and_the_cookie_kept(crawled):
    log = crawled.zoo.requests("guard")
    assert [r["path"] for r in log if r["status"] == 521] == ["/"]  # one challenge
    articles = [r for r in log if r["path"].startswith("/gzbg/")]
    assert len(articles) == 4 and all(r["status"] == 200 for r in articles)
    for r in articles:  # plain Scrapy requests (no browser's Sec-Fetch headers), with the cookie
        assert "__jsl_clearance=" in r["headers"].get("Cookie", "")
        assert not any(k.lower().startswith("sec-fetch") for k in r["headers"]), r
    assert not [r for r in log if r["path"].startswith("/private/")]  # robots.txt
    recs = _records(crawled.data)
    home = [r for r in recs if r.uri == crawled.zoo.urls["guard"] and r.type == "response"]
    assert [r.status for r in home] == ["521", "200"]
    assert b"document.cookie" in home[0].body
    reload_request = [
        r for r in recs if r.uri == crawled.zoo.urls["guard"] and r.type == "request"
    ][1]
    assert "__jsl_clearance=" in reload_request.headers.get_header("Cookie")


@needs_chromium
def test_app_requests_are_captured_and_ruled(crawled):
    zoo = crawled.zoo
    log = zoo.requests("spa")
    paths = [r["path"] for r in log]
    assert "/api/list?page=2" in paths and "/api/article/27" in paths
    assert not [p for p in paths if p.startswith("/api/stat")]  # robots.txt
    assert not [r for r in zoo.requests("news") if "beacon" in r["path"]]  # other host
    recs = _records(crawled.data)
    by_uri = {}
    for r in recs:
        by_uri.setdefault((r.uri, r.type), []).append(r)
    api = zoo.urls["spa"] + "api/article/27"
    [resp] = by_uri[(api, "response")]
    assert resp.status == "200"
    assert resp.headers.get_header("Content-Type").startswith("application/json")
    assert b'"title"' in resp.body
    assert (api, "request") in by_uri
    js = zoo.urls["spa"] + "static/app.js"
    assert any(b"getElementById" in r.body for r in by_uri[(js, "response")])
    # the document's provenance is the JSON answer's own record
    [doc] = rows(crawled.data / "archive.db", "select * from documents where url = ?", [api])
    path = next((crawled.data / "warc").glob(doc["warc_filename"]))
    with open(path, "rb") as fh:
        fh.seek(doc["warc_offset"])
        rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_headers.get_header("WARC-Target-URI") == api
        assert rec.rec_type == "response"


def test_without_chromium_those_hosts_are_skipped_and_the_rest_crawled(bzoo, tmp_path):
    proc = _crawl(
        bzoo,
        tmp_path,
        ["guard", "spa", "mislabeled"],
        "-s",
        "UNION_BROWSER_EXECUTABLE=/nonexistent/chromium",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = next((tmp_path / "logs").glob("crawl-*.log")).read_text()
    assert log.count("pages that need a browser are skipped") == 1
    failures = rows(
        tmp_path / "archive.db", "select url, error from captures where record_type = 'failure'"
    )
    hosts = sorted({f["url"].split("/")[2] for f in failures})
    assert hosts == sorted(bzoo.urls[n].split("/")[2] for n in ("guard", "spa"))
    assert all("Chromium not found at /nonexistent/chromium" in f["error"] for f in failures)
    sites = {d["site"] for d in rows(tmp_path / "archive.db", "select site from documents")}
    assert sites == {bzoo.urls["mislabeled"].split("/")[2]}


@needs_chromium
def test_a_page_over_its_time_bound_is_a_recorded_failure(bzoo, tmp_path):
    pytest.importorskip("playwright.async_api")
    proc = _crawl(bzoo, tmp_path, ["spa", "mislabeled"], "-s", "UNION_BROWSER_PAGE_TIMEOUT=0.01")
    assert proc.returncode == 0, proc.stderr[-3000:]
    failures = rows(
        tmp_path / "archive.db", "select url, error from captures where record_type = 'failure'"
    )
    assert failures and all("not rendered within" in f["error"] for f in failures), failures
    assert rows(tmp_path / "archive.db", "select count(*) n from documents")[0]["n"] == 3


@needs_chromium
def test_replay_of_the_rendered_app_from_the_warc_alone(crawled, tmp_path):
    from tests.test_pywb_replay import pywb_collection, running_wayback

    bin_dir = pywb_collection(tmp_path, "b", crawled.data)
    with running_wayback(tmp_path, bin_dir) as base:
        crawled.zoo.stop()  # only the archive answers from here on (so this test runs last)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(f"{base}/b/{crawled.zoo.urls['spa']}list/2", wait_until="load")
            frame = (
                page.frame_locator("#replay_iframe")
                if page.locator("#replay_iframe").count()
                else None
            )
            scope = frame if frame is not None else page
            report = "#app a:has-text('卫子镇工会2023年一季度工作简报')"
            scope.locator(report).wait_for(timeout=20000)
            page.goto(f"{base}/b/{crawled.zoo.urls['spa']}article/27", wait_until="load")
            scope = (
                page.frame_locator("#replay_iframe")
                if page.locator("#replay_iframe").count()
                else page
            )
            scope.locator("#app h1.title").wait_for(timeout=20000)
            assert scope.locator("#app h1.title").inner_text() == "卫子镇工会2023年一季度工作简报"
            assert "一季度" in scope.locator("#app .content").inner_text()
            browser.close()
