"""POST answers in the crawl's CDXJ index: a real crawl of the zoo's ``hanweb`` site, whose old
JSP column POSTs ``pgno=N`` to one URL for each later page and whose jcms proxy is asked by POST
only.  Each answer has its own line, keyed by its request as cdxj-indexer (post-append) and
pywb key it; ``lookup`` finds the one a request asks for; an index written before still reads
and ``union-archive reindex`` rewrites it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archive.warc.cdxj import lookup, read_index, request_key, write_index
from archive.warc.read import decode_content, header, read_record
from tests.conftest import crawl_cmd, run_cli
from tests.test_warc_replay import index_paths_agree
from zoo import Zoo

FORM = "application/x-www-form-urlencoded"
OLD_LIST = "/oldsite/column.jsp?cid=222"  # page 1 by GET, pages 2 and 3 by POST pgno=N
PAGES = 3


@pytest.fixture(scope="module")
def hanweb(tmp_path_factory):
    data = tmp_path_factory.mktemp("hanweb") / "data"
    with Zoo() as z:
        cmd = crawl_cmd(
            data, [z.urls["hanweb"]], "--delay", "0.1", "-s", "AUTOTHROTTLE_ENABLED=False"
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        [index] = (data / "indexes").glob("*.cdxj")
        yield SimpleNamespace(data=data, index=index, base=z.urls["hanweb"].rstrip("/"))


def answer(data: Path, entry: dict) -> bytes:
    """The decoded body of the record an index entry points at."""
    raw = read_record(data / "warc" / entry["filename"], int(entry["offset"]), int(entry["length"]))
    record = next(iter(ArchiveIterator(io.BytesIO(raw))))
    encoding = header(list(record.http_headers.headers), "Content-Encoding")
    return decode_content(record.raw_stream.read(), encoding)


def page_of(body: bytes) -> str:
    return f"第{body.decode('gbk').split('第', 2)[-1].split('页', 1)[0]}页"


def at(line: str) -> tuple[str, str]:
    fields = json.loads(line.split(" ", 2)[2])
    return fields["filename"], fields["offset"]


def test_post_lists_are_indexed_the_same_both_ways(hanweb, tmp_path, monkeypatch):
    """Live lines and cdxj-indexer's on the files agree on a crawl with POST lists; its GET
    lines are byte for byte those of cdxj-indexer without post-append, the POST ones are
    keyed by their request, each its own key."""
    from cdxj_indexer.main import CDXJIndexer

    lines = index_paths_agree(hanweb.data, tmp_path, monkeypatch).splitlines()
    warcs = sorted((hanweb.data / "warc").glob("*.warc.gz"))
    plain = tmp_path / "plain.cdxj"
    CDXJIndexer(str(plain), [str(p) for p in warcs], sort=True).process_all()
    by_url = {at(line): line for line in plain.read_text(encoding="utf-8").splitlines()}
    assert len(by_url) == len(lines)
    posts = [line for line in lines if '"method": "POST"' in line]
    assert len(posts) == 4  # two pages of the jcms proxy, two pgno pages
    for line in lines:
        if line in posts:
            assert "__wb_method=post&" in line.split(" ", 1)[0] and by_url[at(line)] != line
        else:
            assert by_url[at(line)] == line
    keys = [line.split(" ", 1)[0] for line in lines if "/oldsite/column.jsp" in line]
    assert len(keys) == len(set(keys)) == PAGES


def test_each_post_answer_is_found_by_its_request(hanweb):
    """``lookup`` gives the answer to the request asked (GET: page 1; POST pgno=N: page N),
    or every answer to the URL, each with its method and form."""
    url = hanweb.base + OLD_LIST
    [first] = lookup(hanweb.index, url)
    assert "method" not in first and page_of(answer(hanweb.data, first)) == f"第1/{PAGES}页"
    for n in range(2, PAGES + 1):
        form = f"cid=222&pgno={n}".encode()
        [entry] = lookup(hanweb.index, url, "POST", form, FORM)
        assert entry["method"] == "POST" and entry["requestBody"] == form.decode()
        assert page_of(answer(hanweb.data, entry)) == f"第{n}/{PAGES}页"
    every = lookup(hanweb.index, url, None)
    assert sorted((e.get("method", "GET"), e.get("requestBody", "")) for e in every) == [
        ("GET", ""),
        ("POST", "cid=222&pgno=2"),
        ("POST", "cid=222&pgno=3"),
    ]
    assert lookup(hanweb.index, url, "POST", b"cid=222&pgno=9", FORM) == []
    # the jcms proxy's answer, found by the very form the crawler posted (UTF-8, %-encoded)
    jpage = hanweb.base + "/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3"
    form = (
        b"col=1&appid=1&webid=12&path=%2F&columnid=1201&unitid=47023"
        b"&webname=%E6%B1%9F%E6%B7%AE%E7%9C%81%E6%80%BB%E5%B7%A5%E4%BC%9A&permissiontype=0"
    )
    [entry] = lookup(hanweb.index, jpage, "POST", form, FORM)
    assert answer(hanweb.data, entry).count(b"<record>") == 3
    assert lookup(hanweb.index, jpage) == []  # nothing was fetched from it by GET
    keys = {k for k, _, _ in read_index(hanweb.index)}
    assert request_key(jpage, "POST", form, FORM) in keys


def test_an_index_from_before_still_reads_and_reindex_rewrites_it(hanweb, tmp_path):
    """An index written without the requests in its keys (cdxj-indexer's default) still
    reads: a URL's answers by ``lookup``, as before; ``union-archive verify`` says so and
    names the repair, ``union-archive reindex``, which rewrites it with them."""
    from cdxj_indexer.main import CDXJIndexer

    data = tmp_path / "data"
    shutil.copytree(hanweb.data, data)
    index = data / "indexes" / hanweb.index.name
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    CDXJIndexer(str(index), [str(p) for p in warcs], sort=True).process_all()
    url = hanweb.base + OLD_LIST
    old = lookup(index, url)
    assert len(old) == PAGES and all("method" not in e for e in old)
    assert lookup(index, url, "POST", b"cid=222&pgno=2", FORM) == []
    proc = run_cli("verify", "--data", str(data))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "4 POST answer(s) keyed by their URL alone" in proc.stdout
    assert f"union-archive reindex --data {data}" in proc.stdout
    proc = run_cli("reindex", "--data", str(data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run_cli("verify", "--data", str(data))
    assert proc.returncode == 0 and "all well" in proc.stdout, proc.stdout + proc.stderr
    assert index.read_text(encoding="utf-8") == hanweb.index.read_text(encoding="utf-8")
    assert index.read_text() == write_index(warcs, tmp_path / "read.cdxj").read_text()
    [entry] = lookup(index, url, "POST", b"cid=222&pgno=2", FORM)
    assert page_of(answer(data, entry)) == f"第2/{PAGES}页"


def test_wacz_index_keys_post_answers_and_lists_no_post_page(hanweb, tmp_path):
    """ReplayWeb.page reads the WACZ's own index: the crawl's index, POST keys and all; its
    pages are what a GET opens, never a POST's answer."""
    from cli.publish import wacz_command

    out = tmp_path / "hanweb.wacz"
    result = CliRunner().invoke(wacz_command, ["--data", str(hanweb.data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        cdx = z.read("indexes/index.cdx").decode("utf-8")
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert cdx == hanweb.index.read_text(encoding="utf-8")
    url = hanweb.base + OLD_LIST
    [first] = lookup(hanweb.index, url)
    assert [p["ts"] for p in pages if p["url"] == url] == [
        datetime.strptime(first["timestamp"], "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
    ]
