"""A page's publication date as the page shows it: date metas, labelled info-bar dates,
timestamps, script variables, and htmldate as the last resort.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.extract.dom import meta_tags, visible_text

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_META_DATE = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "article:published_time",
    "og:release_date",
    "publish_date",
    "dc.date",
    "dc.date.issued",
    "date",
    "pubtime",
)


# an info-bar date label (Simplified or Traditional) and what follows it
_LABELLED_DATE = re.compile(
    r"(发布时间|發布時間|发表时间|發表時間|发布日期|發布日期|发表日期|發表日期|"
    r"更新时间|更新時間|时间|時間|日期)\s*[:：]\s*(.{6,40})"
)


def published_hint(
    root: HtmlElement, text: str, metas: dict | None = None, visible: str | None = None
) -> str | None:
    """The page's publication date: a date meta, a labelled info-bar date (发布时间：…), the
    first timestamp shown (an info bar's 2020-10-04 20:30), a script's publish-time
    variable, then htmldate's reading of the page."""
    from archive.extract.dates import parse_date

    metas = meta_tags(root) if metas is None else metas
    for name in _META_DATE:
        iso = parse_date(metas.get(name))
        if iso:
            return iso

    if visible is None:
        body = root.find("body")
        visible = visible_text(body) if body is not None else text
    for m in _LABELLED_DATE.finditer(visible):
        iso = parse_date(m.group(2))
        if iso:
            return iso
    for m in _TIMESTAMP.finditer(visible):
        iso = parse_date(m.group(0))
        if iso:
            return iso
    m = _SCRIPT_TIME.search(text)
    if m:
        import datetime as dt

        stamp = dt.datetime.fromtimestamp(int(m.group(2)), dt.timezone(dt.timedelta(hours=8)))
        if 1995 <= stamp.year <= dt.date.today().year:
            return stamp.date().isoformat()
    return _htmldate(root)


# a date with a time of day, as info bars show it: 2020-10-04 20:30, 2020年10月4日 20:30
_TIMESTAMP = re.compile(
    r"(?:19|20)\d\d\s*(?:[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月"
    r"\s*\d{1,2}\s*日)\s*\d{1,2}\s*[:：]\s*\d{2}"
)


# publish-time variables in page scripts, as Unix seconds (var ct = "1581517074")
_SCRIPT_TIME = re.compile(
    r"\b(ct|publish_?time|pub_?time|publishTime|pubTime|createTime)\s*"
    r"[=:]\s*[\"']?(1\d{9})[\"']?"
)


def _htmldate(root) -> str | None:
    try:
        from htmldate import find_date
    except ImportError:  # trafilatura's dependency; absent only in odd installs
        return None
    try:
        found = find_date(root, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
    except Exception:  # htmldate's own parsing errors cost the hint, not the page
        return None
    return found or None
