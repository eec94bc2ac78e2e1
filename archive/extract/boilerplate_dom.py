"""Portal chrome removed from a page's tree before its text is taken: navigation, headers,
footers, elements whose class or id names a chrome role, back-links and related-link lists.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archive.extract.boilerplate import RELATED

if TYPE_CHECKING:
    from lxml.html import HtmlElement

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


def strip_elements(root: HtmlElement, keep: HtmlElement | None = None) -> None:
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


def strip_link_chrome(root: HtmlElement) -> None:
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


def drop(el: HtmlElement) -> None:
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
