"""CDXJ index per crawl (cdxj-indexer): ``<UNION_DATA_DIR>/indexes/<crawl_id>.cdxj``.

Lines are ``SURT TIMESTAMP {json}`` sorted, with url, mime, status, digest, length,
offset and filename (the WARC basename) for response and revisit records, which is
what pywb and ReplayWeb.page read.  ``lookup`` finds the records of a URL in it.

A crawl makes its index as it writes (``IndexLines``): cdxj-indexer's own field code runs
on each record object just written, with the offset and length the writer gives it, and
the lines are sorted into the index when the crawl closes.  Reading the WARC files back
at the end (``write_index``, what cdxj-indexer does on files) gives the same bytes (a
test compares them), but reads every record again after the last fetch, while the indexer
still has work to do.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cdxj_indexer.main import CDXJIndexer, SortingWriter

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from warcio.recordloader import ArcWarcRecord

SORT_BUFFER_CHARS = 4 * 1024 * 1024  # lines held before a sorted run goes to a temporary file


def write_index(warc_files: list[Path], out_path: Path) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    # cdxj-indexer sorts in runs merged from temporary files: memory stays bounded
    # however large the crawl (SORT_BUFFER_CHARS: characters a run holds)
    CDXJIndexer(
        str(tmp), [str(p) for p in warc_files], sort=True, max_sort_buff_size=SORT_BUFFER_CHARS
    ).process_all()
    tmp.replace(out_path)
    return out_path


def write_crawl_index(warc_files: list[Path], data_dir: Path, crawl_id: str) -> Path:
    """The crawl's index with these files' lines added (a resumed crawl adds to it)."""
    out = index_path(data_dir, crawl_id)
    read = write_index(warc_files, out.with_name(f".{out.name}.files"))
    try:
        with open(read, encoding="utf-8") as lines:
            return merge_into(out, lines)
    finally:
        read.unlink(missing_ok=True)


def merge_into(index: Path, lines: Iterable[str]) -> Path:
    """``index`` (if it exists) and ``lines``, sorted into ``index`` (in runs merged from
    temporary files: memory stays bounded); replaced at once, never left half written."""
    index = Path(index)
    index.parent.mkdir(parents=True, exist_ok=True)
    tmp = index.with_name(index.name + ".part")
    with open(tmp, "w", encoding="utf-8") as out:
        sorter = SortingWriter(out, SORT_BUFFER_CHARS)
        if index.exists():
            with open(index, encoding="utf-8") as old:
                for line in old:
                    sorter.write(line)
        for line in lines:
            sorter.write(line)
        sorter.flush()
    tmp.replace(index)
    return index


_FILENAME = re.compile(r'"filename": "([^"]+)"')


def indexed_files(index: Path) -> set[str]:
    """The WARC file names an index has lines for."""
    if not Path(index).exists():
        return set()
    with open(index, encoding="utf-8") as fh:
        return {m.group(1) for line in fh for m in [_FILENAME.search(line)] if m}


def side_files(data_dir: Path) -> list[Path]:
    """Line files of runs that never closed (killed): ``indexes/.<crawl_id>.<pid>.cdxj-lines``."""
    return sorted((Path(data_dir) / "indexes").glob(".*.cdxj-lines"))


def repair(data_dir: Path, warc_files: list[Path]) -> dict[str, list[str]]:
    """After a killed run (its side file left behind): the closed WARC files of its crawl
    that the crawl's index has no line for are read back and their lines merged into it;
    then the side files go.  Returns crawl id -> the file names indexed.  Call with the
    data directory's lock held, after the killed run's ``.open`` files were recovered."""
    stale = side_files(data_dir)
    if not stale:
        return {}
    from archive.warc.read import crawl_infos

    crawls = {p.name[1:].removesuffix(".cdxj-lines").rsplit(".", 1)[0] for p in stale}
    by_name = {Path(f).name: Path(f) for f in warc_files}
    done: dict[str, list[str]] = {}
    for crawl_id, info in crawl_infos(by_name.values()).items():
        if crawl_id not in crawls:
            continue
        index = index_path(data_dir, crawl_id)
        covered = indexed_files(index)
        todo = [by_name[n] for n in info["files"] if n in by_name and n not in covered]
        if todo:
            write_crawl_index(todo, data_dir, crawl_id)
            done[crawl_id] = [p.name for p in todo]
    for p in stale:
        p.unlink(missing_ok=True)
    return done


def index_path(data_dir: Path, crawl_id: str) -> Path:
    return Path(data_dir) / "indexes" / f"{crawl_id}.cdxj"


class _At:
    """Where a record is, as cdxj-indexer asks its archive iterator."""

    __slots__ = ("offset", "length")

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


class IndexLines:
    """The CDXJ lines of the records a crawl writes, unsorted in a side file
    (``indexes/.<crawl_id>.<pid>.cdxj-lines``) until ``finish`` sorts them into the index."""

    def __init__(self, data_dir: Path, crawl_id: str):
        self.out_path = index_path(data_dir, crawl_id)
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        # a killed run's side file stays until ``repair`` has indexed its WARC files
        self.path = self.out_path.parent / f".{crawl_id}.{os.getpid()}.cdxj-lines"
        self._fh = open(self.path, "w", encoding="utf-8")
        self._indexer = CDXJIndexer(None, [])  # its fields, record filter and line format
        self._at = _At()
        self.lines = 0

    def add(self, record: ArcWarcRecord, filename: str, offset: int, length: int) -> None:
        """A record just written to ``filename`` at ``offset`` (``length`` bytes)."""
        ix = self._indexer
        if not ix.filter_record(record):
            return
        ix.curr_filename = filename
        self._at.offset, self._at.length = offset, length
        ix.process_index_entry(self._at, record, filename, self._fh)
        self.lines += 1

    def finish(self) -> Path:
        """Sort the lines into the index, with the lines it has (a resumed crawl's earlier
        runs), and remove the side file."""
        self._fh.close()
        with open(self.path, encoding="utf-8") as lines:
            merge_into(self.out_path, lines)  # a resumed crawl adds to its index
        self.path.unlink(missing_ok=True)
        return self.out_path

    def discard(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


def read_index(path: Path) -> Iterator[tuple[str, str, dict]]:
    """(urlkey, timestamp, fields) per line."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, ts, data = line.rstrip("\n").split(" ", 2)
            yield key, ts, json.loads(data)


def lookup(path: Path, url: str) -> list[dict]:
    """Index entries for ``url`` (exact match), oldest first."""
    return [
        dict(fields, timestamp=ts) for _, ts, fields in read_index(path) if fields.get("url") == url
    ]
