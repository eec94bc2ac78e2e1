"""Hostile input (issue 23): compression bombs, content codings, broken UTF-8 and deep pages
crawled from a loopback server that sends them, with the peak RSS of the real processes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.publish.serve import make_datasette
from archive.warc.read import MAX_DECODED
from tests import bombs
from tests.bombs import DOCX_TYPE, MB, PAGE, Hostile, peak_rss
from tests.conftest import crawl_cmd, run_cli

HTML = [("Content-Type", "text/html; charset=utf-8")]
RSS_LIMIT_MB = 1024


def captures(data: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(data / "archive.db")
    try:
        return {
            url.rsplit("/", 1)[1]: (status, error)
            for url, status, error in conn.execute(
                "select url, status, error from captures where record_type != 'failure'"
            )
        }
    finally:
        conn.close()


def documents(data: Path) -> dict[str, str]:
    conn = sqlite3.connect(data / "archive.db")
    try:
        return {
            url.rsplit("/", 1)[1]: text
            for url, text in conn.execute("select url, text from documents")
        }
    finally:
        conn.close()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_each_content_coding_is_decoded(coding):
    from archive.warc.read import decode_content

    assert decode_content(bombs.encode(PAGE, coding), coding) == PAGE


BOMBS = {
    "br": bombs.brotli_bomb,
    "zstd": bombs.zstd_bomb,
    "gzip": lambda: bombs.deflate_bomb(256 * MB, wbits=31),
    "deflate": lambda: bombs.deflate_bomb(256 * MB),
}


@pytest.mark.parametrize("coding", BOMBS)
def test_a_content_coding_bomb_is_an_error_in_bounded_memory(tmp_path, coding):
    """2 GB of br in 1.6 KB took the crawler to 2.2 GB of RSS; every coding now stops at
    MAX_DECODED (measured in a process of its own)."""
    bomb = tmp_path / "bomb"
    bomb.write_bytes(BOMBS[coding]())
    code = (
        "import sys\nfrom archive.warc.read import DecodingError, decode_content\n"
        "try:\n    decode_content(open(sys.argv[1], 'rb').read(), sys.argv[2])\n"
        "except DecodingError as exc:\n    print(exc)\n"
    )
    run = peak_rss([sys.executable, "-c", code, str(bomb), coding], tmp_path / "rss.json")
    assert run["stdout"].strip() == f"decoded body larger than {MAX_DECODED} bytes", run
    assert run["max_rss_mb"] < 400, run


def test_bombs_are_recorded_errors_and_no_process_passes_1_gb(tmp_path):
    """Every bomb ends as a recorded error (never an unbounded allocation) in a real crawl and
    in the reindex of its WARC files, and none of their processes (crawler, indexer, helper)
    reaches 1 GB of RSS; the pages beside the bombs still become documents."""
    bad_byte = PAGE.replace("第3段".encode(), "第3段".encode() + b"\xff")
    routes = {
        "/br-bomb.html": (HTML + [("Content-Encoding", "br")], bombs.brotli_bomb()),
        "/zstd-bomb.html": (HTML + [("Content-Encoding", "zstd")], bombs.zstd_bomb()),
        "/gzip-bomb.html": (
            HTML + [("Content-Encoding", "gzip")],
            bombs.deflate_bomb(256 * MB, wbits=31),
        ),
        "/zip-bomb.docx": ([("Content-Type", DOCX_TYPE)], bombs.docx_bomb()),
        "/stream-bomb.pdf": ([("Content-Type", "application/pdf")], bombs.pdf_bomb()),
        "/deep.html": (HTML, bombs.deep_page()),
        "/bad-byte.html": (HTML, bad_byte),
        "/fine.html": (HTML, PAGE),
    }
    data = tmp_path / "data"
    with Hostile(routes) as site:
        crawl = peak_rss(crawl_cmd(data, [site.base + "/"]), tmp_path / "crawl.json")
    assert crawl["returncode"] == 0, crawl["stderr"]
    assert crawl["max_rss_mb"] < RSS_LIMIT_MB, crawl
    too_large = f"content decoding failed: decoded body larger than {MAX_DECODED} bytes"
    expected = {
        "br-bomb.html": (200, too_large),
        "zstd-bomb.html": (200, too_large),
        "gzip-bomb.html": (200, too_large),
        "zip-bomb.docx": (200, "docx larger than 67108864 bytes unpacked (149000894): not read"),
        "stream-bomb.pdf": (200, "pdf streams larger than 67108864 bytes when decoded: not read"),
        "deep.html": (
            200,
            (
                "html not extracted: the parser stopped at a limit (Excessive depth "
                "in document: 256, use XML_PARSE_HUGE option)"
            ),
        ),
        "bad-byte.html": (200, None),
        "fine.html": (200, None),
    }
    assert {k: v for k, v in captures(data).items() if k in expected} == expected
    docs = documents(data)
    assert sorted(docs) == ["bad-byte.html", "fine.html"]
    assert docs["bad-byte.html"] == docs["fine.html"]  # the stray byte dropped, no mojibake

    reindex = peak_rss(
        [sys.executable, "-m", "cli.main", "reindex", "--data", str(data)],
        tmp_path / "reindex.json",
    )
    assert reindex["returncode"] == 0, reindex["stderr"]
    assert reindex["max_rss_mb"] < RSS_LIMIT_MB, reindex
    assert {k: v for k, v in captures(data).items() if k in expected} == expected
    assert documents(data) == docs


CODINGS = ("gzip", "deflate", "zstd", "br")


def _coded_routes() -> dict:
    """A report page per coding: gzip and deflate when asked for, zstd and br sent
    unasked (as a hostile or broken server does)."""
    return {
        f"/{c}.html": (
            HTML + [("Content-Encoding", c)],
            bombs.encode(PAGE + f"<!-- {c} -->".encode(), c),
        )
        for c in CODINGS
    }


def _warcio_check(python: str, files) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "warcio.cli", "check", "-v", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_each_content_coding_end_to_end(tmp_path):
    """Only gzip and deflate are asked for; a page in each of gzip, deflate, zstd and br
    becomes a document, in the crawl and in the reindex; ``union-archive record`` and
    ``/-/record/ID`` give each document's record, which passes ``warcio check`` (a br record's
    too: warcio decodes it with brotlicffi)."""
    data = tmp_path / "data"
    with Hostile(_coded_routes()) as site:
        proc = subprocess.run(
            crawl_cmd(data, [site.base + "/"]),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        asked = {h.get("Accept-Encoding") for _, h in site.log}
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert asked == {"gzip, deflate"}
    docs = documents(data)
    assert sorted(docs) == sorted(f"{c}.html" for c in CODINGS)
    assert len(set(docs.values())) == 1 and "维护职工合法权益" in docs["gzip.html"]
    assert {captures(data)[name] for name in docs} == {(200, None)}

    conn = sqlite3.connect(data / "archive.db")
    ids = {url.rsplit("/", 1)[1]: i for i, url in conn.execute("select id, url from documents")}
    conn.close()
    datasette = make_datasette(data)
    for c in CODINGS:
        out = tmp_path / f"{c}.warc.gz"
        rec = run_cli("record", ids[f"{c}.html"], "--data", str(data), "-o", str(out), timeout=60)
        assert rec.returncode == 0, rec.stderr
        served = asyncio.run(datasette.client.get(f"/-/record/{ids[f'{c}.html']}"))
        assert served.status_code == 200 and served.content == out.read_bytes()
        check = _warcio_check(sys.executable, [out])
        assert check.returncode == 0 and "digest pass" in check.stdout, check

    reindex = run_cli("reindex", "--data", str(data))
    assert reindex.returncode == 0, reindex.stderr
    assert documents(data) == docs
