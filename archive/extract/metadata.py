"""Facts about one extracted document: dates, year, issuing organisation, region,
document type and whether it is a union work report.

``describe(title, text, url, published_hint=None, context=None) -> dict`` with keys
published_date, report_date, year, org, region, doc_type, is_report, report_score and
the official-document fields doc_number, addressee, issuer, issued_date (archive.extract.official).
``text`` is the normalised report text (Simplified, one paragraph per line); the title
may be Traditional or Simplified. ``context`` (optional) is page chrome that names the
document's category, e.g. a breadcrumb "首页>>经验交流材料"; it only helps doc_type.
See docs/metadata.md for the rules and formats.
"""

from __future__ import annotations

import re
from collections import Counter

from archive.extract.dates import find_year, parse_date
from archive.extract.normalize import to_simplified
from archive.extract.official import official_fields
from archive.extract.orgs import (
    DATELINE_JUNK,
    ORG_PREFIX,
    ORG_SUBJECT,
    canonical_org,
    clean_org,
    dateline,
)
from archive.extract.regions import region_of, region_of_text

HEAD_LINES = 6  # lines under the title searched for a dateline / org
TAIL_LINES = 4  # lines at the end searched for a signature

# ---------------------------------------------------------------- dates

_LABELLED = re.compile(
    r"(?:发布|发表|更新|上传|成文|印发)?(?:时间|日期)\s*[:：]?\s*"
    r"|(?:发布于|发表于|来源[:：][^\s]{0,20}\s+)"
)
_URL_DATES = (
    re.compile(r"(?<!\d)(20\d\d)[-_/]?(0[1-9]|1[0-2])[-_/]?(0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"/(20\d\d)/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/(20\d\d)/(\d\d)(\d\d)/"),
)


def date_from_url(url: str | None) -> str | None:
    """A publication date written in a URL: /202403/t20240329_1068756.html,
    /art/2026/9/16/art_77278_1.html, /c/2026-02-25/8740893.shtml, /n1/2023/1013/c6-4.html."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    for rx in _URL_DATES:
        for m in rx.finditer(path):
            iso = parse_date(f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
            if iso:
                return iso
    return None


def _labelled_date(lines: list[str]) -> str | None:
    for line in lines:
        if len(line) > 120:
            continue
        m = _LABELLED.search(line)
        if m:
            iso = parse_date(line[m.end() : m.end() + 40])
            if iso:
                return iso
    return None


_TITLE_PAREN = re.compile(r"[（(]([^()（）]{2,30})[)）]\s*$")


def _org_from_title(title: str) -> str | None:
    m = _TITLE_PAREN.search(title)
    if m:
        org = clean_org(m[1])
        if org:
            return org
    m = ORG_PREFIX.match(title.strip())
    if m:
        return clean_org(m["org"])
    return None


def _org_from_subject(lines: list[str]) -> str | None:
    for line in lines:
        m = ORG_SUBJECT.match(line)
        if m:
            return clean_org(m["org"])
    return None


_SPEAKER = re.compile(
    r"^(?P<org>\S{2,30}?)(?:党组书记|党组成员|常务副主席|副主席|主席|副书记|书记|副局长|局长|副主任|主任|"
    r"副总经理|总经理|经理|副院长|院长|副部长|部长|副厂长|厂长)\s*(?:[\u4e00-\u9fff]{2,4}|[xX×]{2,3})?$"
)


def _org_from_lines(lines: list[str]) -> str | None:
    for line in lines:
        if len(line) > 60:
            continue
        dl = dateline(line)
        candidate = dl[1] if dl else line
        m = _SPEAKER.match(candidate)
        if m:  # "德阳市总工会主席 李堃": the speaker's organisation
            candidate = m["org"]
        candidate = DATELINE_JUNK.sub("", candidate)
        org = clean_org(candidate)
        if org:
            return org
    return None


# ---------------------------------------------------------------- document type

_DOC_TYPES = (
    (
        "经验交流",
        re.compile(
            r"经验交流|交流材料|经验材料|典型材料|发言材料|典型发言|交流发言|经验介绍|典型经验"
        ),
    ),
    ("讲话", re.compile(r"讲话|致辞|致词|发言(?!材料)|报告会上的|动员会上|开幕词|闭幕词")),
    ("汇报", re.compile(r"汇报|简报")),
    ("总结", re.compile(r"总结|小结|回顾")),
    ("报告", re.compile(r"报告|述职")),
    ("计划", re.compile(r"计划|规划|工作要点|工作安排|工作打算|工作思路|工作方案|实施方案")),
)


_NOTICE_END = re.compile(r"(?:通知|公告|公示|通告|启事|通报|名单|批复|决定)$")
_EXPERIENCE = re.compile(
    r"^(?:[一二三四五六七八九十]+、)?(?:几点体会|主要做法|经验做法|几点启示|经验启示|体会与启示|主要体会|"
    r"几点经验|基本经验|工作体会)",
    re.M,
)


def doc_type_of(title: str, head: str = "", context: str = "", text: str = "") -> str:
    """汇报, 总结, 报告, 经验交流, 讲话, 计划 or other — from the title, else the subtitle
    lines, else the category context (breadcrumb), else headings typical of experience
    materials (几点体会, 主要做法) in the text. Notices (…的通知, …公示) are other."""
    title = to_simplified(title or "")
    if _NOTICE_END.search(title):
        return "other"
    for source in (title, head, context):
        if not source:
            continue
        hits = []
        for name, rx in _DOC_TYPES:
            m = rx.search(source)
            if m:
                hits.append((name, m.start()))
        if hits:
            if source is context:
                return hits[0][0]
            # 总结 ... 及 ... 计划: the first named kind is the head
            names = {h[0] for h in hits}
            for name, _rx in _DOC_TYPES:
                if name in names:
                    if name in ("总结", "汇报", "报告") and "计划" in names:
                        return min(hits, key=lambda h: h[1])[0]
                    return name
    if _TITLE_PAREN.search(title or "") and _org_from_title(title):
        return "经验交流"  # "标题（某单位）": a contribution to a meeting's exchange materials
    if text and _EXPERIENCE.search(text):
        return "经验交流"
    return "other"


# ---------------------------------------------------------------- report detection

_UNION = re.compile(
    r"工会|职工|劳模|劳动模范|工人|总工会|会员|劳动竞赛|集体协商|职代会|困难职工|农民工"
)
_REPORT_CUES = re.compile(
    r"现将.{0,20}(?:汇报|报告|总结)如下|今年以来|一年来|上半年|本半年|主要工作|工作开展情况|主要做法|取得的?成效|"
    r"存在的(?:问题|不足)|下一步|工作打算|工作思路|明年|20\d\d年工作|工作总结|回顾|扎实推进|稳步推进|"
    r"进一步加强|取得了|积极开展|深入开展"
)
# every branch starts with a literal: re skips ahead to the characters that can start one
# (a group such as (?:上|本) first would make it try the whole pattern at every position)
_HEADING = (
    r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[、.．]|"
    r"[一二三四五六七八九十]是)"
)
_HEADING_AT_START = re.compile(_HEADING)
_HEADING_AFTER_NL = re.compile("\n" + _HEADING)  # a literal first: re jumps newline to newline


def _count_headings(text: str) -> int:
    """Lines starting with a heading number (一、 （二） 3、 四是): what
    ``re.findall("^" + _HEADING, text, re.M)`` counts, in a scan from newline to newline."""
    return len(_HEADING_AFTER_NL.findall(text)) + (_HEADING_AT_START.match(text) is not None)


_NEWS_CUES = re.compile(
    r"记者|通讯员|本报讯|本网讯|讯\s|日电|据悉|日前|近日|消息|报道|编辑[:：]|责编|来源[:：]|（图）|图为|获悉|"
    r"日上午|日下午|日晚"
)
_NOTICE_TITLE = re.compile(
    r"通知|公告|通告|公示|启事|通报|招聘|招标|采购|批复|函$|决定|办法|条例|规定|细则|意见$|名单|须知|指南|倡议书|"
    r"问答|答问|答记者问|解读|Q&A|\?|？"
)
_NEWS_TITLE = re.compile(
    r"召开|举行|举办|开幕|闭幕|隆重|圆满|顺利|启动仪式|走访|慰问|看望|出席|喜获|荣获|获评|同场竞技|"
    r"落幕|揭晓|签约|座谈会$|见面会|上作|作了"
)
_QA = re.compile(r"^(?:问|答|Q|A)[:：]", re.M)
_REPORT_TITLE = re.compile(
    r"汇报|简报|总结|小结|工作报告|述职|经验交流|交流材料|典型材料|经验材料|发言材料|讲话|工作情况|调研报告|工作计划|工作要点"
)
_QA_AFTER_NL = re.compile(r"\n(?:问|答|Q|A)[:：]")  # a literal first, as _HEADING_AFTER_NL


def _count_qa(text: str) -> int:
    """``len(_QA.findall(text))``, scanning from newline to newline."""
    return len(_QA_AFTER_NL.findall(text)) + (_QA.match(text) is not None)


def report_score_of(title: str, text: str, doc_type: str) -> float:
    """0..1: how much this looks like a union work report (汇报/总结/报告/经验交流材料…)
    rather than a news item, notice, Q&A or another document."""
    n = len(text)
    head = text[:3000]
    union_hits = len(_UNION.findall(head)) + 3 * len(_UNION.findall(title))
    cues = len(_REPORT_CUES.findall(head))
    headings = _count_headings(text[:8000])
    news = len(_NEWS_CUES.findall(text[:600]))
    titled = _REPORT_TITLE.search(title) is not None
    score = 0.0
    if titled:
        score += 0.45
    elif doc_type != "other":
        score += 0.25
    if _NOTICE_TITLE.search(title) and not titled:
        score -= 0.45
    if _NEWS_TITLE.search(title):
        score -= 0.3
    score += min(union_hits, 10) * 0.025  # up to 0.25
    score += min(cues, 6) * 0.03  # up to 0.18
    score += min(headings, 5) * 0.03  # up to 0.15
    if n >= 1500:
        score += 0.12
    elif n >= 800:
        score += 0.06
    elif n < 300 and not titled:
        score -= 0.1
    if n < 400 and headings == 0 and not titled:
        score -= 0.15  # a few sentences without structure and no report title
    score -= min(news, 4) * 0.08
    if _count_qa(text[:5000]) >= 2:
        score -= 0.4
    if union_hits == 0:
        score -= 0.3
    return round(max(0.0, min(1.0, score)), 3)


# ---------------------------------------------------------------- year

# "(?<![\dxX])((?:19|20)\d\d)年" with the look-behind after the literal 19/20, so that re
# skips ahead to the literal
_TEXT_YEAR = re.compile(r"((?:19|20)(?<![\dxX]..)\d\d)年")


_PLACEHOLDER_YEAR = re.compile(r"(?<!\d)(?:19|20)(?:[xX×*＊]{2}|\d[xX×*＊]|_{2,}|＿{2,})\s*年")


# "(?<![A-Za-z0-9])(?:[xX×]{2,}|[xX×](?=[区县市镇乡街届次名人万])|_{2,}|＿{2,})" with its
# first character before the look-behind: re skips ahead to it (tested equal)
_TEMPLATE = re.compile(
    r"[xX×_＿](?<![A-Za-z0-9].)(?:(?<=[xX×])[xX×]+|(?<=[xX×])(?=[区县市镇乡街届次名人万])"
    r"|(?<=_)_+|(?<=＿)＿+)"
)


def _year(
    title: str,
    head_lines: list[str],
    report_date: str | None,
    published_date: str | None,
    text: str,
) -> int | None:
    if _PLACEHOLDER_YEAR.search(title) or any(
        _PLACEHOLDER_YEAR.search(ln) for ln in head_lines[:3]
    ):
        return None  # a template (20xx年): the year it covers is not known
    y = find_year(title)
    if y:
        return y
    for line in head_lines[:3]:
        if len(line) <= 40 and not dateline(line):
            y = find_year(line)
            if y:
                return y
    if report_date:
        return int(report_date[:4])
    years = Counter(int(y) for y in _TEXT_YEAR.findall(text[:5000]))
    if years:
        ((y, c),) = years.most_common(1)
        if c >= 2 and 1949 <= y <= 2100:
            return y
    if published_date and not _TEMPLATE.search(title + "\n" + text[:1000]):
        # not for templates (their publication says nothing), nor for an upload years after
        # every year the text names (a 文库 copy of an old report)
        py = int(published_date[:4])
        if not years or py <= max(years) + 1:
            return py
    return None


# ---------------------------------------------------------------- describe

_SQUASH = re.compile(r"[\s　]|\.(?:docx?|pdf|wps)$")


def _squash(s: str) -> str:
    return _SQUASH.sub("", s)


def describe(
    title: str | None,
    text: str | None,
    url: str | None = None,
    published_hint: str | None = None,
    context: str | None = None,
) -> dict:
    title = to_simplified((title or "").strip())
    text = text or ""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    # the text usually repeats the title (and maybe a subtitle) first
    start = 0
    norm_title = _squash(title)
    while start < min(len(lines), 3) and norm_title and _squash(lines[start]) == norm_title:
        start += 1
    head = lines[start : start + HEAD_LINES]
    tail = lines[max(start, len(lines) - TAIL_LINES) :]  # short texts too: their signature

    published = parse_date(published_hint) if published_hint else None
    if not published:
        published = _labelled_date(lines[:3] + tail[-2:]) or date_from_url(url)

    report_date = None
    for line in head:
        dl = dateline(line)
        if dl:
            report_date = dl[0]
            break
        if len(line) > 60:
            break  # the body has started
    if not report_date:
        for line in reversed(tail):
            dl = dateline(line)
            if dl:
                report_date = dl[0]
                break
    if not report_date:
        m = _TITLE_PAREN.search(title)
        if m:
            report_date = parse_date(m[1])

    head_short = []
    for line in head:
        if len(line) > 60:
            break
        head_short.append(line)
    # a line ending in a colon addresses someone (市委、市政府：, 同志们：): never the issuer
    named = [ln for ln in head_short if not ln.endswith((":", "："))]
    org = (
        _org_from_lines(named)
        or _org_from_title(title)
        or _org_from_lines(list(reversed(tail)))
        or _org_from_subject(lines[start : start + 1])
    )
    org = canonical_org(org)

    region = (
        region_of(org)
        or region_of(title)
        or region_of(" ".join(head_short))
        or region_of_text(text[:6000])
    )

    subtitle = " ".join(
        ln for ln in head_short[:2] if len(ln) <= 30 and not re.search("[，。；]", ln)
    )
    doc_type = doc_type_of(title, subtitle, context or "", text)
    year = _year(title, head_short, report_date, published, text)
    score = report_score_of(title, text, doc_type)
    is_report = int(score >= 0.5)
    if not is_report:
        # the report facts describe reports only: a news item, notice or Q&A gets none
        year = org = region = report_date = None
    return {
        "published_date": published,
        "report_date": report_date,
        "year": year,
        "org": org,
        "region": region,
        "doc_type": doc_type,
        "is_report": is_report,
        "report_score": score,
        **official_fields(title, lines[start:]),
    }


# ---------------------------------------------------------------- duplicates agree

SHARED_FACTS = ("report_date", "year", "org", "region")


def fill_from_duplicates(docs: list[dict], clusters: dict[str, str]) -> dict[str, dict]:
    """Copies of one report (same cluster_id) describe the same facts: a copy missing one
    (a 文库 upload without its dateline, a repost without the org line) takes the value
    the other copies agree on. Only missing values are filled, and only from reports;
    when copies disagree nothing is filled. ``docs`` are rows with ``id`` and the facts;
    returns {doc_id: {field: value}} for the rows to update."""
    groups: dict[str, list[dict]] = {}
    for d in docs:
        cid = clusters.get(d["id"])
        if cid is not None:
            groups.setdefault(cid, []).append(d)
    updates: dict[str, dict] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        reports = [m for m in members if m.get("is_report")]
        for field in SHARED_FACTS:
            values = {m.get(field) for m in reports if m.get(field) not in (None, "")}
            if len(values) != 1:
                continue
            (value,) = values
            for m in reports:
                if m.get(field) in (None, ""):
                    updates.setdefault(m["id"], {})[field] = value
    return updates
