"""Extraction ahead in a helper process (archive.store.parallel) builds the very archive that
extracting inline builds, from the zoo crawl's own WARC files; a helper that dies
mid-way costs nothing but time."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3

import pytest

from archive.store import parallel as ahead_mod
from archive.store.indexer import Indexer
from archive.store.parallel import AheadIndexer
from archive.store.reindex import warc_files
from archive.warc.read import iter_captures
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
            for helper in runner.pool:
                os.kill(helper.proc.pid, signal.SIGKILL)
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
        caps = conn.execute(
            "select url, status, encoding, error, warc_offset from captures order by id"
        ).fetchall()
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
    assert len(inline[0]) > 30 and len(inline[1]) > 10_000  # documents, index entries
    assert index_mismatches(tmp_path / "inline.db") == (set(), set())
    assert runner.in_helper > 10  # the helper did extract
    for a, b in zip(inline, ahead):
        assert a == b


def test_a_dead_helper_costs_nothing_but_time(captures, tmp_path):
    _index(tmp_path / "inline.db", captures, ahead=False)
    runner = _index(tmp_path / "ahead.db", captures, ahead=True, kill_helper_at=len(captures) // 3)
    assert runner.pool is None and runner.helpers == 0  # carried on in one process
    for a, b in zip(_content(tmp_path / "inline.db"), _content(tmp_path / "ahead.db")):
        assert a == b


@pytest.mark.timeout(120)
def test_pipes_of_one_page_neither_side_waits_on_the_other(
    captures, crawled, tmp_path, monkeypatch
):
    """A task goes to the helper only when the task pipe has room for it and for every
    task not yet answered, or when the helper has nothing left.  With one-page pipes
    (4 KB) that is one task at a time, the results (~50 KB) and many tasks (the
    captures sent with their bodies) larger than the pipe: sending never blocks, so the
    indexer never waits on a helper that waits on it (the task pipe full one way, the
    result pipe the other).  Without the rule this test hangs.  The archive is the
    inline one: pages larger than the pipe keep their bodies, the others are sent as WARC
    locations (as the crawler sends them)."""
    monkeypatch.setattr(ahead_mod, "_PIPE_SIZE", 4096)
    mixed = [
        dataclasses.replace(c, body=None)  # as the crawler sends responses
        if c.record_type == "response" and c.warc_filename and len(c.body or b"") <= 4096
        else c
        for c in captures
    ]
    (tmp_path / "warc").symlink_to(crawled.data / "warc")  # where the locations point
    _index(tmp_path / "inline.db", captures, ahead=False)
    runner = _index(tmp_path / "ahead.db", mixed, ahead=True, window=16)
    assert runner.in_helper > 0
    assert sum(1 for c in mixed if c.body is not None and len(c.body) > 4096) > 10
    for a, b in zip(_content(tmp_path / "inline.db"), _content(tmp_path / "ahead.db")):
        assert a == b


def test_a_task_the_helper_cannot_do_is_done_inline_and_the_helper_goes_on(
    captures, crawled, tmp_path
):
    """A capture whose WARC location is wrong: the helper's read fails there, it answers
    "failed" and carries on; the indexer does the capture inline, where the failure is
    handled as it always is.  The same archive as indexing everything inline."""
    bad = {
        n
        for n, c in enumerate(captures)
        if c.record_type == "response" and c.warc_filename and c.status == 200
    }
    bad = set(sorted(bad)[5::7])
    assert len(bad) >= 3
    caps = [
        dataclasses.replace(c, body=None, warc_offset=c.warc_offset + 1)
        if n in bad
        else dataclasses.replace(c, body=None)
        if c.record_type == "response" and c.warc_filename
        else c
        for n, c in enumerate(captures)
    ]
    (tmp_path / "warc").symlink_to(crawled.data / "warc")
    _index(tmp_path / "inline.db", caps, ahead=False)
    runner = _index(tmp_path / "ahead.db", caps, ahead=True, window=4)
    assert runner.helpers == 1  # the helper was never given up on
    assert runner.in_helper > 10
    with sqlite3.connect(tmp_path / "ahead.db") as conn:
        unread = conn.execute(
            "select count(*) from captures where status = 200 "
            "and record_type = 'response' and encoding is null"
        ).fetchone()[0]
    assert unread >= len(bad)  # not extracted, as inline
    for a, b in zip(_content(tmp_path / "inline.db"), _content(tmp_path / "ahead.db")):
        assert a == b
