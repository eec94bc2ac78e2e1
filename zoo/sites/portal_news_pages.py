"""The portal's 工会动态 (news column) article pages, one template per class of real page."""

from __future__ import annotations

import random

from .. import content as c
from ..site import esc, paras_html
from .portal_chrome import NOLINK, ORG, Others, anchors, article, breadcrumb, chrome


def timestamp_bar(t: c.Text, other: Others) -> str:
    """Breadcrumb in another wording, an info bar whose date has no label, and a <title>
    naming only the column and the site, the headline in an <h5> just before the body."""
    share = anchors((NOLINK, "微信"), (NOLINK, "微博"))
    main = f"""<div class="qg-wrap">
{breadcrumb("/ghdt/index.html", "您所在的位置：", "正文")}
<div class="art-bar">2024-03-05 09:30　来源：三秦职工报　作者：杜明远</div>
<h5>{esc(t.title)}</h5>
<div class="art-main">
{paras_html(t.paras)}
</div>
<div class="art-share">分享到：{share}</div>
</div>"""
    return chrome(f"工会动态--{ORG}", main)


SPAM_WORDS = (
    "工会工作总结",
    "工会工作汇报",
    "工会工作计划",
    "职工之家",
    "模范职工之家",
    "工会经费",
    "工会会员",
    "入会申请书",
    "劳动模范",
    "大国工匠",
    "职工书屋",
    "困难职工帮扶",
    "金秋助学",
    "送温暖",
    "安康杯",
    "劳动竞赛",
    "集体协商",
    "职代会",
    "厂务公开",
    "工会换届",
    "工会主席述职报告",
    "工会工作要点",
    "工会活动方案",
    "职工运动会",
    "工会年终总结",
    "工会工作报告范文",
    "基层工会",
    "新就业形态劳动者",
    "工会法律援助",
    "职工疗休养",
)
SPAM_CITIES = ("西安", "宝鸡", "咸阳", "铜川", "渭南", "延安", "榆林", "汉中", "安康", "商洛")


def spam(min_bytes: int = 40_000) -> str:
    """Tens of KB of search keywords (city x phrase), shuffled the same way every time."""
    rng = random.Random("union-zoo-portal-spam")
    words = [f"{city}{w}" for city in SPAM_CITIES for w in SPAM_WORDS]
    out, size = [], 0
    while size < min_bytes:
        rng.shuffle(words)
        out.append(" ".join(words))
        size += len(out[-1].encode("utf-8"))
    return "\n".join(out)


def keyword_spam(t: c.Text, other: Others) -> str:
    """Keyword spam in a display:none box as big as the page; a headline with a '|'."""
    # the interviewer's questions in bold, the answers plain
    body = "\n".join(
        f"<p><strong>{esc(p)}</strong></p>" if p.endswith("？") else f"<p>{esc(p)}</p>"
        for p in t.paras
    )
    main = article(
        t, "发布时间：2024-04-12　来源：三秦职工报", f'<div class="art-main">\n{body}\n</div>'
    )
    return chrome(
        f"{t.title} - {ORG}", main, prelude=f'<div style="display:none">{esc(spam())}</div>\n'
    )


def credit_lines(t: c.Text, other: Others) -> str:
    """Credit lines inside the body: a byline first, contribution, image and editor
    credits last, then a teaser for another article."""
    path, teased = other[0]
    teaser = (
        f'<p>【推荐】<a href="{path}">{esc(teased.title)}</a>　来自全省11个市（区）和'
        f"省级产业工会的386名选手在8个工种中同台竞技，比一比谁的技能更过硬……</p>"
    )
    body = "\n".join(
        [
            "<p>【文/本报记者 韩立群】</p>",
            f"<p>{esc(t.paras[0])}</p>",
            '<p style="text-align:center"><img src="/img/zjj-1.jpg" alt=""></p>',
            paras_html(t.paras[1:]),
            "<p>（实习生赵若溪对此文亦有贡献）</p>",
            "<p>图片均来自网络</p>",
            "<p>责任编辑：孟凡</p>",
            teaser,
        ]
    )
    main = article(
        t, "发布时间：2024-04-26 10:05　来源：三秦职工报", f'<div class="art-main">\n{body}\n</div>'
    )
    return chrome(f"{t.title} - {ORG}", main)


KEY_POINTS = (
    "全省已建成职工驿站1286个，覆盖11个市（区）",
    "驿站年均服务户外劳动者超过200万人次",
    "今年将新建驿站200个，重点向县城和乡镇延伸",
)


def summary_box(t: c.Text, other: Others) -> str:
    """A 划重点 box at the top of the body whose bullets restate the body's sentences."""
    points = "".join(f"<li>{esc(x)}</li>" for x in KEY_POINTS)
    main = article(
        t,
        "发布时间：2024-04-15 08:20　来源：三秦职工报",
        f"""<div class="art-main">
<div class="key-box"><p class="key-label">划重点：</p><ul>{points}</ul></div>
{paras_html(t.paras)}
</div>""",
    )
    return chrome(f"{t.title} - {ORG}", main)


def widgets(t: c.Text, other: Others) -> str:
    """Inside the body: related links before the text, a video player, a prompt under an
    image, a back-to-home link glued to the last paragraph and a promotion box."""
    related = "\n".join(f"<p>{anchors((p, esc(ot.title)))}</p>" for p, ot in other[:2])
    paras = [f"<p>{esc(p)}</p>" for p in t.paras]
    paras[-1] = f'<p>{esc(t.paras[-1])}<a href="/">返回首页&gt;&gt;</a></p>'
    paras.insert(
        2,
        '<p style="text-align:center"><img src="/img/jnds-2.jpg" alt=""></p>\n'
        '<p style="text-align:center">（点击看清晰大图）</p>',
    )
    main = article(
        t,
        "发布时间：2024-05-16 17:45　来源：三秦职工报",
        f"""<div class="art-main">
<p><strong>相关新闻：</strong></p>
{related}
<div class="qg-player-wrap"><div class="qg-player-title">视频｜全省职工职业技能大赛决赛现场</div>
<video src="/media/jnds2024.mp4" poster="/img/jnds-1.jpg"></video>
<div class="qg-player-bar"><span>00:00 / 02:36</span>
<label><input type="checkbox" checked> 自动播放</label></div></div>
{chr(10).join(paras)}
<div class="promo-card"><img src="/static/qr.png" alt="">
<p>扫码关注“三秦职工”微信公众号，获取更多工会资讯</p>
<p>下载客户端，看更多职工新闻</p></div>
</div>""",
    )
    return chrome(f"{t.title} - {ORG}", main)


def column_first_title(t: c.Text, other: Others) -> str:
    """<title> as column--headline; a 摘要 box and a two-reporter byline atop the body."""
    abstract = (
        "延安一家供电企业设立“职工议事会”，一线职工通过议事会提出的127条建议中"
        "已有96条落地，职工参与企业管理的热情明显提高。"
    )
    main = article(
        t,
        "日期：2024-05-20　来源：三秦职工报",
        f"""<div class="art-main">
<div class="art-abstract"><b>摘要：</b>{abstract}</div>
<p>本报记者 吕新宇 范小雨</p>
{paras_html(t.paras)}
</div>""",
        crumb="基层风采",
    )
    return chrome(f"基层风采--{t.title}", main)
