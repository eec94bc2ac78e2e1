"""Rules for Chinese portal chrome: what a careful person would not cut out.

Two layers, both keyed on structure and recurring patterns rather than on one
site's strings:

* ``strip_elements(root)`` drops page furniture from the DOM before text is
  taken: scripts/styles, nav/header/footer/aside, and small elements whose class
  or id names a chrome role (breadcrumb, share, print, footer, copyright,
  related, toolbar, accessibility...).
* ``clean_lines(lines, title)`` drops chrome lines from extracted text:
  breadcrumbs (当前位置/您的位置...), info bars (发布时间/来源/作者/点击/字体 大中小),
  print/close/share/accessibility bars (lines made only of control words),
  文库 upload headers and page captions, preview-limit messages, 下载资源/资源描述,
  由会员分享, 范文 editor intros, footers (主办单位, ICP备, 公网安备, 网站标识码,
  建议使用…浏览器), and cuts related/猜你喜欢 lists and 上一篇/下一篇 tails.
"""

from __future__ import annotations

import bisect
import difflib
import re

# ------------------------------------------------------------------ DOM layer

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "object",
    "embed",
    "canvas",
    "svg",
    "template",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "header",
    "footer",
    "aside",
)
# class/id names of chrome roles.  Strong names are unambiguous; weak ones also name
# wrappers of real text (div#printArea, .content-bottom, .source-text), so those are
# only dropped when short or made of links.
_ROLE_STRONG = re.compile(
    r"(bread|crumb|position|location|weizhi|dqwz|curpos|bdshare|jiathis|bshare|share|fenxiang|"
    r"footer|copyright|banquan|related|xgwz|xgxw|relate|recommend|tuijian|hot-?list|"
    r"toolbar|tool-?bar|fontsize|font-size|zihao|wza|barrier|accessib|guanhuai|sidebar|"
    r"side-?nav|navbar|topbar|top-?nav|qrcode|erweima|ad-?box|advert|prev-?next|pre-?next|"
    r"shangxia|updown|player|video-?(box|wrap))",
    re.I,
)
_ROLE_WEAK = re.compile(
    r"(print|dayin|foot\b|bottom|older|elder|menu|login|search|comment|pinglun|info-?bar|"
    r"infobar|article-?info|attr|source|meta-?info)",
    re.I,
)
_SMALL = 400  # a strong-named element bigger than this is probably a wrapper
_TINY = 150  # a weak-named element must be this short and without prose (or link-dense)
_PROSE = re.compile("[\u4e00-\u9fff][。！？；]")


def strip_elements(root, keep=None) -> None:
    """Remove chrome elements in place; ``keep`` (an element) and its ancestors stay."""
    protected = set()
    if keep is not None:
        protected.add(keep)
        protected.update(keep.iterancestors())
    for el in list(root.iter(*_DROP_TAGS)):
        if el not in protected and el.getparent() is not None:
            drop(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el in protected or el.getparent() is None:
            continue
        names = f"{el.get('class', '')} {el.get('id', '')}"
        if not names.strip():
            continue
        strong = _ROLE_STRONG.search(names)
        if not strong and not _ROLE_WEAK.search(names):
            continue
        if keep is not None and _contains(el, keep):
            continue
        text = el.text_content()
        if strong:
            if len(text) <= _SMALL or _link_density(el) > 0.5:
                drop(el)
        elif _link_density(el) > 0.3 or (len(text) <= _TINY and not _PROSE.search(text)):
            drop(el)


# a link back to the site (返回腾讯网首页>>) glued to a paragraph's end
BACK_LINK = re.compile(
    r"^[\s\u3000]*((返回|回到).{0,12}(首页|列表|频道|栏目|顶部|主页)|.{0,16}(>>|»|》》))"
    r"[\s\u3000]*$"
)


def strip_link_chrome(root) -> None:
    """Links that are page furniture inside a body: back-to-site links, and a related-links
    heading (相关新闻：) with the paragraphs of nothing but links that follow it."""
    for a in list(root.iter("a")):
        if a.getparent() is not None and BACK_LINK.match(a.text_content()):
            drop(a)
    for el in list(root.iter("p", "div", "h2", "h3", "h4", "h5", "strong")):
        # a long text of its own already rules an element out: its whole text is not built
        if el.getparent() is None or len(el.text or "") > 20 or len(el.text_content()) > 20:
            continue
        if not RELATED.match(el.text_content().strip()) or next(el.iter("a"), None) is not None:
            continue
        box = el
        while (
            box.getparent() is not None
            and box.getnext() is None
            and box.getparent().text_content().strip() == el.text_content().strip()
        ):
            box = box.getparent()
        nxt = box.getnext()
        while nxt is not None and _links_only(nxt):
            after = nxt.getnext()
            drop(nxt)
            nxt = after
        drop(box)


def _links_only(el) -> bool:
    text = re.sub(r"[\s\u3000\xa0]+", "", el.text_content())
    links = "".join(re.sub(r"[\s\u3000\xa0]+", "", a.text_content()) for a in el.iter("a"))
    return bool(text) and len(links) >= len(text) - 2


def _contains(el, other) -> bool:
    return any(a is el for a in other.iterancestors())


def drop(el) -> None:
    """Remove ``el`` from its tree, keeping its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _link_density(el) -> float:
    total = len(el.text_content().strip()) or 1
    links = sum(len(a.text_content().strip()) for a in el.iter("a"))
    return links / total


# ------------------------------------------------------------------ line layer

_SP = r"[\s\u3000\xa0]*"
_COLON = r"[:：]"
BREADCRUMB = re.compile(
    rf"^{_SP}[【\[]?(当前位置|您的位置|你的位置|现在位置|所在位置|您现在的位置|"
    rf"当前页面|位置){_SP}[】\]]?{_SP}{_COLON}"
)
_INFO_LABELS = (
    r"发布时间|发表时间|发布日期|发表日期|更新时间|时间|日期|来源|文章来源|信息来源|"
    r"稿件来源|作者|撰稿|编辑|责任编辑|责编|编审|终审|审核|校对|点击|点击数|点击量|"
    r"浏览|浏览次数|浏览量|阅读|阅读次数|阅读量|查看人数|访问量|人气|索引号|发文机关|"
    r"发布机构|主题分类|字号|字体|供稿|摄影|通讯员|记者|分享到|分享"
)
INFO_FIELD = re.compile(rf"(?:^|[\s【\[|｜丨])({_INFO_LABELS}){_SP}{_COLON}")
INFO_START = re.compile(rf"^{_SP}[【\[(（]?({_INFO_LABELS}){_SP}[】\]]?{_SP}{_COLON}")
_SIZE_PAIR = rf"{_SP}[大中小]{_SP}[】\]]{_SP}[【\[]{_SP}[大中小]{_SP}[】\]]"
FONT_BAR = re.compile(
    rf"字体{_SP}{_COLON}?{_SP}[】\]]?{_SP}[【\[]?{_SP}大{_SP}[】\]]?{_SP}[【\[]?{_SP}中"
    rf"{_SP}[】\]]?{_SP}[【\[]?{_SP}小|【{_SIZE_PAIR}|\[{_SIZE_PAIR}"
)
WENKU = re.compile(
    rf"(上传人|上传者|上传用户|文档编号|文档ID|资源ID|资源编号|下载积分|所需积分|下载券)"
    rf"{_SP}(\(卖家\)|（卖家）)?{_SP}{_COLON}"
)
WENKU_WEAK = re.compile(
    rf"(上传时间|文档格式|文件大小|文档大小|文档页数|页数|格式|大小|浏览|下载次数|收藏){_SP}{_COLON}"
)
CAPTION = re.compile(
    rf"^(.{{0,120}}\.(docx?|pdf|pptx?|txt|wps)(_第{_SP}\d+{_SP}页)?|第{_SP}\d+{_SP}页{_SP}[/／,，]?{_SP}"
    rf"共{_SP}\d+{_SP}页|共{_SP}\d+{_SP}页{_SP}第{_SP}\d+{_SP}页|[-—]*{_SP}\d+{_SP}/{_SP}\d+{_SP}[-—]*|"
    rf"[-—]+{_SP}\d+{_SP}[-—]+)$",
    re.I,
)
PREVIEW = re.compile(
    r"(超出(免费)?预览范围|全部预览完了|该文档总共\s*\d+\s*页|已阅读\s*\d+\s*页|"
    r"还剩\s*\d+\s*页未读|继续免费阅读|展开阅读全文|阅读全文|以下文字是截取|"
    r"免费预览已结束|剩余\s*\d+\s*页可下载|下载本文档|版权说明|版权申诉|"
    r"由会员分享|请在.{1,12}上搜索|珍藏版\)|如果喜欢就下载|下载资源|资源描述|"
    r"本文档由用户上传|内容来自网络|如有侵权|侵权请联系|未经允许不得转载|"
    r"本文(由|来自).{0,20}(整理|发布|投稿)|原文链接|本站所有|免责声明)"
)
INTRO = re.compile(
    r"(小编|以下是.{0,40}(整理|收集|分享|为大家|为你|为您|推荐|精选|范文)|仅供参考|"
    r"供(大家|您|你)参考|希望.{0,12}(帮助|有用|启发)|欢迎(大家)?(阅读|借鉴|参考|分享|收藏)|"
    r"更多.{0,20}(请|欢迎)?(关注|访问|点击))"
)
# (two patterns, each with literal first characters, so a search skips ahead quickly)
FOOTER = re.compile(
    rf"(主办|承办|协办|主管)单位{_SP}{_COLON}|网站标识码|公网安备|版权所有|©|"
    rf"建议使用.{{0,40}}(浏览器|分辨率)|浏览(效果|分辨率)|显示(效果|分辨率)|"
    rf"技术支持{_SP}{_COLON}|网站维护|网站管理|网站地图|联系我们|设为首页|加入收藏|"
    rf"举报电话|违法和不良信息"
)
FOOTER_LATIN = re.compile(
    r"[Ii][Cc][Pp]\s*[备证]|[Cc][Oo][Pp][Yy][Rr][Ii][Gg][Hh][Tt]|\([Cc]\)\s*\d{4}"
)
CONTACT = re.compile(
    rf"^{_SP}(地址|通讯地址|电话|联系电话|传真|邮箱|E-?mail|邮编|邮政编码){_SP}{_COLON}", re.I
)
CONTACT_FIELD = re.compile(rf"(地址|电话|传真|邮箱|E-?mail|邮编|邮政编码){_SP}{_COLON}", re.I)
RELATED = re.compile(
    rf"^{_SP}[【\[]?{_SP}(相关(文章|阅读|推荐|新闻|链接|文档|资料|范文|内容|专题|资讯|搜索|资源|下载|热词|标签)|"
    rf"猜你喜欢|你可能(还)?(喜欢|感兴趣)|您可能(还)?(喜欢|感兴趣)|推荐阅读|热门(文章|推荐|阅读|范文)|"
    rf"延伸阅读|扩展阅读|更多(精彩|相关|推荐)?(文章|内容|范文|阅读)?|精彩推荐|最新(文章|更新|推荐)|"
    rf"本文(标签|关键词)|TAG|标签|网友评论|发表评论|评论)"
    rf"{_SP}[】\]]?{_SP}({_COLON}.*)?$",
    re.I,
)
PREV_NEXT = re.compile(
    rf"^{_SP}[【\[]?(上一篇|下一篇|上一条|下一条|上一则|下一则|上一页|下一页|上篇|下篇|"
    rf"前一篇|后一篇){_SP}[】\]]?{_SP}({_COLON}|$)"
)
# chrome glued into running text (文库 previews without paragraph breaks)
INLINE = re.compile(
    r"\s*(?:已阅读\s*\d+\s*页[,，]?\s*还剩\s*\d+\s*页未读|继续免费阅读|展开阅读全文|下载本文档|"
    r"免费预览已结束[^。]*|第\s*\d+\s*页\s*[/／]?\s*共\s*\d+\s*页|版权说明[:：].*$)\s*"
)
# a line holds INLINE exactly when it holds one of its alternatives: searched without the
# leading blanks, the pattern starts with literals and re skips ahead to them
_INLINE_KEY = re.compile(INLINE.pattern.removeprefix(r"\s*"))
# pinyin glued after characters by spam converters: 報(bào)告 (the bracket first, then the
# look-behind for the character before it: re jumps from bracket to bracket)
PINYIN = re.compile(
    r"[(（](?<=[\u4e00-\u9fff][(（])[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]"
    r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*[)）]"
)
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")

# control words: a line made only of these (and punctuation) is a bar
_CONTROL = sorted(
    """
打印本页 打印此页 打印内容 打印文章 打印本文 打印正文 打印 关闭窗口 关闭本页 关闭此页 关闭 收藏本页 加入收藏 收藏
分享到 分享 复制链接 复制网址 字体 字号 默认 大 中 小 返回顶部 回到顶部 顶部 返回列表 返回首页 返回 内容纠错 纠错
我要纠错 举报 下载 相关 微信 微博 新浪微博 腾讯微博 QQ空间 QQ好友 朋友圈 豆瓣 人人网 网站地图 联系我们 设为首页
无障碍浏览 网站无障碍 无障碍 关怀版 长者模式 老年模式 适老化 读屏 读屏专用 阅读模式 语音播报 放大 缩小 繁体 简体
繁體 简体版 繁体版 登录 注册 首页 扫一扫 书签 版权申诉 继续免费阅读 展开阅读全文 下载本文档 立即下载 免费下载
在线阅读 点赞 评论 转发 手机版 电脑版 English 高级搜索 搜索 保存 导出 PDF Word 上一篇 下一篇 更多 查看更多
列印 列印本页 友善列印 关闭视窗 回上页 回上一页 回首页 回列表 分享至 字级 上一则 下一则 回顶端 回到顶端
""".split(),
    key=len,
    reverse=True,
)
_CONTROL_RE = re.compile("|".join(map(re.escape, _CONTROL)), re.I)
_HAN = re.compile("[\u4e00-\u9fff]")
_SENTENCE = re.compile("[。，；！？,;!?]")
# a bare numeric timestamp line (info bar residue); 年月日 datelines are report text
_DATE_ONLY = re.compile(
    r"^[\s\u3000]*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"(\s*\d{1,2}[:：]\d{2}([:：]\d{2})?)?[\s\u3000]*$"
)


def is_control_bar(line: str) -> bool:
    """A line made only of control words (print/close/share/accessibility/font bars)."""
    if not _CONTROL_RE.search(line):
        return False
    rest = _CONTROL_RE.sub("", line)
    return not _HAN.search(rest) and not re.search(r"[A-Za-z]{3}", rest)


def is_nav_line(line: str) -> bool:
    """Menu-like lines: several short blank-separated items, no sentence punctuation."""
    items = [x for x in re.split(r"[\s\u3000\xa0|｜丨>»›/]+", line) if x]
    if len(items) < 4 or _SENTENCE.search(line):
        return False
    return all(len(x) <= 10 for x in items) and max(len(x) for x in items) <= 10


def is_info_bar(line: str) -> bool:
    if FONT_BAR.search(line):
        return True
    fields = INFO_FIELD.findall(line)
    if len(fields) >= 2 and len(line) < 300:
        return True
    if INFO_START.match(line) and len(line) < 100 and not _SENTENCE.search(line[12:]):
        return True
    return False


# credit lines: who wrote, edited, photographed or where it came from (记者 张三, 【文/…】,
# 执笔/…, （实习生…对此文亦有贡献）, 图片均来自网络, （原题为《…》）)
_CREDIT_LABEL = (
    r"文|图|文图|图文|文字|执笔|采写|撰文|撰稿|作者|记者|通讯员|编辑|责编|责任编辑|编审|审核|"
    r"实习生|摄影|摄|整理|编译|编者|来源|出处|原标题|原题|本文作者"
)
CREDIT = re.compile(
    rf"^{_SP}[【\[(（]?{_SP}(本报)?({_CREDIT_LABEL}){_SP}[/:：|｜丨]|"
    rf"^.{{0,16}}(记者|作者|通讯员|特约撰稿人?){_SP}([\u4e00-\u9fff·]{{2,4}}{_SP}){{1,4}}$|"
    rf"^{_SP}[(（【\[].{{0,60}}(贡献|整理自|综合自|编译自|转载自|转自|来源于|原题为|原标题|"
    rf"综合整理)[^)）】\]]*[)）】\]]{_SP}$|"
    rf"(图片|信息|内容|资料|文章|素材)(均|皆)?(来自|来源于|源于|选自|取自)(网络|互联网)|"
    rf"(重新编排|编辑整理|整理编辑)[。.]?$"
)
# a reader's prompt: （点击看清晰大图）, 【点击查看原文】
PROMPT = re.compile(
    rf"^{_SP}[（(【\[]{_SP}(点击|点此|戳这里|戳此){_SP}[^）)】\]]{{0,14}}[)）】\]]{_SP}$"
)
# promotion of an app, an account or another product
PROMO = re.compile(
    r"下载(客户端|APP|App|app)|扫(码|一扫|描二维码)|关注(我们|公众号|微信|微博)|"
    r"(请|敬请|欢迎)关注|专享福利|免费试(玩|用)|长按(识别|二维码)"
)
SUMMARY_LABEL = re.compile(
    rf"^{_SP}[【\[]?(划重点|摘要|内容摘要|内容提要|导读|核心提示|要点提示|"
    rf"本文要点){_SP}[】\]]?{_SP}{_COLON}?"
)


def edge_reason(line: str) -> str | None:
    """Families only trusted at the top or bottom of a body (they resemble content):
    范文 editor intros/outros, menu-like lines, credits and promotions."""
    if INTRO.search(line) and len(line) < 200:
        return "intro"
    if is_nav_line(line):
        return "nav"
    if len(line) < 80 and CREDIT.search(line):
        return "credit"
    if len(line) < 120 and PROMO.search(line):
        return "promo"
    return None


EDGE = 2  # lines at each end of a body where edge families are dropped


def chrome_reason(line: str) -> str | None:
    """Which chrome family a line belongs to (anywhere in a body), or None for content."""
    if BREADCRUMB.search(line):
        return "breadcrumb"
    if is_info_bar(line):
        return "info"
    if len(line) < 200 and (WENKU.search(line) or len(WENKU_WEAK.findall(line)) >= 2):
        return "wenku"
    if CAPTION.match(line):
        return "caption"
    if PREVIEW.search(line) and len(line) < 200:
        return "preview"
    if len(line) < 300 and (FOOTER.search(line) or FOOTER_LATIN.search(line)):
        return "footer"
    if CONTACT.match(line) and len(CONTACT_FIELD.findall(line)) >= 2 and len(line) < 160:
        return "contact"
    if PREV_NEXT.match(line):
        return "prevnext"
    if is_control_bar(line):
        return "bar"
    if _DATE_ONLY.match(line):
        return "date"
    return None


def similar(a: str, b: str) -> float:
    a, b = _squash(a), _squash(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _squash(s: str) -> str:
    """Compare titles: no file extension, no blanks, no table/bracket punctuation."""
    s = re.sub(r"\.(docx?|pdf|pptx?|txt|wps)$", "", s.strip(" |｜"), flags=re.I)
    return re.sub(r"[\s\u3000\xa0|｜丨【】\[\]]+", "", s)


# Families found by an unanchored search: one scan of the whole body marks the lines
# they touch (a match inside a line is also a match in the joined text), so only
# those lines, and lines an anchored family matches, get the full per-line test.
# INFO_KEY: an info label and its colon, wherever it stands (every INFO_FIELD match has one)
INFO_KEY = re.compile(rf"(?:{_INFO_LABELS}){_SP}{_COLON}")
_SCANNED = (FONT_BAR, INFO_KEY, WENKU, WENKU_WEAK, PREVIEW, FOOTER, FOOTER_LATIN)
_ANCHORED = (BREADCRUMB, INFO_START, CAPTION, CONTACT, PREV_NEXT, _DATE_ONLY)
# any of them matching at a line's start: one alternation, each under its own flags
_ANY_ANCHORED = re.compile(
    "|".join(f"(?{'i' if rx.flags & re.I else ''}:{rx.pattern})" for rx in _ANCHORED)
)
_CONTROL_CHARS = frozenset("".join(_CONTROL))


def _non_control_han_class() -> re.Pattern:
    ranges, start, prev = [], None, None
    for o in range(0x4E00, 0xA000):
        if chr(o) in _CONTROL_CHARS:
            continue
        if start is not None and o == prev + 1:
            prev = o
            continue
        if start is not None:
            ranges.append((start, prev))
        start = prev = o
    ranges.append((start, prev))
    return re.compile(
        "["
        + "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)
        + "]"
    )


# a Han character no control word has: a line holding one is no control bar
_NON_CONTROL_HAN = _non_control_han_class()


def chrome_flags(lines: list[str]) -> list[bool]:
    """``chrome_reason(line) is not None`` for each line, the same answers for a
    fraction of the cost: unanchored families are searched once over the joined lines."""
    joined = "\n".join(lines)
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    marked: set[int] = set()
    lower = joined.lower()
    latin = "icp" in lower or "copyright" in lower or "(c)" in lower
    for rx in _SCANNED if latin else _SCANNED[:-1]:  # FOOTER_LATIN last: needs one of those
        for m in rx.finditer(joined):
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.end() - 1, m.start())) - 1
            marked.update(range(first, last + 1))
    flags = []
    for i, line in enumerate(lines):
        suspect = (
            i in marked
            or _ANY_ANCHORED.match(line)
            or (not _NON_CONTROL_HAN.search(line) and _CONTROL_RE.search(line))
        )
        flags.append(bool(suspect) and chrome_reason(line) is not None)
    return flags


def clean_lines(lines: list[str], title: str | None = None) -> tuple[list[str], str | None]:
    """Drop chrome lines and leading repeats of the title; return (lines, title).

    A repeat is the title itself, or the title as a file name (``X.docx``); a
    document's own different heading under a shared file's name is content.
    """
    emoji = EMOJI.search("".join(lines)) is not None
    cleaned: list[str] = []
    for raw in lines:
        line = (EMOJI.sub("", raw) if emoji else raw).strip(" \t\u3000\xa0\r\n")
        if "(" in line or "（" in line:
            line = PINYIN.sub("", line)
        if len(line) >= 200 and _INLINE_KEY.search(line):
            line = INLINE.sub("", line).strip()
        cleaned.append(line)
    chrome = chrome_flags(cleaned)
    out: list[str] = []
    for n, line in enumerate(cleaned):
        if not line:
            continue
        if RELATED.match(line):
            # a related-list heading ends the article, unless paragraphs follow it
            # (a sidebar list placed before the body)
            rest = lines[n + 1 :]
            if out and sum(1 for x in rest if len(x) >= 60 and _SENTENCE.search(x)) < 2:
                break
            continue
        if out and _ends_article(line, lines[n + 1 :]):
            break
        if chrome[n] or PROMPT.match(line):
            continue
        out.append(line)
    # intros, outros and menus: only where chrome lives, at the edges
    while out and edge_reason(out[0]):
        out.pop(0)
    while out and edge_reason(out[-1]):
        out.pop()
    out = _drop_restated_summary(out)
    for i in [*range(min(EDGE, len(out))), *range(max(EDGE, len(out) - EDGE), len(out))][::-1]:
        if i < len(out) and edge_reason(out[i]):
            out.pop(i)
    if title:
        key = _squash(title)
        i = 0
        while i < len(out) and i < 8:
            if _squash(out[i]) == key:
                out.pop(i)
                continue
            i += 1
    return out, title


def _ends_article(line: str, rest: list[str]) -> bool:
    """A labelled credit (作者：…, 采写：…, 责任编辑：…) with little prose after it closes the
    article: what follows is a teaser for another article or a source tag."""
    if len(line) >= 80 or not CREDIT.match(line) or not re.search(rf"{_SP}[:：/]", line[:12]):
        return False
    return sum(1 for x in rest if len(x) >= 60 and _SENTENCE.search(x)) < 2


def _drop_restated_summary(lines: list[str]) -> list[str]:
    """Summary boxes above the body (摘要：…, 划重点： and its bullets) restate what the body
    says: a labelled line, or the run of lines under a bare label, most of whose phrases
    recur later in the body is not body text."""
    head = min(8, len(lines))
    drop: set[int] = set()
    i = 0
    while i < head:
        if not SUMMARY_LABEL.match(lines[i]):
            i += 1
            continue
        bare = len(_squash(SUMMARY_LABEL.sub("", lines[i]))) == 0
        j = i + 1 if bare else i
        run = []
        while j < len(lines) and _restated(lines[j], lines[j + 1 :]):
            run.append(j)
            j += 1
            if not bare:
                break
        if run:
            drop.update(run)
            if bare:
                drop.add(i)
        i = j + 1
    if not drop:
        return lines
    kept = [x for i, x in enumerate(lines) if i not in drop]
    while kept and edge_reason(kept[0]):  # a byline under the box now stands at the top
        kept.pop(0)
    return kept


def _restated(line: str, later_lines: list[str]) -> bool:
    key = _squash(SUMMARY_LABEL.sub("", line))
    if len(key) < 15:
        return False
    later = "".join(_squash(x) for x in later_lines)
    grams = {key[j : j + 6] for j in range(len(key) - 5)}
    return sum(g in later for g in grams) >= 0.6 * len(grams)


def _strip_ext(s: str) -> str:
    return re.sub(r"\.(docx?|pdf|pptx?|txt|wps)$", "", s.strip(), flags=re.I)


def leaks(text: str) -> list[str]:
    """Chrome families still present in a text (used by evaluation)."""
    found = []
    for line in text.splitlines():
        r = chrome_reason(line) or edge_reason(line)
        if r and r not in ("nav", "date", "contact"):
            found.append(r)
    return found
