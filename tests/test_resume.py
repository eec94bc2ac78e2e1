"""Crash safety: a crawl of the zoo killed at several points, then `crawl --resume`.

The kill points are deterministic (the test-only setting UNION_TEST_CRASH, see
crawler/extensions.py): SIGKILL while the slow page is on the wire, SIGKILL in the
middle of writing a WARC exchange (half of its bytes on disk), SIGKILL of crawler and
indexer inside a database transaction, and SIGTERM while the slow page is on the wire.
After the resume every reachable gold document is archived exactly once, every WARC
file passes `warcio check`, SQLite passes `PRAGMA integrity_check`, and the crawls
table tells the truth.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.warc.writer import _complete_prefix
from tests.conftest import crawl_cmd, run_cli
from tests.sql import rows


@pytest.fixture(scope="module")
def zoo():
    from zoo import Zoo

    with Zoo(slow_seconds=2.0) as z:
        yield z


def run(cmd):
    # the orphaned indexer of a killed crawl keeps our pipes open until it has closed
    # the crawl: run() returning means it is done
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def gold(zoo):
    """Gold documents an archive must hold (a page whose gold names a known extraction
    failure may give none yet)."""
    return {
        (d["url"], d["part"] or 0)
        for d in zoo.truth["documents"]
        if d.get("reachable", True) and not d.get("known_failure")
    }


def counted_truthfully(db, crawl_id):
    row = rows(db, "select * from crawls where id = ?", [crawl_id])[0]
    caps = rows(
        db,
        "select count(*) n, sum(error is not null or status >= 400) e "
        "from captures where crawl_id = ?",
        [crawl_id],
    )[0]
    assert row["pages"] == caps["n"], (row, caps)
    return row


def check_archive(data, zoo, crawl_id):
    db = data / "archive.db"
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    crawls = rows(db, "select * from crawls")
    assert [c["id"] for c in crawls] == [crawl_id]  # the same crawl, continued
    assert crawls[0]["status"] == "finished" and crawls[0]["finished_at"]
    counted_truthfully(db, crawl_id)
    docs = [(r["url"], r["part"]) for r in rows(db, "select url, part from documents")]
    assert len(docs) == len(set(docs))
    missing = gold(zoo) - set(docs)
    assert not missing, missing
    assert crawls[0]["new_documents"] == len(docs)  # each counted new once
    # one full copy of each gold page in the WARCs (a second fetch is a revisit)
    warc = data / "warc"
    assert not list(warc.glob("*.open"))
    files = sorted(warc.glob("*.warc.gz"))
    full, revisits = Counter(), Counter()
    for f in files:
        with open(f, "rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type in ("response", "revisit") and r.http_headers:
                    uri = r.rec_headers.get_header("WARC-Target-URI")
                    if r.http_headers.get_statuscode() == "200" and r.rec_type == "response":
                        full[uri] += 1
                    elif r.rec_type == "revisit":
                        revisits[uri] += 1
    for url in {u for u, _ in gold(zoo)}:
        assert full[url] <= 1, url
        assert full[url] + revisits[url] >= 1, url
    proc = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the crawl's CDXJ index holds every response and revisit record of every file, as
    # cdxj-indexer reads them from the files: none lost to the kill or to the resumed run
    from archive.warc.cdxj import write_index

    index = data / "indexes" / f"{crawl_id}.cdxj"
    assert index.read_text(encoding="utf-8") == write_index(
        files, data / "read-back.cdxj"
    ).read_text(encoding="utf-8")
    assert sorted(p.name for p in (data / "indexes").iterdir()) == [index.name]


def resume(data):
    proc = run(crawl_cmd(data, [], "--resume"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def first_run(data, zoo, crash):
    proc = run(crawl_cmd(data, zoo.start_urls, "-s", f"UNION_TEST_CRASH={crash}"))
    assert "UNION_TEST_CRASH" in proc.stderr, proc.stderr[-3000:]
    [crawl] = rows(data / "archive.db", "select * from crawls")
    return proc, crawl


def test_sigkill_during_a_fetch(zoo, tmp_path):
    data = tmp_path / "a"
    proc, crawl = first_run(data, zoo, "fetch:slow.html")
    assert proc.returncode == -signal.SIGKILL
    # the indexer noticed its crawler died and closed the row itself
    assert crawl["status"] == "interrupted"
    counted_truthfully(data / "archive.db", crawl["id"])
    out = resume(data)
    assert "not saved cleanly" in out.stderr  # a killed frontier is not trusted
    check_archive(data, zoo, crawl["id"])


def test_sigkill_inside_a_warc_write(zoo, tmp_path):
    data = tmp_path / "b"
    proc, crawl = first_run(data, zoo, "warc:40")
    assert proc.returncode == -signal.SIGKILL
    [partial] = list((data / "warc").glob("*.warc.gz.open"))
    assert _complete_prefix(partial) < partial.stat().st_size  # a torn record at the end
    assert crawl["status"] == "interrupted"
    counted_truthfully(data / "archive.db", crawl["id"])
    # reindex of the crashed directory: the torn file is cut back first, then read
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    out = run_cli("reindex", "--data", str(copy), timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert not list((copy / "warc").glob("*.open"))
    assert rows(copy / "archive.db", "select count(*) n from documents")[0]["n"] > 0
    resume(data)
    check_archive(data, zoo, crawl["id"])


def test_sigkill_inside_a_database_write(zoo, tmp_path):
    data = tmp_path / "c"
    proc, crawl = first_run(data, zoo, "db:2")
    assert proc.returncode == -signal.SIGKILL
    db = data / "archive.db"
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    # nobody was left to close the row; its counts match what was committed
    assert crawl["status"] == "running"
    counted_truthfully(db, crawl["id"])
    assert rows(db, "select count(*) n from captures")[0]["n"] > 0
    out = resume(data)
    assert f"crawl {crawl['id']} was killed: marked interrupted" in out.stderr
    check_archive(data, zoo, crawl["id"])


def test_sigterm_stops_cleanly_and_resumes_from_the_saved_frontier(zoo, tmp_path):
    data = tmp_path / "d"
    proc, crawl = first_run(data, zoo, "fetch-term:slow.html")
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "--resume" in proc.stderr
    assert crawl["status"] == "interrupted" and crawl["finished_at"]
    assert not list((data / "warc").glob("*.open"))  # files closed
    jobdir = data / "jobs" / crawl["id"]
    assert (jobdir / "clean-shutdown").exists()
    slow = zoo.truth["faults"]["slow"]
    # the page on the wire when the signal came was finished and written
    assert [
        r["status"]
        for r in rows(data / "archive.db", "select status from captures where url = ?", [slow])
    ] == [200]
    out = resume(data)
    assert "not saved cleanly" not in out.stderr
    check_archive(data, zoo, crawl["id"])
    # the saved frontier was used: pages fetched before the stop were not fetched again
    fetched = rows(
        data / "archive.db",
        "select url, count(*) n from captures where url in (%s) "
        "group by url" % ",".join("?" * len(zoo.start_urls)),
        zoo.start_urls,
    )
    assert fetched and all(r["n"] == 1 for r in fetched), fetched
    assert not jobdir.exists()  # a finished crawl leaves no frontier behind


def test_resume_with_nothing_to_resume_says_so(zoo, tmp_path):
    proc = run(crawl_cmd(tmp_path / "e", [], "--resume"))
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"union-archive: error: no interrupted crawl to resume in {tmp_path / 'e'}"
    )
