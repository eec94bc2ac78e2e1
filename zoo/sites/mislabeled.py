"""A small county site whose HTTP header says charset=utf-8 while the bytes are GBK
(and the page itself carries no meta charset)."""

from __future__ import annotations

from .. import content as c
from ..site import Page, Site, esc, paras_html

SITE = "元坝镇工会"


def _chrome(title: str, body: str) -> str:
    return f"""<html>
<head>
<title>{esc(title)}-{SITE}</title>
</head>
<body>
<table width="960" align="center"><tr><td><a href="/">{SITE}</a> | <a href="/list.asp">工作动态</a>\
</td></tr></table>
{body}
<table width="960" align="center"><tr>\
<td>{SITE} 版权所有 技术支持：县信息中心 蜀ICP备09001234号</td></tr></table>
</body>
</html>
"""


ARTS = [  # (text, url, ISO date, date as the page shows it)
    ("district-2021", "/show.asp?id=88", "2022-01-10", "2022/1/10 9:37:15"),
    ("zhen-2023q1", "/show.asp?id=102", "2023-04-06", "2023/4/6 16:02:41"),
    ("news-laomo", "/show.asp?id=97", "2022-04-29", "2022/4/29 8:15:03"),
]


class MislabeledSite(Site):
    name = "mislabeled"
    encoding = "gbk"
    declared = "utf-8"

    def build(self) -> None:
        self.add_robots("Allow: /")
        self.by_query = {}
        lis = []
        for text_id, url, when, shown in ARTS:
            t = c.load(text_id).simplified()
            body = f"""<table width="960" align="center"><tr><td class="title">\
<b>{esc(t.title)}</b></td></tr>
<tr><td class="date">发布时间：{shown}　点击：{len(t.paras) * 53}</td></tr>
<tr><td class="content">
{paras_html(t.paras)}
</td></tr></table>"""
            self.by_query[url] = self.html_page(_chrome(t.title, body))
            self.gold(url, t, published_date=when)
            lis.append(
                f'<tr><td><a href="{url}">{esc(t.title)}</a></td><td>{shown.split()[0]}</td></tr>'
            )
        listing = self.html_page(
            _chrome("工作动态", f'<table width="960" align="center">{"".join(lis)}</table>')
        )
        self.add("/list.asp", listing)
        self.add(
            "/",
            self.html_page(
                _chrome(
                    "首页",
                    f"<p>欢迎访问{SITE}</p>"
                    f'<table width="960" align="center">{"".join(lis)}</table>',
                )
            ),
        )

    def dynamic(self, path: str, query: str) -> Page | None:
        if path == "/show.asp":
            return self.by_query.get(f"{path}?{query}")
        return None
