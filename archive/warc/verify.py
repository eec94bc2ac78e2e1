"""`union-archive verify --data DIR`: the WARC files, the CDXJ indexes and archive.db
checked against each other, with the command that repairs each problem found.

* every WARC file is read member by member: each gzip member must be whole and hold one
  record whose digests check; a torn member (a file cut short) is a problem;
* every URL's latest capture must be readable: a response record that is whole, or a
  revisit whose original (same payload digest, or the record it names) is whole; if not,
  ``crawl --recheck all`` fetches it again (a revisit never refers to a lost record);
* every CDXJ line must point at a whole record of that name, offset and length, and every
  response and revisit record of a crawl's files must have a line in its index; the line of
  a POST's answer must be keyed by its request (an index from before is rewritten);
* every ``captures`` and ``documents`` row of archive.db must point at a whole record;
* the search index must be archive.db's, of this form, with no document queued for it.

Revisit records of earlier crawls whose original is lost, for URLs fetched again since,
are history, not problems: they are counted, nothing needs doing.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.read import parse_fields

UrlCheck = Callable[[str, bool, bool], str | None]

TORN_SUFFIX = ".torn"


@dataclass
class Record:
    name: str
    offset: int
    length: int
    rec_type: str
    uri: str | None = None
    date: str | None = None
    digest: str | None = None
    status: str | None = None
    profile: str = ""
    refers_uri: str | None = None
    refers_date: str | None = None
    record_id: str | None = None
    concurrent_to: str | None = None
    method: str | None = None  # of a request record


@dataclass
class FileScan:
    path: Path
    crawl_id: str | None = None
    records: list[Record] = field(default_factory=list)
    whole_bytes: int = 0  # bytes made of whole gzip members
    size: int = 0
    damaged: list[str] = field(default_factory=list)  # records that did not read back


def _members(path: Path):
    """(offset, length, inflated bytes) of each whole gzip member of ``path``, in order;
    stops at the first member that is torn or not gzip."""
    pos = 0
    d, parts, start = zlib.decompressobj(zlib.MAX_WBITS | 16), [], 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return
            data = chunk
            while data:
                try:
                    parts.append(d.decompress(data))
                except zlib.error:
                    return
                if d.eof:
                    used = len(data) - len(d.unused_data)
                    pos += used
                    yield start, pos - start, b"".join(parts)
                    data, start, parts = d.unused_data, pos, []
                    d = zlib.decompressobj(zlib.MAX_WBITS | 16)
                else:
                    pos += len(data)
                    data = b""


def scan_file(path: Path) -> FileScan:
    scan = FileScan(Path(path), size=Path(path).stat().st_size)
    for offset, length, raw in _members(scan.path):
        scan.whole_bytes = offset + length
        try:
            record = next(iter(ArchiveIterator(io.BytesIO(raw), check_digests=True)))
            block = record.raw_stream.read()
        except Exception as exc:  # whatever warcio finds wrong: this record is unreadable
            scan.damaged.append(f"byte {offset}: {exc.__class__.__name__}: {str(exc)[:100]}")
            continue
        if record.digest_checker.passed is False:
            scan.damaged.append(f"byte {offset}: digest mismatch")
            continue
        rh = record.rec_headers
        if record.rec_type == "warcinfo" and scan.crawl_id is None:
            fields = parse_fields(block)
            scan.crawl_id = fields.get("crawl-id") or fields.get("isPartOf")
        hh = record.http_headers
        scan.records.append(
            Record(
                scan.path.name,
                offset,
                length,
                record.rec_type,
                rh.get_header("WARC-Target-URI"),
                rh.get_header("WARC-Date"),
                rh.get_header("WARC-Payload-Digest"),
                hh.get_statuscode()
                if hh is not None and record.rec_type in ("response", "revisit")
                else None,
                rh.get_header("WARC-Profile") or "",
                rh.get_header("WARC-Refers-To-Target-URI"),
                rh.get_header("WARC-Refers-To-Date"),
                rh.get_header("WARC-Record-ID"),
                rh.get_header("WARC-Concurrent-To"),
                hh.protocol if hh is not None and record.rec_type == "request" else None,
            )
        )
    return scan


def cut_torn(path: Path) -> int:
    """Cut a closed WARC file with a torn last member back to its whole records; the torn
    bytes are kept beside it in ``NAME.torn``.  Returns the bytes moved (0: none)."""
    path = Path(path)
    whole = 0
    for offset, length, _ in _members(path):
        whole = offset + length
    size = path.stat().st_size
    if whole == size:
        return 0
    with open(path, "rb") as fh:
        fh.seek(whole)
        tail = fh.read()
    torn = path.with_name(path.name + TORN_SUFFIX)
    with open(torn, "ab") as out:
        out.write(tail)
    with open(path, "r+b") as fh:
        fh.truncate(whole)
    return size - whole


@dataclass
class Problem:
    text: str
    fix: str


def _resolver(scans: list[FileScan]):
    """A function: is this record's payload readable (a whole response, or a revisit whose
    original is one)?"""
    digests, named = set(), set()
    for s in scans:
        for r in s.records:
            if r.rec_type == "response":
                named.add((r.uri, r.date))
                if r.digest:
                    digests.add(r.digest)

    def resolves(r: Record) -> bool:
        if r.rec_type != "revisit":
            return True
        if (r.refers_uri, r.refers_date) in named:
            return True
        return "identical-payload-digest" in r.profile and r.digest in digests

    return resolves


def _start_urls(conn) -> list[str]:
    urls: dict[str, None] = {}
    try:
        for (text,) in conn.execute("select start_urls from crawls order by started_at"):
            urls.update(dict.fromkeys(u for u in (text or "").split("\n") if u))
    except Exception:
        pass
    return list(urls)


def refetch_command(data_dir: Path, start_urls: list[str], check_url: UrlCheck) -> str:
    """The crawl that fetches the lost captures again, with the address flags its start
    URLs need (``check_url`` is the crawler's own rule, passed in by the command line)."""
    args = "".join(f" --start-url {u}" for u in start_urls)
    if any(check_url(u, False, False) for u in start_urls):
        if all(not check_url(u, True, False) for u in start_urls):
            args += " --allow-loopback"
        else:
            args += " --allow-loopback --allow-private"
    return f"union-archive crawl --data {data_dir}{args} --recheck all"


def verify(data_dir: str | Path, check_url: UrlCheck) -> tuple[list[Problem], list[str], dict]:
    """(problems in the order to repair them, notes, counts).  Call with the data
    directory's lock held; ``check_url(url, allow_loopback, allow_private)`` says why a
    start URL may not be crawled (None when it may)."""
    import sqlite3

    from archive.store.search_index import behind, index_path
    from archive.warc.cdxj import read_index
    from archive.warc.dirs import warc_dirs, warc_files, worker_dirs, write_order

    data_dir = Path(data_dir)
    scans = [scan_file(p) for p in write_order(warc_files(warc_dirs(data_dir)))]
    records = {(r.name, r.offset): r for s in scans for r in s.records}
    resolves = _resolver(scans)
    reindex = f"union-archive reindex --data {data_dir}"
    db_path = data_dir / "archive.db"
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) if db_path.exists() else None
    refetch = refetch_command(data_dir, _start_urls(conn) if conn else [], check_url)
    first, problems, notes = [], [], []

    for s in scans:
        if s.whole_bytes < s.size:
            first.append(
                Problem(
                    f"{s.path}: cut short: its last {s.size - s.whole_bytes} bytes (from byte "
                    f"{s.whole_bytes}) are not a whole record, and what followed is lost",
                    f"restore it from a backup that holds it whole; else `{reindex}` sets the "
                    f"torn bytes aside ({s.path.name}{TORN_SUFFIX}) and the fixes below fetch "
                    f"what was lost",
                )
            )
        for what in s.damaged:
            first.append(
                Problem(
                    f"{s.path}: unreadable record at {what}",
                    f"restore the file from a backup, or fetch its URLs again: `{refetch}`",
                )
            )

    latest: dict[str, Record] = {}
    for s in scans:
        for r in s.records:
            if r.rec_type in ("response", "revisit") and r.uri:
                latest[r.uri] = r
    lost = {u for u, r in latest.items() if not resolves(r)}
    history = sum(
        1
        for s in scans
        for r in s.records
        if r.rec_type == "revisit" and not resolves(r) and r.uri not in lost
    )

    stale_captures = stale_documents = 0
    search_behind = None
    if conn is not None:
        try:
            for _url, name, off, length in conn.execute(
                "select url, warc_filename, warc_offset, warc_length from captures "
                "where warc_filename is not null"
            ):
                r = records.get((name, off))
                if r is None or r.length != length:
                    stale_captures += 1
            for url, name, off, length in conn.execute(
                "select url, warc_filename, warc_offset, warc_length from documents "
                "where warc_filename is not null"
            ):
                r = records.get((name, off))
                if r is not None and r.length == length and resolves(r):
                    continue
                if url in latest and resolves(latest[url]):
                    stale_documents += 1
                else:
                    lost.add(url)
            search_behind = behind(conn, index_path(db_path))
        finally:
            conn.close()
    if lost:
        shown = ", ".join(sorted(lost)[:5]) + (", ..." if len(lost) > 5 else "")
        problems.append(
            Problem(
                f"{len(lost)} URL(s) have no readable archived copy "
                f"(their records are lost): {shown}",
                f"`{refetch}` fetches them again, then `{reindex}`",
            )
        )
    if stale_captures or stale_documents:
        problems.append(
            Problem(
                f"archive.db: {stale_captures} capture(s) and {stale_documents} document(s) point "
                f"at records that are not whole in the WARC files",
                f"`{reindex}`",
            )
        )
    if search_behind:
        problems.append(
            Problem(
                f"the search index ({index_path(db_path).name}): {search_behind}",
                f"`union-archive search-index --data {data_dir}`",
            )
        )

    indexes = [
        p
        for d in [data_dir, *worker_dirs(data_dir)]
        for p in sorted((d / "indexes").glob("*.cdxj"))
    ]
    # the response records cdxj-indexer keys by their request: answers to a POST or PUT
    posted = {r.concurrent_to for r in records.values() if r.method in ("POST", "PUT")}
    post_answers = {
        k for k, r in records.items() if r.rec_type == "response" and r.record_id in posted
    }
    for index in indexes:
        crawl_id = index.name.removesuffix(".cdxj")
        listed, stale, unkeyed = set(), 0, 0
        for _, _, fields in read_index(index):
            key = (fields.get("filename"), int(fields.get("offset", -1)))
            r = records.get(key)
            if r is None or r.length != int(fields.get("length", -1)) or r.uri != fields.get("url"):
                stale += 1
            elif key in post_answers and "method" not in fields:
                unkeyed += 1
            listed.add(key)
        missing = sum(
            1
            for s in scans
            if s.crawl_id == crawl_id
            for r in s.records
            if r.rec_type in ("response", "revisit") and (r.name, r.offset) not in listed
        )
        if stale or missing:
            problems.append(
                Problem(
                    f"{index}: {stale} line(s) point at records that are not whole in the WARC "
                    f"files, {missing} record(s) of the crawl's files have no line",
                    f"`{reindex}` (it rebuilds the CDXJ indexes from the files too)",
                )
            )
        if unkeyed:
            problems.append(
                Problem(
                    f"{index}: {unkeyed} POST answer(s) keyed by their URL alone (an index "
                    f"written before POST keys): replay cannot tell them apart",
                    f"`{reindex}` (it rebuilds the CDXJ indexes from the files too)",
                )
            )
    if history:
        notes.append(
            f"{history} revisit record(s) of earlier crawls refer to lost records; "
            f"their URLs were fetched again since: nothing to do"
        )
    counts = {"files": len(scans), "records": len(records), "indexes": len(indexes)}
    return first + problems, notes, counts


def rebuild_indexes(data_dir: Path) -> list[Path]:
    """Each existing CDXJ index of ``data_dir`` (and of its Redis workers) made again from
    the WARC files of its crawl, as cdxj-indexer reads them."""
    from archive.warc.cdxj import index_path, write_index
    from archive.warc.dirs import own_warc_dirs, warc_files, worker_dirs, write_order
    from archive.warc.read import crawl_infos

    done = []
    for d in [Path(data_dir), *worker_dirs(data_dir)]:
        files = write_order(warc_files(own_warc_dirs(d)))
        by_name = {p.name: p for p in files}
        for crawl_id, info in crawl_infos(files).items():
            index = index_path(d, crawl_id)
            if index.exists():
                write_index([by_name[n] for n in info["files"] if n in by_name], index)
                done.append(index)
    return done
