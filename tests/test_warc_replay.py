"""Replay from the CDXJ index with warcio, and WACZ packages that `wacz validate` accepts."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.warc.cdxj import lookup
from archive.warc.read import decode_content, header, read_record
from tests.test_warc_support import DUP, Site, crawl_settings, run_crawl


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("replay")
    data = tmp / "data"
    with Site() as site:
        run_crawl(tmp, [site.base + "/"], crawl_settings(data, "r1"))
        yield type("C", (), dict(site=site, data=data, tmp=tmp))


def replay(data, cdxj, url):
    """What a replay tool does: index lookup -> one record -> headers + decoded body.
    Revisits are resolved through their WARC-Refers-To-Target-URI/Date."""
    entry = lookup(cdxj, url)[-1]
    raw = read_record(data / "warc" / entry["filename"], int(entry["offset"]), int(entry["length"]))
    record = next(iter(ArchiveIterator(io.BytesIO(raw))))
    http = record.http_headers
    if record.rec_type == "revisit":
        target = record.rec_headers.get_header("WARC-Refers-To-Target-URI")
        date = record.rec_headers.get_header("WARC-Refers-To-Date")
        [orig] = [
            e
            for e in lookup(cdxj, target)
            if e["timestamp"] == date.replace("-", "").replace(":", "").replace("T", "")[:14]
        ]
        raw = read_record(
            data / "warc" / orig["filename"], int(orig["offset"]), int(orig["length"])
        )
        record = next(iter(ArchiveIterator(io.BytesIO(raw))))
    payload = record.raw_stream.read()
    return http, decode_content(payload, header(list(http.headers), "Content-Encoding"))


def test_cdxj_replay_equals_what_the_server_sent(crawled):
    cdxj = crawled.data / "indexes" / "r1.cdxj"
    assert cdxj.exists()
    site, base = crawled.site, crawled.site.base
    http, body = replay(crawled.data, cdxj, base + "/gzip")
    assert http.statusline == "200 OK"
    assert body == gzip.decompress(site.sent["/gzip"])
    for path in ("/fine", "/chunked", "/target?x=1&y=%E4%B8%AD", "/dup-a", "/dup-b"):
        http, body = replay(crawled.data, cdxj, base + path)
        assert http.get_statuscode() == "200" and body == site.sent[path], path
    http, body = replay(crawled.data, cdxj, base + "/chunked-gzip")
    assert body == gzip.decompress(site.sent["/chunked-gzip"])
    # a revisit replays with its own headers and the original's payload
    revisit = [
        e
        for e in lookup(cdxj, base + "/dup-a") + lookup(cdxj, base + "/dup-b")
        if e.get("mime") == "warc/revisit"
    ]
    assert revisit
    _, body = replay(crawled.data, cdxj, revisit[0]["url"])
    assert body == DUP
    http, body = replay(crawled.data, cdxj, base + "/missing")
    assert http.statusline == "404 Not Here" and body == site.sent["/missing"]


def test_wacz_package_validates(crawled):
    from cli.publish import wacz_command

    out = crawled.tmp / "crawl.wacz"
    result = CliRunner().invoke(wacz_command, ["--data", str(crawled.data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {
            "datapackage.json",
            "datapackage-digest.json",
            "pages/pages.jsonl",
            "indexes/index.cdx",
        } <= names
        assert any(n.startswith("archive/") and n.endswith(".warc.gz") for n in names)
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()]
        assert pages[0]["format"] == "json-pages-1.0"
        assert any(p.get("url") == crawled.site.base + "/" for p in pages[1:])
    proc = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "is valid" in proc.stdout, proc.stdout + proc.stderr


def test_wacz_unknown_crawl_is_a_clear_error(crawled):
    from cli.publish import wacz_command

    result = CliRunner().invoke(wacz_command, ["--data", str(crawled.data), "--crawl", "nope"])
    assert result.exit_code != 0 and "no crawl 'nope'" in result.output


def test_cdxj_sorted_in_runs_equals_one_sort(crawled, tmp_path, monkeypatch):
    """A crawl's index larger than the sort buffer is sorted in runs and merged: the
    same file as one in-memory sort (so memory stays bounded on large crawls)."""
    from archive.warc import cdxj

    warcs = sorted((crawled.data / "warc").glob("*.warc.gz"))
    whole = cdxj.write_index(warcs, tmp_path / "whole.cdxj").read_text(encoding="utf-8")
    monkeypatch.setattr(cdxj, "SORT_BUFFER_CHARS", 500)  # a run every two lines or so
    runs = cdxj.write_index(warcs, tmp_path / "runs.cdxj").read_text(encoding="utf-8")
    lines = whole.splitlines()
    assert len(lines) >= 10 and len(whole) > 5 * 500
    assert lines == sorted(lines) and runs == whole


def index_paths_agree(data, tmp_path, monkeypatch) -> str:
    """The index the crawl made record by record is cdxj-indexer's index of its WARC files;
    ``IndexLines`` given the records read back (buffered as cdxj-indexer buffers them),
    sorting in runs of ~2 lines, makes the same file too.  Returns the index."""
    from cdxj_indexer.bufferiter import buffer_record_content

    from archive.warc import cdxj

    [index] = (data / "indexes").glob("*.cdxj")
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    read = cdxj.write_index(warcs, tmp_path / "read.cdxj").read_text(encoding="utf-8")
    assert index.read_text(encoding="utf-8") == read

    monkeypatch.setattr(cdxj, "SORT_BUFFER_CHARS", 500)
    lines = cdxj.IndexLines(tmp_path, "again")
    for path in warcs:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                buffer_record_content(record)
                lines.add(record, path.name, it.get_record_offset(), it.get_record_length())
    assert lines.finish().read_text(encoding="utf-8") == read
    assert lines.lines == len(read.splitlines())
    assert sorted(p.name for p in (tmp_path / "indexes").iterdir()) == ["again.cdxj"]
    return read


def test_crawl_index_made_while_writing_equals_cdxj_indexer_on_the_files(
    crawled, tmp_path, monkeypatch
):
    """Both ways of indexing agree on revisits, gzip, chunked, 404s."""
    read = index_paths_agree(crawled.data, tmp_path, monkeypatch)
    assert "warc/revisit" in read and '"status": "404"' in read


def test_crawl_index_is_read_from_the_files_when_its_lines_fail(tmp_path):
    """A CDXJ line that cannot be made (here: a write error after five records) never fails
    a capture: the crawl reads its index from the WARC files at the end instead, the same
    index, and leaves no side file."""
    from archive.warc.cdxj import write_index
    from tests.test_warc_support import Site, crawl_settings, run_crawl

    data = tmp_path / "data"
    with Site() as site:
        run_crawl(
            tmp_path,
            [site.base + "/"],
            crawl_settings(
                data,
                "broken",
                DOWNLOADER_MIDDLEWARES={"tests.test_warc_support.BrokenIndexLines": 950},
            ),
        )
    [index] = (data / "indexes").glob("*.cdxj")
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    read = write_index(warcs, tmp_path / "read.cdxj").read_text(encoding="utf-8")
    assert len(read.splitlines()) > 5 and index.read_text(encoding="utf-8") == read
    assert [p.name for p in (data / "indexes").iterdir()] == ["broken.cdxj"]


def _small_warc(path, crawl_id, url):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warcinfo_record(path.name, {"crawl-id": crawl_id}))
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record(
                url,
                "response",
                http_headers=http,
                payload=io.BytesIO(b"<p>" + url.encode() + b"</p>"),
            )
        )
    return path


def test_a_killed_runs_files_are_read_into_its_crawls_index(tmp_path):
    """A SIGKILLed crawl leaves its side file in indexes/ and its WARC files in no index
    line: ``repair`` (the next run, before it writes) reads the files of that crawl that
    its index lacks into it, leaves other crawls' indexes alone, and removes the side
    files; a new run's ``IndexLines`` no longer removes them before that."""
    from archive.warc.cdxj import IndexLines, repair, write_index

    warc = tmp_path / "warc"
    warc.mkdir()
    a = _small_warc(warc / "union-20261122000000-00000.warc.gz", "c1", "http://h/a")
    b = _small_warc(warc / "union-20261122000001-00000.warc.gz", "c1", "http://h/b")
    c = _small_warc(warc / "union-20261122000002-00000.warc.gz", "c0", "http://h/c")
    idx = tmp_path / "indexes"
    idx.mkdir()
    write_index([a], idx / "c1.cdxj")  # the run before the killed one
    (idx / ".c1.111.cdxj-lines").write_text("half a li", encoding="utf-8")
    (idx / "c0.cdxj").write_text("kept\n", encoding="utf-8")
    lines = IndexLines(tmp_path, "c2")
    assert (idx / ".c1.111.cdxj-lines").exists()
    lines.discard()
    assert repair(tmp_path, [a, b, c]) == {"c1": [b.name]}
    assert (idx / "c1.cdxj").read_text() == write_index([a, b], tmp_path / "ab.cdxj").read_text()
    assert (idx / "c0.cdxj").read_text() == "kept\n"
    assert sorted(p.name for p in idx.iterdir()) == ["c0.cdxj", "c1.cdxj"]
    assert repair(tmp_path, [a, b, c]) == {}  # nothing left to repair
