"""Link discovery on Chinese portal pages (pure: works on HTML text).

Besides ordinary <a href> links this finds the pages that exist only inside
scripts: TRS-style ``createPageHTML(count, current, "index", "html")`` list and
article pagination (with literal or ``var countPage = N`` arguments) and
``href="..."`` strings inside script blocks (Hanweb's ``<datastore>`` lists).
Only http(s) links are kept (``sms:``, ``weixin:``, ``vbscript:``, ``java<TAB>script:``
and malformed URLs are no pages to fetch).  A link keeps its fragment only when it is a
single-page app's route (``#/list/2``, ``#!/article/41``: ``crawler.routes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.routes import app_route, page_url

if TYPE_CHECKING:
    from parsel import Selector
    from scrapy.http import Response

ATTACHMENT_EXTENSIONS = (".docx", ".doc", ".pdf", ".wps")
REPORT_WORDS = re.compile(
    r"汇报|總結|总结|报告|報告|經驗|经验交流|工作|工會|工会|范文|範文|文库|文庫"
)
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_VAR = re.compile(
    r"var\s+(\w+)\s*=\s*(\d+)\b(?!\s*(?:[-+*.]|/(?!/)))"
)  # N, not N+1; "//" comments ok
_SCRIPT_HREF = re.compile(r"""href\s*=\s*\\?["']([^"'\\]+)\\?["']""")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")
_TAB_NEWLINE = dict.fromkeys(map(ord, "\t\n\r"))
# anchor texts of list pagers: page numbers, next/previous/last ("首页" is left out: it is
# also every portal's home link)
_PAGER_TEXT = re.compile(
    r"\[?\s*(?:\d{1,5}|第\s*\d{1,5}\s*[页頁]|[下上前后後]一?[页頁]|[尾末][页頁]|最[后後]一?[页頁]|第一[页頁]"
    r"|next|prev(?:ious)?|last|first|[<>«»‹›]{1,3})\s*\]?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Link:
    url: str
    kind: str  # "page" | "pagination" | "attachment"
    # pagination: a later page of the same list or article, from a createPageHTML script
    # or a pager anchor (page number, 下一页 ...) into the page's own directory
    text: str = ""

    @property
    def priority(self) -> int:
        if self.kind == "attachment":
            return 8
        if self.kind == "pagination":
            return 5
        return 10 if REPORT_WORDS.search(self.text) else 0


def _int(token: str, variables: dict[str, int]) -> int | None:
    if token.isdigit():
        return int(token)
    return variables.get(token)


def script_pagination(base_url: str, script_text: str) -> list[str]:
    """URLs of the pages a createPageHTML(...) call would write into the page."""
    variables = {name: int(value) for name, value in _VAR.findall(script_text)}
    urls = []
    for count_tok, _cur_tok, stem, ext in _CREATE_PAGE.findall(script_text):
        count = _int(count_tok, variables)
        if not count or count > 10000:
            continue
        urls.append(urljoin(base_url, f"{stem}.{ext}"))
        urls.extend(urljoin(base_url, f"{stem}_{i}.{ext}") for i in range(1, count))
    return urls


_ANCHORS = etree.XPath("//a[@href]")
_TEXTS = etree.XPath(".//text()")
_INLINE_SCRIPTS = etree.XPath("//script[not(@src)]/text()")


def extract_links(base_url: str, selector: Response | Selector) -> list[Link]:
    """All candidate links of a page (a parsel Selector / Scrapy response)."""
    seen: set[str] = set()
    out: list[Link] = []

    directory = _page_path(base_url).rsplit("/", 1)[0] + "/"

    def add(href: str, kind: str, text: str = "") -> None:
        href = (href or "").translate(_TAB_NEWLINE).strip()  # as browsers read an href
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            return
        if href.startswith("#") and not app_route(href):
            return  # a place in this page (#top, #content, #)
        try:
            url = page_url(urljoin(base_url, href))
            parts = urlsplit(url)
            _ = parts.port  # raises for a port out of range
        except ValueError:
            return  # malformed (a bad IPv6 literal or port): no page to fetch
        if parts.scheme not in ("http", "https") or not parts.hostname or url in seen:
            return  # sms:, weixin:, vbscript: ... are no pages either
        seen.add(url)
        path = _page_path(url)
        if url.split("#")[0].split("?")[0].lower().endswith(ATTACHMENT_EXTENSIONS):
            kind = "attachment"
        elif (
            kind == "page"
            and _PAGER_TEXT.fullmatch(text)
            and path.startswith(directory)
            and "/" not in path[len(directory) :]
        ):
            kind = "pagination"  # a pager anchor to a page beside this one
        out.append(Link(url, kind, text))

    root = getattr(selector, "selector", selector).root  # lxml, without a Selector per link
    for a in _ANCHORS(root):
        add(a.get("href", ""), "page", " ".join(_TEXTS(a)).strip())
    for script in _INLINE_SCRIPTS(root):
        for url in script_pagination(base_url, script):
            add(url, "pagination")
        for href in _SCRIPT_HREF.findall(script):
            add(href, "page")
    return out


def _page_path(url: str) -> str:
    """``url`` without its query, its app route kept without the route's own query: a
    route's pager (``#/list/2`` -> ``#/list/3``) is beside its page as a path's is."""
    route = app_route(url)
    path = url.split("#")[0].split("?")[0]
    return f"{path}#{route.split('?')[0]}" if route else path


_SHAPE_DIGITS = re.compile(r"\d+")


def url_shape(url: str) -> str:
    """The URL (an app route kept) with digit runs folded: pages of one calendar, list or
    app route share a shape."""
    return _SHAPE_DIGITS.sub("#", page_url(url))
