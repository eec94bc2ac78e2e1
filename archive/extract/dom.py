"""A page's HTML as an lxml tree, and what is read from the tree: parsing (with repairs),
hidden boxes, lines of text, meta tags, the ids and classes used, Han characters.
"""

from __future__ import annotations

import re
import threading

import lxml.html
from lxml import etree

from archive.extract import boilerplate_dom

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "section",
    "article",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "center",
    "hr",
    "form",
    "header",
    "footer",
    "figure",
    "figcaption",
    "tbody",
    "thead",
    "main",
    "address",
}


_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "select", "button"}


def _html_parser() -> etree.HTMLParser:
    """lxml.html's parser, with the element classes chosen in C: lxml.html's own lookup is
    Python code run for every element proxy made, and a page is walked several times.
    The only difference is that form controls are plain ``HtmlElement`` (no ``.value``,
    ``.fields``), which nothing here reads."""
    parser = etree.HTMLParser()
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_PARSERS = threading.local()  # lxml parsers are not to be shared between threads


_END_ROOT = re.compile(r"</\s*(html|body)\s*>", re.I)


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    # a stray </html> or </body> (server-side includes have them) would leave the rest of the
    # page in a second root that lxml drops; without them the parser closes both at the end
    text = _END_ROOT.sub("", text)
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _html_parser()
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def parse_limit() -> str | None:
    """The libxml2 limit the last ``parse_html`` of this thread stopped at (the rest of the
    page is missing from its tree, e.g. elements nested deeper than 255), else None."""
    parser = getattr(_PARSERS, "parser", None)
    errors = parser.error_log if parser is not None else ()
    return next((e.message for e in errors if e.type_name == "ERR_RESOURCE_LIMIT"), None)


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.I)


def drop_hidden(root: lxml.html.HtmlElement) -> None:
    """Remove what a reader never sees: ``display:none`` boxes and ``hidden`` elements
    (keyword spam, collapsed playlists, login gates, duplicate 原标题 lines)."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body"):
            continue
        style = el.get("style")
        if (style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None:
            boilerplate_dom.drop(el)


_COMPILED: dict = {}


def css_select(root: lxml.html.HtmlElement, sel: str, names: tuple[set, set] | None = None) -> list:
    """CSS selection; with ``names`` (``ids_and_classes(root)``) a ``#id``/``.class``/``tag.class``
    selector naming an id or class the page does not have is answered without a search."""
    from lxml.cssselect import CSSSelector

    if names is not None:
        ids, classes = names
        if sel.startswith("#") and sel[1:] not in ids:
            return []
        if "." in sel and sel.split(".", 1)[1] not in classes:
            return []
    if sel not in _COMPILED:
        _COMPILED[sel] = CSSSelector(sel)
    return _COMPILED[sel](root)


_IDS = etree.XPath("//@id")


_CLASSES = etree.XPath("//@class")


def ids_and_classes(root: lxml.html.HtmlElement) -> tuple[set, set]:
    """The ids and class names used in a tree."""
    classes: set[str] = set()
    for value in _CLASSES(root):
        classes.update(value.split())
    return set(_IDS(root)), classes


_NON_HAN = re.compile("[^\u4e00-\u9fff]+")


def han_count(text: str) -> int:
    """How many Han characters (U+4E00-9FFF) ``text`` holds: a short text (a line, an
    anchor) through one regex substitution, a longer one as an array of code points
    (numpy, whose fixed cost a call only pays off on longer texts)."""
    if len(text) < 64:
        return len(_NON_HAN.sub("", text))
    import numpy as np

    c = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return int(np.count_nonzero((c >= 0x4E00) & (c <= 0x9FFF)))


def element_lines(el: lxml.html.HtmlElement) -> list[str]:
    """Text of an element, one line per block (p, div, br, li, tr ...)."""
    parts: list[str] = []

    def walk(node):
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None:  # comments, processing instructions
            if node.tail:
                parts.append(node.tail)
            return
        tag = tag.lower()
        if tag in _SKIP:
            if node.tail:
                parts.append(node.tail)
            return
        block = tag in _BLOCK
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append("\n")
        elif tag in ("td", "th"):
            parts.append(" ")
        if node.tail:
            parts.append(node.tail)

    walk(el)
    text = "".join(parts)
    return [ln.strip(" \t\r\u3000\xa0") for ln in text.split("\n") if ln.strip(" \t\r\u3000\xa0")]


def meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    """<meta name|property=... content=...> as a dict, names lower-cased (first wins)."""
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if name and content and name not in out:
            out[name] = content
    return out


def visible_text(el: lxml.html.HtmlElement) -> str:
    """Text of ``el`` without scripts and styles (whose numbers are not dates shown)."""
    parts: list[str] = []

    def walk(node):
        if isinstance(node.tag, str) and node.tag not in _SKIP:
            parts.append(node.text or "")
            for child in node:
                walk(child)
        parts.append(node.tail or "")

    walk(el)
    return " ".join(p for p in parts if p)
