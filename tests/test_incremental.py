"""Incremental recrawls of the zoo on one data directory, and per-host page budgets.

1. first crawl;  2. recrawl, nothing changed: start/list pages fetched in full, every
archived article asked with If-None-Match and answered 304 (revisit records), nothing
new or changed;  3. the zoo changes (two articles edited, one added and linked from a
list page, one deleted and unlinked): exactly the edited ones are "changed" (their
earlier text kept in document_versions), the added one is new, the deleted one is
kept and marked gone (found by re-checking archived document URLs), nothing else moves.

The helpers that change a running zoo are used by benchmarks/bench_recrawl.py too.
"""
from __future__ import annotations

import subprocess

import pytest

from archive.store import document_id
from tests.conftest import crawl_cmd

from tests.sql import rows

NEW_LAST_MODIFIED = "Tue, 01 Jul 2025 08:00:00 GMT"


# -- changing a running zoo (pages are served from site.pages on every request) ----------
def _set_body(site, path: str, text: str) -> None:
    page = site.pages[path]
    page.body = text.encode(site.encoding)
    page._gzipped = None
    site.last_modified = NEW_LAST_MODIFIED     # so If-Modified-Since no longer matches


def editable_docs(zoo) -> list[dict]:
    """Gold HTML documents alone on their (single) page whose first paragraph is
    literally in the page: they can be edited in place."""
    from urllib.parse import urlsplit

    per_url: dict[str, int] = {}
    for d in zoo.truth["documents"]:
        per_url[d["url"]] = per_url.get(d["url"], 0) + 1
    out = []
    for d in zoo.truth["documents"]:
        if d["kind"] != "html" or d["pages"] or per_url[d["url"]] != 1 or not d.get("reachable", True):
            continue
        site = site_of(zoo, d["url"])
        page = site.pages.get(urlsplit(d["url"]).path + (("?" + urlsplit(d["url"]).query)
                                                         if urlsplit(d["url"]).query else ""))
        if page is None or page.status != 200:
            continue
        first = d["text"].split("\n")[0]
        if first and first in page.body.decode(site.encoding, "replace"):
            out.append(d)
    return out


def site_of(zoo, url: str):
    return next(s for name, s in zoo.sites.items() if url.startswith(zoo.urls[name]))


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def edit_document(zoo, doc: dict, note: str = "（本文已于2025年7月修订）") -> None:
    site = site_of(zoo, doc["url"])
    body = site.pages[_path(doc["url"])].body.decode(site.encoding)
    first = doc["text"].split("\n")[0]
    _set_body(site, _path(doc["url"]), body.replace(first, first + note, 1))


def add_document(zoo, like: dict, list_url: str, new_path: str, title: str) -> str:
    """A new article made from ``like``'s page, linked from the list page ``list_url``."""
    site = site_of(zoo, like["url"])
    body = site.pages[_path(like["url"])].body.decode(site.encoding)
    first = like["text"].split("\n")[0]
    body = body.replace(first, "新增段落：" + first + "（新发布）", 1).replace(like["title"], title)
    site.pages[new_path] = type(site.pages[_path(like["url"])])(
        body=body.encode(site.encoding), content_type=site.pages[_path(like["url"])].content_type)
    lst = site.pages[_path(list_url)].body.decode(site.encoding)
    _set_body(site, _path(list_url), lst.replace("</body>", f'<a href="{new_path}">{title}</a></body>', 1))
    return site.url(new_path)


def remove_document(zoo, doc: dict) -> None:
    """The page answers 404 from now on and no page links to it any more."""
    site = site_of(zoo, doc["url"])
    path = _path(doc["url"])
    del site.pages[path]
    for p, page in list(site.pages.items()):
        if page.status == 200 and page.content_type and "html" in page.content_type:
            text = page.body.decode(site.encoding, "replace")
            if f'"{path}"' in text:
                _set_body(site, p, text.replace(f'"{path}"', '"#"'))


# -- tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo():
    """Our own zoo: the session one's flaky page must give its first 500 to test_e2e."""
    from zoo import Zoo

    with Zoo(slow_seconds=2.0) as z:
        yield z


@pytest.fixture(scope="module")
def recrawls(tmp_path_factory):
    from zoo import Zoo

    data = tmp_path_factory.mktemp("incremental")
    with Zoo(slow_seconds=0.2) as z:
        out = {}
        marks = {}
        for step in ("first", "unchanged", "changed"):
            if step == "changed":
                docs = [d for d in editable_docs(z) if "/c/" in d["url"]]      # news articles
                out["edited"] = docs[:2]
                for d in out["edited"]:
                    edit_document(z, d)
                out["removed"] = docs[2]
                remove_document(z, docs[2])
                out["added"] = add_document(z, docs[3], z.urls["news"] + "ghgz/list.shtml",
                                            "/c/2025-07-01/9900001.shtml", "某区总工会2025年上半年工作总结")
            marks[step] = {name: len(z.requests(name)) for name in z.sites}
            proc = subprocess.run(crawl_cmd(data, z.start_urls), capture_output=True, text=True,
                                  timeout=300)
            assert proc.returncode == 0, proc.stderr[-3000:]
            out[step] = {name: z.requests(name)[marks[step][name]:] for name in z.sites}
            out[f"texts_{step}"] = {r["id"]: r["text"] for r in rows(
                data / "archive.db", "select id, text from documents")}
        yield type("R", (), dict(data=data, zoo=z, **out))


def test_unchanged_recrawl_reads_lists_and_asks_conditionally(recrawls):
    z, db = recrawls.zoo, recrawls.data / "archive.db"
    crawls = rows(db, "select * from crawls order by started_at")
    assert [c["status"] for c in crawls] == ["finished", "finished"] + ["finished"]
    second = crawls[1]
    assert second["new_documents"] == 0 and second["changed"] == 0 and second["gone"] == 0
    assert second["unchanged"] > 0
    reqs = [r for site in recrawls.unchanged.values() for r in site]
    start_paths = {_path(u) for u in z.start_urls}
    for name, site_reqs in recrawls.unchanged.items():
        for r in site_reqs:
            if r["path"] == "/" or r["path"] in start_paths:
                assert "If-None-Match" not in r["headers"], (name, r)   # always read in full
    # every archived gold page with validators was asked conditionally and not sent again
    gold_urls = {d["url"] for d in z.truth["documents"] if d.get("reachable", True)}
    by_url = {}
    for name, site_reqs in recrawls.unchanged.items():
        for r in site_reqs:
            by_url.setdefault(z.urls[name].rstrip("/") + r["path"], []).append(r)
    validated = [u for u in gold_urls if site_of(z, u).pages.get(_path(u)) is not None]
    assert validated
    for url in validated:
        assert url in by_url, url
        assert [r["status"] for r in by_url[url]] == [304], (url, by_url[url])
        assert by_url[url][0]["headers"].get("If-None-Match")
    assert len(reqs) < sum(len(v) for v in recrawls.first.values())


def test_changed_zoo_gives_exactly_the_changed_new_and_gone(recrawls):
    db = recrawls.data / "archive.db"
    third = rows(db, "select * from crawls order by started_at")[2]
    edited = {document_id(d["url"], 0) for d in recrawls.edited}
    assert third["changed"] == len(edited) == 2
    assert third["new_documents"] == 1 and third["gone"] == 1
    versions = rows(db, "select document_id, text from document_versions")
    assert {v["document_id"] for v in versions} == edited
    for d in recrawls.edited:
        [now] = rows(db, "select text from documents where id = ?", [document_id(d["url"], 0)])
        assert "本文已于2025年7月修订" in now["text"]
        [old] = [v for v in versions if v["document_id"] == document_id(d["url"], 0)]
        assert "本文已于2025年7月修订" not in old["text"]
    [added] = rows(db, "select * from documents where url = ?", [recrawls.added])
    assert added["crawl_id"] == third["id"] and "新增段落" in added["text"]
    # the deleted page: still archived, marked gone, its 404 captured
    removed = recrawls.removed["url"]
    [gone] = rows(db, "select gone_at, text from documents where url = ?", [removed])
    assert gone["gone_at"] and gone["text"]
    assert [r["status"] for r in rows(db, "select status from captures where url = ? and crawl_id = ?",
                                      [removed, third["id"]])] == [404]
    # nothing else changed (pages whose links to the deleted page went away were fetched
    # again, but their text is the same)
    before, after = recrawls.texts_first, recrawls.texts_changed
    assert recrawls.texts_unchanged == before
    assert set(after) - set(before) == {document_id(recrawls.added, 0)}
    assert {i for i in before if after[i] != before[i]} == edited


def test_host_page_budget_ends_the_crawl(zoo, tmp_path):
    marks = {name: len(zoo.requests(name)) for name in zoo.sites}
    proc = subprocess.run(crawl_cmd(tmp_path / "b", zoo.start_urls, "--host-budget", "4"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "page budget of" in proc.stderr
    for name in zoo.sites:
        paths = [r["path"] for r in zoo.requests(name)[marks[name]:] if r["path"] != "/robots.txt"]
        assert 0 < len(set(paths)) <= 4, (name, paths)
    [row] = rows(tmp_path / "b" / "archive.db", "select status, pages from crawls")
    assert row["status"] == "finished" and row["pages"] <= 4 * len(zoo.sites) + 2 * len(zoo.sites)
