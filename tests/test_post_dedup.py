"""A POST's answer is never written as a revisit: a real crawl of a loopback portal whose
old JSP list is paged by POST ``pgno=N`` and whose answers repeat bytes a GET fetched (page
2 is page 1 again: the server ignores the form), or a GET fetches later (page 3 is the page
it links to).  The CDXJ index keys a POST answer by its request only when it is a response
record, so each is one, found by ``lookup`` with its form; the GET answers stay where they
were, and a POST answer is no GET's original."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.cdxj import lookup
from archive.warc.read import read_record
from tests.conftest import crawl_cmd
from tests.hostile import Loopback

FORM = "application/x-www-form-urlencoded"
FILLER = "<p>" + "各级工会组织深入学习贯彻会议精神，推动工会工作高质量发展。" * 12 + "</p>"

LIST = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>工会资讯</title></head>
<body><h1>工会资讯</h1><ul><li><a href="/news/1.html">市总工会召开全委会议</a></li></ul>
{FILLER}
<form name="pageForm" method="post" action="list.jsp?cid=7">
<input type="hidden" name="pgno" value="1"></form>
<div>共3页 <a href="javascript:goPage(2)">下一页</a> <a href="javascript:goPage(3)">尾页</a></div>
<script>function goPage(n){{document.pageForm.pgno.value=n;document.pageForm.submit();}}
</script></body></html>""".encode()

LATE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>往期资讯</title></head>
<body><h1>往期资讯</h1><ul><li><a href="/late.html">往期资讯汇编</a></li></ul>
{FILLER}</body></html>""".encode()

ARTICLE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>全委会议</title>
</head><body><h1>市总工会召开全委会议</h1>{FILLER}{FILLER}</body></html>""".encode()


def portal(h) -> None:
    """GET: the list's first page, an article, the late page; POST to the list: pgno=2
    answers page 1's bytes again, pgno=3 the late page's."""
    path = h.path
    if h.command == "POST":
        form = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        body = {b"pgno=2": LIST, b"pgno=3": LATE}.get(form) if path == "/list.jsp?cid=7" else None
    else:
        body = {"/list.jsp?cid=7": LIST, "/news/1.html": ARTICLE, "/late.html": LATE}.get(path)
    h.send_response(200 if body else 404)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body or b"")))
    h.end_headers()
    h.wfile.write(body or b"")


def exchanges(warc_dir: Path) -> list[tuple[str, str, bytes, str, bytes]]:
    """(method, URL, request body, record type, payload) of every answer in the WARC files,
    each answer paired with its request record."""
    answers, requests = {}, {}
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                rh = record.rec_headers
                if record.rec_type in ("response", "revisit"):
                    answers[rh.get_header("WARC-Record-ID")] = (
                        rh.get_header("WARC-Target-URI"),
                        record.rec_type,
                        record.content_stream().read(),
                    )
                elif record.rec_type == "request":
                    requests[rh.get_header("WARC-Concurrent-To")] = (
                        record.http_headers.protocol,
                        record.content_stream().read(),
                    )
    return [
        (requests[rid][0], url, requests[rid][1], kind, payload)
        for rid, (url, kind, payload) in answers.items()
    ]


def record_at(data: Path, entry: dict) -> tuple[str, bytes]:
    """(record type, payload) of the record an index entry points at."""
    raw = read_record(data / "warc" / entry["filename"], int(entry["offset"]), int(entry["length"]))
    record = next(iter(ArchiveIterator(io.BytesIO(raw))))
    return record.rec_type, record.content_stream().read()


def test_post_answers_are_responses_keyed_by_their_forms(tmp_path):
    data = tmp_path / "data"
    with Loopback(portal, post=True) as server:
        cmd = crawl_cmd(
            data,
            [server.url + "list.jsp?cid=7"],
            "--delay",
            "0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    url = server.url + "list.jsp?cid=7"
    seen = sorted(
        (m, u.removeprefix(server.base), b, t) for m, u, b, t, _ in exchanges(data / "warc")
    )
    assert [x for x in seen if x[1] != "/robots.txt"] == [
        ("GET", "/late.html", b"", "response"),  # a POST answer is no GET's original
        ("GET", "/list.jsp?cid=7", b"", "response"),
        ("GET", "/news/1.html", b"", "response"),
        ("POST", "/list.jsp?cid=7", b"pgno=2", "response"),
        ("POST", "/list.jsp?cid=7", b"pgno=3", "response"),
    ]
    [index] = (data / "indexes").glob("*.cdxj")
    [get] = lookup(index, url)
    assert record_at(data, get) == ("response", LIST)
    for form, body in ((b"pgno=2", LIST), (b"pgno=3", LATE)):
        [post] = lookup(index, url, "POST", form, FORM)
        assert post["method"] == "POST" and post["requestBody"] == form.decode()
        assert record_at(data, post) == ("response", body)
        assert (post["filename"], post["offset"]) != (get["filename"], get["offset"])
    [late] = lookup(index, server.url + "late.html")
    assert record_at(data, late) == ("response", LATE)
