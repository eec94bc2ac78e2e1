"""The provincial portal's page chrome: header, menu, footer, breadcrumb and article frame."""

from __future__ import annotations

from .. import content as c
from ..site import esc

ORG = "陕西省总工会"
PAPER = "三秦职工报"
NOLINK = "javascript:void(0)"
# another article a page links to: its path and its text
Others = list[tuple[str, c.Text]]


def anchors(*items: tuple[str, str], sep: str = " ") -> str:
    """Links to (href, text) pairs, joined by ``sep``."""
    return sep.join(f'<a href="{href}">{text}</a>' for href, text in items)


MENU = (("/", "首页"), ("/ghdt/index.html", "工会动态"), ("/gzbg/index.html", "工作报告"))


def chrome(title: str, main: str, prelude: str = "") -> str:
    """A whole page: the portal's header and menu, ``main``, its footer."""
    top = anchors(*MENU, ("/", "职工服务"), ("/", "网上工会"), ("/", PAPER), sep=" | ")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="keywords" content="陕西工会,职工,劳动模范,工会动态">
<link rel="stylesheet" href="/static/qg.css">
</head>
<body>
{prelude}<div class="qg-top"><span class="qg-brand">{ORG}</span> {top}</div>
<div class="qg-logo"><a href="/"><img src="/static/logo.png" alt="{ORG}"></a></div>
{main}
<div class="qg-bottom">
<p>{anchors(("/", "关于我们"), ("/", "联系我们"), ("/", "网站地图"), sep=" | ")}</p>
<p>主办单位：{ORG}　承办单位：{PAPER}社</p>
<p>陕ICP备10020304号-1　陕公网安备 61010302000123号</p>
</div>
</body>
</html>
"""


def breadcrumb(col: str, label: str = "当前位置：", tail: str = "") -> str:
    """A breadcrumb to column ``col`` (a MENU path or a plain name)."""
    where = dict((p, n) for p, n in MENU).get(col)
    last = anchors((col, where)) if where else col
    return (
        f'<div class="nav-path">{label}{anchors(("/", "首页"))} &gt; {last}'
        f"{' &gt; ' + tail if tail else ''}</div>"
    )


def article(t: c.Text, bar: str, body: str, crumb: str = "/ghdt/index.html") -> str:
    """The portal's usual article: breadcrumb, headline, info bar, body."""
    return f"""<div class="qg-wrap">
{breadcrumb(crumb)}
<h1 class="art-h">{esc(t.title)}</h1>
<div class="art-bar">{bar}</div>
{body}
</div>"""
