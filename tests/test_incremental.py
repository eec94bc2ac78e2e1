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

from archive.store.schema import document_id
from tests.conftest import crawl_cmd, run_cli
from tests.sql import index_mismatches, rows

_EDITS = iter(range(1, 10**6))


def _new_last_modified() -> str:
    """A later Last-Modified at every edit (the zoo's is per site and answers 304 on an
    If-Modified-Since match, so an edit must never reuse one handed out before)."""
    from email.utils import formatdate

    return formatdate(1751356800 + 60 * next(_EDITS), usegmt=True)  # from 2025-07-01


# -- changing a running zoo (pages are served from site.pages on every request) ----------
def _set_body(site, path: str, text: str) -> None:
    page = site.pages[path]
    page.body = text.encode(site.encoding)
    page._gzipped = None
    site.last_modified = _new_last_modified()  # so If-Modified-Since no longer matches


def editable_docs(zoo) -> list[dict]:
    """Gold HTML documents alone on their (single) page whose first paragraph is
    literally in the page: they can be edited in place."""
    from urllib.parse import urlsplit

    per_url: dict[str, int] = {}
    for d in zoo.truth["documents"]:
        per_url[d["url"]] = per_url.get(d["url"], 0) + 1
    out = []
    for d in zoo.truth["documents"]:
        if (
            d["kind"] != "html"
            or d["pages"]
            or per_url[d["url"]] != 1
            or not d.get("reachable", True)
        ):
            continue
        site = site_of(zoo, d["url"])
        page = site.pages.get(
            urlsplit(d["url"]).path
            + (("?" + urlsplit(d["url"]).query) if urlsplit(d["url"]).query else "")
        )
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
        body=body.encode(site.encoding), content_type=site.pages[_path(like["url"])].content_type
    )
    lst = site.pages[_path(list_url)].body.decode(site.encoding)
    _set_body(
        site, _path(list_url), lst.replace("</body>", f'<a href="{new_path}">{title}</a></body>', 1)
    )
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


# Zoo pages carry a Last-Modified of January 2024: their first revisit interval (10 % of
# that age) is far above the default 30-day cap, and an interval at the cap cannot be seen
# to grow, so these crawls raise the cap.  Everything else is the default schedule.
REVISIT = ("-s", "UNION_REVISIT_MAX_DAYS=400")
NOTE = "（本页已于2025年7月更正）"


def schedule(data) -> dict[str, dict]:
    return {r["url"]: r for r in rows(data / "warc-state.sqlite", "select * from _schedule")}


def make_due(data, urls) -> None:
    """Their time has come: what a few weeks of waiting would do to the schedule."""
    import sqlite3

    conn = sqlite3.connect(data / "warc-state.sqlite")
    with conn:
        conn.executemany(
            "update _schedule set next_due = '2000-01-01T00:00:00Z' where url = ?",
            [(u,) for u in urls],
        )
    conn.close()


@pytest.fixture(scope="module")
def recrawls(tmp_path_factory):
    """first crawl; unchanged recrawl (default schedule); recrawl after half of the
    documents fell due (one of them now gone); the zoo changed and `--recheck all`."""
    from zoo import Zoo

    data = tmp_path_factory.mktemp("incremental")
    with Zoo(slow_seconds=0.2) as z:
        out = {}
        marks = {}
        # (a page whose gold names a known failure may give no document: then it is read
        # again every time, like a list)
        gold = sorted(
            {
                d["url"]
                for d in z.truth["documents"]
                if d.get("reachable", True)
                and not d.get("known_failure")
                and site_of(z, d["url"]).pages.get(_path(d["url"])) is not None
            }
        )
        news = [d for d in editable_docs(z) if "/c/" in d["url"]]  # news articles
        [multi] = [d for d in z.truth["documents"] if d["pages"] and d["site"] == "trs"]
        out["multipage"] = multi
        for step in ("first", "unchanged", "due", "changed"):
            extra = REVISIT
            etags = {
                u: site_of(z, u).pages[_path(u)].etag
                for u in gold
                if _path(u) in site_of(z, u).pages
            }
            if step == "due":
                out["due_urls"] = [u for u in gold[::2] if u != multi["url"]] + [news[4]["url"]]
                make_due(data, out["due_urls"])
                out["removed_due"] = news[4]
                remove_document(z, news[4])
            if step == "changed":
                extra = REVISIT + ("--recheck", "all")
                out["edited"] = news[:2]
                for d in out["edited"]:
                    edit_document(z, d)
                out["removed"] = news[2]
                remove_document(z, news[2])
                out["added"] = add_document(
                    z,
                    news[3],
                    z.urls["news"] + "ghgz/list.shtml",
                    "/c/2025-07-01/9900001.shtml",
                    "某区总工会2025年上半年工作总结",
                )
                # a later page of the multi-page article changes, its first page does not
                site = site_of(z, multi["pages"][-1])
                last = multi["text"].split("\n")[-1]
                page = site.pages[_path(multi["pages"][-1])].body.decode(site.encoding)
                assert last in page
                _set_body(site, _path(multi["pages"][-1]), page.replace(last, last + NOTE, 1))
            # pages the zoo now serves differently (edited, or a link to a removed page gone)
            out[f"edited_{step}"] = {
                u
                for u in gold
                if _path(u) in site_of(z, u).pages
                and site_of(z, u).pages[_path(u)].etag != etags.get(u)
            }
            marks[step] = {name: len(z.requests(name)) for name in z.sites}
            proc = subprocess.run(
                crawl_cmd(data, z.start_urls, *extra), capture_output=True, text=True, timeout=300
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            out[step] = {name: z.requests(name)[marks[step][name] :] for name in z.sites}
            out[f"texts_{step}"] = {
                r["id"]: r["text"]
                for r in rows(data / "archive.db", "select id, text from documents")
            }
            out[f"schedule_{step}"] = schedule(data)
        yield type("R", (), dict(data=data, zoo=z, gold=gold, **out))


def by_url(z, reqs: dict) -> dict[str, list[dict]]:
    out = {}
    for name, site_reqs in reqs.items():
        for r in site_reqs:
            out.setdefault(z.urls[name].rstrip("/") + r["path"], []).append(r)
    return out


def test_unchanged_recrawl_reads_lists_and_asks_no_article_that_is_not_due(recrawls):
    z, db = recrawls.zoo, recrawls.data / "archive.db"
    crawls = rows(db, "select * from crawls order by started_at")
    assert [c["status"] for c in crawls] == ["finished"] * 4
    second = crawls[1]
    assert second["new_documents"] == 0 and second["changed"] == 0 and second["gone"] == 0
    reqs = by_url(z, recrawls.unchanged)
    # start pages and lists are read in full, every time
    for url in z.start_urls:
        assert [r["status"] for r in reqs[url]] == [200]
        assert "If-None-Match" not in reqs[url][0]["headers"]
    assert any("list" in u for u in reqs)
    # no archived article or attachment was due (all were checked minutes ago): not one
    # request for any of them, and no conditional request at all
    assert recrawls.gold and not set(recrawls.gold) & set(reqs)
    assert not any(
        "If-None-Match" in r["headers"] or "If-Modified-Since" in r["headers"]
        for site in recrawls.unchanged.values()
        for r in site
    )
    first = sum(len(v) for v in recrawls.first.values())
    assert sum(len(v) for v in recrawls.unchanged.values()) < first - len(recrawls.gold)
    # the schedule did not move for what was not asked
    for url in recrawls.gold:
        assert recrawls.schedule_unchanged[url] == recrawls.schedule_first[url]


def _seconds(a: str, b: str) -> float:
    from crawler.revisit import parse_iso

    return (parse_iso(b) - parse_iso(a)).total_seconds()


def test_due_articles_get_conditional_gets_and_their_interval_grows(recrawls):
    from crawler.revisit import jitter

    z, db = recrawls.zoo, recrawls.data / "archive.db"
    reqs = by_url(z, recrawls.due)
    before, after = recrawls.schedule_unchanged, recrawls.schedule_due
    gone_url = recrawls.removed_due["url"]
    due = set(recrawls.due_urls)
    assert len(due) > 10
    for url in recrawls.gold:
        if url == gone_url:
            assert [r["status"] for r in reqs[url]] == [404]
        elif url in due and url in recrawls.edited_due:
            assert [r["status"] for r in reqs[url]] == [200], url
        elif url in due:
            # one conditional request, answered 304; the interval grew by 1.5
            assert [r["status"] for r in reqs[url]] == [304], url
            assert reqs[url][0]["headers"].get("If-None-Match")
            assert after[url]["interval_s"] == pytest.approx(before[url]["interval_s"] * 1.5)
            assert after[url]["checks"] == before[url]["checks"] + 1
            assert after[url]["changes"] == 0
            assert _seconds(after[url]["checked_at"], after[url]["next_due"]) == pytest.approx(
                after[url]["interval_s"] * jitter(url), abs=1
            )
        else:
            assert url not in reqs, url  # not due: not asked
            assert after[url] == before[url]
    # the vanished one was found when it fell due: kept, marked gone
    third = rows(db, "select * from crawls order by started_at")[2]
    assert third["gone"] == 1 and third["changed"] == 0 and third["new_documents"] == 0
    [gone] = rows(db, "select gone_at, text from documents where url = ?", [gone_url])
    assert gone["gone_at"] and gone["text"]


def test_changed_zoo_gives_exactly_the_changed_new_and_gone(recrawls):
    z, db = recrawls.zoo, recrawls.data / "archive.db"
    fourth = rows(db, "select * from crawls order by started_at")[3]
    multi_id = document_id(recrawls.multipage["url"], 0)
    edited = {document_id(d["url"], 0) for d in recrawls.edited}
    assert fourth["changed"] == len(edited) + 1 == 3
    assert fourth["new_documents"] == 1 and fourth["gone"] == 1
    versions = rows(db, "select document_id, text from document_versions")
    assert {v["document_id"] for v in versions} == edited | {multi_id}
    for d in recrawls.edited:
        [now] = rows(db, "select text from documents where id = ?", [document_id(d["url"], 0)])
        assert "本文已于2025年7月修订" in now["text"]
        [old] = [v for v in versions if v["document_id"] == document_id(d["url"], 0)]
        assert "本文已于2025年7月修订" not in old["text"]
    [added] = rows(db, "select * from documents where url = ?", [recrawls.added])
    assert added["crawl_id"] == fourth["id"] and "新增段落" in added["text"]
    # --recheck all: every archived document asked again, conditionally
    reqs = by_url(z, recrawls.changed)
    edited_urls = recrawls.edited_changed
    assert {d["url"] for d in recrawls.edited} <= edited_urls
    gone_urls = {recrawls.removed["url"], recrawls.removed_due["url"]}
    for url in recrawls.gold:
        statuses = [r["status"] for r in reqs[url]]
        assert statuses == (
            [404] if url in gone_urls else [200] if url in edited_urls else [304]
        ), url
        if url not in gone_urls:
            assert reqs[url][0]["headers"].get("If-None-Match")
    # intervals: halved where the page changed, grown by 1.5 where it did not
    before, after = recrawls.schedule_due, recrawls.schedule_changed
    for url in recrawls.gold:
        if url in gone_urls:
            continue
        factor = 0.5 if url in edited_urls else 1.5
        assert after[url]["interval_s"] == pytest.approx(before[url]["interval_s"] * factor), url
        assert after[url]["changes"] == before[url]["changes"] + (url in edited_urls)
    # the deleted page: still archived, marked gone, its 404 captured
    removed = recrawls.removed["url"]
    [gone] = rows(db, "select gone_at, text from documents where url = ?", [removed])
    assert gone["gone_at"] and gone["text"]
    assert [
        r["status"]
        for r in rows(
            db,
            "select status from captures where url = ? and crawl_id = ?",
            [removed, fourth["id"]],
        )
    ] == [404]
    # nothing else changed (pages whose links to the deleted page went away were fetched
    # again, but their text is the same)
    before, after = recrawls.texts_first, recrawls.texts_changed
    assert recrawls.texts_unchanged == before == recrawls.texts_due
    assert set(after) - set(before) == {document_id(recrawls.added, 0)}
    assert {i for i in before if after[i] != before[i]} == edited | {multi_id}


def test_first_capture_and_the_superseding_crawl_are_recorded(recrawls, tmp_path):
    """Every document keeps when and by which crawl it was first archived, every earlier
    version the crawl that replaced it (even the stitched article, whose first page was a
    revisit); `union-archive reindex` gives the same from the WARC files alone."""
    import shutil

    db = recrawls.data / "archive.db"
    crawls = [c["id"] for c in rows(db, "select id from crawls order by started_at")]
    docs = rows(
        db,
        "select id, first_crawl_id, first_captured_at, (select min(fetched_at) "
        "from captures c where c.url = d.url and c.status = 200) as earliest "
        "from documents d",
    )
    added = document_id(recrawls.added, 0)
    assert {d["id"] for d in docs if d["first_crawl_id"] == crawls[3]} == {added}
    assert {d["first_crawl_id"] for d in docs if d["id"] != added} == {crawls[0]}
    assert all(d["first_captured_at"] == d["earliest"] for d in docs), docs
    versions = rows(db, "select document_id, superseded_crawl_id from document_versions")
    edited = {document_id(d["url"], 0) for d in recrawls.edited}
    assert sorted(v["document_id"] for v in versions) == sorted(
        edited | {document_id(recrawls.multipage["url"], 0)}
    )
    assert {v["superseded_crawl_id"] for v in versions} == {crawls[3]}

    shutil.copytree(recrawls.data / "warc", tmp_path / "warc")
    proc = run_cli("reindex", "--data", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = tmp_path / "archive.db"
    sql = "select id, first_crawl_id, first_captured_at from documents order by id"
    assert rows(again, sql) == rows(db, sql)
    sql = "select document_id, superseded_crawl_id from document_versions order by document_id"
    assert rows(again, sql) == rows(db, sql)


def test_archives_made_before_first_capture_get_it_from_their_captures(recrawls, tmp_path):
    """An archive.db written before those columns existed gets them when it is next opened
    for writing: from each URL's earliest 200 capture, and from the crawls' start times."""
    import shutil
    import sqlite3

    from archive.store import schema as store

    db = tmp_path / "archive.db"
    shutil.copy(recrawls.data / "archive.db", db)
    conn = sqlite3.connect(db)
    for index in (
        "idx_documents_first_crawl_id",
        "idx_documents_site_is_report_first_captured_at",
        "idx_document_versions_superseded_crawl_id",
    ):
        conn.execute(f"drop index {index}")
    for table, column in (
        ("documents", "first_crawl_id"),
        ("documents", "first_captured_at"),
        ("document_versions", "superseded_crawl_id"),
    ):
        conn.execute(f"alter table {table} drop column {column}")
    conn.commit()
    conn.close()
    store.connect(db).conn.close()
    sql = "select id, first_crawl_id, first_captured_at from documents order by id"
    assert rows(db, sql) == rows(recrawls.data / "archive.db", sql)
    edited = [document_id(d["url"], 0) for d in recrawls.edited]
    sql = (
        "select document_id, superseded_crawl_id from document_versions where document_id in "
        "(?, ?) order by document_id"
    )
    assert rows(db, sql, edited) == rows(recrawls.data / "archive.db", sql, edited)


def test_search_index_follows_the_documents_through_the_recrawls(recrawls):
    """A changed document's entry is replaced. After four crawls with edits, a stitched
    article changed and a page gone, the index holds exactly the documents' current forms."""
    from archive.store import schema as store
    from archive.store import search

    db_path = recrawls.data / "archive.db"
    stale, missing = index_mismatches(db_path)
    assert not stale and not missing, (sorted(stale)[:5], sorted(missing)[:5])
    db = store.connect(db_path)
    try:
        for d in recrawls.edited:
            assert document_id(d["url"], 0) in search.search(db, "本文已于2025年7月修订")
        assert document_id(recrawls.added, 0) in search.search(db, "新增段落")
        assert document_id(recrawls.multipage["url"], 0) in search.search(db, NOTE.strip())
        # every crawl left the index in step: nothing queued for it
        assert db.execute("select count(*) from _search_pending").fetchone()[0] == 0
    finally:
        db.conn.close()


def test_changed_later_page_of_an_unchanged_article_is_stitched_again(recrawls):
    z, db = recrawls.zoo, recrawls.data / "archive.db"
    multi = recrawls.multipage
    reqs = by_url(z, recrawls.changed)
    assert [r["status"] for r in reqs[multi["url"]]] == [304]  # first page unchanged
    assert [r["status"] for r in reqs[multi["pages"][-1]]] == [200]  # the last one changed
    [doc] = rows(db, "select * from documents where url = ?", [multi["url"]])
    assert doc["text"].endswith(multi["text"].split("\n")[-1] + NOTE)
    assert doc["text"].replace(NOTE, "") == recrawls.texts_first[doc["id"]]  # all pages, in order
    [old] = rows(db, "select text from document_versions where document_id = ?", [doc["id"]])
    assert old["text"] == recrawls.texts_first[doc["id"]]


def test_schedule_is_rebuilt_from_the_warc_files(recrawls, tmp_path):
    """The WARCs are the source of truth: the schedule recomputed from them alone is the
    one the crawls kept."""
    from crawler.revisit import RevisitPolicy
    from crawler.warc.state import CaptureState, rebuild

    state = CaptureState(tmp_path / "state.sqlite")
    rebuild(
        state,
        sorted((recrawls.data / "warc").glob("*.warc.gz")),
        policy=RevisitPolicy(max_days=400),
    )
    state.close()
    rebuilt = {r["url"]: r for r in rows(tmp_path / "state.sqlite", "select * from _schedule")}
    # (the due times make_due() set by hand were all replaced by the checks that followed)
    assert rebuilt == schedule(recrawls.data) and len(rebuilt) > 40


def test_host_page_budget_ends_the_crawl(zoo, tmp_path):
    marks = {name: len(zoo.requests(name)) for name in zoo.sites}
    proc = subprocess.run(
        crawl_cmd(tmp_path / "b", zoo.start_urls, "--host-budget", "4"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "page budget of" in proc.stderr
    for name in zoo.sites:
        paths = [r["path"] for r in zoo.requests(name)[marks[name] :] if r["path"] != "/robots.txt"]
        assert 0 < len(set(paths)) <= 4, (name, paths)
    [row] = rows(tmp_path / "b" / "archive.db", "select status, pages from crawls")
    assert row["status"] == "finished" and row["pages"] <= 4 * len(zoo.sites) + 2 * len(zoo.sites)
