"""Recrawls on the same data dir: revisits, conditional GET, history across processes;
rotation by size and recovery of a crashed (.open) file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.read import crawl_infos, iter_captures
from crawler.warc.writer import recover_open_files
from tests.test_warc_support import Site, as_read_back, capture_dict, crawl_settings, run_crawl


def records(files):
    out = []
    for f in files:
        with open(f, "rb") as fh:
            for r in ArchiveIterator(fh):
                out.append(
                    (
                        f.name,
                        r.rec_type,
                        dict(r.rec_headers.headers),
                        r.http_headers,
                        r.raw_stream.read(),
                    )
                )
    return out


def warcio_check(path):
    proc = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def recrawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("recrawl")
    data = tmp / "data"
    with Site() as site:
        run_crawl(tmp, [site.base + "/"], crawl_settings(data, "c1"), name="c1")
        first = set((data / "warc").glob("*.warc.gz"))
        n_log = len(site.log)
        out2 = run_crawl(tmp, [site.base + "/"], crawl_settings(data, "c2"), name="c2")
        second = set((data / "warc").glob("*.warc.gz")) - first
        log2 = site.log[n_log:]
        site.changed = True
        n_log = len(site.log)
        out3 = run_crawl(tmp, [site.base + "/"], crawl_settings(data, "c3"), name="c3")
        third = set((data / "warc").glob("*.warc.gz")) - first - second
        log3 = site.log[n_log:]
    yield type(
        "R",
        (),
        dict(
            data=data,
            site=site,
            first=sorted(first),
            second=sorted(second),
            third=sorted(third),
            log2=log2,
            log3=log3,
            live2=[json.loads(x) for x in out2.read_text().splitlines()],
            live3=[json.loads(x) for x in out3.read_text().splitlines()],
        ),
    )


def test_unchanged_recrawl_is_revisits(recrawl):
    first = {h["WARC-Target-URI"]: h for _, t, h, _, _ in records(recrawl.first) if t == "response"}
    recs = [r for r in records(recrawl.second) if r[1] in ("response", "revisit")]
    by_url = {h["WARC-Target-URI"]: (t, h, http, p) for _, t, h, http, p in recs}
    base = recrawl.site.base
    # conditional GET with the stored validators, 304 written as server-not-modified
    etag_req = [h for m, p, h in recrawl.log2 if p == "/etag"]
    assert etag_req and etag_req[0].get("If-None-Match") == '"v1"'
    lm_req = [h for m, p, h in recrawl.log2 if p == "/lm"]
    assert lm_req and lm_req[0].get("If-Modified-Since")
    for path in ("/etag", "/lm"):
        t, h, http, payload = by_url[base + path]
        assert t == "revisit" and http.get_statuscode() == "304"
        assert h["WARC-Profile"].endswith("/revisit/server-not-modified")
        assert h["WARC-Refers-To-Target-URI"] == base + path
        assert h["WARC-Refers-To-Date"] == first[base + path]["WARC-Date"]
    # a retried conditional request stays conditional: its 304 is a revisit too
    flaky = [
        (t, http.get_statuscode())
        for _, t, h, http, _ in recs
        if h["WARC-Target-URI"] == base + "/flaky"
    ]
    assert flaky == [("response", "503"), ("revisit", "304")]
    assert [h.get("If-None-Match") for m, p, h in recrawl.log2 if p == "/flaky"] == ['"f1"', '"f1"']
    # unchanged payloads from the first crawl: identical-payload-digest revisits
    for path in ("/", "/fine", "/gzip", "/chunked", "/target?x=1&y=%E4%B8%AD"):
        t, h, http, payload = by_url[base + path]
        assert t == "revisit" and payload == b"", path
        assert h["WARC-Profile"].endswith("/revisit/identical-payload-digest")
        assert h["WARC-Refers-To-Target-URI"] == base + path
        assert h["WARC-Refers-To-Date"] == first[base + path]["WARC-Date"]
        assert h["WARC-Payload-Digest"] == first[base + path]["WARC-Payload-Digest"]
    # a revisit of the same URL leaves the payload's facts (outlinks, charsets) to the
    # record it refers to; the crawl's own facts (depth, referrer) are still written
    revisit_ids = {
        h["WARC-Record-ID"]
        for _, t, h, _, _ in records(recrawl.second)
        if t == "revisit" and h["WARC-Refers-To-Target-URI"] == h["WARC-Target-URI"]
    }
    metas = [
        p
        for _, t, h, _, p in records(recrawl.second)
        if t == "metadata" and h.get("WARC-Concurrent-To") in revisit_ids
    ]
    assert metas and all(
        b"outlink:" not in p and b"charset-" not in p and b"depth:" in p for p in metas
    )
    assert any(b"outlink: " in p for _, t, _, _, p in records(recrawl.first) if t == "metadata")
    # robots.txt is small: stored again, and never asked conditionally
    assert not any(
        "If-None-Match" in h or "If-Modified-Since" in h
        for m, p, h in recrawl.log2
        if p == "/robots.txt"
    )
    for f in recrawl.second:
        warcio_check(f)


def test_recrawl_adds_few_bytes(recrawl):
    size1 = sum(f.stat().st_size for f in recrawl.first)
    size2 = sum(f.stat().st_size for f in recrawl.second)
    # this site's pages are tiny, so record headers dominate; benchmarks/bench_warc.py measures
    # realistic 24 KB pages.  Here: the payload bytes are gone from the recrawl.
    payload1 = sum(len(p) for _, t, _, _, p in records(recrawl.first) if t == "response")
    payload2 = sum(
        len(p) for _, t, _, _, p in records(recrawl.second) if t in ("response", "revisit")
    )
    assert payload2 < 0.1 * payload1, (payload1, payload2)
    assert size2 < 0.95 * size1, (size1, size2)


def test_changed_pages_are_stored_again(recrawl):
    recs = {
        h["WARC-Target-URI"]: (t, http)
        for _, t, h, http, _ in records(recrawl.third)
        if t in ("response", "revisit")
    }
    base = recrawl.site.base
    t, http = recs[base + "/etag"]
    assert t == "response" and http.get_statuscode() == "200" and http.get_header("ETag") == '"v2"'
    assert recs[base + "/fine"][0] == "response"
    assert recs[base + "/dup-a"][0] == "revisit"  # still the same payload as crawl 1


def test_revisit_captures_read_back_like_live(recrawl):
    # revisit bodies come from the original records, so read the files from the first crawl on
    back = [capture_dict(c) for c in iter_captures(recrawl.first + recrawl.second)]
    back = [c for c in back if c["crawl_id"] == "c2"]
    assert back == as_read_back(recrawl.live2)
    assert all(c["body_sha1"] for c in back if c["record_type"] == "revisit" and c["status"] == 200)
    etag = next(c for c in back if c["url"].endswith("/etag"))
    assert etag["record_type"] == "revisit" and etag["status"] == 304 and etag["refers_to_url"]
    # live, the 304's revisit names its original: the first crawl's response of that URL
    first = [capture_dict(c) for c in iter_captures(recrawl.first)]
    (original,) = [c for c in first if c["url"] == etag["url"] and c["record_type"] == "response"]
    live_etag = next(c for c in recrawl.live2 if c["url"] == etag["url"])
    assert tuple(live_etag["original_at"]) == (
        original["warc_filename"],
        original["warc_offset"],
        original["warc_length"],
    )
    infos = crawl_infos(recrawl.first + recrawl.second + recrawl.third)
    assert list(infos) == ["c1", "c2", "c3"]


def test_rotation_by_size(tmp_path):
    data = tmp_path / "data"
    with Site() as site:
        out = run_crawl(
            tmp_path, [site.base + "/"], crawl_settings(data, "rot", WARC_MAX_SIZE=6000)
        )
    live = [json.loads(x) for x in out.read_text().splitlines()]
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert len(files) >= 3
    serials = [int(f.name.split("-")[2].split(".")[0]) for f in files]
    assert serials == list(range(len(files)))
    for f in files:
        warcio_check(f)
        with open(f, "rb") as fh:
            assert next(iter(ArchiveIterator(fh))).rec_type == "warcinfo"
    assert [capture_dict(c) for c in iter_captures(files)] == as_read_back(live)
    assert (data / "indexes" / "rot.cdxj").exists()


def test_crashed_open_file_is_cut_to_complete_records(tmp_path):
    data = tmp_path / "data"
    with Site() as site:
        run_crawl(tmp_path, [site.base + "/"], crawl_settings(data, "x"))
    [f] = sorted((data / "warc").glob("*.warc.gz"))
    full = f.read_bytes()
    crashed = tmp_path / "crash"
    crashed.mkdir()
    partial = crashed / (f.name + ".open")
    partial.write_bytes(full[: len(full) * 2 // 3])  # killed in the middle of a record
    [recovered] = recover_open_files(crashed)
    assert recovered.name == f.name and not partial.exists()
    warcio_check(recovered)
    kept = recovered.read_bytes()
    assert full.startswith(kept) and 0 < len(kept) < len(full) * 2 // 3
    n_full = sum(1 for _ in ArchiveIterator(open(f, "rb")))
    n_kept = sum(1 for _ in ArchiveIterator(open(recovered, "rb")))
    assert 1 < n_kept < n_full


def test_history_rebuilt_from_warcs_when_state_file_is_lost(tmp_path):
    data = tmp_path / "data"
    with Site() as site:
        run_crawl(tmp_path, [site.base + "/"], crawl_settings(data, "a"), name="a")
        first = set((data / "warc").glob("*.warc.gz"))
        (data / "warc-state.sqlite").unlink()
        for side in ("-wal", "-shm"):
            (data / f"warc-state.sqlite{side}").unlink(missing_ok=True)
        n = len(site.log)
        run_crawl(tmp_path, [site.base + "/"], crawl_settings(data, "b"), name="b")
        log = site.log[n:]
    assert any(p == "/etag" and h.get("If-None-Match") == '"v1"' for _, p, h in log)
    second = sorted(set((data / "warc").glob("*.warc.gz")) - first)
    types = {
        h["WARC-Target-URI"].split("/", 3)[-1]: t
        for _, t, h, _, _ in records(second)
        if t in ("response", "revisit")
    }
    assert types["fine"] == "revisit" and types["etag"] == "revisit"
