"""End to end: the whole zoo crawled over HTTP → WARC → archive.db → reindex → Datasette."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import run_cli
from tests.sql import rows

COMPARED = (
    "id",
    "url",
    "part",
    "site",
    "title",
    "text",
    "published_date",
    "report_date",
    "year",
    "org",
    "region",
    "doc_type",
    "is_report",
    "script",
    "cluster_id",
    "warc_filename",
    "warc_offset",
    "warc_length",
    "captured_at",
    "crawl_id",
    "doc_number",
    "addressee",
    "issuer",
    "issued_date",
)


def test_crawl_exits_cleanly_with_summary(crawled):
    assert crawled.proc.returncode == 0, crawled.proc.stderr[-3000:]
    assert "documents" in crawled.proc.stdout and "errors" in crawled.proc.stdout
    crawls = rows(crawled.data / "archive.db", "select * from crawls")
    assert len(crawls) == 1 and crawls[0]["status"] == "finished"
    assert crawls[0]["documents"] > 0 and crawls[0]["pages"] > crawls[0]["documents"] // 2
    assert list((crawled.data / "logs").glob("crawl-*.log"))
    # no door into the crawler: neither Scrapy's telnet console nor its remote control
    # (an HTTP server that runs the Python code sent to it) listens
    enabled = crawled.proc.stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "remote_control" not in enabled and "telnet" not in enabled.lower()
    assert "listening" not in crawled.proc.stderr.lower()


def test_every_reachable_gold_document_is_archived(crawled):
    truth = crawled.zoo.truth
    have = {
        (r["url"], r["part"])
        for r in rows(crawled.data / "archive.db", "select url, part from documents")
    }
    # (a page whose gold names a known extraction failure may give no document yet)
    missing = [
        (d["url"], d["part"])
        for d in truth["documents"]
        if d.get("reachable", True)
        and not d.get("known_failure")
        and (d["url"], d["part"] or 0) not in have
    ]
    assert not missing, missing


def test_multi_page_articles_are_joined(crawled):
    """Articles paged by TRS's createPageHTML (t…_1.html) and by pager links to NAME-2.html
    come out as one document each, at the first page's URL, with every page's text."""
    from archive.evaluate.zoo import text_f1

    stored = {
        (r["url"], r["part"]): r
        for r in rows(crawled.data / "archive.db", "select url, part, title, text from documents")
    }
    multi = [d for d in crawled.zoo.truth["documents"] if d["pages"]]
    assert {urlsplit(d["url"]).path.rsplit("/", 1)[-1][:1] for d in multi} >= {"t", "c"}
    for d in multi:
        doc = stored[(d["url"], d["part"] or 0)]
        assert text_f1(d["text"], doc["text"]) == 1.0 and doc["title"] == d["title"], d["url"]
        assert not any((page, 0) in stored for page in d["pages"][1:]), d["pages"]


def test_official_document_fields_are_archived(crawled):
    """Every gold 公文 field is in archive.db as the zoo's truth states it (punctuation as
    the archive normalises it); documents without them have none."""
    from archive.evaluate.zoo import meta_equal

    fields = ("doc_number", "addressee", "issuer", "issued_date")
    truth = {(d["url"], d["part"] or 0): d for d in crawled.zoo.truth["documents"]}
    stored = rows(crawled.data / "archive.db", "select * from documents")
    wrong = [
        (r["url"], f, truth[(r["url"], r["part"])][f], r[f])
        for r in stored
        if (r["url"], r["part"]) in truth
        for f in fields
        if not meta_equal(f, truth[(r["url"], r["part"])][f], r[f])
    ]
    assert not wrong, wrong
    numbered = [r for r in stored if r["doc_number"]]
    assert [(r["doc_number"], r["issuer"], r["issued_date"]) for r in numbered] == [
        ("川北工发〔2021〕12号", "川北市总工会", "2021-03-12")
    ]
    assert numbered[0]["addressee"] == "各县（区）总工会，市级各产业工会，市直各基层工会"


def test_robots_forbidden_paths_never_requested(crawled):
    truth = crawled.zoo.truth
    assert truth["forbidden"]
    for prefix in truth["forbidden"]:
        parts = urlsplit(prefix)
        site = next(
            n for n, base in crawled.zoo.urls.items() if urlsplit(base).netloc == parts.netloc
        )
        paths = [r["path"] for r in crawled.zoo.requests(site)]
        assert "/robots.txt" in paths
        assert not [p for p in paths if p.startswith(parts.path)], prefix


def test_traps_end(crawled):
    truth = crawled.zoo.truth
    for prefix in truth["traps"]:
        parts = urlsplit(prefix)
        site = next(
            n for n, base in crawled.zoo.urls.items() if urlsplit(base).netloc == parts.netloc
        )
        hits = [r for r in crawled.zoo.requests(site) if r["path"].startswith(parts.path)]
        assert len(hits) <= 100, (prefix, len(hits))


def test_documents_point_to_their_warc_response_records(crawled):
    docs = rows(
        crawled.data / "archive.db",
        "select url, warc_filename, warc_offset, warc_length from documents",
    )
    assert docs
    for doc in docs:
        path = crawled.data / "warc" / doc["warc_filename"]
        with open(path, "rb") as fh:
            fh.seek(doc["warc_offset"])
            chunk = fh.read(doc["warc_length"])
        records = list(ArchiveIterator(__import__("io").BytesIO(chunk)))
        assert len(records) == 1
        rec = records[0]
        assert rec.rec_type in ("response", "revisit")
        assert rec.rec_headers.get_header("WARC-Target-URI") == doc["url"]


def test_warc_files_pass_warcio_check(crawled):
    files = sorted((crawled.data / "warc").glob("*.warc.gz"))
    assert files and not list((crawled.data / "warc").glob("*.open"))
    proc = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_crawl_index_is_what_cdxj_indexer_reads_from_the_warc_files(crawled, tmp_path):
    """The crawl made its CDXJ index as it wrote records; cdxj-indexer over the WARC files
    afterwards gives the same bytes (the zoo: redirects, errors, encodings, attachments,
    revisits), and no side file is left."""
    from archive.warc.cdxj import write_index

    [index] = (crawled.data / "indexes").glob("*.cdxj")
    warcs = sorted((crawled.data / "warc").glob("*.warc.gz"))
    made = index.read_text(encoding="utf-8")
    assert made == write_index(warcs, tmp_path / "read.cdxj").read_text(encoding="utf-8")
    assert len(made.splitlines()) > 100
    assert not [p for p in (crawled.data / "indexes").iterdir() if p != index]


def test_failures_are_recorded_not_fatal(crawled):
    faults = crawled.zoo.truth["faults"]
    caps = {r["url"]: r for r in rows(crawled.data / "archive.db", "select * from captures")}
    assert caps[faults["not_found"]]["status"] == 404
    slow = rows(
        crawled.data / "archive.db", "select status from captures where url = ?", [faults["slow"]]
    )
    assert [r["status"] for r in slow] == [200]  # waited for, not given up on
    oversized = rows(
        crawled.data / "archive.db",
        "select status, error from captures where url = ?",
        [faults["oversized"]],
    )
    assert oversized and oversized[0]["status"] is None and oversized[0]["error"]
    flaky = rows(
        crawled.data / "archive.db",
        "select status from captures where url = ?",
        [faults["flaky_500"]],
    )
    assert {r["status"] for r in flaky} >= {500, 200}


def test_reindex_rebuilds_the_same_documents(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled.data / "warc", copy / "warc")
    proc = run_cli("reindex", "--data", str(copy), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cols = ", ".join(COMPARED)
    original = rows(crawled.data / "archive.db", f"select {cols} from documents order by id")
    rebuilt = rows(copy / "archive.db", f"select {cols} from documents order by id")
    assert len(rebuilt) == len(original) > 0
    assert rebuilt == original


COUNTS = {
    "pages fetched (captures)": "pages",
    "documents": "documents",
    "reports": "reports",
    "new documents": "new_documents",
    "changed documents": "changed",
    "unchanged documents": "unchanged",
    "gone documents": "gone",
    "errors": "errors",
}


def test_reindex_writes_the_crawl_reports_again(crawled, tmp_path):
    """archive.db and logs/ lost (or the WARC files moved alone): reindex writes the report
    of every crawl it rebuilt, from the rebuilt archive, and Datasette serves it; a report
    left from before is written over; one that cannot be written is a warning."""
    from archive.publish.serve import make_datasette

    copy = tmp_path / "moved"
    shutil.copytree(crawled.data, copy)
    for name in ("archive.db", "archive.db-wal", "archive.db-shm"):
        (copy / name).unlink(missing_ok=True)
    shutil.rmtree(copy / "logs")
    proc = run_cli("reindex", "--data", str(copy), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    crawls = rows(copy / "archive.db", "select * from crawls order by id")
    assert crawls and all(c["status"] == "reindexed" and c["pages"] > 0 for c in crawls)
    ds = make_datasette(copy)
    for crawl in crawls:
        path = copy / "logs" / f"crawl-{crawl['id']}.md"
        assert f"report: {path}" in proc.stdout.splitlines()
        text = path.read_text(encoding="utf-8")
        assert "- status: reindexed\n" in text and "- full log: none beside this report" in text
        section = text.split("## Counts\n", 1)[1].split("\n## ", 1)[0]
        counts = dict(re.findall(r"^\| ([a-z ()]+) \| (\d+) \|$", section, re.M))
        assert counts == {label: str(crawl[key] or 0) for label, key in COUNTS.items()}
        page = asyncio.run(ds.client.get(f"/-/crawl-report/{crawl['id']}"))
        assert page.status_code == 200 and f"<h1>Crawl {crawl['id']}</h1>" in page.text
        raw = asyncio.run(ds.client.get(f"/-/crawl-report/{crawl['id']}.md"))
        assert raw.content == path.read_bytes()
    old = crawled.data / "logs" / f"crawl-{crawls[0]['id']}.md"
    assert "- status: finished" in old.read_text(encoding="utf-8")
    shutil.copy(old, copy / "logs")  # the report of the archive.db before
    assert run_cli("reindex", "--data", str(copy), timeout=600).returncode == 0
    assert "- status: reindexed\n" in (copy / "logs" / old.name).read_text(encoding="utf-8")
    shutil.rmtree(copy / "logs")
    (copy / "logs").write_text("not a directory")  # a report that cannot be written
    proc = run_cli("reindex", "--data", str(copy), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "union-archive: warning: no crawl report: " in proc.stderr
    assert rows(copy / "archive.db", "select * from crawls order by id") == crawls


def test_datasette_serves_the_documents_table(crawled):
    from archive.publish.serve import make_datasette

    ds = make_datasette(crawled.data)
    response = asyncio.run(ds.client.get("/archive/documents.json?_shape=array&_size=max"))
    assert response.status_code == 200
    urls = {d["url"] for d in response.json()}
    assert urls == {
        r["url"] for r in rows(crawled.data / "archive.db", "select url from documents")
    }


def test_reindex_recovers_a_crashed_open_file(crawled, tmp_path):
    """A crash leaves NAME.warc.gz.open with a half-written record: reindex keeps every
    complete record and cuts the half one away."""
    copy = tmp_path / "crashed"
    shutil.copytree(crawled.data / "warc", copy / "warc")
    last = sorted((copy / "warc").glob("*.warc.gz"))[-1]
    data = last.read_bytes()
    half = data[-(len(data) // 20) :][:200]  # the start of some gzip member, cut short
    opened = last.with_name(last.name + ".open")
    last.rename(opened)
    with open(opened, "ab") as fh:
        fh.write(half)
    proc = run_cli("reindex", "--data", str(copy), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert last.exists() and not opened.exists() and last.read_bytes() == data
    ids = rows(crawled.data / "archive.db", "select id from documents order by id")
    assert rows(copy / "archive.db", "select id from documents order by id") == ids


def test_duplicate_clusters_match_the_truth(crawled):
    """Same cluster_id exactly when the zoo says it is the same report (reposts, Traditional
    copies, small edits); the parts of a 范文 page and relocated templates stay apart."""
    group = {(d["url"], d["part"] or 0): d["dup_group"] for d in crawled.zoo.truth["documents"]}
    docs = [
        d
        for d in rows(crawled.data / "archive.db", "select url, part, cluster_id from documents")
        if (d["url"], d["part"]) in group
    ]
    assert len(docs) >= 40
    for a in docs:
        for b in docs:
            same_truth = group[(a["url"], a["part"])] == group[(b["url"], b["part"])]
            assert (a["cluster_id"] == b["cluster_id"]) == same_truth, (a, b)
