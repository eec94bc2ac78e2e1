"""A page's title: the article's own headline among the page's headings, <title> and
title metas without their site names, and a report's own title line over a news headline.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.extract import boilerplate
from archive.extract.dom import css_select, ids_and_classes, meta_tags
from archive.extract.parts import MULTI_TITLE

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_TITLE_SELECTORS = (
    "#ctitle",
    ".article-title",
    ".article_title",
    ".arti_title",
    ".news_title",
    ".detail-title",
    ".title",
    "#title",
    "h1",
    "h2",
)


# " - 栏目 - 站名", "_栏目_站名", "|站名", "标题-站名"; never "——" (subtitles) nor 2023-2024
_TITLE_SEP = re.compile(
    r"\s+[-–—－|｜·»:：]+\s+|\s*[_|｜»]+\s*|(?<=\S)\s*[-－]\s*(?=[^\d\s])|\s{2,}"
)


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


_TITLE_NAME = re.compile(r"(^|[-_\s])(title|headline|biaoti|bt|tit)([-_\s]|$)|title", re.I)


def headline_candidates(root: HtmlElement) -> tuple[list[tuple[int, str]], dict]:
    """Headings and title-named elements that could be the article's own headline, as
    (position in document order, text): 4-120 characters, not a link; with the position
    of every element, read before chrome is stripped."""
    out, order = [], {}
    for i, el in enumerate(root.iter()):
        order[el] = i
        if not isinstance(el.tag, str):
            continue
        if el.tag not in _HEADING_TAGS and not _TITLE_NAME.search(
            f"{el.get('class', '')} {el.get('id', '')}"
        ):
            continue
        t = re.sub(r"\s+", " ", el.text_content()).strip()
        if not 4 <= len(t) <= 120 or boilerplate.RELATED.match(t) or boilerplate.chrome_reason(t):
            continue
        linked = "".join(a.text_content() for a in el.iter("a")).strip()
        if len(linked) > 0.5 * len(t):
            continue
        out.append((i, t))
    return out, order


def headline(
    heads: list[tuple[int, str]],
    body_at: int | None,
    root: HtmlElement,
    metas: dict,
    shown: str = "",
) -> str | None:
    """The article's own headline: the heading nearest before the body that <title> or
    og:title repeats (their site suffixes are not part of it), else, when those name only
    the column or site, the nearest heading of 8 characters or more. None: no such heading
    (the CMS's ArticleTitle meta, when there is one, is taken as it is). ``shown``: the
    page's visible text before chrome was stripped (flattened here, only if needed)."""
    if metas.get("articletitle") or body_at is None:
        return None
    before = [(i, t) for i, t in heads if i < body_at]
    if not before:
        return None
    head = root.find(".//title")
    segments = _title_segments(head.text_content()) if head is not None else []
    refs = [
        _flat(x)
        for x in (head.text_content() if head is not None else None, metas.get("og:title"))
        if x
    ]
    # the site's and column's names: every segment but the longest
    site = {_flat(x) for x in sorted(segments, key=len)[:-1]}
    for _i, t in reversed(before):
        ft = _flat(t)
        if ft and ft not in site and any(ft in r for r in refs):
            return _strip_ext(t)
    first = _flat(max(segments, key=len)) if segments else ""
    if len(first) > 8 and first in _flat(shown):
        return None  # <title> names something the page shows: page_title weighs it
    # <title> is only short names (a column and the site), or names nothing the page shows
    for _i, t in reversed(before):
        if len(_flat(t)) >= 8 and _flat(t) not in site:
            return _strip_ext(t)
    return None


# a report's own title line: 关于…的报告, …工作总结, …经验交流材料, …讲话
_REPORT_TITLE = re.compile(
    r"^(.{0,20}关于.{2,50}的(报告|总结|汇报|通知|意见|决定|请示|函|讲话)|"
    r".{2,50}(工作报告|工作总结|工作汇报|总结|汇报|经验交流材料|经验材料|"
    r"讲话|工作要点|工作计划|实施方案))$"
)


def own_report_title(title: str | None, lines: list[str]) -> tuple[str | None, list[str]]:
    """A newspaper or portal page whose headline is news (not itself a report's title) over
    a body that opens with the report's own title line: the document is the report, titled
    as it titles itself, and that line is its title rather than its text."""
    if (
        not lines
        or not title
        or _REPORT_TITLE.match(_flat(title))
        or MULTI_TITLE.search(title)
        or "篇" in lines[0]
    ):
        return title, lines  # a report's own heading, or a 范文 page of parts
    first = lines[0].strip()
    if (
        6 <= len(first) <= 60
        and not re.search("[。！？；，]", first)
        and _REPORT_TITLE.match(_flat(first))
        and _flat(first) != _flat(title)
    ):
        return first, lines[1:]
    return title, lines


def _strip_ext(t: str) -> str:
    return re.sub(r"\.(docx?|pdf|pptx?|txt|wps)$", "", t.strip(), flags=re.I).strip()


def page_title(
    root: HtmlElement, metas: dict | None = None, names: tuple[set, set] | None = None
) -> str | None:
    """ArticleTitle meta, else the page's heading that <title> starts with, else <title>."""
    metas = meta_tags(root) if metas is None else metas
    for name in ("articletitle", "og:title"):
        if metas.get(name):
            return _clean_title(metas[name])
    head = root.find(".//title")
    head_text = _clean_title(head.text_content()) if head is not None else None
    segments = _title_segments(head.text_content()) if head is not None else []
    first = _flat(segments[0]) if segments else ""
    site = {_flat(x) for x in segments[1:]}
    if len(segments) == 1 and any(_flat(a.text_content()) == first for a in root.iter("a")):
        site.add(first)  # a site-wide <title>: the site's name, as in its home link
    names = ids_and_classes(root) if names is None else names
    for sel in _TITLE_SELECTORS:
        for el in css_select(root, sel, names):
            t = re.sub(r"\s+", " ", el.text_content()).strip()
            if not 4 <= len(t) <= 120 or _flat(t) in site:
                continue
            ft = _flat(_clean_title(t) or "")
            if not first or (ft and (ft == first or ft.startswith(first) or first.startswith(ft))):
                return _clean_title(t)
    if first in site:
        # the page's own heading says more than the site's name
        for sel in _TITLE_SELECTORS:
            for el in css_select(root, sel, names):
                t = re.sub(r"\s+", " ", el.text_content()).strip()
                if (
                    6 <= len(t) <= 120
                    and _flat(t) not in site
                    and next(el.iterdescendants("a"), None) is None
                ):
                    return _clean_title(t)
    return head_text


def _flat(s: str) -> str:
    return re.sub(
        r"[\s\u3000]+", "", re.sub(r"\.(docx?|pdf|pptx?|txt|wps)$", "", s.strip(), flags=re.I)
    )


def _title_segments(t: str) -> list[str]:
    t = re.sub(r"\s+", " ", t).strip()
    return [p.strip() for p in _TITLE_SEP.split(t) if p and p.strip()]


def _clean_title(t: str) -> str | None:
    parts = _title_segments(t)
    if not parts:
        return None
    t = parts[0]
    if len(parts) > 1:  # a site name first and the title after it: take the much longer one
        longer = [p for p in parts[1:] if len(p) > 2 * len(parts[0])]
        if longer:
            t = max(longer, key=len)
    t = re.sub(r"\.(docx?|pdf|pptx?|txt|wps)$", "", t, flags=re.I)
    return t.strip() or None
