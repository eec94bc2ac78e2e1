"""Provincial federation on a Hanweb jcms portal: column lists whose first page is a
``<datastore>`` inside ``<script type="text/xml">`` and whose later pages only a POST to
``dataproxy.jsp`` returns (405 to GET), plus an old JSP column paged by POST ``pgno=N``.

Its reports are reposts of the zoo's city and county reports (省总 portals repost 基层经验),
several of them reachable only through the POST pages."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, quote

from .. import content as c
from ..site import Page, Site, esc, paras_html

SITE = "江淮工会网"
HOST_ORG = "江淮省总工会"
WEBID = "12"
JPAGE_PROXY = "/module/web/jpage/dataproxy.jsp"
OLD_PROXY = "/module/jslib/jquery/jpage/dataproxy.jsp"  # the older plugin's: robots.txt forbids it

# column id -> (name, unit id, proxy, records a page, [(text id, article id, date, source)]),
# newest first: records 1..perPage are inline, the rest only through the proxy
COLUMNS = {
    "1201": (
        "基层经验",
        "47023",
        JPAGE_PROXY,
        3,
        [
            ("zhen-2023q1", 58412, "2023-04-06 09:12", "广元市总工会"),
            ("plan-2024", 60231, "2024-01-15 10:40", "德阳市总工会"),
            ("cangxi-2022", 55307, "2022-07-12 15:03", "苍溪县总工会"),
            ("shequ-2022", 53116, "2022-12-30 16:20", "深圳市南山区总工会"),
            ("jiedao-2020", 47790, "2020-11-27 08:55", "绵阳市总工会"),
            ("mianyang-2023", 59908, "2023-12-25 11:30", "绵阳市总工会"),
            ("siming-2012", 21045, "2012-05-18 10:05", "厦门市总工会"),
            ("guangyuan-2011", 19872, "2011-11-04 14:21", "广元市总工会"),
        ],
    ),
    "1305": (
        "通知公告",
        "47031",
        OLD_PROXY,
        2,
        [
            ("notice-zhuxue", 61207, "2024-07-06 10:00", HOST_ORG + "权益保障部"),
            ("notice-holiday", 60877, "2024-04-23 09:30", HOST_ORG + "办公室"),
            ("wenku-tiku", 60112, "2024-01-09 15:45", HOST_ORG + "宣教部"),
        ],
    ),
}
# the old site's news column (column.jsp?cid=222), two records a page, paged by POST pgno
OLD_CID, OLD_PER_PAGE = "222", 2
OLD_NEWS = [
    ("news-kuaidi", 9031, "2024-06-21", "江淮工人报"),
    ("news-laomo", 8977, "2024-04-30", HOST_ORG + "宣教部"),
    ("news-yundonghui", 8712, "2023-10-13", "江淮工人报"),
    ("news-jineng", 8690, "2023-09-24", HOST_ORG + "经济技术部"),
    ("qa-huiyuan", 8533, "2023-05-16", HOST_ORG + "基层工作部"),
]


def _chrome(title: str, body: str, extra_head: str = "") -> str:
    nav = " ".join(
        f'<li><a href="/col/col{cid}/index.html">{esc(col[0])}</a></li>'
        for cid, col in COLUMNS.items()
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}</title>
<meta name="SiteName" content="{SITE}">
<meta name="SiteIDCode" content="3200000012">
{extra_head}<link rel="stylesheet" href="/images/32/style.css">
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>
</head>
<body>
<div class="top"><div class="logo"><a href="/"><img src="/images/32/logo.png" alt="{SITE}"></a>\
</div>
<div class="search"><form action="/module/search/index.jsp" method="get"><input name="searchword">\
<input type="submit" value="搜索"></form></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li> {nav} <li>\
<a href="/oldsite/column.jsp?cid={OLD_CID}">旧版资讯</a></li></ul></div>
{body}
<div class="foot">
<p><a href="/">网站地图</a> | <a href="/">联系我们</a> | <a href="/">网站声明</a></p>
<p>主办单位：{HOST_ORG}　地址：江淮市长江路88号　邮编：210008</p>
<p>网站标识码：3200000012　<a href="https://beian.miit.gov.cn/">苏ICP备05004512号-1</a>\
　苏公网安备 32010202000456号</p>
</div>
</body>
</html>
"""


def _art_path(cid: str, art_id: int, date: str) -> str:
    y, m, d = (int(x) for x in date[:10].split("-"))
    return f"/art/{y}/{m}/{d}/art_{cid}_{art_id}.html"


def _article(t: c.Text, column: str, col_url: str, date: str, source: str) -> str:
    head = (
        f'<meta name="ColumnName" content="{esc(column)}">\n'
        f'<meta name="ArticleTitle" content="{esc(t.title)}">\n'
        f'<meta name="PubDate" content="{date}">\n'
        f'<meta name="ContentSource" content="{esc(source)}">\n'
    )
    body = f"""<div class="position">您当前的位置：<a href="/">首页</a> &gt; <a href="{col_url}">\
{esc(column)}</a></div>
<div class="main">
<div class="article-title">{esc(t.title)}</div>
<div class="article-info">发布日期：{date[:10]}　信息来源：{esc(source)}　浏览次数：\
<span id="hits">0</span>　【字体：<a href="javascript:doZoom(18)">大</a> \
<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</div>
<div id="zoom"><!--ZJEG_RSS.content.begin--><meta name="ContentStart">
{paras_html(t.paras)}
<meta name="ContentEnd"><!--ZJEG_RSS.content.end--></div>
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【\
<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>"""
    return _chrome(f"{t.title} {column} {HOST_ORG}", body, head)


def _record(path: str, title: str, date: str) -> str:
    return (
        f'<record><![CDATA[\n<li><a href="{path}" target="_blank" title="{esc(title)}">'
        f'{esc(title)}</a><span class="bt-data-time">{date[:10]}</span></li>\n]]></record>'
    )


def _form_value(value: str) -> str:
    return value.replace("'", "\\'")


class HanwebSite(Site):
    name = "hanweb"

    def build(self) -> None:
        self.forbidden = ["/module/jslib/"]
        self.add_robots("Disallow: /module/jslib/", "Disallow: /module/search/")
        self.records: dict[str, list[str]] = {}
        self.old_pages: dict[str, Page] = {}
        latest = []
        for cid, (column, _unit, proxy, _per_page, entries) in COLUMNS.items():
            col_url = f"/col/col{cid}/index.html"
            ordered = sorted(entries, key=lambda e: e[2], reverse=True)
            self.records[cid] = []
            for n, (text_id, art_id, date, source) in enumerate(ordered):
                t = c.load(text_id)
                path = _art_path(cid, art_id, date)
                self.add(path, self.html_page(_article(t, column, col_url, date, source)))
                self.records[cid].append(_record(path, t.title, date))
                self.gold(path, t, published_date=date[:10])
                # 通知公告's later pages are behind the proxy robots.txt forbids: its
                # notices are all on the home page too
                if n < 2 or proxy != JPAGE_PROXY:
                    latest.append((path, t.title, date))
            self.add(col_url, self.html_page(self._column(cid)))
        self._old_site()
        lis = "\n".join(
            f'<li><a href="{p}" target="_blank">{esc(ti)}</a><span>{d[:10]}</span></li>'
            for p, ti, d in sorted(latest, key=lambda e: e[2], reverse=True)
        )
        home = _chrome(
            f"{SITE}—{HOST_ORG}",
            f"""<div class="banner"><img src="/images/32/banner.jpg" alt=""></div>
<div class="box"><h2>最新信息</h2><ul>{lis}</ul></div>""",
        )
        self.add("/", self.html_page(home))
        self.add("/index.html", self.html_page(home))

    # ---- jcms columns
    def _column(self, cid: str) -> str:
        column, unit, proxy, per_page, _ = COLUMNS[cid]
        records = self.records[cid]
        group = "\n".join(records[:per_page])
        webname = quote(HOST_ORG)
        body = f"""<div class="position">您当前的位置：<a href="/">首页</a> &gt; {esc(column)}</div>
<div class="list-box"><h2>{esc(column)}</h2>
<div id="{unit}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{proxy}?page=1&webid={WEBID}&path=/&columnid={cid}&unitid={unit}\
&webname={webname}&permissiontype=0"></a>]]></nextgroup>
<recordset>
{group}
</recordset>
</datastore></script></div>
<script type="text/javascript" src="/module/jslib/jquery/jpage/jquery.jpage.js"></script>
<script type="text/javascript">$(function(){{$('#{unit}').jpage({{themeName:'default',\
showMode:'full',totalRecord:{len(records)},openCookies:false,\
dataBefore:'<ul class="list_list">',dataStore:dataStore,dataAfter:'</ul>',groupSize:1,\
proxyUrl:'{proxy}',perPage:{per_page},barPosition:'bottom',\
ajaxParam:{{col:1,appid:1,webid:{WEBID},path:'/',columnid:{cid},unitid:'{unit}',\
webname:'{_form_value(HOST_ORG)}',permissiontype:0}}}});}});</script>
</div>"""
        return _chrome(f"{column} {HOST_ORG}", body)

    def dynamic(self, path: str, query: str) -> Page | None:
        if path in (JPAGE_PROXY, OLD_PROXY):
            return Page(
                status=405,
                content_type="text/html;charset=utf-8",
                headers=[("Allow", "POST")],
                body=b"<html><body><h1>HTTP Status 405 - Request method 'GET' not "
                b"supported</h1></body></html>",
            )
        if path == "/oldsite/column.jsp":
            return self.old_pages.get(f"list:{query}:1")
        if path == "/oldsite/content.jsp":
            return self.old_pages.get(f"art:{query}")
        return None

    def post(self, path: str, query: str, form: bytes) -> Page | None:
        if path in (JPAGE_PROXY, OLD_PROXY):
            return self._dataproxy(path, query, form)
        if path == "/oldsite/column.jsp":
            fields = parse_qs(form.decode("gbk", "replace"))
            pgno = (fields.get("pgno") or ["1"])[0]
            return self.old_pages.get(f"list:{query}:{pgno}") or self.old_pages.get(
                f"list:{query}:1"
            )
        return None

    def _dataproxy(self, path: str, query: str, form: bytes) -> Page:
        """What jcms answers: the records startrecord..endrecord (1-based) of the column
        the form names, in the ``<datastore>`` XML form; 400 when the form is not the page's."""
        q = {k: v[0] for k, v in parse_qs(query).items()}
        f = {k: v[0] for k, v in parse_qs(form.decode("utf-8", "replace")).items()}
        column = COLUMNS.get(f.get("columnid", ""))
        try:
            start, end, per_page = int(q["startrecord"]), int(q["endrecord"]), int(q["perpage"])
        except (KeyError, ValueError):
            column = None
        if (
            column is None
            or column[2] != path
            or f.get("unitid") != column[1]
            or f.get("webid") != WEBID
            or f.get("webname") != HOST_ORG
            or start < 1
            or end < start
        ):
            return Page(status=400, body=b"bad request", content_type="text/plain")
        records = self.records[f["columnid"]]
        chosen = "\n".join(records[start - 1 : end])
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<totalrecord>{len(records)}</totalrecord>\n"
            f"<totalpage>{math.ceil(len(records) / per_page)}</totalpage>\n"
            f"<recordset>\n{chosen}\n</recordset>\n</datastore>\n"
        )
        return Page(body=xml.encode("utf-8"), content_type="text/xml;charset=UTF-8")

    # ---- the old JSP site (GBK), paged by POST pgno=N
    def _old_site(self) -> None:
        def page(markup: str) -> Page:
            return Page(body=markup.encode("gbk"), content_type="text/html;charset=GBK")

        rows = []
        for text_id, aid, date, source in OLD_NEWS:
            t = c.load(text_id)
            url = f"/oldsite/content.jsp?id={aid}"
            body = f"""<table width="900" align="center" class="pos"><tr>\
<td>当前位置：<a href="/">首页</a> &gt;&gt; <a href="column.jsp?cid={OLD_CID}">工会资讯</a></td>\
</tr></table>
<table width="900" align="center"><tr><td id="ArticleTitle" align="center"><b>{esc(t.title)}</b>\
</td></tr>
<tr><td class="file_date" align="center">发布时间：{date}　来源：{esc(source)}</td></tr>
<tr><td id="ArticleBody">
{paras_html(t.paras)}
</td></tr>
<tr><td align="right"><a href="javascript:window.print()">【打印本页】</a> \
<a href="javascript:window.close()">【关闭窗口】</a></td></tr></table>"""
            self.old_pages[f"art:id={aid}"] = page(self._old_chrome(t.title, body))
            self.gold(url, t, published_date=date, encoding="gbk", declared="gbk")
            rows.append((url, t.title, date))
        pages = math.ceil(len(rows) / OLD_PER_PAGE)
        for n in range(1, pages + 1):
            chunk = rows[(n - 1) * OLD_PER_PAGE : n * OLD_PER_PAGE]
            trs = "\n".join(
                f'<tr><td class="title"><a href="content.jsp?id={u.rsplit("=", 1)[1]}" '
                f'target="_blank">{esc(ti)}</a></td><td class="file_date">{d}</td></tr>'
                for u, ti, d in chunk
            )
            links = []
            if n > 1:
                links.append('<a href="javascript:goPage(1)">首页</a>')
                links.append(f'<a href="javascript:goPage({n - 1})">上一页</a>')
            if n < pages:
                links.append(f'<a href="javascript:goPage({n + 1})">下一页</a>')
                links.append(f'<a href="javascript:goPage({pages})">尾页</a>')
            body = f"""<table width="900" align="center" class="pos"><tr>\
<td>当前位置：<a href="/">首页</a> &gt;&gt; 工会资讯</td></tr></table>
<table width="900" align="center" class="list">
{trs}
</table>
<form name="pageForm" method="post" action="column.jsp?cid={OLD_CID}">
<input type="hidden" name="cid" value="{OLD_CID}">
<input type="hidden" name="pgno" value="{n}">
</form>
<table width="900" align="center"><tr>\
<td align="center">共{len(rows)}条记录 每页{OLD_PER_PAGE}条 第{n}/{pages}页 {" ".join(links)}</td>\
</tr></table>
<script language="javascript">function\
 goPage(n){{document.pageForm.pgno.value=n;document.pageForm.submit();}}</script>"""
            self.old_pages[f"list:cid={OLD_CID}:{n}"] = page(self._old_chrome("工会资讯", body))

    @staticmethod
    def _old_chrome(title: str, body: str) -> str:
        return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>{esc(title)}--{HOST_ORG}(旧版)</title>
</head>
<body>
<table width="900" align="center"><tr><td>\
<a href="/">{SITE}</a> | <a href="column.jsp?cid={OLD_CID}">工会资讯</a></td></tr></table>
{body}
<table width="900" align="center"><tr>\
<td align="center">版权所有：{HOST_ORG}　苏ICP备05004512号</td></tr></table>
</body>
</html>
"""
