"""Every content coding end to end: a Chinese report page sent in gzip, deflate (zlib-wrapped),
raw deflate (what broken servers send as ``deflate``), br (sent unasked) and identity, crawled
over HTTP on 127.0.0.1 into WARC; the records hold the bytes as sent, each page becomes a
document with its own text (in the crawl and in the reindex), the export has it, Datasette's
``/-/record/ID`` serves a record whose payload is the wire bytes, warcio's own reading decodes
it, and pywb replays each page, as stored (``id_``) and rewritten, with its text."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.publish.serve import make_datasette
from archive.warc.read import decode_content
from tests.bombs import Hostile
from tests.conftest import crawl_cmd, run_cli
from tests.sql import rows
from tests.test_pywb_replay import pywb_collection, running_wayback


def _raw_deflate(body: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(body) + c.flush()


# name -> (Content-Encoding sent, encoder, the district whose report the page is)
CODINGS = {
    "gzip": ("gzip", lambda b: gzip.compress(b, mtime=0), "甲"),
    "deflate": ("deflate", zlib.compress, "乙"),
    "deflate-raw": ("deflate", _raw_deflate, "丙"),
    "br": ("br", brotli.compress, "丁"),
    "identity": (None, lambda b: b, "戊"),
}


def page(district: str) -> bytes:
    paragraphs = "".join(
        f"<p>第{i}段：{district}区总工会坚持以职工为中心，推进工资集体协商，"
        f"维护职工合法权益，开展劳模评选。</p>"
        for i in range(30)
    )
    return (
        f"<html><head><meta charset='utf-8'><title>{district}区总工会2023年工作报告</title>"
        f"</head><body><h1>{district}区总工会2023年工作报告</h1>{paragraphs}</body></html>"
    ).encode()


def sentence(district: str) -> str:
    return f"{district}区总工会坚持以职工为中心"


WIRE = {name: enc(page(district)) for name, (_, enc, district) in CODINGS.items()}


def _routes() -> dict:
    html = [("Content-Type", "text/html; charset=utf-8")]
    return {
        f"/{name}.html": (html + ([("Content-Encoding", ce)] if ce else []), WIRE[name])
        for name, (ce, _, _) in CODINGS.items()
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("codings")
    with Hostile(_routes()) as site:
        proc = subprocess.run(
            crawl_cmd(data, [site.base + "/"]),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    urls = {name: f"{site.base}/{name}.html" for name in CODINGS}
    return type("C", (), dict(data=data, urls=urls))


def _documents(data: Path) -> dict[str, dict]:
    docs = rows(data / "archive.db", "select id, url, text from documents")
    return {d["url"].rsplit("/", 1)[1].removesuffix(".html"): d for d in docs}


def _records(data: Path) -> dict[str, tuple]:
    """name -> (Content-Encoding header, payload as stored) of each page's response record."""
    out = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                name = record.rec_headers.get_header("WARC-Target-URI").rsplit("/", 1)[1]
                if name.removesuffix(".html") in CODINGS:
                    ce = record.http_headers.get_header("Content-Encoding")
                    out[name.removesuffix(".html")] = (ce, record.raw_stream.read())
    return out


def test_the_warc_records_hold_the_wire_bytes(crawled):
    records = _records(crawled.data)
    assert sorted(records) == sorted(CODINGS)
    for name, (ce, _, _) in CODINGS.items():
        assert records[name] == (ce, WIRE[name]), name


def test_each_coding_becomes_a_document_with_its_text(crawled):
    errors = rows(crawled.data / "archive.db", "select url, error from captures")
    assert [e for e in errors if e["error"]] == []
    docs = _documents(crawled.data)
    assert sorted(docs) == sorted(CODINGS)
    for name, (_, _, district) in CODINGS.items():
        assert sentence(district) in docs[name]["text"], name
        others = [d for n, (_, _, d) in CODINGS.items() if n != name]
        assert not any(sentence(d) in docs[name]["text"] for d in others), name


def test_the_export_has_each_documents_text(crawled, tmp_path):
    out = tmp_path / "docs.jsonl"
    proc = run_cli("export", "--data", str(crawled.data), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    exported = {
        row["url"].rsplit("/", 1)[1].removesuffix(".html"): row
        for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())
    }
    for name, (_, _, district) in CODINGS.items():
        assert sentence(district) in exported[name]["text"], name


def test_datasette_serves_each_documents_record(crawled):
    """``/-/record/ID``: one record whose block and payload digests check, whose payload is
    the wire bytes and decodes to the page; ``/-/text/ID`` the document's text."""
    datasette = make_datasette(crawled.data)
    docs = _documents(crawled.data)

    async def fetch():
        return {
            name: (
                await datasette.client.get(f"/-/record/{docs[name]['id']}"),
                await datasette.client.get(f"/-/text/{docs[name]['id']}"),
            )
            for name in CODINGS
        }

    for name, (record_answer, text_answer) in asyncio.run(fetch()).items():
        ce, _, district = CODINGS[name]
        assert record_answer.status_code == 200, (name, record_answer.text)
        read = []
        for record in ArchiveIterator(io.BytesIO(record_answer.content), check_digests=True):
            payload = record.raw_stream.read()
            read.append((record.rec_type, record.digest_checker.passed, payload))
        assert len(read) == 1, name
        [(kind, digests_pass, payload)] = read
        assert kind == "response" and digests_pass is not False, (name, kind)
        assert payload == WIRE[name], name
        assert decode_content(payload, ce) == page(district), name
        assert text_answer.status_code == 200 and sentence(district) in text_answer.text, name


def test_warcio_decodes_each_record_itself(crawled):
    """What any warcio reader does (``warcio check``, cdxj-indexer, a user's script): its own
    ``content_stream()`` removes the Content-Encoding, br included (warcio >= 1.8.2 decodes br
    with brotlicffi only; warcio 1.8.1 raised AttributeError on Scrapy's brotli)."""
    docs = _documents(crawled.data)
    datasette = make_datasette(crawled.data)

    async def fetch():
        return {n: await datasette.client.get(f"/-/record/{docs[n]['id']}") for n in CODINGS}

    for name, answer in asyncio.run(fetch()).items():
        district = CODINGS[name][2]
        for record in ArchiveIterator(io.BytesIO(answer.content)):
            assert record.content_stream().read() == page(district), name


def test_warcio_check_passes_each_record(crawled, tmp_path):
    """``union-archive record`` writes each document's record; the project's own warcio checks
    its digests (a br record's too)."""
    docs = _documents(crawled.data)
    files = []
    for name in CODINGS:
        out = tmp_path / f"{name}.warc.gz"
        proc = run_cli("record", docs[name]["id"], "--data", str(crawled.data), "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        files.append(out)
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") >= len(files), check.stdout


def test_reindex_gives_the_same_documents(crawled, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(crawled.data, data)
    before = {n: d["text"] for n, d in _documents(data).items()}
    proc = run_cli("reindex", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert {n: d["text"] for n, d in _documents(data).items()} == before


def _get(url: str) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def test_pywb_replays_each_coding(crawled, tmp_path):
    """pywb (its own venv, built as scripts/test.sh builds it) indexes the WARC files itself and
    replays every page: as stored (``id_``: the payload, decoded, is the page) and rewritten
    (``mp_``: pywb decodes the body to rewrite its links; the page's text is there)."""
    bin_dir = pywb_collection(tmp_path, "union", crawled.data)
    with running_wayback(tmp_path, bin_dir) as base:
        for name, (_, _, district) in CODINGS.items():
            url = crawled.urls[name]
            status, headers, body = _get(f"{base}/union/2030id_/{url}")
            assert status == 200 and headers.get("Memento-Datetime"), (name, status, body[:300])
            replayed = decode_content(body, headers.get("Content-Encoding"))
            assert replayed == page(district), name
            status, headers, body = _get(f"{base}/union/2030mp_/{url}")
            assert status == 200, (name, status, body[:300])
            text = decode_content(body, headers.get("Content-Encoding")).decode("utf-8")
            assert sentence(district) in text, name
