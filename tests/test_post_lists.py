"""Lists whose later pages are POSTs (Hanweb jcms jpage, old JSP pgno forms): the pagers
read from pages as real portals write them."""
from __future__ import annotations

from urllib.parse import parse_qs

from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.post_lists import later_pages, record_links


# ------------------------------------------------------------------ pagers as portals write them

def _page(url: str, html: str, encoding: str = "utf-8", **meta) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode(encoding), encoding=encoding,
                        request=Request(url, meta=meta))


JPAGE = """<html><body><div id="4301"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3&columnid=64511"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2024/1/2/art_64511_1.html">一</a></li>]]></record></recordset>
</datastore></script></div>
<script>$(function(){$("#4301").jpage({themeName:"default",totalRecord:"95",groupSize:3,
proxyUrl:"/module/web/jpage/dataproxy.jsp",perPage:15,ajaxParam:{"col":1,appid:'1',webid:3,
path:'/',columnid:64511,unitid:'4301',webname:'某市,总工会',permissiontype:0}});});</script>
</body></html>"""


def test_jpage_groups_and_form_are_read_from_the_plugin_call():
    page = _page("http://portal.example/col/col64511/index.html", JPAGE)
    from crawler.links import extract_links

    links = extract_links(page.url, page)
    assert any("dataproxy.jsp" in link.url for link in links)       # the datastore's GET link
    requests, kept = later_pages(page, links)
    assert not [link for link in kept if "dataproxy.jsp" in link.url]
    assert [r.url.split("?")[1] for r in requests] == [
        "startrecord=46&endrecord=90&perpage=15", "startrecord=91&endrecord=95&perpage=15"]
    for r in requests:
        assert r.method == "POST" and r.meta["link_kind"] == "pagination"
        assert parse_qs(r.body.decode()) == {
            "col": ["1"], "appid": ["1"], "webid": ["3"], "path": ["/"], "columnid": ["64511"],
            "unitid": ["4301"], "webname": ["某市,总工会"], "permissiontype": ["0"]}
    # a call without the records' count is not guessed at
    assert later_pages(_page(page.url, JPAGE.replace('totalRecord:"95",', "")), links)[0] == []


def test_jpage_answer_records_resolve_against_the_list_page():
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore><totalrecord>3</totalrecord>'
           '<recordset><record><![CDATA[<li><a href="art_2.html" title="工作总结">2023年工作总结</a>'
           '</li>]]></record>\n<record><![CDATA[<li><a href="/art/3.pdf">附件</a></li>]]></record>'
           '</recordset></datastore>')
    answer = XmlResponse("http://portal.example/module/web/jpage/dataproxy.jsp?startrecord=2",
                         body=xml.encode(), request=Request(
                             "http://portal.example/module/web/jpage/dataproxy.jsp?startrecord=2",
                             meta={"post_list_url": "http://portal.example/col/col7/index.html"}))
    links = record_links(answer)
    assert [(link.url, link.kind) for link in links] == [
        ("http://portal.example/col/col7/art_2.html", "page"),
        ("http://portal.example/art/3.pdf", "attachment")]
    assert links[0].priority == 10


OLD_JSP = """<html><head><meta charset="gbk"></head><body><table><tr><td><a href="content.jsp?id=1">工会</a></td></tr></table>
<form name="pageForm" method="POST" action="column.jsp?cid=9"><input type="hidden" name="cid" value="9">
<input type="hidden" name="col" value="工会">
<input type="hidden" name="pgno" value="1"><input type="submit" name="go" value="跳转"></form>
<p>共 4 页 {more}</p><script>function goPage(n){{document.pageForm.pgno.value=n;document.pageForm.submit();}}</script>
<form method="get" action="/search.jsp"><input name="q"><input type="hidden" name="page" value="1"></form>
</body></html>"""


def test_pgno_forms_post_every_later_page_in_the_page_charset():
    page = _page("http://old.example/template/10001/column.jsp?cid=9",
                 OLD_JSP.format(more='<a href="javascript:goPage(2)">下一页</a>'), "gbk")
    requests, _ = later_pages(page, [])
    assert [(r.method, r.url) for r in requests] == [
        ("POST", "http://old.example/template/10001/column.jsp?cid=9")] * 3
    gbk = "col=%B9%A4%BB%E1"          # 工会 in GBK, as a browser on this page sends it
    assert [r.body.decode() for r in requests] == [f"cid=9&{gbk}&pgno={n}" for n in (2, 3, 4)]
    # no count in the text: the largest page a pager link asks for
    pager = '<a href="javascript:goPage(2)">下一页</a> <a href="#" onclick="goPage(6)">尾页</a>'
    page = _page(page.url, OLD_JSP.replace("共 4 页", "").format(more=pager), "gbk")
    assert [r.body for r in later_pages(page, [])[0]][-1] == b"cid=9&col=%B9%A4%BB%E1&pgno=6"
    # no page count anywhere: nothing is guessed (and the GET search form is never posted)
    bare = OLD_JSP.replace("共 4 页", "").format(more="")
    assert later_pages(_page(page.url, bare, "gbk"), [])[0] == []
