"""CDXJ index per crawl (cdxj-indexer): ``<UNION_DATA_DIR>/indexes/<crawl_id>.cdxj``.

Lines are ``SURT TIMESTAMP {json}`` sorted, with url, mime, status, digest, length,
offset and filename (the WARC basename) for response and revisit records, which is
what pywb and ReplayWeb.page read.  ``lookup`` finds the records of a URL in it.

The answer to a POST (or PUT) is keyed by its request too, as cdxj-indexer's post-append
option and pywb's replay key it: ``__wb_method=post&`` and the form (other bodies in
cdxj-indexer's canonical form, e.g. ``__wb_post_data=`` and their base64) appended to the
URL's query before the SURT, and the line has ``method`` and ``requestBody``; so the pages
of a list POSTed to one URL have a line each.  GET lines are the same with or without it.

A crawl makes its index as it writes (``IndexLines``): cdxj-indexer's own field code runs
on each record object just written, with the offset and length the writer gives it, and
the lines are sorted into the index when the crawl closes.  Reading the WARC files back
(``write_index``: reindex, repair, WACZ) hands the records to the same ``RecordLines`` and
gives the same bytes (a test compares them), reading no answer's payload.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cdxj_indexer.bufferiter import buffer_record_content, concur_req_resp, join_req_resp
from cdxj_indexer.main import CDXJIndexer, SortingWriter
from cdxj_indexer.postquery import append_method_query
from warcio.archiveiterator import ArchiveIterator

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import TextIO

    from warcio.recordloader import ArcWarcRecord

SORT_BUFFER_CHARS = 4 * 1024 * 1024  # lines held before a sorted run goes to a temporary file


def indexer() -> CDXJIndexer:
    """cdxj-indexer's fields, record filter, keys and line format as every index of the
    archive uses them: POST and PUT answers keyed by their request (its post-append option).
    Its own reading of files is not used (see ``index_files``)."""
    return CDXJIndexer(None, [], post_append=True)


def write_index(warc_files: list[Path], out_path: Path) -> Path:
    """The index of these WARC files, sorted (in runs merged from temporary files: memory
    stays bounded however large the crawl), written to ``out_path`` at once."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    with open(tmp, "w", encoding="utf-8") as out:
        sorter = SortingWriter(out, SORT_BUFFER_CHARS)
        index_files(warc_files, sorter)
        sorter.flush()
    tmp.replace(out_path)
    return out_path


def index_files(warc_files: Iterable[Path], out: TextIO) -> int:
    """Write the lines of these WARC files' records to ``out``, unsorted; returns how many.
    The records are read as ``RecordLines`` takes them from the writer: only a request's
    body is read, never an answer's (cdxj-indexer's own post-append reading decodes every
    payload, a decompression bomb's included)."""
    n = 0
    for path in warc_files:
        lines = RecordLines(out)
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.rec_type == "request":
                    buffer_record_content(record)
                offset, length = records.get_record_offset(), records.get_record_length()
                lines.add(record, os.path.basename(path), offset, length)
        n += lines.finish()
    return n


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


class RecordLines:
    """The CDXJ lines of records given in WARC order, written to ``out``.

    A record waits for the next one, as in cdxj-indexer's own reading of a file: a response
    followed by its request (WARC-Concurrent-To) is keyed by that request."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._indexer = indexer()  # one a reader: it holds the current file's name
        self._held: tuple[ArcWarcRecord, str] | None = None
        self.lines = 0

    def add(self, record: ArcWarcRecord, filename: str, offset: int, length: int) -> None:
        """A record of ``filename`` at ``offset`` (``length`` bytes).  A request record's
        body is read here (the key of a POST's answer): give it unread, or with the
        ``buffered_stream`` cdxj-indexer's ``buffer_record_content`` makes."""
        record.file_offset, record.file_length = offset, length
        if record.rec_type == "request" and not hasattr(record, "buffered_stream"):
            buffer_record_content(record)
        held, self._held = self._held, (record, filename)
        if held is None:
            return
        req, resp = concur_req_resp(held[0], record)
        if req is not None:
            join_req_resp(req, resp, True, self._indexer.get_url_key)
            self._held = None
            self._write(*held)
            self._write(record, filename)
        else:
            self._write(*held)

    def _write(self, record: ArcWarcRecord, filename: str) -> None:
        ix = self._indexer
        if ix.filter_record(record):
            ix.curr_filename = filename
            ix.process_index_entry(None, record, filename, self._out)
            self.lines += 1
        stream = getattr(record, "buffered_stream", None)
        if stream is not None:
            stream.close()

    def finish(self) -> int:
        """Write the record still waiting; returns how many lines were written."""
        if self._held is not None:
            self._write(*self._held)
            self._held = None
        return self.lines


class IndexLines:
    """The CDXJ lines of the records a crawl writes, unsorted in a side file
    (``indexes/.<crawl_id>.<pid>.cdxj-lines``) until ``finish`` sorts them into the index."""

    def __init__(self, data_dir: Path, crawl_id: str):
        self.out_path = index_path(data_dir, crawl_id)
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        # a killed run's side file stays until ``repair`` has indexed its WARC files
        self.path = self.out_path.parent / f".{crawl_id}.{os.getpid()}.cdxj-lines"
        self._fh = open(self.path, "w", encoding="utf-8")
        self._lines = RecordLines(self._fh)

    @property
    def lines(self) -> int:
        return self._lines.lines

    def add(self, record: ArcWarcRecord, filename: str, offset: int, length: int) -> None:
        """A record just written to ``filename`` at ``offset`` (``length`` bytes)."""
        self._lines.add(record, filename, offset, length)

    def finish(self) -> Path:
        """Sort the lines into the index, with the lines it has (a resumed crawl's earlier
        runs), and remove the side file."""
        self._lines.finish()
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


@functools.cache
def key_indexer() -> CDXJIndexer:
    """One indexer, for its keys."""
    return indexer()


def request_key(
    url: str, method: str = "GET", body: bytes = b"", content_type: str | None = None
) -> str:
    """The index key of the answer to this request: the URL's SURT, with the method and the
    form appended for POST and PUT (cdxj-indexer's and pywb's own code)."""
    method = method.upper()
    if method not in ("POST", "PUT"):
        return key_indexer().get_url_key(url)
    _, append = append_method_query(method, content_type, len(body), io.BytesIO(body), url)
    return key_indexer().get_url_key(url + append)


def lookup(
    path: Path,
    url: str,
    method: str | None = "GET",
    body: bytes = b"",
    content_type: str | None = None,
) -> list[dict]:
    """Index entries of the answers to ``method url`` (exact match; for POST and PUT, to that
    ``body``, as pywb finds them on replay), oldest first.  ``method=None``: the answers to
    every request for ``url``, the POST and PUT ones with their ``method`` and
    ``requestBody``."""
    key = None if method is None else request_key(url, method, body, content_type)
    found = [
        dict(fields, timestamp=ts)
        for k, ts, fields in read_index(path)
        if fields.get("url") == url and (key is None or k == key)
    ]
    return sorted(found, key=lambda e: e["timestamp"])
