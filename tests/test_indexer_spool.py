"""The indexer's backlog waits on disk: a crawl never blocks on extraction, and every
capture still reaches the archive, in order (crawler/extensions.py: IndexerBridge); with a
backlog a helper process extracts ahead (archive.store.parallel), and the archive is the same as one
extracted inline."""

from __future__ import annotations

import re
import sqlite3
import subprocess

import pytest

from tests.conftest import crawl_cmd


@pytest.fixture(scope="module")
def large():
    from zoo import Zoo

    with Zoo(large_pages=300) as z:
        yield z


def _crawl(z, data, *extra):
    proc = subprocess.run(
        crawl_cmd(
            data,
            [z.urls["large"]],
            "-s",
            "ROBOTSTXT_OBEY=False",
            "-s",
            "CONCURRENT_REQUESTS=8",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            *extra,
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _archive(data):
    with sqlite3.connect(data / "archive.db") as conn:
        docs = conn.execute(
            "select id, url, title, text, is_report, warc_offset from documents order by id"
        ).fetchall()
        caps = conn.execute(
            "select url, status, record_type, warc_offset from captures order by url, warc_offset"
        ).fetchall()
    return docs, caps


def test_a_spooled_backlog_reaches_the_archive_whole(large, tmp_path):
    direct, spooled = tmp_path / "direct", tmp_path / "spooled"
    p1 = _crawl(large, direct, "-s", "UNION_EXTRACT_HELPERS=0")  # all inline
    # a leftover spool of a killed crawl: removed, with a pointer to reindex
    (spooled / ".indexer-spool").mkdir(parents=True)
    (spooled / ".indexer-spool" / "q00000").write_bytes(b"\0\0\0\x05junk!")
    # a queue of 16: the indexer, still importing its parsers while the crawl starts, is
    # soon a queue behind; 16 also lets its window of 8 fill, so the helper starts
    p2 = _crawl(large, spooled, "-s", "UNION_INDEXER_QUEUE=16")

    assert "'union/indexer_spilled': 0" in p1.stderr
    spilled = int(re.search(r"'union/indexer_spilled': (\d+)", p2.stderr).group(1))
    assert spilled > 50, p2.stderr[-2000:]
    assert "not indexed by an interrupted crawl is removed" in p2.stderr
    # the backlog was also extracted ahead by the helper process (archive.store.parallel)
    helped = r"of it the extraction helper [\d.]+ s, (\d+) captures"
    assert int(re.search(helped, p1.stderr).group(1)) == 0
    assert int(re.search(helped, p2.stderr).group(1)) > 20, p2.stderr[-2000:]
    assert not (spooled / ".indexer-spool").exists()

    d1, c1 = _archive(direct)
    d2, c2 = _archive(spooled)
    assert len(d1) > 250 and len(c1) > 300
    # the same documents and captures (WARC offsets included: same order of exchanges
    # is not guaranteed between two crawls, so offsets are compared as sets of rows)
    assert [r[:5] for r in d2] == [r[:5] for r in d1]
    assert len(c2) == len(c1)
    assert sorted(r[:3] for r in c2) == sorted(r[:3] for r in c1)


def test_child_processes_import_no_scrapy():
    """The indexer's and the clustering's entry points, and what they run, import no Scrapy:
    a spawned child loads only what it needs (~0.27 s less at each start)."""
    import sys

    code = (
        "import sys, pickle; from crawler import processes; import archive.store.worker, "
        "archive.store.clusters, archive.store.parallel, crawler.lock; "
        "pickle.loads(pickle.dumps(processes.cluster_worker)); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_links_to_pages_already_scheduled_skip_the_duplicate_filter(large, tmp_path):
    """The spider drops a link to a URL the scheduler already took before it makes a
    Request (UnionSpider.scheduled): the portal's pages link to each other over and over
    (~5 repeats a page), and those used to reach Scrapy's duplicate filter, after the
    archive lookups and the spider middlewares.  The same pages are fetched."""
    proc = _crawl(large, tmp_path / "d")
    stats = dict(re.findall(r"'([a-z_/]+)': (\d+)", proc.stderr))
    responses = int(stats["downloader/response_count"])
    assert responses > 300
    assert int(stats.get("dupefilter/filtered", 0)) <= 5, stats
    from archive.warc.read import iter_captures

    urls = [c.url for c in iter_captures(sorted((tmp_path / "d" / "warc").glob("*.warc.gz")))]
    assert len(urls) == len(set(urls)) == responses
    assert {u for u in urls if "/art/" in u} == {
        f"{large.urls['large'].rstrip('/')}/art/{i}.html" for i in range(300)
    }


def test_flush_commits_a_write_left_open_before_its_own(tmp_path):
    """A write left open on the indexer's connection (an implicit BEGIN) is committed
    before a flush's transaction, so that the flush is a transaction of its own and is on
    disk when it returns, not a savepoint inside a transaction nobody commits."""
    import sqlite3

    from archive.capture import Capture
    from archive.store.indexer import Indexer

    ix = Indexer(tmp_path / "archive.db")
    ix.start_crawl("c1", ["http://h/"], "2026-11-22T00:00:00Z")
    ix.db.conn.execute("insert into crawls (id, status) values ('stray', 'x')")
    assert ix.db.conn.in_transaction
    ix.add(
        Capture(
            url="http://h/missing",
            status=404,
            crawl_id="c1",
            fetched_at="2026-11-22T00:00:01Z",
            warc_filename="f.warc.gz",
            warc_offset=0,
            warc_length=10,
        )
    )
    ix.flush()
    other = sqlite3.connect(tmp_path / "archive.db")
    try:
        assert other.execute(
            "select status from captures where url = 'http://h/missing'"
        ).fetchall() == [(404,)]
        assert other.execute("select status from crawls where id = 'stray'").fetchall() == [("x",)]
    finally:
        other.close()
        ix.close()
