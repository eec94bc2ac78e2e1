"""TRS-style official union portal: GBK bytes declared gb2312, createPageHTML pagination,
div.TRS_Editor articles, a multi-page article, attachments and a robots-forbidden section."""

from __future__ import annotations

from .. import content as c
from ..attachments import make_docx, make_pdf
from ..site import Page, Site, esc, paras_html

SITE = "川北职工之家"
HOST_ORG = "川北市总工会"

PAGER_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("首页&nbsp;");
  else document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
  for(var i=1;i<_nPageCount;i++){
    if(nCurrIndex == i) document.write(i+1);
    else document.write("<a href=\\""+_sPageName+"_" + i + "."+_sPageExt+"\\">"+(i+1)+"</a>&nbsp;");
  }
}
</script>"""

STYLE = (
    '<style type="text/css">.TRS_Editor P{margin-top:0;margin-bottom:12px;line-height:1.8;'
    "font-family:宋体;font-size:12pt;}.TRS_Editor DIV{margin-top:0;margin-bottom:12px;}"
    ".TRS_Editor TD,.TRS_Editor TH{font-size:12pt;}</style>"
)

COLUMNS = {"gzbg": "工作报告", "gzdt": "工作动态", "tzgg": "通知公告", "nbzl": "内部资料"}


def _chrome(title: str, body: str, depth: int, meta: str = "") -> str:
    up = "../" * depth
    nav = " ".join(f'<li><a href="{up}{k}/">{v}</a></li>' for k, v in COLUMNS.items())
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{esc(title)}</title>
{meta}<link href="{up}images/style.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div class="wza"><a href="javascript:void(0)">网站无障碍</a> | <a href="javascript:void(0)">关怀版\
</a> | <a href="javascript:void(0)">长者模式</a>\
<span class="date">今天是：<script>document.write(new Date().toLocaleDateString());</script></span>\
</div>
<div class="head"><img src="{up}images/logo.png" alt="{SITE}" /><div class="search">\
<form action="{up}search.jsp" method="get"><input name="searchword" />\
<input type="submit" value="搜索" /></form></div></div>
<div class="nav"><ul><li><a href="{up}index.html">首页</a></li> {nav}</ul></div>
{body}
<div class="footer">
<p><a href="{up}index.html">加入收藏</a> | <a href="{up}index.html">网站地图</a> | \
<a href="{up}index.html">联系我们</a></p>
<p>主办单位：{HOST_ORG} · 承办单位：{HOST_ORG}网络信息中心 · 网站标识码：5108000012</p>
<p>版权所有：{HOST_ORG}　地址：川北市利州路123号　邮编：628000　技术支持：蜀北堃泰网络科技有限公司\
</p>
<p><a href="https://beian.miit.gov.cn/">蜀ICP备05012345号-1</a>　川公网安备 51080202000123号</p>
<p>(建议使用1024×768分辨率 IE7.0以上版本浏览器)</p>
</div>
</body>
</html>
"""


def _article(
    t: c.Text,
    column: str,
    date: str,
    source: str,
    paras: list[str],
    pager: str = "",
    extra: str = "",
    shown: str | None = None,
) -> str:
    meta = (
        f'<meta name="ArticleTitle" content="{esc(t.title)}" />\n'
        f'<meta name="PubDate" content="{date}" />\n'
        f'<meta name="ContentSource" content="{source}" />\n'
    )
    body = f"""<div class="location">当前位置：<a href="../../index.html">首页</a> &gt; \
<a href="../">{COLUMNS[column]}</a> &gt; 正文</div>
<div class="article">
<h1 class="title">{esc(t.title)}</h1>
<div class="info">发布时间：{shown or date}　来源：{source}　【字体：\
<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> \
<a href="javascript:doZoom(12)">小</a>】【<a href="javascript:window.print()">打印本页</a>】【\
<a href="javascript:window.close()">关闭窗口</a>】</div>
<div id="zoom"><div class="TRS_Editor">{STYLE}
{paras_html(paras)}
</div></div>
{extra}{pager}
<div class="share">分享到：<a class="bds_weixin">微信</a> <a class="bds_tsina">微博</a></div>
</div>"""
    return _chrome(f"{t.title}_{COLUMNS[column]}_{SITE}", body, depth=2, meta=meta)


def _pager_call(col: str, count: int, current: int) -> str:
    """Both forms seen on TRS sites: literal arguments, or the expanded variables (as in
    real TRS templates, `var countPage = N//共多少页` carries no semicolon)."""
    if col == "gzdt":
        return (
            f'<script type="text/javascript">\nvar currentPage = {current};//所在页从0开始\n'
            f"var prevPage = currentPage-1//上一页\nvar nextPage = currentPage+1//下一页\n"
            f"var countPage = {count}//共多少页\ncreatePageHTML(countPage, currentPage, "
            f'"index", "html");\n</script>'
        )
    return (
        f'<script type="text/javascript">createPageHTML({count}, {current}, "index", "html");'
        f"</script>"
    )


class TrsSite(Site):
    name = "trs"
    encoding = "gbk"
    declared = "gb2312"
    gzip = True

    def page(self, markup: str) -> Page:
        # TRS servers send no charset in the header: only the meta tag declares gb2312.
        return self.html_page(markup, content_type="text/html")

    def build(self) -> None:
        self.forbidden = ["/nbzl/"]
        self.add_robots("Disallow: /nbzl/", "Disallow: /search.jsp")
        items: dict[str, list[tuple[str, str, str]]] = {k: [] for k in COLUMNS}

        def article(
            col, stamp, num, t, date, source="市总工会办公室", gold=True, reachable=True, shown=None
        ):
            path = f"/{col}/{stamp[:6]}/t{stamp}_{num}.html"
            self.add(path, self.page(_article(t, col, date, source, t.paras, shown=shown)))
            items[col].append((path, t.title, date[:10]))
            if gold:
                self.gold(path, t, published_date=date[:10], reachable=reachable)
            return path

        # --- 工作报告
        gy = c.load("guangyuan-2011")
        gy.paras = [p.replace("徐兰芳", "徐喆") for p in gy.paras]  # a name outside GB2312
        article("gzbg", "20111103", 1068756, gy, "2011-11-03 09:37")
        sp = c.load("speech-2019")
        article("gzbg", "20190821", 1072210, sp, "2019-08-21 16:05", shown="2019-08-21 16：05")
        self._multipage(items)
        # --- forbidden section: an internal report only a robots-ignoring crawler finds
        hidden = c.relocate(
            c.load("speech-2019"),
            "speech-2020-internal",
            {"十一届四次": "十一届五次", "5.6万人": "6.1万人"},
            1,
        )
        article("nbzl", "20200825", 1080001, hidden, "2020-08-25 10:00", reachable=False)
        # --- 工作动态 / 通知公告 (distractors)
        article(
            "gzdt", "20240429", 1090102, c.load("news-laomo"), "2024-04-29 08:45", "市总工会宣传部"
        )
        article(
            "gzdt", "20231013", 1085517, c.load("news-yundonghui"), "2023-10-13 09:10", "川北日报"
        )
        article(
            "gzdt", "20230923", 1084920, c.load("news-jineng"), "2023-09-23 14:36", "市总工会宣传部"
        )
        article(
            "tzgg",
            "20240705",
            1091330,
            c.load("notice-zhuxue"),
            "2024-07-05 15:20",
            "市总工会权益保障部",
        )
        article("tzgg", "20240422", 1090011, c.load("notice-holiday"), "2024-04-22 17:30")
        # an official document (公文): 发文字号, 主送机关, signature, 成文日期 in Chinese numerals
        article("tzgg", "20210315", 1063012, c.load("notice-wuyi-2021"), "2021-03-15 16:40")
        self._attachments(items)
        # --- lists and home
        for col, entries in items.items():
            self._column(col, sorted(entries, key=lambda e: e[2], reverse=True))
        latest = sorted(
            (e for k, v in items.items() if k != "nbzl" for e in v),
            key=lambda e: e[2],
            reverse=True,
        )
        lis = "\n".join(
            f'<li><a href=".{p}" target="_blank">{esc(ti)}</a><span>{d}</span></li>'
            for p, ti, d in latest[:6]
        )
        home = _chrome(
            f"{SITE}—{HOST_ORG}",
            f"""<div class="banner"><img src="images/banner.jpg" alt="" /></div>
<div class="box"><h2>最新信息</h2><ul>{lis}</ul></div>
<div class="box"><h2>工会服务</h2><ul><li><a href="gzbg/">工作报告</a></li><li>\
<a href="tzgg/">通知公告</a></li><li><a href="gzdt/">工作动态</a></li></ul></div>""",
            depth=0,
        )
        self.add("/", self.page(home))
        self.add("/index.html", self.page(home))

    def _column(self, col: str, entries, per_page: int = 2) -> None:
        chunks = [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]
        for n, chunk in enumerate(chunks):
            lis = "\n".join(
                f'<li><span class="date">{d}</span><a href=".{p[len(col) + 1 :]}" '
                f'title="{esc(ti)}" target="_blank">{esc(ti)}</a></li>'
                for p, ti, d in chunk
            )
            body = f"""<div class="location">当前位置：<a href="../index.html">首页\
</a> &gt; {COLUMNS[col]}</div>
<div class="list"><ul>{lis}</ul></div>
<div class="page">{PAGER_JS}
{_pager_call(col, len(chunks), n)}</div>"""
            markup = _chrome(f"{COLUMNS[col]}_{SITE}", body, depth=1)
            name = "index.html" if n == 0 else f"index_{n}.html"
            self.add(f"/{col}/{name}", self.page(markup))
            if n == 0:
                self.add(f"/{col}/", self.page(markup))

    def _multipage(self, items) -> None:
        t = c.load("mianyang-2023")
        t.paras = [p.replace("3名选手", "3名选手(包括赵昇、王喆)") for p in t.paras]
        stem, date = "t20231222_1087651", "2023-12-22 10:21"
        cuts = [0, 6, 12, len(t.paras)]
        paths = []
        for k in range(3):
            name = stem if k == 0 else f"{stem}_{k}"
            path = f"/gzbg/202312/{name}.html"
            paths.append(path)
            pager = (
                f'<div id="page_div" class="page"></div>{PAGER_JS}\n<script type="text/javascript">'
                f'createPageHTML(3, {k}, "{stem}", "html");</script>'
            )
            self.add(
                path,
                self.page(
                    _article(
                        t, "gzbg", date, "市总工会办公室", t.paras[cuts[k] : cuts[k + 1]], pager
                    )
                ),
            )
        items["gzbg"].append((paths[0], t.title, date[:10]))
        self.gold(paths[0], t, published_date=date[:10], pages=paths)

    def _attachments(self, items) -> None:
        notice = c.Text(
            id="notice-attachments",
            title="关于基层工会工作材料的公示",
            paras=[
                "根据年度工作安排,现将部分基层工会报送的工作材料予以公示,公示期为5个工作日。",
                "如有意见建议,请在公示期内反馈至市总工会组织部。",
                "联系电话:0839-3262015",
            ],
            dup_group="notice-attachments",
        )
        docx_t = c.load("cangxi-2022")
        pdf_t = c.load("plan-2024")
        stamp, num, date = "20240116", 1088120, "2024-01-16 11:02"
        path = f"/tzgg/{stamp[:6]}/t{stamp}_{num}.html"
        docx_path = f"/tzgg/{stamp[:6]}/P020240116389614168185.docx"
        pdf_path = f"/tzgg/{stamp[:6]}/P020240116389614172304.pdf"
        extra = f"""<div class="list_fj"><h3>附件：</h3><ul>
<li><a href="./{docx_path.rsplit("/", 1)[1]}">附件1：{esc(docx_t.title)}.docx</a></li>
<li><a href="./{pdf_path.rsplit("/", 1)[1]}">附件2：{esc(pdf_t.title)}.pdf</a></li>
</ul></div>"""
        self.add(
            path,
            self.page(_article(notice, "tzgg", date, "市总工会组织部", notice.paras, extra=extra)),
        )
        items["tzgg"].append((path, notice.title, date[:10]))
        self.gold(path, notice, published_date=date[:10])
        self.add(
            docx_path,
            Page(
                body=make_docx(docx_t),
                content_type=(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                ),
            ),
        )
        self.add(pdf_path, Page(body=make_pdf(pdf_t), content_type="application/pdf"))
        self.gold(docx_path, docx_t, published_date=date[:10], kind="docx", source=path)
        self.gold(pdf_path, pdf_t, published_date=date[:10], kind="pdf", source=path)
