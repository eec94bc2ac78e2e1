"""Extraction ahead in a helper process (archive.ahead) builds the very archive that
extracting inline builds, from the zoo crawl's own WARC files; a helper that dies
mid-way costs nothing but time."""
from __future__ import annotations

import os
import signal
import sqlite3

import pytest

from archive.ahead import AheadIndexer
from archive.indexer import Indexer
from archive.reindex import warc_files
from archive.warc_read import iter_captures
from tests.sql import index_mismatches, indexed


def _index(db_path, caps, ahead: bool, kill_helper_at: int | None = None, window: int | None = 4):
    """``window``: None for the indexer's own settings."""
    ix = Indexer(db_path)
    ix.start_crawl("c", [], "2026-11-22T00:00:00Z")
    runner = None
    if ahead:
        runner = AheadIndexer(ix) if window is None else AheadIndexer(ix, window=window)
    for n, cap in enumerate(caps):
        if runner is None:
            ix.add(cap)
            continue
        runner.add(cap)
        if n == kill_helper_at:
            assert runner.pool is not None, "the helper never started"
            for pid in list(runner.pool._processes):
                os.kill(pid, signal.SIGKILL)
    if runner is not None:
        runner.close()
    ix.finish("done", "2026-11-22T00:00:01Z")
    ix.close()
    return runner


def _content(db_path):
    with sqlite3.connect(db_path) as conn:
        cols = [r[1] for r in conn.execute("pragma table_info(documents)")]
        docs = conn.execute(f"select {', '.join(cols)} from documents order by id").fetchall()
        fts = indexed(conn)
        sigs = conn.execute("select doc_id, signature from _signatures order by doc_id").fetchall()
        caps = conn.execute("select url, status, encoding, error, warc_offset from captures "
                            "order by id").fetchall()
    return docs, fts, sigs, caps


@pytest.fixture(scope="module")
def captures(crawled):
    assert crawled.proc.returncode == 0, crawled.proc.stderr[-2000:]
    return list(iter_captures(warc_files(crawled.data)))


@pytest.mark.parametrize("window", [4, None], ids=["window-4", "defaults"])
def test_ahead_builds_the_same_archive(captures, tmp_path, window):
    """With a small window (the helper gets 3 extractions at a time) and with the
    indexer's own (128 held, 32 queued to the helper)."""
    _index(tmp_path / "inline.db", captures, ahead=False)
    runner = _index(tmp_path / "ahead.db", captures, ahead=True, window=window)
    assert runner.window == (window or 128)
    inline, ahead = _content(tmp_path / "inline.db"), _content(tmp_path / "ahead.db")
    assert len(inline[0]) > 30 and len(inline[1]) > 10_000   # documents, index entries
    assert index_mismatches(tmp_path / "inline.db") == (set(), set())
    assert runner.in_helper > 10          # the helper did extract
    for a, b in zip(inline, ahead):
        assert a == b


def test_a_dead_helper_costs_nothing_but_time(captures, tmp_path):
    _index(tmp_path / "inline.db", captures, ahead=False)
    runner = _index(tmp_path / "ahead.db", captures, ahead=True, kill_helper_at=len(captures) // 3)
    assert runner.pool is None and runner.helpers == 0     # carried on in one process
    for a, b in zip(_content(tmp_path / "inline.db"), _content(tmp_path / "ahead.db")):
        assert a == b
