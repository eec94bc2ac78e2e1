"""The portal's 工作报告 (reports column) article pages, one template per class of real page."""

from __future__ import annotations

from .. import content as c
from ..site import esc, paras_html
from .portal_chrome import MENU, NOLINK, ORG, PAPER, Others, anchors, article, breadcrumb, chrome

COMMENTS = [  # name, time, text, likes, in reply to
    (
        "秦岭脚下",
        "2024-07-10 18:12",
        "户外劳动者服务站真的方便，夏天送快递能进去喝口水、歇一会儿，感谢工会！",
        36,
        None,
    ),
    (
        "铜川老焊工",
        "2024-07-10 18:40",
        "希望技能大赛明年能多设几个工种，我们车间好几个年轻人都想报名参加。",
        21,
        None,
    ),
    ("王师傅", "2024-07-10 19:05", "工资集体协商这件事希望能推广到更多小企业。", 17, None),
    (
        "晨曦",
        "2024-07-10 19:33",
        "法律援助中心帮我讨回了拖欠的工资，办事效率很高，点赞。",
        44,
        None,
    ),
    ("小马过河", "2024-07-10 20:02", "去哪里可以申请入会？网上能办吗？", 5, None),
    (
        "铜川市总工会",
        "2024-07-10 20:15",
        "您好，关注职工服务平台即可在线申请入会，也可以到所在单位工会办理。",
        12,
        "小马过河",
    ),
    (
        "耀州人",
        "2024-07-10 21:47",
        "困难职工帮扶这块做得实在，去年我家孩子上大学就拿到了助学金。",
        29,
        None,
    ),
    (
        "风中的蒲公英",
        "2024-07-11 07:20",
        "服务站能不能多建几个在新区？那边快递员和外卖员特别多。",
        18,
        None,
    ),
    ("老李", "2024-07-11 08:03", "同意楼上，新区确实缺少歇脚的地方。", 9, "风中的蒲公英"),
    (
        "一线电工",
        "2024-07-11 09:15",
        "希望培训报名能提前通知，上次看到消息时名额已经满了。",
        14,
        None,
    ),
    (
        "阳光总在风雨后",
        "2024-07-11 10:42",
        "工会组织的职工书屋很好，午休的时候能看看书。",
        11,
        None,
    ),
    ("护士小周", "2024-07-11 12:30", "医护人员也很辛苦，希望工会多组织一些疗休养活动。", 23, None),
    ("印台区快递员", "2024-07-11 13:08", "我们站点今年也成立了工会，大家都挺高兴的。", 31, None),
    ("山那边", "2024-07-11 15:26", "数字化平台用了一下，申请帮扶的流程比以前简单多了。", 8, None),
    ("岁月静好", "2024-07-11 17:54", "给工会的同志们点个赞，辛苦了！", 16, None),
    (
        "王益区职工",
        "2024-07-11 20:11",
        "下半年能不能多搞点职工文体活动，篮球赛、象棋赛都行。",
        19,
        None,
    ),
    ("追梦人", "2024-07-12 08:37", "支持！去年的职工运动会就办得很热闹。", 7, "王益区职工"),
    (
        "陶瓷厂老张",
        "2024-07-12 09:50",
        "劳动竞赛的奖励希望能再多一些，调动大家的积极性。",
        13,
        None,
    ),
    ("新区居民", "2024-07-12 11:18", "看到工会在帮助新就业形态劳动者，很暖心。", 10, None),
    ("匿名网友", "2024-07-12 14:05", "希望这些好做法能一直坚持下去。", 6, None),
]


def _comments() -> str:
    items = []
    for name, when, text, likes, to in COMMENTS:
        said = esc(text)
        if to:
            said = f'回复 <span class="talk-at">@{esc(to)}</span>：{said}'
        items.append(f"""<div class="talk-item">
<div class="talk-who"><span class="talk-user">{esc(name)}</span>
<span class="talk-time">{when}</span></div>
<p class="talk-said">{said}</p>
<div class="talk-ops">{anchors((NOLINK, "回复"), (NOLINK, f"赞({likes})"))}</div>
</div>""")
    return "\n".join(items)


def wrapped_in_content(t: c.Text, other: Others) -> str:
    """A generic div.content wrapping nav, breadcrumb, the article (an inner block of its
    own class), a sidebar and twenty reader comments."""
    hot = "".join(f'<li><a href="{p}">{esc(ot.title)}</a></li>' for p, ot in other[:6])
    nav = anchors(*MENU, ("/", "基层风采"), ("/", "职工服务"), ("/", "政策法规"))
    topics = "".join(
        f'<li><a href="/">{x}</a></li>'
        for x in ("学习贯彻工会十八大精神", "产业工人队伍建设改革", "职工技能提升行动")
    )
    main = f"""<div class="content">
<div class="col-nav">{nav}</div>
<div class="col-path">首页 &gt; 工作报告 &gt; 正文</div>
<div class="col-left">
<div class="news-detail">
<h1>{esc(t.title)}</h1>
<div class="detail-info">发布时间：2024-07-10 16:00　来源：铜川市总工会　浏览次数：1326</div>
<div class="detail-text">
{paras_html(t.paras)}
</div>
</div>
<div class="talk-box">
<div class="talk-head">读者留言（{len(COMMENTS)}条）</div>
{_comments()}
<div class="talk-more"><a href="{NOLINK}">查看全部留言</a></div>
</div>
</div>
<div class="col-right">
<h3>热点排行</h3>
<ul>{hot}</ul>
<h3>专题专栏</h3>
<ul>{topics}</ul>
</div>
</div>"""
    return chrome(f"{t.title}_工作报告_{ORG}", main)


REPOST_TIME = 1713396600  # 2024-04-17 23:30 UTC: 2024-04-18 07:30 in Beijing


def wechat_repost(t: c.Text, other: Others) -> str:
    """A repost of a WeChat article: the body in <section><span> only, and the date only in
    a script variable (Unix seconds)."""
    body = []
    for p in t.paras:
        head, sep, rest = p.partition("。")
        if p[:2] in ("一是", "二是", "三是", "四是") and sep:
            inner = f"<strong>{esc(head + sep)}</strong>{esc(rest)}"
        else:
            inner = esc(p)
        body.append(
            '<section style="margin:0 8px;line-height:1.75em">'
            f'<span style="font-size:15px;letter-spacing:1px">{inner}</span></section>\n'
            "<section><br></section>"
        )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(t.title)}</title>
<link rel="stylesheet" href="/static/repost.css">
</head>
<body>
<div class="rp-top">{anchors(("/", ORG), ("/gzbg/index.html", "工作报告"), sep=" | ")}</div>
<div class="rp-page">
<h1 class="rp-title">{esc(t.title)}</h1>
<div class="rp-meta"><span class="rp-label">转自</span>
<a class="rp-account" href="{NOLINK}">汉中工会</a> <em id="rp-time"></em></div>
<div class="rp-body">
{chr(10).join(body)}
</div>
<div class="rp-note">本文转自“汉中工会”微信公众号，如有侵权请联系删除。</div>
</div>
<div class="qg-bottom"><p>主办单位：{ORG}</p><p>陕ICP备10020304号-1</p></div>
<script>
var ct = "{REPOST_TIME}";
var d = new Date(parseInt(ct, 10) * 1000);
document.getElementById("rp-time").textContent =
    d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
</script>
</body>
</html>
"""


def br_body(t: c.Text, other: Others) -> str:
    """An old CMS body: paragraphs separated only by <br>, indented with ideographic spaces."""
    lines = "<br>\n".join(f"\u3000\u3000{esc(p)}" for p in t.paras)
    main = article(
        t,
        "发布日期：2024-01-10　来源：秦都区总工会　点击：862",
        f'<div class="arc-text">\n{lines}\n</div>',
        crumb="/gzbg/index.html",
    )
    return chrome(f"{t.title} - {ORG}", main)


def short_in_fixed_box(t: c.Text, other: Others) -> str:
    """A one-paragraph body under 150 characters in a fixed-height box with overflow:hidden."""
    main = article(
        t,
        "发布时间：2024-07-03 11:20　来源：汉滨区总工会",
        f'<div class="art-main" style="height:300px;overflow:hidden">\n'
        f"{paras_html(t.paras)}\n</div>",
        crumb="/gzbg/index.html",
    )
    return chrome(f"{t.title} - {ORG}", main)


def stray_html_end(t: c.Text, other: Others) -> str:
    """A government template whose included header fragment ends in </body></html>, before
    the article."""
    body = (
        paras_html(t.paras[:-2])
        + "\n"
        + paras_html(t.paras[-2:], attrs=' style="text-align:right"')
    )  # signature
    links = anchors(("/", "网站首页"), ("/", "无障碍"), ("/", "长者模式"))
    menu = anchors(*MENU, ("/", "政务公开"), ("/", "办事服务"))
    size = anchors((NOLINK, "大"), (NOLINK, "中"), (NOLINK, "小"))
    tools = anchors(
        ("javascript:window.print()", "打印本页"), ("javascript:window.close()", "关闭窗口")
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(t.title)}_{ORG}</title>
<link rel="stylesheet" href="/static/gov.css">
</head>
<body>
<!-- 公共头部 -->
<div class="gov-top">
<div class="gov-links">{links}</div>
<div class="gov-banner"><a href="/"><img src="/static/gov-banner.png" alt="{ORG}"></a></div>
<div class="gov-menu">{menu}</div>
</div>
</body>
</html>
<!-- 公共头部结束 -->
<div class="gov-main">
{breadcrumb("/gzbg/index.html").replace("nav-path", "gov-path")}
<div class="gov-article">
<h1 class="gov-h">{esc(t.title)}</h1>
<div class="gov-date">发布日期：2024-01-18　来源：渭南市总工会　【字体：{size}】</div>
<div class="gov-text">
{body}
</div>
<div class="gov-tools">{tools}</div>
</div>
</div>
<div class="gov-foot">
<p>主办单位：{ORG}　网站标识码：6100000047</p>
<p>陕ICP备10020304号-1　陕公网安备 61010302000123号</p>
</div>
</body>
</html>
"""


def paged(t: c.Text, other: Others) -> list[str]:
    """A report split over two pages named like people.cn's: NAME.html and NAME-2.html,
    joined only by the pager's links (1, 2, 下一页)."""
    half = (len(t.paras) + 1) // 2
    pager = '<div class="page-nav">{}</div>'
    pages = []
    for k, paras in enumerate((t.paras[:half], t.paras[half:])):
        links = anchors(
            ("c1201-5301.html", "1"),
            ("c1201-5301-2.html", "2"),
            *([("c1201-5301-2.html", "下一页")] if k == 0 else [("c1201-5301.html", "上一页")]),
        )
        body = f'<div class="art-main">\n{paras_html(paras)}\n</div>\n{pager.format(links)}'
        main = article(
            t, "发布时间：2024-01-12 10:20　来源：延安市总工会", body, crumb="/gzbg/index.html"
        )
        pages.append(chrome(f"{t.title}_工作报告_{ORG}", main))
    return pages


def report_under_news_headline(t: c.Text, other: Others) -> str:
    """A newspaper page: its headline is news, the report it carries starts with its own
    title line; the document's title is the report's."""
    headline = "商洛：织密职工服务网 让职工办事更便捷"
    body = (
        f'<div class="art-main">\n<p><strong>{esc(t.title)}</strong></p>\n'
        f"{paras_html(t.paras)}\n</div>"
    )
    main = f"""<div class="qg-wrap">
{breadcrumb("/gzbg/index.html")}
<h1 class="art-h">{esc(headline)}</h1>
<div class="art-bar">发布时间：2024-02-05　来源：{PAPER}</div>
{body}
</div>"""
    return chrome(f"{headline}_{PAPER}", main)
