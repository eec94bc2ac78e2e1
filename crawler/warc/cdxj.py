"""CDXJ index per crawl (cdxj-indexer): ``<UNION_DATA_DIR>/indexes/<crawl_id>.cdxj``.

Lines are ``SURT TIMESTAMP {json}`` sorted, with url, mime, status, digest, length,
offset and filename (the WARC basename) for response and revisit records, which is
what pywb and ReplayWeb.page read.  ``lookup`` finds the records of a URL in it.

A crawl makes its index as it writes (``IndexLines``): cdxj-indexer's own field code runs
on each record object just written, with the offset and length the writer gives it, and
the lines are sorted into the index when the crawl closes.  Reading the WARC files back
at the end (``write_index``, what cdxj-indexer does on files) gives the same bytes (a
test compares them), but cost ~0.45 ms of CPU a page after the last fetch, while the
indexer still had work to do.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer, SortingWriter


SORT_BUFFER_CHARS = 4 * 1024 * 1024   # lines held before a sorted run goes to a temporary file


def write_index(warc_files: list[Path], out_path: Path) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    # cdxj-indexer sorts in runs merged from temporary files: memory stays bounded
    # however large the crawl (its default run of 32 M characters is ~60 MB of str)
    CDXJIndexer(str(tmp), [str(p) for p in warc_files], sort=True,
                max_sort_buff_size=SORT_BUFFER_CHARS).process_all()
    tmp.replace(out_path)
    return out_path


def write_crawl_index(warc_files: list[Path], data_dir: Path, crawl_id: str) -> Path:
    return write_index(warc_files, index_path(data_dir, crawl_id))


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
        # a killed run's side files (any crawl: one crawler holds a data directory at a time,
        # crawler.lock); its WARC files are in no index, as before this file existed
        for stale in self.out_path.parent.glob(".*.cdxj-lines"):
            stale.unlink(missing_ok=True)
        self.path = self.out_path.parent / f".{crawl_id}.{os.getpid()}.cdxj-lines"
        self._fh = open(self.path, "w", encoding="utf-8")
        self._indexer = CDXJIndexer(None, [])    # its fields, record filter and line format
        self._at = _At()
        self.lines = 0

    def add(self, record, filename: str, offset: int, length: int) -> None:
        """A record just written to ``filename`` at ``offset`` (``length`` bytes)."""
        ix = self._indexer
        if not ix.filter_record(record):
            return
        ix.curr_filename = filename
        self._at.offset, self._at.length = offset, length
        ix.process_index_entry(self._at, record, filename, self._fh)
        self.lines += 1

    def finish(self) -> Path:
        """Sort the lines into the index (in runs merged from temporary files, as
        ``write_index`` does) and remove the side file."""
        self._fh.close()
        tmp = self.out_path.with_name(self.out_path.name + ".part")
        with open(self.path, encoding="utf-8") as lines, open(tmp, "w", encoding="utf-8") as out:
            sorter = SortingWriter(out, SORT_BUFFER_CHARS)
            for line in lines:
                sorter.write(line)
            sorter.flush()
        tmp.replace(self.out_path)
        self.path.unlink(missing_ok=True)
        return self.out_path

    def discard(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


def read_index(path: Path):
    """(urlkey, timestamp, fields) per line."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, ts, data = line.rstrip("\n").split(" ", 2)
            yield key, ts, json.loads(data)


def lookup(path: Path, url: str) -> list[dict]:
    """Index entries for ``url`` (exact match), oldest first."""
    return [dict(fields, timestamp=ts) for _, ts, fields in read_index(path) if fields.get("url") == url]
