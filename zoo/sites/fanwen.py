"""Template (范文) site in GBK: multi-report pages (篇1… / 【篇1】 markers), placeholders kept,
the editor's intro, breadcrumbs, list_N.html pagination."""

from __future__ import annotations

from .. import content as c
from ..site import Site, esc, paras_html

SITE = "快学范文网"


def _chrome(title: str, crumb: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>{esc(title)}_{SITE}</title>
<script type="text/javascript">document.oncopy=function(){{return\
 false;}};document.oncontextmenu=function(){{return false;}};</script>
</head>
<body>
<div class="top"><a href="/">{SITE}</a> | <a href="/zongjie/">工作总结</a> | <a href="/huibao/">\
工作汇报</a> | <a href="/jianghua/">讲话稿</a></div>
<div class="weizhi">您的位置：<a href="/">{SITE}</a>&gt;<a href="/">范文</a>&gt;{crumb}</div>
{body}
<div class="foot"><p>本站部分文章来自网络,如有侵权请联系删除。</p>\
<p>Copyright 2012-2024 {SITE} 版权所有 <a href="https://beian.miit.gov.cn/">粤ICP备13045678号</a>\
</p></div>
</body>
</html>
"""


def _multi_parts():
    a = c.templatize(
        c.load("mianyang-2023"),
        "fanwen-zongjie-1",
        {
            "绵阳市": "XX市",
            "绵阳": "XX",
            "长虹、九洲": "XX、XX",
            "绵州工匠": "XX工匠",
            "“一个定位、三个聚焦”": "“XXXX”",
        },
    )
    b = c.templatize(
        c.load("cangxi-2022"), "fanwen-zongjie-2", {"苍溪县": "XX县", "猕猴桃种植": "特色种植"}
    )
    cc = c.templatize(
        c.load("jiedao-2020"),
        "fanwen-zongjie-3",
        {"涪城区城厢街道": "XX街道", "城厢街道": "XX街道"},
    )
    d = c.templatize(c.load("shequ-2022"), "fanwen-zongjie-4", {"南山社区": "XX社区"})
    return [a, b, cc, d]


def _huibao_parts():
    a = c.templatize(
        c.load("guangyuan-2011"),
        "fanwen-huibao-1",
        {
            "广元市": "XX市",
            "广元": "XX",
            "旺苍县英萃镇响水村": "XX县XX镇XX村",
            "旺苍、苍溪": "XX、XX",
            "川陕甘结合部经济文化生态强市": "区域中心城市",
            "昭化妹": "XX妹",
            "徐兰芳": "XXX",
            "陈久红": "XXX",
            "宁波市": "XX市",
        },
    )
    b = c.templatize(c.load("district-2021").simplified(), "fanwen-huibao-2", {})
    b.title = "20xx年度区总工会工作总结"
    cc = c.templatize(c.load("zhen-2023q1"), "fanwen-huibao-3", {"元坝镇": "XX镇"})
    return [a, b, cc]


class FanwenSite(Site):
    name = "fanwen"
    encoding = "gbk"
    declared = "gbk"

    def build(self) -> None:
        self.add_robots("Disallow: /e/")
        listing = []

        # page 1: 工会工作总结(通用4篇), 篇1..篇4 markers
        parts = _multi_parts()
        path, title, when = (
            "/zongjie/20220303/1001.html",
            "工会工作总结(通用4篇)",
            "2022-03-03 09:14:55",
        )
        blocks = "\n".join(
            f"<h3>{esc(t.title)} 篇{k}</h3>\n{paras_html(t.paras)}" for k, t in enumerate(parts, 1)
        )
        self._article(
            path,
            title,
            when,
            "工作总结",
            "工会工作总结",
            "以下是小编为大家收集的工会工作总结(通用4篇),仅供参考,欢迎大家阅读。",
            blocks,
        )
        for k, t in enumerate(parts, 1):
            self.gold(path, t, published_date=when[:10], part=k)
        listing.append(("zongjie", path, title, when))

        # page 2: 工会工作汇报范文(合集3篇), 【篇1】 markers
        parts = _huibao_parts()
        path, title, when = (
            "/huibao/20230611/2417.html",
            "工会工作汇报范文(合集3篇)",
            "2023-06-11 20:03:12",
        )
        blocks = "\n".join(
            f'<p class="pian">【篇{k}】{esc(t.title)}</p>\n{paras_html(t.paras)}'
            for k, t in enumerate(parts, 1)
        )
        self._article(
            path,
            title,
            when,
            "工作汇报",
            "工会工作汇报",
            "下面是小编精心整理的工会工作汇报范文(合集3篇),希望对大家有所帮助。",
            blocks,
        )
        for k, t in enumerate(parts, 1):
            self.gold(path, t, published_date=when[:10], part=k)
        listing.append(("huibao", path, title, when))

        # single-report pages with placeholders, and a Q&A distractor
        sp = c.templatize(
            c.load("speech-2019"),
            "fanwen-jianghua-1",
            {
                "德阳市": "XX市",
                "德阳工匠": "XX工匠",
                "李堃": "XXX",
                "重大装备制造基地": "XX基地",
                "十一届四次": "X届X次",
                "(2019年8月19日)": "(20xx年x月x日)",
            },
        )
        singles = [
            (
                sp,
                "/jianghua/20210819/3105.html",
                "2021-08-19 10:22:41",
                "讲话稿",
                "工会讲话",
                "下面是小编为大家整理的工会主席全委会讲话稿,供大家参考。",
            ),
            (
                c.load("qa-huiyuan"),
                "/zongjie/20220415/1288.html",
                "2022-04-15 15:31:02",
                "工作总结",
                "工会知识",
                "工会会员有哪些权利?下面小编整理了常见问题解答,仅供参考。",
            ),
        ]
        for t, path, when, col, sub, intro in singles:
            self._article(path, t.title, when, col, sub, intro, paras_html(t.paras))
            self.gold(path, t, published_date=when[:10])
            listing.append((path.split("/")[1], path, t.title, when))

        # column lists: /col/ (= list_1.html), list_2.html, ...
        cols = {"zongjie": "工作总结", "huibao": "工作汇报", "jianghua": "讲话稿"}
        for col, cname in cols.items():
            mine = sorted((e for e in listing if e[0] == col), key=lambda e: e[3], reverse=True)
            chunks = [mine[i : i + 1] for i in range(len(mine))] or [[]]
            for n, chunk in enumerate(chunks, start=1):
                lis = "".join(
                    f'<li><a href="{p}">{esc(ti)}</a> <span>{w[:10]}</span></li>'
                    for _, p, ti, w in chunk
                )
                nav = " ".join(
                    f'<a href="list_{k}.html">{k}</a>' for k in range(1, len(chunks) + 1)
                )
                markup = _chrome(
                    cname, cname, f'<ul class="list">{lis}</ul><div class="pages">{nav}</div>'
                )
                self.add(f"/{col}/list_{n}.html", self.html_page(markup))
                if n == 1:
                    self.add(f"/{col}/", self.html_page(markup))
        lis = "".join(f'<li><a href="{p}">{esc(ti)}</a></li>' for _, p, ti, _w in listing)
        self.add(
            "/",
            self.html_page(
                _chrome("首页", "首页", f'<div class="new"><h2>最新范文</h2><ul>{lis}</ul></div>')
            ),
        )

    def _article(self, path, title, when, col, sub, intro, blocks) -> None:
        col_path = "/" + path.split("/")[1] + "/"
        body = f"""<div class="article">
<h1>{esc(title)}</h1>
<div class="info">时间：{when}　作者：小编　查看人数：{(len(path) * 37) % 900 + 44}</div>
<div class="intro">{esc(intro)}</div>
<div class="content">
{blocks}
</div>
<div class="tuijian"><h3>猜你喜欢</h3>\
<a href="/zongjie/">工作总结</a> <a href="/huibao/">工作汇报</a></div>
</div>"""
        self.add(
            path, self.html_page(_chrome(title, f'<a href="{col_path}">{col}</a>&gt;{sub}', body))
        )
