"""Union newspaper portal: .shtml articles, 1-based list_N.shtml pagination, titles with
" - 栏目 - 报名" suffixes, editor credits and 上一篇/下一篇 links (UTF-8)."""

from __future__ import annotations

from .. import content as c
from ..site import Site, esc, paras_html

PAPER = "职工日报"
SITE = "职工日报网"


def _chrome(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="keywords" content="工会,职工,劳动">
<link rel="stylesheet" href="/css/main.css">
</head>
<body>
<div class="topbar"><a href="/">首页</a> | <a href="/ghgz/list.shtml">工会工作</a> | \
<a href="/ghgz/list.shtml">职工天地</a> | <a href="/">数字报</a> | <span>{PAPER}社主办</span></div>
<div class="logo"><a href="/"><img src="/img/logo.png" alt="{SITE}"></a></div>
{body}
<div class="foot">
<p><a href="/">关于我们</a> | <a href="/">广告服务</a> | <a href="/">联系我们</a> | <a href="/">\
版权声明</a></p>
<p>{SITE} 版权所有 未经书面授权 不得复制或建立镜像</p>
<p>互联网新闻信息服务许可证10120170012 京ICP备12345678号 京公网安备 11010102002019号</p>
</div>
</body>
</html>
"""


ARTICLES = [
    # (text, path, datetime, source, author, editor, column)
    (
        "siming-2012",
        "/c/2012-05-17/6120388.shtml",
        "2012-05-17 08:31:20",
        "厦门市总工会",
        "",
        "陈思",
        "经验交流",
    ),
    (
        "jiedao-2020",
        "/c/2020-11-26/7301542.shtml",
        "2020-11-26 10:02:11",
        "绵阳日报",
        "通讯员 周敏",
        "王璐",
        "基层风采",
    ),
    (
        "news-yundonghui",
        "/c/2023-10-12/8210455.shtml",
        "2023-10-12 18:20:05",
        PAPER,
        "记者 刘明",
        "王璐",
        "要闻",
    ),
    (
        "news-kuaidi",
        "/c/2024-06-20/8530177.shtml",
        "2024-06-20 07:45:00",
        PAPER,
        "记者 杨帆",
        "李娜",
        "民生",
    ),
    (
        "news-jineng",
        "/c/2023-09-23/8190023.shtml",
        "2023-09-23 09:15:42",
        PAPER,
        "记者 郑凯",
        "李娜",
        "要闻",
    ),
    (
        "cangxi-neardup",
        "/c/2022-07-11/7890316.shtml",
        "2022-07-11 11:11:11",
        "苍溪县总工会",
        "",
        "陈思",
        "基层风采",
    ),
    (
        "deyang-2022",
        "/c/2022-12-28/8002541.shtml",
        "2022-12-28 16:40:09",
        "德阳市总工会",
        "",
        "王璐",
        "工会工作",
    ),
]


def _text(text_id: str) -> c.Text:
    if text_id == "cangxi-neardup":
        return c.near_duplicate(
            c.load("cangxi-2022"),
            "cangxi-2022-news",
            drop=5,
            edits={"1280人次": "1286人次", "87.4万元": "87.5万元"},
        )
    if text_id == "deyang-2022":
        return c.relocate(
            c.load("mianyang-2023"),
            "deyang-2022",
            {
                "绵阳": "德阳",
                "科技城建设": "重大装备制造基地建设",
                "长虹、九洲": "东方电机、东方汽轮机",
                "绵州工匠": "德阳工匠",
                "一个定位、三个聚焦": "制造强市、开放兴市",
            },
            -1,
        )
    return c.load(text_id)


class NewsSite(Site):
    name = "news"
    encoding = "utf-8"
    declared = "utf-8"
    gzip = True

    def build(self) -> None:
        self.add_robots("Disallow: /search/", content_type="text/plain; charset=utf-8")
        arts = sorted(ARTICLES, key=lambda a: a[2], reverse=True)
        texts = [_text(a[0]) for a in arts]
        for i, (a, t) in enumerate(zip(arts, texts)):
            _, path, when, source, author, editor, column = a
            prev_link = (
                f'<a href="{arts[i + 1][1]}">上一篇：{esc(texts[i + 1].title)}</a>'
                if i + 1 < len(arts)
                else "上一篇：没有了"
            )
            next_link = (
                f'<a href="{arts[i - 1][1]}">下一篇：{esc(texts[i - 1].title)}</a>'
                if i > 0
                else "下一篇：没有了"
            )
            related = "".join(
                f'<li><a href="{o[1]}">{esc(ot.title)}</a></li>'
                for o, ot in list(zip(arts, texts))[:4]
                if o[1] != path
            )
            by = f"　作者：{author}" if author else ""
            body = f"""<div class="crumb">{SITE} &gt; 工会工作 &gt; {column}</div>
<div class="main">
<h1 id="ctitle">{esc(t.title)}</h1>
<div class="signdate"><span class="time">{when}</span>　来源：{source}{by}　\
<a href="javascript:void(0)" class="share">分享</a></div>
<div class="ccontent">
{paras_html(t.paras)}
</div>
<p class="editor">(责任编辑：{editor})</p>
<div class="prenext"><p>{prev_link}</p><p>{next_link}</p></div>
<div class="related"><h3>相关新闻</h3><ul>{related}</ul></div>
</div>"""
            self.add(path, self.html_page(_chrome(f"{t.title} - {column} - {SITE}", body)))
            self.gold(path, t, published_date=when[:10])
        # 1-based list pagination: list.shtml, list_2.shtml, list_3.shtml
        per = 3
        chunks = [arts[i : i + per] for i in range(0, len(arts), per)]
        names = ["list.shtml"] + [f"list_{n}.shtml" for n in range(2, len(chunks) + 1)]
        for n, chunk in enumerate(chunks):
            lis = "\n".join(
                f'<li><a href="{a[1]}" target="_blank">{esc(_text(a[0]).title)}</a><span '
                f'class="time">{a[2][:10]}</span></li>'
                for a in chunk
            )
            pager = " ".join(
                f'<a href="{nm}">{k + 1}</a>' if k != n else f"<b>{k + 1}</b>"
                for k, nm in enumerate(names)
            )
            if n + 1 < len(names):
                pager += f' <a href="{names[n + 1]}">下一页</a>'
            body = (
                f'<div class="crumb">{SITE} &gt; 工会工作</div><ul class="list">{lis}</ul><div '
                f'class="pager">{pager}</div>'
            )
            self.add(f"/ghgz/{names[n]}", self.html_page(_chrome(f"工会工作 - {SITE}", body)))
        heads = "\n".join(
            f'<li><a href="{a[1]}">{esc(t.title)}</a></li>' for a, t in list(zip(arts, texts))[:5]
        )
        home = (
            f'<div class="headline"><h2>要闻</h2><ul>{heads}</ul><a href="/ghgz/list.shtml">'
            f"更多&gt;&gt;</a></div>"
        )
        self.add("/", self.html_page(_chrome(f"{SITE}_{PAPER}主办", home)))
        self.add("/index.shtml", self.pages["/"])
