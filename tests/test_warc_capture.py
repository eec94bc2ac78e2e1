"""WARC capture of a real Scrapy crawl against a loopback site: records as received."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.read import crawl_infos, iter_captures, read_payload, write_single_record
from crawler.warc.records import sha1_digest
from tests.test_warc_support import (
    DUP,
    Site,
    as_read_back,
    capture_dict,
    crawl_settings,
    run_crawl,
)

NAME = re.compile(r"^union-\d{14}-\d{5}\.warc\.gz$")


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warc")
    data = tmp / "data"
    with Site() as site:
        out = run_crawl(tmp, [site.base + "/"], crawl_settings(data, "c1"))
        live = [json.loads(line) for line in out.read_text().splitlines()]
        files = sorted((data / "warc").glob("*.warc.gz"))
        records = []
        for f in files:
            with open(f, "rb") as fh:
                it = ArchiveIterator(fh)
                for r in it:
                    payload = r.raw_stream.read()
                    records.append(
                        {
                            "file": f,
                            "offset": it.get_record_offset(),
                            "type": r.rec_type,
                            "h": dict(r.rec_headers.headers),
                            "http": r.http_headers,
                            "payload": payload,
                        }
                    )
        yield type("Crawl", (), dict(site=site, data=data, live=live, files=files, records=records))


def by(crawl, url_end, rtype=("response", "revisit")):
    return [
        r
        for r in crawl.records
        if r["type"] in rtype and r["h"].get("WARC-Target-URI", "").endswith(url_end)
    ]


def first_member(path, offset) -> bytes:
    """The decompressed gzip member (= record) starting at ``offset``."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(fh.read())


def test_files_closed_named_and_pass_warcio_check(crawl):
    assert crawl.files and all(NAME.match(f.name) for f in crawl.files)
    assert not list((crawl.data / "warc").glob("*.open"))
    for f in crawl.files:
        proc = subprocess.run(
            [sys.executable, "-m", "warcio.cli", "check", "-v", str(f)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest pass" in proc.stdout and "fail" not in proc.stdout


def test_warcinfo_first_in_each_file(crawl):
    infos = crawl_infos(crawl.files)
    assert list(infos) == ["c1"]
    info = infos["c1"]
    assert info["start_urls"] == [crawl.site.base + "/"]
    assert info["description"] == "test crawl"
    assert info["software"].startswith("union-archive/") and "warcio" in info["software"]
    assert info["format"] == "WARC File Format 1.1"
    first = [r for r in crawl.records if r["offset"] == 0]
    assert len(first) == len(crawl.files) and all(r["type"] == "warcinfo" for r in first)


def test_every_fetch_has_response_request_and_metadata_linked(crawl):
    ids = {r["h"]["WARC-Record-ID"]: r for r in crawl.records}
    for cap in crawl.live:
        if cap["record_type"] == "failure":
            continue
        [resp] = [
            r
            for r in crawl.records
            if r["file"].name == cap["warc_filename"] and r["offset"] == cap["warc_offset"]
        ]
        assert resp["type"] == cap["record_type"] and resp["h"]["WARC-Target-URI"] == cap["url"]
        linked = [
            r
            for r in crawl.records
            if r["h"].get("WARC-Concurrent-To") == resp["h"]["WARC-Record-ID"]
        ]
        assert sorted(r["type"] for r in linked) == ["metadata", "request"]
        req = next(r for r in linked if r["type"] == "request")
        assert req["h"]["WARC-Date"] == resp["h"]["WARC-Date"]
        assert resp["h"]["WARC-Record-ID"] in ids
    urls = [c["url"] for c in crawl.live]
    base = crawl.site.base
    for path in (
        "/robots.txt",
        "/",
        "/redirect",
        "/target?x=1&y=%E4%B8%AD",
        "/missing",
        "/boom",
        "/list?page=2&sort=date",
        "/gzip",
        "/chunked",
    ):
        assert base + path in urls, path
    assert urls.count(base + "/boom") == 2  # the retry is a second fetch, archived too
    assert not any("/private/" in u for u in urls)  # disallowed by robots.txt: never fetched
    assert not any("/private/" in p for _, p, _ in crawl.site.log)


def test_status_line_and_headers_exactly_as_received(crawl):
    [fine] = by(crawl, "/fine")
    assert fine["http"].protocol == "HTTP/1.1" and fine["http"].statusline == "200 Fine"
    [redirect] = by(crawl, "/redirect")
    assert redirect["http"].statusline == "302 Found It"
    assert redirect["http"].get_header("Location") == "/target?x=1&y=%E4%B8%AD"
    [missing] = by(crawl, "/missing")
    assert missing["http"].statusline == "404 Not Here"
    [headers] = by(crawl, "/headers")
    raw = first_member(headers["file"], headers["offset"])
    head = raw.split(b"\r\n\r\n", 2)[1]
    assert b"\r\nx-MiXeD-case:no-space\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n" in head + b"\r\n"


def test_body_as_on_the_wire_and_decoded_capture(crawl):
    site = crawl.site
    [g] = by(crawl, "/gzip")
    assert g["http"].get_header("Content-Encoding") == "gzip"
    assert g["payload"] == site.sent["/gzip"]  # still gzip-encoded
    cap = next(c for c in crawl.live if c["url"].endswith("/gzip"))
    import hashlib

    assert cap["body_sha1"] == hashlib.sha1(gzip.decompress(site.sent["/gzip"])).hexdigest()
    for path in ("/chunked", "/chunked-gzip"):
        [c] = by(crawl, path)
        assert c["payload"] == site.sent[path]  # de-chunked
        assert c["http"].get_header("Transfer-Encoding") is None  # and the header removed
    [cg] = by(crawl, "/chunked-gzip")
    assert cg["http"].get_header("Content-Encoding") == "gzip"


def test_digests_ip_and_query_strings(crawl):
    for r in crawl.records:
        if r["type"] == "response":
            assert r["h"]["WARC-Payload-Digest"] == sha1_digest(r["payload"])
            assert r["h"]["WARC-IP-Address"] == "127.0.0.1"
            assert r["h"]["WARC-Block-Digest"].startswith("sha1:")
    assert by(crawl, "/list?page=2&sort=date")
    req = [
        r
        for r in crawl.records
        if r["type"] == "request" and r["h"]["WARC-Target-URI"].endswith("/list?page=2&sort=date")
    ]
    assert (req[0]["http"].protocol, req[0]["http"].statusline) == (
        "GET",
        "/list?page=2&sort=date HTTP/1.1",
    )  # the request line as sent


def test_network_failure_is_a_capture_and_a_metadata_record(crawl):
    fails = [c for c in crawl.live if c["record_type"] == "failure"]
    gone = [c for c in fails if c["url"].endswith("/gone")]
    assert gone and all(c["status"] is None and "refused" in c["error"].lower() for c in gone)
    rec = next(
        r
        for r in crawl.records
        if r["file"].name == gone[0]["warc_filename"] and r["offset"] == gone[0]["warc_offset"]
    )
    assert rec["type"] == "metadata" and b"fetch-error: " in rec["payload"]


def test_identical_payload_becomes_revisit(crawl):
    a, b = by(crawl, "/dup-a")[0], by(crawl, "/dup-b")[0]
    first, second = sorted([a, b], key=lambda r: r["offset"])
    assert first["type"] == "response" and first["payload"] == DUP
    assert second["type"] == "revisit" and second["payload"] == b""
    h = second["h"]
    assert h["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert h["WARC-Refers-To-Target-URI"] == first["h"]["WARC-Target-URI"]
    assert h["WARC-Refers-To-Date"] == first["h"]["WARC-Date"]
    assert h["WARC-Payload-Digest"] == first["h"]["WARC-Payload-Digest"]


def test_reading_back_gives_the_live_captures(crawl):
    back = [capture_dict(c) for c in iter_captures(crawl.files)]
    assert back == as_read_back(crawl.live)
    assert any(c["record_type"] == "revisit" and c["body_sha1"] for c in back)


def test_a_live_revisit_says_where_its_original_is(crawl):
    revisits = [c for c in crawl.live if c["record_type"] == "revisit"]
    assert revisits
    for c in revisits:
        (original,) = [
            o
            for o in crawl.live
            if o["record_type"] == "response"
            and o["url"] == c["refers_to_url"]
            and o["payload_digest"] == c["payload_digest"]
        ]
        assert tuple(c["original_at"]) == (
            original["warc_filename"],
            original["warc_offset"],
            original["warc_length"],
        )


def test_single_record_file(crawl, tmp_path):
    cap = next(c for c in crawl.live if c["url"].endswith("/gzip"))
    out = write_single_record(
        crawl.data / "warc" / cap["warc_filename"],
        cap["warc_offset"],
        cap["warc_length"],
        tmp_path / "one.warc.gz",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout
    recs = list(ArchiveIterator(open(out, "rb")))
    assert len(recs) == 1
    body = read_payload(out, 0, out.stat().st_size)
    assert body == gzip.decompress(crawl.site.sent["/gzip"])


def test_no_crawl_without_warc(tmp_path):
    """If the WARC files cannot be written, the crawl stops instead of fetching unarchived."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with Site() as site:
        out = run_crawl(
            tmp_path,
            [site.base + "/"],
            crawl_settings(tmp_path / "data", "nw", WARC_DIR=str(blocker / "warc")),
        )
        assert out.read_text() == ""
        assert not [p for _, p, _ in site.log if p != "/robots.txt"]


def test_record_command_writes_the_documents_record(crawl, tmp_path):
    from click.testing import CliRunner

    import archive.store.schema as store
    from cli.warc import record_command

    cap = next(c for c in crawl.live if c["url"].endswith("/fine"))
    db = store.connect(crawl.data / "archive.db")
    db["documents"].insert(
        {
            "id": "doc1",
            "url": cap["url"],
            "warc_filename": cap["warc_filename"],
            "warc_offset": cap["warc_offset"],
            "warc_length": cap["warc_length"],
        }
    )
    db.conn.commit()
    db.conn.close()
    out = tmp_path / "doc1.warc.gz"
    result = CliRunner().invoke(record_command, ["doc1", "--data", str(crawl.data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [rec] = [
        (
            r.rec_type,
            r.rec_headers.get_header("WARC-Target-URI"),
            r.http_headers.statusline,
            r.content_stream().read(),
        )
        for r in ArchiveIterator(open(out, "rb"))
    ]
    assert rec == ("response", cap["url"], "200 Fine", crawl.site.sent["/fine"])
    result = CliRunner().invoke(record_command, ["nope", "--data", str(crawl.data)])
    assert result.exit_code != 0 and "no document 'nope'" in result.output


def test_https_exchange_is_captured_as_sent_and_received(tmp_path):
    from tests.test_warc_support import self_signed

    data = tmp_path / "data"
    with Site(tls=self_signed(tmp_path)) as site:
        out = run_crawl(tmp_path, [site.base + "/fine"], crawl_settings(data, "tls"))
    live = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(c["url"], c["status"]) for c in live] == [
        (site.base + "/robots.txt", 200),
        (site.base + "/fine", 200),
    ]
    [f] = sorted((data / "warc").glob("*.warc.gz"))
    recs = [
        (
            r.rec_type,
            r.rec_headers.get_header("WARC-Target-URI"),
            r.http_headers,
            r.raw_stream.read(),
        )
        for r in ArchiveIterator(open(f, "rb"))
        if r.rec_type in ("response", "request")
    ]
    resp = next(r for r in recs if r[0] == "response" and r[1].endswith("/fine"))
    req = next(r for r in recs if r[0] == "request" and r[1].endswith("/fine"))
    assert resp[2].statusline == "200 Fine" and resp[3] == site.sent["/fine"]
    assert (
        req[2].statusline == "/fine HTTP/1.1"
        and req[2].get_header("Host") == f"127.0.0.1:{site.port}"
    )


def test_timeout_is_a_failure_capture(tmp_path):
    data = tmp_path / "data"
    with Site() as site:
        out = run_crawl(
            tmp_path,
            [site.base + "/slow"],
            crawl_settings(data, "slow", DOWNLOAD_TIMEOUT=1, RETRY_ENABLED=False),
        )
    live = [json.loads(x) for x in out.read_text().splitlines()]
    [slow] = [c for c in live if c["url"].endswith("/slow")]
    assert slow["status"] is None and slow["record_type"] == "failure"
    assert "took longer than 1" in slow["error"] and "Timeout" in slow["error"]
    assert [
        capture_dict(c) for c in iter_captures(sorted((data / "warc").glob("*.warc.gz")))
    ] == live


def test_cut_body_is_marked_truncated_or_a_failure(tmp_path):
    with Site() as site:
        out = run_crawl(
            tmp_path,
            [site.base + "/cut"],
            crawl_settings(tmp_path / "a", "cut", DOWNLOAD_FAIL_ON_DATALOSS=False),
            name="kept",
        )
        kept = [json.loads(x) for x in out.read_text().splitlines()]
        out = run_crawl(
            tmp_path,
            [site.base + "/cut"],
            crawl_settings(tmp_path / "b", "cut2", RETRY_ENABLED=False),
            name="failed",
        )
        failed = [json.loads(x) for x in out.read_text().splitlines()]
    [cut] = [c for c in kept if c["url"].endswith("/cut")]
    assert cut["status"] == 200 and cut["record_type"] == "response"
    [f] = sorted((tmp_path / "a" / "warc").glob("*.warc.gz"))
    [rec] = [
        (r.rec_headers.get_header("WARC-Truncated"), r.raw_stream.read())
        for r in ArchiveIterator(open(f, "rb"))
        if r.rec_type == "response" and r.rec_headers.get_header("WARC-Target-URI").endswith("/cut")
    ]
    assert rec == ("disconnect", site.sent["/cut"])
    [cut] = [c for c in failed if c["url"].endswith("/cut")]
    assert cut["record_type"] == "failure" and cut["status"] is None and cut["error"]


def _metadata_of(crawl, record) -> list[tuple[str, str]]:
    [meta] = [
        r
        for r in crawl.records
        if r["type"] == "metadata"
        and r["h"].get("WARC-Concurrent-To") == record["h"]["WARC-Record-ID"]
    ]
    return [
        tuple(x.strip() for x in line.split(":", 1))
        for line in meta["payload"].decode("utf-8").splitlines()
    ]


def test_metadata_records_carry_outlinks_and_charsets(crawl):
    base = crawl.site.base
    [home] = by(crawl, base + "/")
    fields = _metadata_of(crawl, home)
    outlinks = [v for k, v in fields if k == "outlink"]
    # every link of the page, resolved, with its kind: also those not followed
    # (disallowed by robots.txt, unreachable host)
    assert f"{base}/fine page" in outlinks and f"{base}/private/secret page" in outlinks
    assert f"{base}/list?page=2&sort=date page" in outlinks
    assert f"http://127.0.0.1:{crawl.site.refused_port}/gone page" in outlinks
    assert len(outlinks) == crawl.site.index().count(b"<a href=")
    got = dict(f for f in fields if f[0] != "outlink")
    assert got["charset-http-header"] == "utf-8" and got["charset-meta"] == "utf-8"
    assert got["charset-read-as"] == "utf-8"
    assert got["depth"] == "0"
    # a gzip body: facts of the decoded page; a 404 and non-HTML: none
    [gz] = by(crawl, "/gzip")
    assert dict(_metadata_of(crawl, gz))["charset-meta"] == "utf-8"
    for end in ("/missing", "/robots.txt", "/headers"):
        [rec] = by(crawl, end)
        assert not {k for k, _ in _metadata_of(crawl, rec)} & {"outlink", "charset-read-as"}, end


def test_one_payload_fetched_at_once_is_written_once(tmp_path):
    """Records are written on the writer thread while the reactor goes on: 16 URLs of one
    payload, fetched concurrently, still give one response record and 15 revisits that
    refer to it, and the capture state knows where that record is."""
    import sqlite3

    data = tmp_path / "data"
    with Site() as site:
        run_crawl(
            tmp_path,
            [site.base + "/dups"],
            crawl_settings(data, "c1", CONCURRENT_REQUESTS=16, CONCURRENT_REQUESTS_PER_DOMAIN=16),
        )
    recs = []
    for f in sorted((data / "warc").glob("*.warc.gz")):
        with open(f, "rb") as fh:
            it = ArchiveIterator(fh)
            for r in it:
                if "/dup-c" in (
                    r.rec_headers.get_header("WARC-Target-URI") or ""
                ) and r.rec_type in ("response", "revisit"):
                    payload = r.content_stream().read()
                    recs.append(
                        (
                            f.name,
                            it.get_record_offset(),
                            r.rec_type,
                            dict(r.rec_headers.headers),
                            payload,
                        )
                    )
    assert len(recs) == 16
    [resp] = [r for r in recs if r[2] == "response"]
    assert resp[4] == DUP
    for _f, _o, kind, h, _p in recs:
        if kind == "revisit":
            assert h["WARC-Refers-To-Target-URI"] == resp[3]["WARC-Target-URI"]
            assert h["WARC-Refers-To-Date"] == resp[3]["WARC-Date"]
    conn = sqlite3.connect(data / "warc-state.sqlite")
    rows = conn.execute(
        "select url, warc_filename, warc_offset from _digests where payload_digest = ?",
        [resp[3]["WARC-Payload-Digest"]],
    ).fetchall()
    assert rows == [(resp[3]["WARC-Target-URI"], resp[0], resp[1])]
    originals = {
        r[0] for r in conn.execute("select original_url from _validators where url like '%/dup-c%'")
    }
    assert originals == {resp[3]["WARC-Target-URI"]}


def test_zlib_compressor_writes_the_same_records(crawl, tmp_path):
    """WARC_COMPRESSOR only changes how the gzip members are made (ISA-L by default, or
    stdlib zlib): a crawl of the same site with zlib gives the same records, and both
    sets of files are compressed, one gzip member per record, readable by stdlib gzip."""
    data = tmp_path / "data"
    run_crawl(
        tmp_path,
        [crawl.site.base + "/"],
        crawl_settings(data, "c-zlib", WARC_COMPRESSOR="zlib", WARC_GZIP_LEVEL=9),
    )

    def payloads(files):
        """URI -> (record type, payload) of the response and revisit records."""
        out = {}
        for f in files:
            with open(f, "rb") as fh:
                for r in ArchiveIterator(fh):
                    if r.rec_type in ("response", "revisit"):
                        out[r.rec_headers.get_header("WARC-Target-URI")] = (
                            r.rec_type,
                            r.content_stream().read(),
                        )
        return out

    zfiles = sorted((data / "warc").glob("*.warc.gz"))
    ours, theirs = payloads(crawl.files), payloads(zfiles)
    assert ours and set(ours) == set(theirs)
    # of two pages with one payload the one fetched first is the response, the other a
    # revisit of it, and fetch order varies between crawls: compare where both are responses
    both = [u for u in ours if ours[u][0] == theirs[u][0] == "response"]
    assert len(both) >= len(ours) - 2
    assert all(ours[u] == theirs[u] for u in both)
    for files in (crawl.files, zfiles):
        raw = sum(len(gzip.decompress(f.read_bytes())) for f in files)
        assert sum(f.stat().st_size for f in files) < 0.6 * raw
    member = first_member(crawl.files[0], by(crawl, "/")[0]["offset"])
    assert member.startswith(b"WARC/1.1\r\n") and b"WARC-Type: response" in member


def test_capture_row_is_every_field_but_body_and_revisit_original():
    """``Capture.row`` (the captures table row) against ``dataclasses.asdict``, keys in
    order: the public schema's columns."""
    from dataclasses import asdict

    from archive.capture import Capture

    cap = Capture(
        url="http://h/a",
        status=200,
        content_type="text/html",
        warc_filename="f",
        warc_offset=1,
        warc_length=2,
        payload_digest="sha1:X",
        record_type="revisit",
        refers_to_url="http://h/b",
        refers_to_date="2026",
        body=b"x" * 100,
        depth=3,
        referrer="http://h/",
        original_at=("g", 5, 6),
    )
    want = asdict(cap)
    del want["body"], want["refers_to_date"], want["original_at"]
    assert list(cap.row().items()) == list(want.items())
