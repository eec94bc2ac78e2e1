"""Every published route, through Datasette's own client against a real archive on disk."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.publish.serve import LIMITS, SETTINGS, make_datasette
from archive.store import schema as store
from archive.store import search
from tests.conftest import run_cli
from tests.fixtures_archive import (
    DISTRICT_HANT,
    OPEN_WARC_NAME,
    WARC_NAME,
    add_document,
    add_filler_documents,
    build_archive,
    document_row,
    serving,
)

ROOT = Path(__file__).resolve().parent.parent


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def arch(tmp_path_factory):
    a = build_archive(tmp_path_factory.mktemp("publish"))
    db = store.connect(a.db_path)
    db["_signatures"].insert({"doc_id": "x", "signature": b"\x00"})  # an internal table
    db.conn.close()
    return a


@pytest.fixture(scope="module")
def ds(arch):
    return make_datasette(arch.root)


def get(ds, path, **kw):
    return run(ds.client.get(path, **kw))


def ids_of(arch, keys):
    return {arch.doc(k)["id"] for k in keys}


def table_search(ds, q, extra=""):
    r = get(ds, f"/archive/documents.json?_search={q}&_shape=array&_col=id&_size=max{extra}")
    assert r.status_code == 200, r.text
    return {row["id"] for row in r.json()}


# ------------------------------------------------------------------ configuration


def test_shipped_datasette_yml_is_the_root_one():
    assert (ROOT / "archive" / "publish" / "datasette.yml").read_bytes() == (
        ROOT / "datasette.yml"
    ).read_bytes()


def test_home_metadata_and_settings(ds):
    r = get(ds, "/")
    assert r.status_code == 200 and "工会工作报告档案" in r.text
    assert 'action="/archive/documents"' in r.text and 'name="_search"' in r.text
    for name in (
        "reports_by_region_and_year",
        "duplicate_clusters",
        "latest_crawl",
        "documents_of_site",
    ):
        assert f'href="/archive/{name}' in r.text
    meta = get(ds, "/-/metadata.json").json()
    assert meta["license"] and meta["source"] and meta["description_html"]
    docs = meta["databases"]["archive"]["tables"]["documents"]
    assert docs["facets"] == ["site", "year", "doc_type", "region", "script", "is_report", "issuer"]
    assert "fts_table" not in docs and docs["label_column"] == "title"  # search_page searches
    settings = get(ds, "/-/settings.json").json()
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"]
    assert settings["max_returned_rows"] == SETTINGS["max_returned_rows"]
    assert settings["allow_download"] is False
    plugins = {p["name"]: p for p in get(ds, "/-/plugins.json").json()}
    assert "prepare_connection" in plugins["union-archive"]["hooks"]


def test_database_is_mutable_not_immutable_and_reads_are_read_only(ds):
    dbs = {d["name"]: d for d in get(ds, "/-/databases.json").json()}
    assert dbs["archive"]["is_mutable"] is True
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        run(ds.get_database("archive").execute("insert into crawls (id) values ('x')"))


def test_databases_json_does_not_show_where_the_archive_is(arch, ds):
    rows = get(ds, "/-/databases.json").json()
    assert [(d["name"], d["path"], d["is_mutable"]) for d in rows] == [
        ("archive", "archive.db", True)
    ]
    for path in (
        "/-/databases.json",
        "/-/databases",
        "/-/versions.json",
        "/-/plugins.json",
        "/-/settings.json",
        "/-/metadata.json",
        "/.json",
        "/archive.json",
    ):
        r = get(ds, path)
        assert r.status_code == 200 and str(arch.root.resolve()) not in r.text, path
        assert str(arch.root) not in r.text, path


def test_internal_tables_are_hidden(ds):
    tables = {t["name"]: t for t in get(ds, "/archive.json").json()["tables"]}
    for name in ("documents", "captures", "crawls"):
        assert tables[name]["hidden"] is False
    assert not [n for n in tables if n.startswith("documents_fts")]  # the index is Tantivy's
    assert not {"_signatures", "_search_form", "_search_pending"} & set(tables)  # internal
    assert "_signatures" not in get(ds, "/archive").text


@pytest.mark.parametrize(
    "path",
    [
        "/archive/_signatures",
        "/archive/_signatures.json",
        "/archive/_signatures.csv",
        "/archive/~5Fsignatures.json",
        "/archive/_signatures/1",
        "/archive/_signatures/1.json",
        "/archive/_search_form.json",
        "/archive/_search_form?_facet=version",
    ],
)
def test_internal_tables_are_not_served(ds, path):
    r = get(ds, path)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert "doc_id" not in r.text and '"version"' not in r.text  # none of their columns


# ------------------------------------------------------------------ search


def test_search_rowids_answers_sql_from_the_index(arch, ds):
    """``search_rowids(q[, column])``: every matching rowid, as JSON, for SQL of one's own."""
    db = store.connect(arch.db_path)
    try:
        want = {r[0] for r in db.execute("select rowid, id from documents").fetchall()}
        ids = dict(db.execute("select id, rowid from documents").fetchall())
        hits = {ids[i] for i in search.search(db, "工會")}
    finally:
        db.conn.close()
    assert hits and hits < want
    rows = run(
        ds.get_database("archive").execute(
            "select search_rowids(:q), search_rowids(:q, 'title'), search_rowids(:q, 'text'), "
            "escape_fts(:q)",
            {"q": "工會"},
        )
    ).rows
    every, title, text, stock = rows[0]
    assert set(json.loads(every)) == hits == set(json.loads(title)) | set(json.loads(text))
    assert stock == '"工會"'  # Datasette's own escape_fts, for other tables
    r = get(ds, "/archive/documents.json?_search_title=工會&_col=id&_size=max")
    assert r.status_code == 200 and len(r.json()["rows"]) == len(json.loads(title))
    r = get(ds, "/archive/documents.json?_search_url=x")
    assert r.status_code == 400


@pytest.mark.parametrize(
    "q,must,must_not",
    [
        (
            "工会",
            {"siming", "guangyuan", "district", "hant_raw", "xss", "mixed"},
            {"near_miss", "line_break", "books"},
        ),
        ("劳模", {"siming", "guangyuan", "hant_raw"}, {"near_miss", "books"}),
        ("工资集体协商", {"guangyuan", "dup_a", "dup_b"}, {"siming", "near_miss"}),
        ("书", {"books", "siming"}, {"near_miss", "mixed"}),
        ("工會", {"siming", "district", "hant_raw"}, {"near_miss"}),
        ("APP", {"mixed"}, {"siming"}),
    ],
)
def test_stock_search_box_finds_every_document(arch, ds, q, must, must_not):
    got = table_search(ds, q)
    assert got >= ids_of(arch, must) and not got & ids_of(arch, must_not)
    db = store.connect(arch.db_path)
    try:
        assert got == set(search.search(db, q))  # exactly the substring matches (test_search)
    finally:
        db.conn.close()


def test_search_page_html_and_ranked_link(arch, ds):
    r = get(ds, "/archive/documents?_search=劳模")
    assert r.status_code == 200
    doc = arch.doc("guangyuan")
    assert f'<a href="/archive/documents/{doc["id"]}">{doc["title"]}</a>' in r.text
    assert doc["text"][:40] in r.text  # the start of the text
    assert arch.doc("near_miss")["title"] not in r.text
    assert "rank them by relevance" in r.text
    assert "/archive/search?q=%E5%8A%B3%E6%A8%A1" in r.text


def test_over_long_searches_are_refused_with_a_clear_400(ds):
    n = LIMITS["search_chars"]
    assert get(ds, "/archive/documents?_search=" + "工" * n).status_code == 200
    for path in (
        "/archive/documents?_search=",
        "/archive/documents.json?_search_title=",
        "/archive/search?q=",
        "/archive/search.json?q=",
    ):
        r = get(ds, path + "工" * (n + 1))
        assert r.status_code == 400, path
        assert f"too long: {n + 1:,} characters" in r.text and f"at most {n}" in r.text
        if ".json" in path:
            assert r.json()["ok"] is False


def test_raw_search_mode_is_off(arch, ds):
    r = get(ds, "/archive/documents.json?_search=工资集体协商 OR 书&_searchmode=raw&_shape=array")
    assert r.status_code == 400 and "_searchmode=raw is off" in r.json()["error"], r.text[:200]
    r = get(ds, '/archive/documents?_search="工" NEAR "会"&_searchmode=raw')
    assert r.status_code == 400 and "_searchmode=raw is off" in r.text
    got = table_search(ds, "工资集体协商", "&_searchmode=escaped")
    assert got == ids_of(arch, {"guangyuan", "dup_a", "dup_b"})


def test_search_with_facet_narrows(arch, ds):
    r = get(ds, "/archive/documents.json?_search=工会&_size=max")
    facets = r.json()["facet_results"]
    assert set(facets) >= {"site", "year", "doc_type", "region", "script", "is_report"}
    regions = {f["value"]: f["count"] for f in facets["region"]["results"]}
    assert regions == {"福建省厦门市": 3, "四川省广元市": 1, "广东省广州市": 2}
    got = table_search(ds, "工会", "&region=福建省厦门市")
    assert got == ids_of(arch, {"siming", "xss", "mixed"})
    got = table_search(ds, "工会", "&is_report=1")
    assert got == ids_of(arch, {"siming", "guangyuan", "district"})


def test_facets_on_the_documents_table(ds):
    facets = get(ds, "/archive/documents.json").json()["facet_results"]
    sites = {f["value"]: f["count"] for f in facets["site"]["results"]}
    assert sites == {
        "www.xmgh.org": 4,
        "www.gyzgh.org.cn": 4,
        "zgh.example-district.gov.cn": 2,
        "app.example-union.org": 1,
    }
    scripts = {f["value"]: f["count"] for f in facets["script"]["results"]}
    assert scripts == {"Hans": 9, "Hant": 2}


# ------------------------------------------------------------------ pages


def test_document_page_reads_like_a_document(arch, ds):
    doc = arch.doc("siming")
    r = get(ds, f"/archive/documents/{doc['id']}")
    assert r.status_code == 200
    html = r.text
    assert f'<h1 class="doc-title">{doc["title"]}</h1>' in html
    paras = [p for p in doc["text"].split("\n") if p.strip()]
    assert len(paras) > 3
    for p in paras:
        assert f"<p>{p}</p>" in html
    assert f'href="{doc["url"]}"' in html
    assert f'href="/-/record/{doc["id"]}"' in html
    assert f'href="/-/warc/{WARC_NAME}"' in html
    assert "中共厦门市思明区委" in html and "福建省厦门市" in html


def test_a_huge_document_page_shows_its_start_and_links_the_whole_text(tmp_path):
    arch = build_archive(tmp_path)
    text = "\n".join(f"第{i:07d}段 工会工作情况汇报" for i in range(250_000))  # 4.75 M characters
    row = add_document(arch.db_path, "huge", "一份巨大的工会文档", text)
    ds = make_datasette(arch.root)
    limit = LIMITS["page_text_chars"]
    html = get(ds, f"/archive/documents/{row['id']}").text
    assert len(html) < 2 * limit + 20_000  # the start of the text, not all of it
    shown = text[:limit].split("\n")
    assert f"<p>{shown[-2]}</p>" in html and "第0249999段" not in html
    assert f"The first {limit:,} of {len(text):,} characters are shown." in html
    assert f'href="/-/text/{row["id"]}"' in html and f'href="/-/record/{row["id"]}"' in html
    r = get(ds, f"/-/text/{row['id']}")
    assert r.status_code == 200 and r.content.decode("utf-8") == text
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    siming = arch.doc("siming")["id"]
    small = get(ds, f"/archive/documents/{siming}").text
    assert "characters are shown" not in small and f'href="/-/text/{siming}"' in small


def test_document_text_download(arch, ds):
    doc = arch.doc("xss")
    r = get(ds, f"/-/text/{doc['id']}")
    assert r.status_code == 200 and r.text == doc["text"]
    assert r.headers["content-type"] == "text/plain; charset=utf-8"  # never read as HTML
    assert r.headers["x-content-type-options"] == "nosniff"
    assert get(ds, "/-/text/0000000000000000").status_code == 404


def test_document_page_lists_its_duplicates(arch, ds):
    html = get(ds, f"/archive/documents/{arch.doc('dup_b')['id']}").text
    assert f'href="/archive/documents/{arch.doc("dup_a")["id"]}"' in html


def test_crawled_markup_is_escaped_everywhere(arch, ds):
    doc = arch.doc("xss")
    pages = [
        f"/archive/documents/{doc['id']}",
        "/archive/documents?_search=工会",
        "/archive/documents",
        "/archive/search?q=通知",
        "/archive/documents_of_site?site=www.xmgh.org",
    ]
    for path in pages:
        html = get(ds, path).text
        assert "<script>alert(1)" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_canned_queries(arch, ds):
    def q(path):
        r = get(ds, path)
        assert r.status_code == 200, r.text
        return r.json()

    rows = q("/archive/reports_by_region_and_year.json?region=&_shape=array")
    assert {(r["region"], r["year"], r["reports"]) for r in rows} == {
        ("福建省厦门市", 2012, 1),
        ("四川省广元市", 2011, 1),
        ("广东省广州市", 2021, 1),
    }
    rows = q("/archive/reports_by_region_and_year.json?region=四川&_shape=array")
    assert [(r["region"], r["reports"]) for r in rows] == [("四川省广元市", 1)]

    rows = q("/archive/duplicate_clusters.json?_shape=array")
    assert len(rows) == 1 and rows[0]["documents"] == 2 and rows[0]["sites"] == 2
    assert rows[0]["cluster_id"] == arch.doc("dup_a")["id"]
    html = get(ds, "/archive/duplicate_clusters").text
    assert f'href="/archive/documents?cluster_id={arch.doc("dup_a")["id"]}"' in html

    rows = q("/archive/latest_crawl.json?_shape=array")
    assert len(rows) == 1 and rows[0]["id"] == "20261121T000000-b2"
    assert rows[0]["captures"] == 11 and rows[0]["http_errors"] == 1 and rows[0]["pages"] == 17

    rows = q("/archive/documents_of_site.json?site=www.xmgh.org&_shape=array")
    assert {r["id"] for r in rows} == ids_of(arch, {"siming", "xss", "dup_a", "books"})

    rows = q("/archive/search.json?q=工资集体协商&_shape=array")
    assert [r["id"] for r in rows][2] == arch.doc("guangyuan")["id"]
    assert {r["id"] for r in rows[:2]} == ids_of(arch, {"dup_a", "dup_b"})
    assert "工资集体协商" in rows[2]["excerpt"] and len(rows[2]["excerpt"]) < 100
    html = get(ds, "/archive/search?q=工资集体协商").text
    assert f'href="/archive/documents/{arch.doc("guangyuan")["id"]}"' in html


def test_search_excerpts_stay_cheap_on_a_huge_text(tmp_path):
    """The ranked search computes each listed document's excerpt in its SQL query: over a
    huge text that took longer than the SQL time limit, and the search failed for all."""
    arch = build_archive(tmp_path)
    text = "\n".join([DISTRICT_HANT] * (4_000_000 // len(DISTRICT_HANT)))  # Traditional
    huge = add_document(arch.db_path, "huge", "工會文檔", text, script="Hant")
    db = store.connect(arch.db_path)  # and enough other matches for the limit to be checked
    rows = [
        document_row(
            dict(
                arch.docs["books"], url=f"http://www.xmgh.org/n/{i}.html", text=f"第{i}期工会简报"
            ),
            WARC_NAME,
            0,
            0,
        )
        for i in range(300)
    ]
    db["documents"].insert_all(rows, pk="id")
    search.index_documents(db, rows)
    db.conn.close()
    ds = make_datasette(arch.root, settings={"sql_time_limit_ms": 400})
    r = get(ds, "/archive/search.json?q=工会&_shape=array")
    assert r.status_code == 200, r.text
    excerpts = {row["id"]: row["excerpt"] for row in r.json()}
    assert set(excerpts) >= {huge["id"], arch.doc("district")["id"], arch.doc("siming")["id"]}
    assert "工会" in excerpts[huge["id"]] and len(excerpts[huge["id"]]) < 100


# ------------------------------------------------------------------ WARC downloads


def test_whole_warc_file(arch, ds):
    r = get(ds, f"/-/warc/{WARC_NAME}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/warc"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.content == arch.warc_path.read_bytes()
    uris = [
        rec.rec_headers.get_header("WARC-Target-URI")
        for rec in ArchiveIterator(io.BytesIO(r.content))
        if rec.rec_type == "response"
    ]
    assert len(uris) == len(arch.docs)


def test_warc_range_requests(arch, ds):
    data = arch.warc_path.read_bytes()
    size = len(data)
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.content == data[:100]
    assert r.headers["content-range"] == f"bytes 0-99/{size}"
    assert r.headers["content-length"] == "100"
    doc = arch.doc("guangyuan")
    start, end = doc["warc_offset"], doc["warc_offset"] + doc["warc_length"] - 1
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": f"bytes={start}-{end}"})
    assert r.status_code == 206
    recs = list(ArchiveIterator(io.BytesIO(r.content)))
    assert [rec.rec_headers.get_header("WARC-Target-URI") for rec in recs] == [doc["url"]]
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == data[-10:]
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": f"bytes={size - 5}-"})
    assert r.status_code == 206 and r.content == data[-5:]
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    r = run(ds.client.head(f"/-/warc/{WARC_NAME}"))
    assert r.status_code == 200 and r.headers["content-length"] == str(size) and r.content == b""


@pytest.mark.parametrize(
    "header,status,part",
    [
        ("bytes=" + "9" * 5000 + "-", 416, None),  # starts past any file
        ("bytes=0-" + "9" * 5000, 206, slice(0, None)),  # ends past the file: up to its end
        ("bytes=-" + "9" * 5000, 206, slice(0, None)),  # a suffix longer than the file
        ("bytes=" + "0" * 5000 + "5-" + "0" * 5000 + "9", 206, slice(5, 10)),  # leading zeros
    ],
)
def test_warc_range_with_thousands_of_digits(arch, ds, header, status, part):
    """Python's int() refuses strings of over 4,300 digits: such a Range is still answered."""
    r = get(ds, f"/-/warc/{WARC_NAME}", headers={"Range": header})
    assert r.status_code == status, r.text
    if part is not None:
        assert r.content == arch.warc_path.read_bytes()[part]


@pytest.mark.parametrize(
    "path",
    [
        "/-/warc/..%2Fsecret.txt",
        "/-/warc/..%2Farchive.db",
        "/-/warc/%2Fetc%2Fpasswd",
        "/-/warc/escape.warc.gz",  # a symlink leading out of the WARC directory
        f"/-/warc/{OPEN_WARC_NAME}",  # still being written
        "/-/warc/nope.warc.gz",
        "/-/warc/.hidden.warc.gz",
        "/-/warc/archive.db",
        "/-/warc/..",
        "/-/warc/%2E%2E",
    ],
)
def test_warc_outside_the_directory_is_refused(ds, path):
    r = get(ds, path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert b"not for the web" not in r.content and b"SQLite format" not in r.content


def test_warc_index_lists_only_servable_files(ds):
    rows = get(ds, "/-/warc/?_format=json").json()
    assert [r["filename"] for r in rows] == [WARC_NAME]
    html = get(ds, "/-/warc/").text
    assert WARC_NAME in html and OPEN_WARC_NAME not in html and "escape.warc.gz" not in html


@pytest.mark.parametrize("key", ["siming", "district", "xss"])
def test_single_record_download(arch, ds, key):
    doc = arch.doc(key)
    r = get(ds, f"/-/record/{doc['id']}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/warc"
    assert f'filename="{doc["id"]}.warc.gz"' in r.headers["content-disposition"]
    records = []
    for rec in ArchiveIterator(io.BytesIO(r.content)):
        records.append(
            (
                rec.rec_type,
                rec.rec_headers.get_header("WARC-Target-URI"),
                rec.content_stream().read(),
            )
        )
    assert len(records) == 1
    rec_type, uri, body = records[0]
    assert rec_type == "response" and uri == doc["url"]
    assert b"<title>" in body


def test_single_record_while_its_warc_file_is_still_open(tmp_path):
    arch = build_archive(tmp_path)
    arch.warc_path.rename(str(arch.warc_path) + ".open")  # the crawl has not closed it yet
    ds = make_datasette(arch.root)
    doc = arch.doc("guangyuan")
    r = get(ds, f"/-/record/{doc['id']}")
    assert r.status_code == 200
    assert [
        rec.rec_headers.get_header("WARC-Target-URI")
        for rec in ArchiveIterator(io.BytesIO(r.content))
    ] == [doc["url"]]
    assert get(ds, f"/-/warc/{WARC_NAME}").status_code == 404  # incomplete: not served
    assert get(ds, f"/-/warc/{WARC_NAME}.open").status_code == 404


def test_single_record_with_a_wrong_location_is_not_served(tmp_path):
    arch = build_archive(tmp_path)
    doc = arch.doc("siming")
    conn = sqlite3.connect(arch.db_path)
    conn.execute("update documents set warc_offset = warc_offset + 7 where id = ?", [doc["id"]])
    conn.commit()
    conn.close()
    r = get(make_datasette(arch.root), f"/-/record/{doc['id']}")
    assert r.status_code == 500 and b"WARC/1" not in r.content


def test_single_record_unknown_document(ds):
    assert get(ds, "/-/record/0000000000000000").status_code == 404
    assert get(ds, "/-/record/..%2F..%2Fsecret.txt").status_code == 404


# ------------------------------------------------------------------ locked down


def test_arbitrary_sql_is_off_by_default(ds):
    assert get(ds, "/archive?sql=select+1").status_code == 403
    assert get(ds, "/archive.json?sql=select+*+from+documents").status_code == 403
    assert get(ds, "/archive/documents.json?_where=1=1").status_code in (400, 403)
    assert 'name="sql"' not in get(ds, "/archive").text
    assert get(ds, "/archive.db").status_code == 403  # no whole-database download


def test_allow_sql_turns_it_on(arch):
    ds = make_datasette(arch.root, allow_sql=True)
    r = get(ds, "/archive.json?sql=select+count(*)+as+n+from+documents&_shape=array")
    assert r.status_code == 200 and r.json() == [{"n": len(arch.docs)}]
    r = get(ds, "/archive.json?sql=delete+from+documents&_shape=array")
    assert r.status_code == 400  # still read-only


def test_no_write_endpoints(arch, ds):
    for method in ("post", "put", "patch", "delete"):
        for path in (
            "/archive/documents",
            "/archive/documents_of_site",
            "/archive/-/create",
            f"/archive/documents/{arch.doc('books')['id']}/-/delete",
            "/-/logout",
        ):
            r = run(getattr(ds.client, method)(path))
            assert r.status_code == 405, (method, path)
            assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    conn = sqlite3.connect(arch.db_path)
    assert conn.execute("select count(*) from documents").fetchone()[0] == len(arch.docs)
    conn.close()


def test_unknown_urls_are_404_not_500(ds):
    for path in ("/-/nope", "/archive/nope", "/archive/documents/nope", "/nope/x/y/z"):
        assert get(ds, path).status_code == 404, path


def test_wal_keeps_serving_while_a_crawl_writes(tmp_path):
    arch = build_archive(tmp_path)
    ds = make_datasette(arch.root)
    before = table_search(ds, "工会")
    writer = store.connect(arch.db_path)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.conn.execute("BEGIN IMMEDIATE")
        writer.conn.execute("insert into crawls (id, status) values ('running', 'running')")
        # the writer holds the write lock: Datasette keeps answering (and sees committed data)
        assert table_search(ds, "工会") == before
        assert get(ds, "/archive/crawls/running").status_code == 404
        writer.conn.commit()
        assert get(ds, "/archive/crawls/running").status_code == 200
    finally:
        writer.conn.close()
    row = add_document(arch.db_path, "late", "新到的工会简报", "劳模事迹报告会在今天举行。")
    assert table_search(ds, "劳模事迹") == {row["id"]}
    assert table_search(ds, "工会") == before | {row["id"]}
    assert get(ds, f"/archive/documents/{row['id']}").status_code == 200


def test_serve_without_archive_is_a_one_line_error(tmp_path):
    proc = run_cli("serve", "--data", str(tmp_path), timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "archive.db not found" in lines[0], proc.stderr


def test_crawled_zoo_script_payload_page_is_escaped(crawled):
    """The zoo's page with <script> in its title and body, as the real crawl archived it."""
    db_path = crawled.data / "archive.db"
    if not db_path.exists():
        pytest.skip("the zoo crawl wrote no archive; test_e2e reports why")
    conn = sqlite3.connect(db_path)
    try:
        found = conn.execute(
            "select id from documents where title like '%<script>%' or text like '%<script>%'"
        ).fetchall()
    finally:
        conn.close()
    if not found:
        pytest.skip("the zoo crawl archived no document with a <script> payload")
    ds = make_datasette(crawled.data)
    for (doc_id,) in found:
        html = get(ds, f"/archive/documents/{doc_id}").text
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(" in html
        r = get(ds, f"/-/record/{doc_id}")
        assert r.status_code == 200
        assert len(list(ArchiveIterator(io.BytesIO(r.content)))) == 1


def test_crawled_official_notice_is_found_by_number_and_issuer(crawled):
    """The zoo's 公文 as the real crawl archived it: filtered by its document number,
    faceted and filtered by its issuer, and its page shows and links both."""
    from urllib.parse import quote

    if not (crawled.data / "archive.db").exists():
        pytest.skip("the zoo crawl wrote no archive; test_e2e reports why")
    [gold] = [d for d in crawled.zoo.truth["documents"] if d["doc_number"]]
    ds = make_datasette(crawled.data)
    number, issuer = quote(gold["doc_number"]), quote(gold["issuer"])
    for query in (
        f"doc_number={number}",
        f"doc_number__contains={quote('〔2021〕')}",
        f"issuer={issuer}",
        f"_search={quote('川北工发')}&issuer={issuer}",
    ):
        r = get(ds, f"/archive/documents.json?{query}&_shape=objects&_size=max")
        assert r.status_code == 200, r.text
        assert [d["url"] for d in r.json()["rows"]] == [gold["url"]], query
    facets = get(ds, "/archive/documents.json").json()["facet_results"]
    issuers: dict = {}  # every gold document the crawl reached that names an issuer
    for d in crawled.zoo.truth["documents"]:
        if d["issuer"] and d.get("reachable", True):
            issuers[d["issuer"]] = issuers.get(d["issuer"], 0) + 1
    assert issuers[gold["issuer"]] == 1
    assert {f["value"]: f["count"] for f in facets["issuer"]["results"]} == issuers
    doc_id = store.document_id(gold["url"])
    html = get(ds, f"/archive/documents/{doc_id}").text
    assert f'?doc_number={number}">{gold["doc_number"]}</a>' in html
    assert f'?issuer={issuer}">{gold["issuer"]}</a>' in html and "2021-03-12" in html
    table = get(ds, f"/archive/documents?issuer={issuer}").text
    assert gold["doc_number"] in table and 'class="facet-info' in table


# ------------------------------------------------------------------ over real HTTP


def raw_get(base: str, path: str, headers: dict | None = None):
    """GET a path exactly as written (no client-side normalisation of ../ or %2e)."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def test_served_over_http_by_union_archive_serve(arch):
    with serving(arch.root) as base:
        data = arch.warc_path.read_bytes()
        status, headers, body = raw_get(base, f"/-/warc/{WARC_NAME}", {"Range": "bytes=10-19"})
        assert (status, body, headers["content-range"]) == (
            206,
            data[10:20],
            f"bytes 10-19/{len(data)}",
        )
        assert headers["content-type"] == "application/warc"
        status, headers, body = raw_get(base, f"/-/warc/{WARC_NAME}")
        assert status == 200 and body == data
        for path in (
            "/-/warc/../archive.db",
            "/-/warc/%2e%2e/archive.db",
            "/-/warc/..%2fsecret.txt",
            "/-/warc/../secret.txt",
            "/-/warc/%2e%2e%2fsecret.txt",
            "/-/warc//etc/passwd",
            "/-/warc/escape.warc.gz",
            f"/-/warc/{OPEN_WARC_NAME}",
            "/-/nope",
        ):
            status, headers, body = raw_get(base, path)
            if status == 302:  # Datasette redirects %-escapes to its ~-escapes: follow once
                status, headers, body = raw_get(base, headers["location"])
            assert status in (400, 403, 404), (path, status)
            assert b"not for the web" not in body and not body.startswith(b"SQLite format")
        doc = arch.doc("district")
        status, _, body = raw_get(base, f"/-/record/{doc['id']}")
        assert status == 200
        assert [
            r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(body))
        ] == [doc["url"]]
        status, _, body = raw_get(
            base, "/archive/documents.json?_search=%E5%8A%B3%E6%A8%A1&_shape=array"
        )
        assert (
            status == 200 and b"hant_raw" not in body and len(__import__("json").loads(body)) >= 3
        )
        assert raw_get(base, "/archive?sql=select+1")[0] == 403


def test_light_requests_are_answered_while_many_searches_run(tmp_path):
    """30 ranked searches at once, then a light request: searches beyond the running and
    waiting ones are a 503, and the light request does not queue behind the others for
    Datasette's SQL threads (it is answered while most admitted searches still run)."""
    import http.client
    import threading
    from urllib.parse import quote, urlsplit

    arch = build_archive(tmp_path)
    add_filler_documents(arch, 2000)
    done, lock = [], threading.Lock()
    QUERY = "工会 工作 职工 组织"  # every document has all four: a long ranked search

    def fetch(conn, name):
        r = conn.getresponse()
        body = r.read()
        with lock:
            done.append((name, r.status, r.getheader("retry-after"), body))

    with serving(arch.root) as base:
        u = urlsplit(base)
        conns = []
        for i in range(30):
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            conn.request("GET", f"/archive/search.json?q={quote(QUERY)}&_shape=array&n={i}")
            conns.append((conn, f"search {i}"))
        time.sleep(0.1)  # the searches are in; now a light request
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        conn.request("GET", "/archive/crawls.json?_shape=array")
        conns.append((conn, "light"))
        threads = [threading.Thread(target=fetch, args=c) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    order = [name for name, *_ in done]
    light = done[order.index("light")]
    assert light[1] == 200 and len(json.loads(light[3])) == 2
    searches = [d for d in done if d[0] != "light"]
    refused = [d for d in searches if d[1] == 503]
    answered = [d for d in searches if d[1] == 200]
    assert len(refused) + len(answered) == 30 and refused and all(d[2] for d in refused)
    assert all(len(json.loads(d[3])) == 500 for d in answered)
    after = [d for d in done[order.index("light") + 1 :] if d[1] == 200]
    assert len(after) >= len(answered) // 2, (len(after), len(answered), len(refused))
