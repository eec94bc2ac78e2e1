"""Hash-routed single-page apps (crawler/routes.py, crawler/browser.py): a real crawl of the
zoo's `hashspa` site (routes in ``#/...`` and ``#!/...``) over 127.0.0.1 with Debian's
headless Chromium, the WARC files read back with warcio, the archive's SQLite, and pywb
replaying a route from the WARC files alone."""

from __future__ import annotations

import json
import os
import subprocess
from types import SimpleNamespace

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.evaluate.zoo import text_f1
from tests.conftest import crawl_cmd
from tests.sql import rows

CHROMIUM = "/usr/bin/chromium"
REPORT = "北山社区工会联合会2022年工作小结"  # only on the route #/list/2


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    pytest.importorskip("playwright.async_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from zoo import Zoo

    with Zoo(browser_sites=True) as zoo:
        data = tmp_path_factory.mktemp("hash-crawl")
        base = zoo.urls["hashspa"]
        proc = subprocess.run(crawl_cmd(data, [base]), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        yield SimpleNamespace(data=data, proc=proc, zoo=zoo, base=base)


def _records(data) -> list[SimpleNamespace]:
    out = []
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append(
                    SimpleNamespace(
                        type=rec.rec_type,
                        uri=rec.rec_headers.get_header("WARC-Target-URI"),
                        http=rec.http_headers,
                        body=rec.content_stream().read(),
                    )
                )
    return out


def test_the_documents_behind_hash_routes_are_archived(crawled):
    gold = [d for d in crawled.zoo.truth["documents"] if d["site"] == "hashspa"]
    docs = {d["url"]: d for d in rows(crawled.data / "archive.db", "select * from documents")}
    assert len(gold) == 4
    for g in gold:
        d = docs.get(g["url"])
        assert d is not None, g["url"]
        assert text_f1(g["text"], d["text"]) >= 0.9, g["url"]
        assert (d["title"], d["published_date"]) == (g["title"], g["published_date"])
        assert bool(d["is_report"]) == g["is_report"], g["url"]
    report = docs[crawled.base + "api/article/38"]  # reached only through #/list/2
    assert report["title"] == REPORT and report["is_report"]
    assert crawled.base + "api/article/12" in docs  # only behind a #!/ hash-bang link
    # its provenance is the JSON answer's own record, read back with warcio
    path = next((crawled.data / "warc").glob(report["warc_filename"]))
    with open(path, "rb") as fh:
        fh.seek(report["warc_offset"])
        rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_type == "response"
        assert rec.rec_headers.get_header("WARC-Target-URI") == crawled.base + "api/article/38"
        assert rec.http_headers.get_header("Content-Type").startswith("application/json")
        assert json.loads(rec.content_stream().read())["title"] == REPORT


def test_each_route_is_rendered_once_and_plain_fragments_are_no_pages(crawled):
    routes = crawled.zoo.truth["sites"]["hashspa"]["routes"]
    assert len(routes) == 6 and "#!/article/12" in routes
    log = crawled.zoo.requests("hashspa")
    paths = [r["path"] for r in log]
    # the shell: once for "/" and once for each route; never for #top or "#"
    assert paths.count("/") == 1 + len(routes)
    assert not [p for p in paths if "#" in p]  # a fragment is never sent
    # rendered AT the route: the app asked for what only that route shows
    assert "/api/list?page=2" in paths
    for num in (51, 50, 38, 12):
        assert f"/api/article/{num}" in paths
    recs = _records(crawled.data)
    assert not [r.uri for r in recs if r.uri and "#" in r.uri]
    shells = [r for r in recs if r.uri == crawled.base and r.type in ("response", "revisit")]
    assert len(shells) == 1 + len(routes)
    requests = [r for r in recs if r.uri == crawled.base and r.type == "request"]
    assert all(r.body == b"" and r.http.protocol == "GET" for r in requests)
    assert all(r.http.statusline.startswith("/ ") for r in requests), requests[0].http
    [page2] = [
        r for r in recs if r.uri == crawled.base + "api/list?page=2" and r.type == "response"
    ]
    assert json.loads(page2.body)["items"][0]["title"] == REPORT
    captures = rows(
        crawled.data / "archive.db",
        "select url from captures where url like ?",
        ["%/api/list?page=2"],
    )
    assert captures


def test_the_apps_requests_keep_robots_and_host_rules(crawled):
    paths = [r["path"] for r in crawled.zoo.requests("hashspa")]
    assert "/api/article/38" in paths  # the article routes ran their scripts
    assert not [p for p in paths if p.startswith("/api/stat")]  # robots.txt
    others = [n for n in crawled.zoo.urls if n != "hashspa"]
    assert not [n for n in others for r in crawled.zoo.requests(n)]  # no other host
    assert not rows(
        crawled.data / "archive.db", "select url from captures where url like '%/api/stat%'"
    )


def test_replay_of_a_route_from_the_warc_alone(crawled, tmp_path):
    from tests.test_pywb_replay import pywb_collection, running_wayback

    bin_dir = pywb_collection(tmp_path, "h", crawled.data)
    with running_wayback(tmp_path, bin_dir) as wayback:
        crawled.zoo.stop()  # only the archive answers from here on (so this test runs last)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            for route in ("#/list/2", "#/article/38"):
                # the top frame hands its fragment on to the replayed page (pywb's frame)
                page.goto(f"{wayback}/h/{crawled.base}{route}", wait_until="load")
                app = page.frame_locator("#replay_iframe").locator("#app")
                if route == "#/list/2":
                    app.locator(f"a:has-text('{REPORT}')").wait_for(timeout=20000)
                else:
                    app.locator("h1.title").wait_for(timeout=20000)
                    assert app.locator("h1.title").inner_text() == REPORT
            browser.close()


def test_a_crawl_can_start_at_a_route(tmp_path):
    """A start URL that is a route (the survey's gsgh.org.cn/#/...) is rendered at that route:
    one level deep from #/list/2 reaches its report; from the app's bare URL it does not (the
    report is linked only from #/list/2, a level further)."""
    pytest.importorskip("playwright.async_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from zoo import Zoo

    found = {}
    with Zoo(browser_sites=True) as zoo:
        base = zoo.urls["hashspa"]
        for start in (base + "#/list/2", base):
            data = tmp_path / ("route" if "#" in start else "bare")
            cmd = crawl_cmd(data, [start], "-s", "DEPTH_LIMIT=1")
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
            docs = rows(data / "archive.db", "select url from documents")
            found[start] = {d["url"] for d in docs}
    assert base + "api/article/38" in found[base + "#/list/2"]
    assert base + "api/article/38" not in found[base]
