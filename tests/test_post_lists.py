"""Lists whose later pages are POSTs (Hanweb jcms jpage, old JSP pgno forms): a real crawl
of the zoo's ``hanweb`` site over HTTP, its WARC records read back with warcio, the archive
rebuilt by ``reindex``; and the pagers read from pages as real portals write them."""

from __future__ import annotations

import shutil
import subprocess
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from warcio.archiveiterator import ArchiveIterator

from archive.evaluate.zoo import text_f1
from crawler.post_lists import later_pages, record_links
from tests.conftest import crawl_cmd, run_cli
from tests.sql import rows
from zoo import Zoo

DELAY = 0.3  # seconds between requests to the host in the crawl below


@pytest.fixture(scope="module")
def hanweb(tmp_path_factory):
    data = tmp_path_factory.mktemp("hanweb")
    with Zoo() as z:
        cmd = crawl_cmd(
            data, [z.urls["hanweb"]], "--delay", str(DELAY), "-s", "AUTOTHROTTLE_ENABLED=False"
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        yield SimpleNamespace(
            data=data,
            proc=proc,
            zoo=z,
            log=z.requests("hanweb"),
            gold=[d for d in z.truth["documents"] if d["site"] == "hanweb"],
        )


def _warc_exchanges(data):
    """(request record fields, response record fields) of every exchange, from the WARCs."""
    responses, requests = {}, []
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                rid = record.rec_headers.get_header("WARC-Record-ID")
                if record.rec_type in ("response", "revisit"):
                    responses[rid] = {
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "status": record.http_headers.get_statuscode(),
                        "body": record.content_stream().read(),
                    }
                elif record.rec_type == "request":
                    requests.append(
                        {
                            "uri": record.rec_headers.get_header("WARC-Target-URI"),
                            "method": record.http_headers.protocol,
                            "content_type": record.http_headers.get_header("Content-Type"),
                            "length": record.http_headers.get_header("Content-Length"),
                            "body": record.content_stream().read(),
                            "to": record.rec_headers.get_header("WARC-Concurrent-To"),
                        }
                    )
    return [(req, responses[req["to"]]) for req in requests]


def test_every_report_behind_post_pages_is_archived(hanweb):
    assert hanweb.proc.returncode == 0, hanweb.proc.stderr[-3000:]
    docs = {
        (d["url"], d["part"]): d
        for d in rows(hanweb.data / "archive.db", "select * from documents")
    }
    assert len(hanweb.gold) == 16
    for g in hanweb.gold:
        doc = docs.get((g["url"], 0))
        assert doc is not None, g["url"]
        assert text_f1(g["text"], doc["text"]) >= 0.9, g["url"]
    # five reports are listed only by the jpage answers: reached from them, one click
    # below the column page (the answers are as deep as the page of their list)
    caps = rows(hanweb.data / "archive.db", "select * from captures where method = 'GET'")
    behind = [c for c in caps if "dataproxy.jsp" in (c["referrer"] or "")]
    column = next(c for c in caps if c["url"].endswith("/col/col1201/index.html"))
    assert len(behind) == 5 and {c["url"] for c in behind} <= {g["url"] for g in hanweb.gold}
    assert {c["depth"] for c in behind} == {column["depth"] + 1}
    first_page = next(r for r in _warc_exchanges(hanweb.data) if r[0]["uri"] == column["url"])[1][
        "body"
    ].decode()
    assert not [c for c in behind if urlsplit(c["url"]).path in first_page]


def test_the_post_pages_are_asked_as_the_site_scripts_ask(hanweb):
    posts = [r for r in hanweb.log if r["method"] == "POST"]
    jpage = sorted(r["path"] for r in posts if r["path"].startswith("/module/web/jpage/"))
    assert jpage == [
        "/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3",
        "/module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=8&perpage=3",
    ]
    for r in posts:
        if r["path"].startswith("/module/web/jpage/"):
            form = {k: v[0] for k, v in parse_qs(r["body"].encode("latin-1").decode()).items()}
            assert form == {
                "col": "1",
                "appid": "1",
                "webid": "12",
                "path": "/",
                "columnid": "1201",
                "unitid": "47023",
                "webname": "江淮省总工会",
                "permissiontype": "0",
            }
            assert r["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
            assert r["headers"]["X-Requested-With"] == "XMLHttpRequest"
            assert r["status"] == 200
    pgno = sorted(r["body"] for r in posts if r["path"] == "/oldsite/column.jsp?cid=222")
    assert pgno == ["cid=222&pgno=2", "cid=222&pgno=3"]
    # the dataproxy is never asked by GET (jcms answers 405), nor any path robots.txt forbids
    assert not [r for r in hanweb.log if "dataproxy" in r["path"] and r["method"] != "POST"]
    assert not [r for r in hanweb.log if r["path"].startswith("/module/jslib/")]
    assert [r["path"] for r in hanweb.log][0] == "/robots.txt"
    # the per-host delay holds before every POST (Scrapy randomises it to 0.5x-1.5x)
    times = [r["time"] for r in hanweb.log]
    for i, r in enumerate(hanweb.log):
        if r["method"] == "POST":
            gap = times[i] - times[i - 1]
            assert gap >= 0.5 * DELAY - 0.05, (r["path"], gap)


def test_warc_holds_the_post_requests_with_their_bodies(hanweb):
    exchanges = _warc_exchanges(hanweb.data)
    posts = [(req, resp) for req, resp in exchanges if req["method"] == "POST"]
    sent = sorted(
        (r["path"], r["body"].encode("latin-1")) for r in hanweb.log if r["method"] == "POST"
    )
    archived = sorted(("/" + req["uri"].split("/", 3)[3], req["body"]) for req, _ in posts)
    assert len(archived) == 4 and archived == sent
    for req, resp in posts:
        assert req["content_type"] == "application/x-www-form-urlencoded"
        assert int(req["length"]) == len(req["body"])
        assert resp["uri"] == req["uri"] and resp["status"] == "200"
        if "dataproxy" in req["uri"]:
            assert resp["body"].startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>')
        else:
            assert "第".encode("gbk") in resp["body"]
    # every other exchange is a GET with an empty body
    assert all(req["body"] == b"" for req, _ in exchanges if req["method"] == "GET")
    assert len(exchanges) == len(hanweb.log)


def test_post_pages_give_links_not_documents_and_reindex_agrees(hanweb, tmp_path):
    db = hanweb.data / "archive.db"
    posts = rows(db, "select * from captures where method = 'POST' order by url, id")
    assert len(posts) == 4 and all(c["status"] == 200 and not c["error"] for c in posts)
    proxy = [c for c in posts if "dataproxy" in c["url"]]
    assert not rows(db, "select url from documents where url in (?, ?)", [c["url"] for c in proxy])
    # the old column's first page (GET) and its POST pages share a URL: still no document
    assert not rows(db, "select url from documents where url like '%column.jsp%'")
    column = rows(db, "select depth from captures where url like '%col1201/index.html'")
    assert {c["depth"] for c in proxy} == {column[0]["depth"]}  # pages of the same list
    copy = tmp_path / "copy"
    shutil.copytree(hanweb.data / "warc", copy / "warc")
    proc = run_cli("reindex", "--data", str(copy))
    assert proc.returncode == 0, proc.stderr[-3000:]
    cols = "id, url, title, text, published_date, warc_filename, warc_offset, warc_length"
    assert rows(copy / "archive.db", f"select {cols} from documents order by id") == rows(
        db, f"select {cols} from documents order by id"
    )
    methods = "select url, method, status, depth from captures order by url, method, warc_offset"
    assert rows(copy / "archive.db", methods) == rows(db, methods)


# ------------------------------------------------------------------ pagers as portals write them


def _page(url: str, html: str, encoding: str = "utf-8", **meta) -> HtmlResponse:
    return HtmlResponse(
        url, body=html.encode(encoding), encoding=encoding, request=Request(url, meta=meta)
    )


JPAGE = """<html><body><div id="4301"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3&columnid=64511"></a>]]>\
</nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2024/1/2/art_64511_1.html">一</a></li>]]></record>\
</recordset>
</datastore></script></div>
<script>$(function(){$("#4301").jpage({themeName:"default",totalRecord:"95",groupSize:3,
proxyUrl:"/module/web/jpage/dataproxy.jsp",perPage:15,ajaxParam:{"col":1,appid:'1',webid:3,
path:'/',columnid:64511,unitid:'4301',webname:'某市,总工会',permissiontype:0}});});</script>
</body></html>"""


def test_jpage_groups_and_form_are_read_from_the_plugin_call():
    page = _page("http://portal.example/col/col64511/index.html", JPAGE)
    from crawler.links import extract_links

    links = extract_links(page.url, page)
    assert any("dataproxy.jsp" in link.url for link in links)  # the datastore's GET link
    requests, kept = later_pages(page, links)
    assert not [link for link in kept if "dataproxy.jsp" in link.url]
    assert [r.url.split("?")[1] for r in requests] == [
        "startrecord=46&endrecord=90&perpage=15",
        "startrecord=91&endrecord=95&perpage=15",
    ]
    for r in requests:
        assert r.method == "POST" and r.meta["link_kind"] == "pagination"
        assert parse_qs(r.body.decode()) == {
            "col": ["1"],
            "appid": ["1"],
            "webid": ["3"],
            "path": ["/"],
            "columnid": ["64511"],
            "unitid": ["4301"],
            "webname": ["某市,总工会"],
            "permissiontype": ["0"],
        }
    # a call without the records' count is not guessed at
    assert later_pages(_page(page.url, JPAGE.replace('totalRecord:"95",', "")), links)[0] == []


def test_jpage_answer_records_resolve_against_the_list_page():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<datastore><totalrecord>3</totalrecord>'
        '<recordset><record><![CDATA[<li><a href="art_2.html" title="工作总结">2023年工作总结</a>'
        '</li>]]></record>\n<record><![CDATA[<li><a href="/art/3.pdf">附件</a></li>]]></record>'
        "</recordset></datastore>"
    )
    answer = XmlResponse(
        "http://portal.example/module/web/jpage/dataproxy.jsp?startrecord=2",
        body=xml.encode(),
        request=Request(
            "http://portal.example/module/web/jpage/dataproxy.jsp?startrecord=2",
            meta={"post_list_url": "http://portal.example/col/col7/index.html"},
        ),
    )
    links = record_links(answer)
    assert [(link.url, link.kind) for link in links] == [
        ("http://portal.example/col/col7/art_2.html", "page"),
        ("http://portal.example/art/3.pdf", "attachment"),
    ]
    assert links[0].priority == 10


OLD_JSP = """<html><head><meta charset="gbk"></head><body><table><tr><td>\
<a href="content.jsp?id=1">工会</a></td></tr></table>
<form name="pageForm" method="POST" action="column.jsp?cid=9">\
<input type="hidden" name="cid" value="9">
<input type="hidden" name="col" value="工会">
<input type="hidden" name="pgno" value="1"><input type="submit" name="go" value="跳转"></form>
<p>共 4 页 {more}</p><script>function\
 goPage(n){{document.pageForm.pgno.value=n;document.pageForm.submit();}}</script>
<form method="get" action="/search.jsp"><input name="q"><input type="hidden" name="page" value="1">\
</form>
</body></html>"""


def test_pgno_forms_post_every_later_page_in_the_page_charset():
    page = _page(
        "http://old.example/template/10001/column.jsp?cid=9",
        OLD_JSP.format(more='<a href="javascript:goPage(2)">下一页</a>'),
        "gbk",
    )
    requests, _ = later_pages(page, [])
    assert [(r.method, r.url) for r in requests] == [
        ("POST", "http://old.example/template/10001/column.jsp?cid=9")
    ] * 3
    gbk = "col=%B9%A4%BB%E1"  # 工会 in GBK, as a browser on this page sends it
    assert [r.body.decode() for r in requests] == [f"cid=9&{gbk}&pgno={n}" for n in (2, 3, 4)]
    # no count in the text: the largest page a pager link asks for
    pager = '<a href="javascript:goPage(2)">下一页</a> <a href="#" onclick="goPage(6)">尾页</a>'
    page = _page(page.url, OLD_JSP.replace("共 4 页", "").format(more=pager), "gbk")
    assert [r.body for r in later_pages(page, [])[0]][-1] == b"cid=9&col=%B9%A4%BB%E1&pgno=6"
    # no page count anywhere: nothing is guessed (and the GET search form is never posted)
    bare = OLD_JSP.replace("共 4 页", "").format(more="")
    assert later_pages(_page(page.url, bare, "gbk"), [])[0] == []
