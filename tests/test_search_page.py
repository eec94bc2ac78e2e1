"""The documents table's search path for terms in more documents than a page may count
(archive.publish.search_page), through Datasette's own client against a real archive on disk."""

from __future__ import annotations

import asyncio
import random

import pytest

from archive.publish.serve import LIMITS, make_datasette
from archive.store import schema as store
from archive.store import search
from tests.fixtures_archive import WARC_NAME, build_archive, document_row

EXACT, SAMPLE = 30, 12


@pytest.fixture(scope="module")
def arch(tmp_path_factory):
    """The fixture archive plus 120 documents with 工会, published in an order of their own."""
    a = build_archive(tmp_path_factory.mktemp("search-page"))
    rnd = random.Random(27)
    days = rnd.sample(range(4000), 120)
    rows = []
    for i, day in enumerate(days):
        year = 2010 + day // 365
        rows.append(
            document_row(
                {
                    "url": f"http://www.gh{i % 3}.org.cn/a/{i}.html",
                    "title": f"第{i}号 工会工作报告",
                    "text": f"一年来,我们的工会组织了{i}次活动。\n职工满意。",
                    "published_date": f"{year}-{1 + day % 12:02d}-{1 + day % 28:02d}",
                    "year": year,
                    "region": "福建省厦门市",
                    "doc_type": "工作报告",
                    "is_report": 1,
                    "script": "Hans",
                },
                WARC_NAME,
                0,
                0,
            )
        )
    db = store.connect(a.db_path)
    db["documents"].insert_all(rows, pk="id")
    search.index_documents(db, rows)
    db.conn.close()
    return a


@pytest.fixture(params=["text walk", "day walk"])
def ds(arch, monkeypatch, request):
    """Datasette over the archive, a large search's page found either way: by checking the
    text of rows on the date index, or by the index's latest publication days."""
    from archive.publish import search_page

    monkeypatch.setitem(LIMITS, "search_exact_matches", EXACT)
    monkeypatch.setitem(LIMITS, "search_facet_sample", SAMPLE)
    walk = 10**9 if request.param == "text walk" else 0
    monkeypatch.setattr(search_page, "TEXT_WALK_ROWS", walk)
    return make_datasette(arch.root)


def get(ds, path):
    r = asyncio.run(ds.client.get(path))
    assert r.status_code == 200, r.text[:500]
    return r


def newest(arch, q, where=lambda row: True):
    """The oracle: ids of the matching documents (every document when q is None), newest
    published first (then by id)."""
    db = store.connect(arch.db_path)
    try:
        hits = set(search.search(db, q)) if q is not None else None
        rows = [
            dict(zip(("id", "published_date", "year", "is_report", "site"), r))
            for r in db.execute(
                "select id, published_date, year, is_report, site from documents"
            ).fetchall()
        ]
    finally:
        db.conn.close()
    rows = [r for r in rows if (hits is None or r["id"] in hits) and where(r)]
    rows.sort(key=lambda r: r["id"])
    rows.sort(key=lambda r: r["published_date"] or "", reverse=True)
    return [r["id"] for r in rows]


def page_ids(r):
    return [row[0] if isinstance(row, list) else row["id"] for row in r.json()["rows"]]


def test_a_large_search_gives_the_newest_rows_without_counting_them_all(arch, ds):
    want = newest(arch, "工会")
    assert len(want) > EXACT
    r = get(ds, "/archive/documents.json?_search=工会&_size=10&_col=published_date")
    data = r.json()
    assert data["filtered_table_rows_count"] is None  # not counted: "more than"
    assert f"more than {EXACT}" in data["human_description_en"]
    assert page_ids(r) == want[:10]
    seen = page_ids(r)
    while data["next_url"]:  # keyset pages, to the end
        r = get(ds, data["next_url"].split("localhost", 1)[-1])
        data = r.json()
        seen += page_ids(r)
    assert seen == want
    facets = data["facet_results"]
    assert sum(f["count"] for f in facets["site"]["results"]) <= SAMPLE + 11


def test_a_large_search_with_a_facet_filter_is_exact(arch, ds):
    want = newest(arch, "工会", lambda row: row["year"] == 2013)
    r = get(ds, "/archive/documents.json?_search=工会&year=2013&_size=5")
    assert page_ids(r) == want[:5] and want


def test_the_search_page_says_more_than(arch, ds):
    html = get(ds, "/archive/documents?_search=工会").text
    assert f"more than {EXACT} documents" in html
    assert 'name="_search" value="工会"' in html


def test_a_small_search_is_counted_and_faceted_exactly(arch, ds):
    want = newest(arch, "劳模")
    assert 0 < len(want) <= EXACT
    data = get(ds, "/archive/documents.json?_search=劳模").json()
    assert data["filtered_table_rows_count"] == len(want)
    assert page_ids(get(ds, "/archive/documents.json?_search=劳模&_col=id")) == want
    sites = {f["value"]: f["count"] for f in data["facet_results"]["site"]["results"]}
    assert sum(sites.values()) == len(want)


async def statements(ds, path: str) -> list[str]:
    """The SQL statements Datasette runs for a page (its own trace), the page's included."""
    from datasette.tracer import capture_traces

    traces: list[dict] = []
    with capture_traces(traces):
        r = await ds.client.get(path)
    assert r.status_code == 200, r.text[:500]
    return [" ".join(t["sql"].split()) for t in traces if t.get("sql")]


@pytest.mark.parametrize("q", ["劳模", "劳模 工会", "模范"])
def test_a_small_search_page_runs_the_match_once(arch, ds, q):
    """The count, the rows and every facet of an exactly answered search take the matches
    read once from the index, rather than each running the search again."""
    assert len(newest(arch, q)) <= EXACT
    sql = asyncio.run(statements(ds, f"/archive/documents?_search={q}"))
    assert not [s for s in sql if "search_rowids(" in s]
    facets = [s for s in sql if " as value, count(*) as count from " in s]
    counts = [s for s in sql if s.startswith("select count(*)")]
    assert len(facets) == 7 and counts
    assert all("json_each(:search_rows)" in s for s in facets + counts)


def test_a_small_search_in_another_order_with_a_filter_is_exact(arch, ds):
    want = newest(arch, "工会 劳模", lambda row: row["is_report"] == 1)
    assert 0 < len(want) <= EXACT
    path = "/archive/documents.json?_search=工会 劳模&is_report=1&_sort=title&_size=max&_col=id"
    data = get(ds, path).json()
    assert sorted(page_ids(get(ds, path))) == sorted(want)
    assert data["filtered_table_rows_count"] == len(want)
    years = {f["value"]: f["count"] for f in data["facet_results"]["year"]["results"]}
    assert sum(years.values()) == len(want)


def test_another_order_of_a_large_search_stays_exact(arch, ds):
    r = get(ds, "/archive/documents.json?_search=工会&_sort=title&_size=max&_col=id")
    assert sorted(page_ids(r)) == sorted(newest(arch, "工会"))


def follow(ds, path):
    """Every row id of a table page and of its next pages, and the last page's JSON."""
    data = get(ds, path).json()
    seen = [row["id"] for row in data["rows"]]
    while data["next_url"]:
        data = get(ds, data["next_url"].split("localhost", 1)[-1]).json()
        seen += [row["id"] for row in data["rows"]]
    return seen, data


@pytest.mark.parametrize(
    "filters, where",
    [
        ("", lambda row: True),
        ("&is_report=1", lambda row: row["is_report"] == 1),
        ("&is_report=1&year__gte=2012", lambda row: row["is_report"] == 1 and row["year"] >= 2012),
    ],
)
def test_a_large_table_page_is_not_counted_and_its_pages_are_exact(arch, ds, filters, where):
    """No search, filters that keep more rows than are counted: no count, the page says so,
    its pages (followed to the end) are the oracle's newest-first order, and the facets count
    a bounded sample of the rows."""
    want = newest(arch, None, where)
    assert len(want) > EXACT
    data = get(ds, f"/archive/documents.json?_shape=objects&_size=7&_col=id{filters}").json()
    assert data["filtered_table_rows_count"] is None
    assert f"more than {EXACT} documents" in data["human_description_en"]
    assert [row["id"] for row in data["rows"]] == want[:7]
    seen, last = follow(ds, f"/archive/documents.json?_shape=objects&_size=7&_col=id{filters}")
    assert seen == want
    for facet in ("site", "year", "is_report"):
        assert sum(f["count"] for f in last["facet_results"][facet]["results"]) <= SAMPLE + 8
    assert f"more than {EXACT} documents" in get(ds, f"/archive/documents?{filters}").text


def test_a_small_table_page_is_counted_and_faceted_exactly(arch, ds):
    want = newest(arch, None, lambda row: row["year"] == 2013)
    assert 0 < len(want) <= EXACT
    data = get(ds, "/archive/documents.json?_shape=objects&year=2013&_size=max").json()
    assert data["filtered_table_rows_count"] == len(want)
    assert [row["id"] for row in data["rows"]] == want
    assert sum(f["count"] for f in data["facet_results"]["site"]["results"]) == len(want)


def test_a_small_filtered_page_finds_its_rows_once(arch, ds):
    """A table page whose column filters keep at most the counted rows finds them once; its
    count and facets count those rows rather than each applying the filters again."""
    want = newest(arch, None, lambda row: row["year"] == 2013 and row["is_report"] == 1)
    assert 0 < len(want) <= EXACT
    sql = asyncio.run(statements(ds, "/archive/documents?year=2013&is_report=1"))
    filtered = [s for s in sql if '"year" = :p' in s]
    facets = [s for s in sql if " as value, count(*) as count from " in s]
    assert len(facets) == 7 and any(s.startswith("select count(*)") for s in filtered)
    reading = [s for s in filtered if "json_each(:page_rows)" not in s]
    assert len(reading) == 1 and reading[0].startswith("select rowid from documents"), reading
    path = "/archive/documents.json?year=2013&is_report=1&_sort=title&_size=max&_col=id"
    data = get(ds, path).json()
    assert data["filtered_table_rows_count"] == len(want)
    assert sorted(row[0] for row in data["rows"]) == sorted(want)
    sites = {f["value"]: f["count"] for f in data["facet_results"]["site"]["results"]}
    assert sum(sites.values()) == len(want)


@pytest.mark.parametrize(
    "filters, where",
    [
        ("year=2013&is_report=1", lambda row: row["year"] == 2013 and row["is_report"] == 1),
        (
            "site=www.gh1.org.cn&is_report=1&year__gte=2013",
            lambda row: (
                row["site"] == "www.gh1.org.cn" and row["is_report"] and row["year"] >= 2013
            ),
        ),
        (
            "year__in=2012,2013&is_report=1&site=www.gh2.org.cn",
            lambda row: (
                row["year"] in (2012, 2013) and row["is_report"] and row["site"] == "www.gh2.org.cn"
            ),
        ),
    ],
)
def test_equality_filters_are_intersected_on_their_indexes(arch, ds, filters, where):
    """Two or more equality filters on indexed columns are read by intersecting their
    indexes (no row is read to check the second); other filters are checked on the rows of
    that intersection. The page is the oracle's, newest first, counted and faceted exactly."""
    want = newest(arch, None, where)
    assert 0 < len(want) <= EXACT
    sql = asyncio.run(statements(ds, f"/archive/documents?{filters}"))
    assert any(s.startswith("select rowid from documents") and " intersect " in s for s in sql)
    data = get(ds, f"/archive/documents.json?{filters}&_shape=objects&_size=max&_col=id").json()
    assert [row["id"] for row in data["rows"]] == want
    assert data["filtered_table_rows_count"] == len(want)
    years = {f["value"]: f["count"] for f in data["facet_results"]["year"]["results"]}
    assert sum(years.values()) == len(want)


def test_another_order_of_a_large_table_page_stays_exact(arch, ds):
    data = get(ds, "/archive/documents.json?is_report=1&_sort=title&_size=max").json()
    assert data["filtered_table_rows_count"] == len(newest(arch, None, lambda r: r["is_report"]))


def ranked(ds, q):
    r = get(ds, f"/archive/search.json?q={q}&_shape=objects")
    return [(row["id"], row.get("ranked_by"), row["rank"]) for row in r.json()["rows"]]


def test_the_ranked_search_of_a_common_term_ranks_its_newest_matches(arch, ds, monkeypatch):
    """More matches than are counted: bm25 over the window of the newest (by rowid)
    matches only, best first, and ranked_by says so."""
    db = store.connect(arch.db_path)
    try:
        hits = set(search.search(db, "工会"))
        rows = db.execute("select rowid, id, title from documents order by rowid desc").fetchall()
    finally:
        db.conn.close()
    matches = [(rowid, i, t) for rowid, i, t in rows if i in hits]
    cap = len(matches) - 2  # all but the two oldest matches
    monkeypatch.setitem(LIMITS, "search_exact_matches", cap)
    window = [i for _, i, _ in matches[:cap]]
    got = ranked(ds, "工会")
    assert sorted(i for i, _, _ in got) == sorted(window[:500])
    assert {b for _, b, _ in got} == {f"bm25 of the newest {cap:,}"}
    ranks = [r for _, _, r in got]
    assert all(r is not None for r in ranks) and ranks == sorted(ranks, reverse=True)
    # a title match weighs five times a match in the text
    titled = {i for _, i, t in matches[:cap] if "工会" in search.normalize_document_text(t)}
    assert titled and not titled.issuperset(window)
    assert got[0][0] in titled


def test_the_ranked_search_of_a_rarer_term_is_bm25_over_every_match(arch, ds):
    db = store.connect(arch.db_path)
    try:
        want = search.search(db, "劳模")
    finally:
        db.conn.close()
    assert 0 < len(want) <= EXACT
    got = ranked(ds, "劳模")
    assert [i for i, _, _ in got] == want
    assert {b for _, b, _ in got} == {"bm25"} and all(r is not None for _, _, r in got)


def test_archives_get_the_indexes_newest_first_pages_and_facets_read(tmp_path):
    """The default order walks published_date's index; script and is_report facets count
    from their indexes, not from every row's pages (an archive made before gets them too)."""
    import sqlite3

    old = sqlite3.connect(tmp_path / "archive.db")
    old.execute(
        "create table documents (id text primary key, published_date text, "
        "script text, is_report integer)"
    )
    old.close()
    db = store.connect(tmp_path / "archive.db")
    names = {r[0] for r in db.execute("select name from sqlite_master where type = 'index'")}
    plans = [
        " ".join(
            str(r)
            for r in db.execute(
                f"explain query plan select id from documents order by {order} limit 51"
            )
        )
        for order in ("published_date desc", "published_date desc, id")
    ]
    db.conn.close()
    assert {
        "idx_documents_published_date",
        "idx_documents_script",
        "idx_documents_is_report",
    } <= names
    for plan in plans:  # the first page's order, and the next pages' (ties by id)
        assert "idx_documents_published_date" in plan and "TEMP B-TREE" not in plan, plan


def test_a_filtered_page_walks_its_column_index_newest_first(tmp_path):
    """A page filtered on site, year, doc_type or region, newest first, reads that column's
    index in that order and stops early (the column is stored after the text, pages into
    each row: walking the published_date index read every row's pages to check it)."""
    db = store.connect(tmp_path / "archive.db")
    try:
        for col in store.NEWEST_BY:
            plan = " ".join(
                str(r)
                for r in db.execute(
                    f"explain query plan select id from documents where {col} = ? "
                    f"order by published_date desc, id limit 51",
                    [1],
                )
            )
            assert f"idx_documents_{col}_newest" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        db.conn.close()


@pytest.mark.parametrize("column, value", [("site", "www.gh1.org.cn"), ("year", "2013")])
def test_a_large_search_filtered_on_a_column_is_exact(arch, ds, column, value):
    want = newest(arch, "工会", lambda row: str(row[column]) == value)
    assert want
    seen, _ = follow(
        ds, f"/archive/documents.json?_shape=objects&_search=工会&{column}={value}&_size=3&_col=id"
    )
    assert seen == want
