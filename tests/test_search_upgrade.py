"""Archives of earlier versions (the FTS5 index) and archives without their index directory:
`union-archive search-index` and `serve` build the index, a crawl holding the directory is
left alone, and `reindex` moves a new index into place with the new archive.db."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.request
from contextlib import contextmanager

from archive.store import schema as store
from archive.store import search, search_index
from crawler.lock import EXIT_LOCKED, DataDirLock
from tests.conftest import run_cli
from tests.fixtures_archive import build_archive, serving
from tests.sql import index_mismatches


def as_earlier_version(db_path) -> None:
    """What an archive made before the switch looks like: an FTS5 documents_fts, the old
    one-column stamp, no index directory."""
    shutil.rmtree(search_index.index_path(db_path))
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("drop table _search_form")
        conn.execute("drop table _search_pending")
        conn.execute(
            "create virtual table documents_fts using fts5(title, text, tokenize = 'ascii', "
            "content = '')"
        )
        conn.execute("create table _search_form (version TEXT NOT NULL)")
        conn.execute("insert into _search_form values ('2')")
    conn.close()


@contextmanager
def archive_db(db_path):
    db = store.connect(db_path)
    try:
        yield db
    finally:
        db.conn.close()


def answers(db_path) -> dict:
    with archive_db(db_path) as db:
        return {q: sorted(search.search(db, q)) for q in ("工会", "劳模", "工資集體協商", "书")}


def test_search_index_command_upgrades_an_archive_of_an_earlier_version(tmp_path):
    arch = build_archive(tmp_path)
    want = answers(arch.db_path)
    assert want["工会"] and want["劳模"]
    as_earlier_version(arch.db_path)
    with DataDirLock(tmp_path, "crawl"):  # a crawl holds the directory: refused, unchanged
        proc = run_cli("search-index", "--data", str(tmp_path))
    assert proc.returncode == EXIT_LOCKED, proc.stderr
    assert not search_index.index_path(arch.db_path).exists()
    proc = run_cli("search-index", "--data", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert f"search index in step: {len(arch.docs)} documents written" in proc.stdout
    assert "written, 0 left" in proc.stderr  # progress
    assert answers(arch.db_path) == want
    assert index_mismatches(arch.db_path) == (set(), set())
    with archive_db(arch.db_path) as db:
        assert not db.execute("select 1 from sqlite_master where name = 'documents_fts'").fetchone()
    proc = run_cli("search-index", "--data", str(tmp_path))
    assert proc.returncode == 0 and "in step: 0 documents written" in proc.stdout
    proc = run_cli("search-index", "--data", str(tmp_path), "--rebuild")
    assert proc.returncode == 0 and f"in step: {len(arch.docs)} documents" in proc.stdout
    assert answers(arch.db_path) == want
    proc = run_cli("search-index", "--data", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "archive.db not found" in proc.stderr


def test_serve_builds_the_index_of_an_archive_copied_without_it(tmp_path):
    arch = build_archive(tmp_path)
    want = answers(arch.db_path)
    shutil.rmtree(search_index.index_path(arch.db_path))  # archive.db copied alone
    with serving(tmp_path) as base:
        url = base + "/archive/documents.json?_search=%E5%8A%B3%E6%A8%A1&_col=id&_shape=array"
        with urllib.request.urlopen(url, timeout=30) as r:
            got = sorted(row["id"] for row in json.load(r))
    assert got == want["劳模"]
    assert index_mismatches(arch.db_path) == (set(), set())
