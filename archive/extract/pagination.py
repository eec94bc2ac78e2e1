"""Multi-page articles: a page's place among its pages (page index, page count, the URL
of the first page) from CMS pager scripts, sibling _N links and pager links.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_PAGER = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*"
    r"[\"'](\w+)[\"']"
)


_PAGER_VARS = re.compile(
    r"countPage\s*=\s*(\d+).{0,200}?currentPage\s*=\s*(\d+)|"
    r"currentPage\s*=\s*(\d+).{0,200}?countPage\s*=\s*(\d+)",
    re.S,
)


_PAGE_URL = re.compile(r"^(.*?)_(\d+)\.(s?html?)$")


def pagination_from_links(root: HtmlElement, url: str) -> tuple[int, int, str] | None:
    """Pager links to stem_N.html siblings (0-based like TRS _1, or 1-based like _2)."""
    path = urlsplit(url).path
    m = _OWN_PAGE.match(path)
    if not m:
        return None
    stem, own, ext = m.group(1), int(m.group(2)) if m.group(2) else None, m.group(3)
    nums, unsure = set(), []
    for a in root.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        if "_" not in href:
            # no sibling's name in it: it can only come back to this page itself (an empty
            # path: "?page=2", ""), which counts only if nothing else does (below)
            if own is not None:
                unsure.append(href)
            continue
        n = _sibling_number(urlsplit(urljoin(url, href)).path, stem, ext)
        if n is not None:
            nums.add(n)
    if not nums and any(
        _sibling_number(urlsplit(urljoin(url, h)).path, stem, ext) is not None for h in unsure
    ):
        nums.add(own)
    if not nums:
        return None
    if own is not None:
        nums.add(own)
    zero_based = 1 in nums
    index = 0 if own is None else (own if zero_based else own - 1)
    count = max(nums) + 1 if zero_based else max(nums)
    first = urljoin(url, f"{stem.rsplit('/', 1)[-1]}.{ext}")
    return (index, count, first) if count > 1 and index < count else None


# a pager link's own words: a page number or next/previous/last
_PAGER_TEXT = re.compile(
    r"^[\s\[【(（]*(\d{1,3}|下一页|上一页|下页|上页|尾页|末页|后页|前页|"
    r"第\s*\d{1,3}\s*页|余下全文|[»›>]+)[\s\]】)）]*$"
)


_DASH_PAGE = re.compile(r"^(.*?)(?:-(\d{1,3}))?\.(s?html?)$")


_DATED_NAME = re.compile(r"(19|20)\d\d-\d{1,2}(-\d{1,2})?\.s?html?$")


_PAGE_PARAM = re.compile(r"^(page|p|pn|pg|pageno|pagenum|curpage|currentpage)$", re.I)


def pagination_by_pager(root: HtmlElement, url: str) -> tuple[int, int, str] | None:
    """Pager links that name a page in another form than ``_N``: ``stem-N.html`` (people.cn)
    or a page parameter (``?page=N``), each only in a link whose words are a page number or
    下一页, so that a dated name (2024-03-05.html) is never read as a page."""
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(url)
    m = _DASH_PAGE.match(parts.path)
    if m and _DATED_NAME.search(parts.path):
        m = None  # 2024-03-05.html: a day, not a page
    whole = m.group(0)[: -len(m.group(3)) - 1] if m else None  # the name with no page number
    query = dict(parse_qsl(parts.query))
    param = next((k for k in query if _PAGE_PARAM.match(k) and query[k].isdigit()), None)
    nums, stem = set(), None
    for a in root.iter("a"):
        href = a.get("href")
        if not href or not _PAGER_TEXT.match(a.text_content() or ""):
            continue
        target = urlsplit(urljoin(url, href))
        if (target.scheme, target.netloc) != (parts.scheme, parts.netloc):
            continue
        if target.path == parts.path:
            tq = dict(parse_qsl(target.query))
            key = next((k for k in tq if _PAGE_PARAM.match(k) and tq[k].isdigit()), None)
            if key and param in (None, key):
                param = key
                nums.add(int(tq[key]))
            continue
        tm = _DASH_PAGE.match(target.path) if m else None
        if not tm or tm.group(3) != m.group(3):
            continue
        t_whole = tm.group(0)[: -len(tm.group(3)) - 1]
        if tm.group(2) and tm.group(1) == whole and stem in (None, whole):
            stem = whole  # this is page 1: its pages are whole-N
            nums.add(int(tm.group(2)))
        elif m.group(2) and stem in (None, m.group(1)):
            if t_whole == m.group(1):  # this is page N; the link is page 1
                stem = m.group(1)
                nums.add(1)
            elif tm.group(2) and tm.group(1) == m.group(1):
                stem = m.group(1)
                nums.add(int(tm.group(2)))
    if not nums:
        return None
    if param:
        own = int(query.get(param, 0) or 0) or None
        rest = {k: v for k, v in query.items() if k != param}
        first = parts._replace(query=urlencode(rest)).geturl()
    elif stem is None:
        return None
    else:
        own = None if stem == whole else int(m.group(2))
        first = urljoin(url, f"{stem.rsplit('/', 1)[-1]}.{m.group(3)}")
    if own is not None:
        nums.add(own)
    zero_based = 0 in nums
    index = 0 if own is None else (own if zero_based else own - 1)
    count = max(nums) + 1 if zero_based else max(nums)
    return (index, count, first) if count > 1 and 0 <= index < count else None


_OWN_PAGE = re.compile(r"^(.*?)(?:_(\d{1,3}))?\.(s?html?)$")


_SIBLING_TAIL = re.compile(r"_(\d{1,3})\.(s?html?)")


def _sibling_number(path: str, stem: str, ext: str) -> int | None:
    """N when ``path`` is ``{stem}_N.{ext}``."""
    if not path.startswith(stem):
        return None
    m = _SIBLING_TAIL.fullmatch(path, len(stem))
    return int(m.group(1)) if m and m.group(2) == ext else None


def pagination(text: str, url: str) -> tuple[int, int, str] | None:
    """(page_index, page_count, url of page 0) for multi-page articles."""
    m = _PAGER.search(text)
    if m:
        count, cur, base, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        if count > 1:
            return cur, count, urljoin(url, f"{base}.{ext}")
        return None
    m = _PAGER_VARS.search(text)
    if m:
        count = int(m.group(1) or m.group(4))
        cur = int(m.group(2) or m.group(3))
        if count > 1:
            path = urlsplit(url).path
            pm = _PAGE_URL.match(path)
            first = urljoin(url, f"{pm.group(1)}.{pm.group(3)}") if pm and cur else url
            return cur, count, first
    return None
