"""One captured page -> its documents (pure: no network, no Scrapy).

``process_capture(url, content_type, body) -> Extraction`` and ``stitch(pages)``
as specified in docs/architecture.md.  Steps: decode (archive.decode) -> parse
once with lxml -> title, published hint and pagination from the page -> body:
the CMS's own container when there is one (div.TRS_Editor, #zoom,
#UCAP-CONTENT, .ccontent, #ArticleBody ...), else trafilatura tuned for short
Chinese bodies -> chrome rules (archive.chrome) -> split 范文 parts -> normalise
(archive.normalize) -> metadata (archive.metadata).  Attachments (.docx, PDF)
go through archive.attachments.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from archive import chrome
from archive.decode import DecodeError, decode_body


@dataclass
class Extraction:
    url: str
    encoding: str | None = None
    error: str | None = None
    documents: list[dict] = field(default_factory=list)
    continuation_of: str | None = None
    page_index: int = 0
    page_count: int = 1
    # kept for stitch(): the page's title, date hint and cleaned body lines
    title: str | None = None
    published_hint: str | None = None
    lines: list[str] = field(default_factory=list, repr=False)
    repaired: bool = False
    script: str | None = None  # script as found, when lines were converted early


# containers CMSs put the article body in, most specific first
BODY_SELECTORS = (
    "div.TRS_Editor",
    ".trs_editor_view",
    "#UCAP-CONTENT",
    "#zoom",
    "#Zoom",
    "#ArticleBody",
    "#articleBody",
    ".ccontent",
    "#ccontent",
    "#ArticleContent",
    "#artibody",
    ".article-content",
    ".article_content",
    ".articleContent",
    "#content_text",
    ".TRS_UEDITOR",
    "#js_content",
    ".wp_articlecontent",
    ".v_news_content",
    "#vsb_content",
    ".news_content",
    ".newsContent",
    "div.content",
    "#content",
    "article",
)
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
# " - 栏目 - 站名", "_栏目_站名", "|站名", "标题-站名"; never "——" (subtitles) nor 2023-2024
_TITLE_SEP = re.compile(
    r"\s+[-–—－|｜·»:：]+\s+|\s*[_|｜»]+\s*|(?<=\S)\s*[-－]\s*(?=[^\d\s])|\s{2,}"
)
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
_ANY_DATE = re.compile(r"(20\d\d|19\d\d)\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?")
_MULTI_TITLE = re.compile(
    r"\s*[(（【\[]\s*(通用|合集|精选|优选|热门|精品|汇总|集锦|优秀|推荐)?\s*"
    r"([0-9一二三四五六七八九十]+)\s*篇\s*[)）】\]]\s*"
)
_CN_NUM = "零一二三四五六七八九十"
_PART = (
    re.compile(r"^[【\[]?\s*篇\s*([0-9一二三四五六七八九十]+)\s*[】\]]?\s*[:：.、]?\s*(.*)$"),
    re.compile(r"^[【\[]?\s*第\s*([0-9一二三四五六七八九十]+)\s*篇\s*[】\]]?\s*[:：.、]?\s*(.*)$"),
    re.compile(r"^(.{2,60}?)\s*[(（【\[]?\s*篇\s*([0-9一二三四五六七八九十]+)\s*[)）】\]]?$"),
)
_PART_SUFFIX = re.compile(
    r"\s*[(（【\[]?\s*(第\s*[0-9一二三四五六七八九十]+\s*篇|篇\s*[0-9一二三四五六七八九十]+)"
    r"\s*[)）】\]]?\s*$"
)
_WORDCOUNT = re.compile(r"^[(（]?\s*\d+\s*字\s*[)）]?$")
# TRS WCM attachment names: P0 + upload date YYYYMMDD + serial (P020240116389614168185.pdf)
_TRS_ATTACHMENT = re.compile(r"/P0(20\d\d)(0[1-9]|1[0-2])([0-3]\d)\d{6,}\.\w+$")
_ATTACHMENT_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument",
    "application/msword",
)


def _trafilatura_config():
    from trafilatura.settings import use_config

    cfg = use_config()
    # short Chinese bodies: 250 characters is several paragraphs of Chinese; below it
    # trafilatura falls back to the whole page and returns nav bars and ICP footers
    cfg.set("DEFAULT", "MIN_EXTRACTED_SIZE", "20")
    cfg.set("DEFAULT", "MIN_OUTPUT_SIZE", "10")
    cfg.set("DEFAULT", "MIN_EXTRACTED_COMM_SIZE", "10")
    cfg.set("DEFAULT", "MIN_OUTPUT_COMM_SIZE", "10")
    cfg.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    # a page with too little text is a result here (not an article), not a warning:
    # trafilatura's "discarding data: None" would be logged for every list page
    logging.getLogger("trafilatura.core").addFilter(
        lambda record: not record.getMessage().startswith("discarding data")
    )
    _stoplist_as_frozenset()
    return cfg


def _stoplist_as_frozenset() -> None:
    """trafilatura's justext rescue hands justext its stop list of all languages as a
    tuple of ~154,000 words, and justext looks it up in an ``lru_cache`` keyed on it:
    the tuple is hashed and compared again on every page (~3.4 of ~11 ms a list page
    here).  A frozenset of the same words caches its hash: the same words, found in
    O(1).  trafilatura fills this module-level cache itself on first use otherwise."""
    from trafilatura import external

    words = getattr(external, "JT_STOPLIST", None)
    if words is None and hasattr(external, "jt_stoplist_init"):
        words = external.jt_stoplist_init()
    if words is not None and not isinstance(words, frozenset):
        external.JT_STOPLIST = frozenset(words)


_CFG = None
# no report page is this big; larger "pages" are dumps or traps and would stall the indexer
MAX_PAGE_BYTES = 8 * 1024 * 1024


# ------------------------------------------------------------------ public API


def process_capture(url: str, content_type: str | None, body: bytes) -> Extraction:
    ex = Extraction(url=url)
    if not body:
        ex.error = "empty body"
        return ex
    ctype = (content_type or "").split(";")[0].strip().lower()
    path = urlsplit(url).path.lower()
    from archive import attachments

    if ctype.startswith(_ATTACHMENT_TYPES) or attachments.kind_of(url, content_type, body):
        return _attachment(ex, url, content_type, body)
    if len(body) > MAX_PAGE_BYTES:
        ex.error = f"page too large to extract ({len(body)} bytes > {MAX_PAGE_BYTES})"
        return ex
    try:
        dec = decode_body(body, content_type)
    except DecodeError as exc:
        ex.error = str(exc)
        return ex
    ex.encoding, ex.repaired = dec.encoding, dec.repaired
    if ctype == "text/plain" or path.endswith(".txt"):
        lines = dec.text.splitlines()
        title = next((x.strip() for x in lines if x.strip()), None)
        ex.lines, ex.title = chrome.clean_lines(lines, title)
        ex.documents = make_documents(url, ex.title, ex.lines, None)
        return ex
    if ctype == "application/json" or ctype.endswith("+json"):
        from archive.json_api import article_html

        page = article_html(dec.text)  # an app's article API; lists give no document
        if page is not None:
            _from_html(ex, url, page)
        return ex
    _from_html(ex, url, dec.text)
    return ex


def stitch(pages: list[Extraction]) -> list[dict]:
    """Pages of one multi-page article, in order -> its documents (one, or its parts)."""
    pages = [p for p in pages if p is not None]
    if not pages:
        return []
    first = pages[0]
    lines: list[str] = []
    for p in pages:
        lines.extend(p.lines)
    title = first.title or next((p.title for p in pages if p.title), None)
    return make_documents(
        first.url,
        title,
        lines,
        first.published_hint or next((p.published_hint for p in pages if p.published_hint), None),
        first.script,
    )


# ------------------------------------------------------------------ HTML pages


def _html_parser() -> etree.HTMLParser:
    """lxml.html's parser, with the element classes chosen in C: lxml.html's own lookup is
    Python code run for every element proxy made (a page walked three times: ~1,000 calls).
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


def parse_html(text: str):
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


def _from_html(ex: Extraction, url: str, text: str) -> None:
    root = parse_html(text)
    if root is None:
        ex.error = "unparseable html"
        return
    limit = parse_limit()
    _read_page(ex, url, text, root)
    if limit and not ex.documents:
        # the tree silently lacks what lies past the parser's limit: say so
        ex.error = f"html not extracted: the parser stopped at a limit ({limit})"[:500]


def _read_page(ex: Extraction, url: str, text: str, root) -> None:
    drop_hidden(root)
    metas = meta_tags(root)
    names = _names(root)  # ids and classes: read once for both selectors' passes
    body = root.find("body")
    visible = _visible_text(body) if body is not None else text
    ex.published_hint = published_hint(root, text, metas, visible)
    heads, order = headline_candidates(root)
    shown = visible if body is not None else ""
    container, known, prose = choose_body(root, names)
    ex.title = headline(heads, order.get(container), root, metas, shown) or page_title(
        root, metas, names
    )
    anchors = None if known else _anchor_texts(root)
    headings: list[str] = []
    if container is not None:
        chrome.strip_link_chrome(container)
        lines = element_lines(container)
        headings = heading_texts(container)
    else:
        lines = _trafilatura_lines(root)
    script = "Hans"
    if lines:
        from archive.normalize import detect_script, to_simplified

        joined = "\n".join(lines)
        script = detect_script(joined)
        if script == "Hant":  # chrome rules are written in Simplified: convert first
            lines = to_simplified(joined).split("\n")
            ex.title = to_simplified(ex.title) if ex.title else ex.title
            headings = [to_simplified(h) for h in headings]
    ex.script = script
    lines, ex.title = chrome.clean_lines(lines, ex.title)
    ex.title, lines = own_report_title(ex.title, lines)
    if not lines and container is not None:
        # the chosen block held nothing but chrome: trafilatura reads the whole page
        lines, _ = chrome.clean_lines(_trafilatura_lines(root), ex.title)
    pager = (
        pagination(text, url) or pagination_from_links(root, url) or pagination_by_pager(root, url)
    )
    verdict = _article_verdict(
        lines, anchors, 1 if pager and pager[0] > 0 else 10 if container is not None else 40
    )
    if verdict:
        ex.lines = []
        if (
            verdict == "short"
            and prose >= SILENT_PAGE_HAN
            and han_count("".join(lines)) < 0.05 * prose
        ):
            # a page of prose that gave nothing: say so rather than archive silence
            ex.error = f"no article text found ({int(prose)} Han characters of prose on the page)"
        return
    ex.lines = lines
    if pager:
        ex.page_index, ex.page_count, first = pager
        ex.continuation_of = first if ex.page_index > 0 else None
    ex.documents = make_documents(url, ex.title, lines, ex.published_hint, ex.script, headings)


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.I)


def drop_hidden(root) -> None:
    """Remove what a reader never sees: ``display:none`` boxes and ``hidden`` elements
    (keyword spam, collapsed playlists, login gates, duplicate 原标题 lines)."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body"):
            continue
        style = el.get("style")
        if (style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None:
            chrome.drop(el)


def choose_body(root, names) -> tuple:
    """(body element or None, whether the page has a CMS container at all, the page's prose:
    Han characters of its text blocks outside links).

    The CMS's container (``body_container``) and the densest prose block (``densest_block``)
    are both found; the container is trusted unless the prose says it is a wrapper around
    much more than the article (comments, sidebars, a whole column) or a fragment of it.
    """
    known = body_container(root, names)
    chrome.strip_elements(root, keep=known)
    mass = text_mass(root)
    body = root.find("body")
    prose = mass[1].get(body if body is not None else root, 0)
    dense = densest_block(root, mass=mass)
    return _arbitrate(known, dense, mass[1]), known is not None, prose


def _arbitrate(known, dense, mass: dict):
    if known is None or dense is None or dense is known:
        return known if dense is None else dense
    k, d = mass.get(known, 0), mass.get(dense, 0)
    if _contains(known, dense):  # the container is wider than the article
        generic = known.tag == "article" or (
            known.get("id") == "content" or "content" in (known.get("class") or "").split()
        )
        return dense if generic or d < 0.6 * k else known
    if _contains(dense, known):  # the container is a fragment of the article
        return dense if k < 0.6 * d else known
    return dense if d > k else known


def _contains(outer, inner) -> bool:
    return any(a is outer for a in inner.iterancestors())


def heading_texts(el) -> list[str]:
    """Texts of headings inside a body: h1-h4, and paragraphs that are wholly bold."""
    out = []
    for h in el.iter("h1", "h2", "h3", "h4", "p", "div"):
        if h.tag in ("p", "div"):
            kids = [c for c in h if isinstance(c.tag, str)]
            if (
                len(kids) != 1
                or kids[0].tag not in ("strong", "b")
                or (h.text or "").strip()
                or (kids[0].tail or "").strip()
            ):
                continue
        t = re.sub(r"[\s\u3000\xa0]+", " ", h.text_content()).strip()
        if t:
            out.append(t)
    return out


_COMPILED: dict = {}


def _select(root, sel: str, names: tuple[set, set] | None = None) -> list:
    """CSS selection; with ``names`` (``_names(root)``) a ``#id``/``.class``/``tag.class``
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


def _names(root) -> tuple[set, set]:
    """The ids and class names used in a tree."""
    classes: set[str] = set()
    for value in _CLASSES(root):
        classes.update(value.split())
    return set(_IDS(root)), classes


def body_container(root, names: tuple[set, set] | None = None):
    names = _names(root) if names is None else names
    for sel in BODY_SELECTORS:
        found = _select(root, sel, names)
        best = None
        for el in found:
            n = han_count(el.text_content())
            if n >= 20 and (best is None or n > best[0]):
                best = (n, el)
        if best is not None:
            el = best[1]
            # generic containers (div.content, #content, article) must be text, not a layout box
            if sel in ("div.content", "#content", "article") and chrome._link_density(el) > 0.3:
                continue
            return el
    return None


_NON_HAN = re.compile("[^\u4e00-\u9fff]+")


def han_count(text: str) -> int:
    """How many Han characters (U+4E00-9FFF) ``text`` holds: a short text (a line, an
    anchor) through one regex substitution (~1 us), a longer one as an array of code
    points (numpy's ~5 us a call, then ~2 us per 1,000 characters)."""
    if len(text) < 64:
        return len(_NON_HAN.sub("", text))
    import numpy as np

    c = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return int(np.count_nonzero((c >= 0x4E00) & (c <= 0x9FFF)))


def element_lines(el) -> list[str]:
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


_TEXT_TAGS = ("p", "td", "div", "section", "article", "font", "span", "li", "pre", "blockquote")


_SENTENCE_MARK = re.compile("[。，；！？、,;!?]")


def text_mass(root) -> tuple[dict, dict]:
    """(own score, mass) of every text block: its own non-link Han characters (paragraphs
    also feed their parent, not farther: a list of comments, each a box with a paragraph,
    adds up in no single element), and the Han characters of all text blocks inside an
    element."""
    own_score: dict = {}
    mass: dict = {}
    for el in root.iter(*_TEXT_TAGS):
        own = (el.text or "") + "".join(
            (c.tail or "")
            + (c.text_content() if isinstance(c.tag, str) and c.tag.lower() in _INLINE else "")
            for c in el
        )
        n = han_count(own)
        if n < 5 or (n >= 200 and len(_SENTENCE_MARK.findall(own)) < n / 150):
            continue  # too little, or a run of keywords with no sentences: not prose
        own_score[el] = own_score.get(el, 0) + n
        parent = el.getparent()
        if parent is not None and el.tag in ("p", "font", "span", "pre", "blockquote", "li"):
            own_score[parent] = own_score.get(parent, 0) + n
        mass[el] = mass.get(el, 0) + n
        for anc in el.iterancestors():
            mass[anc] = mass.get(anc, 0) + n
    return own_score, mass


def densest_block(root, min_han: int = 30, mass: tuple[dict, dict] | None = None):
    """Readability-style fallback: the element holding the densest run of prose.

    Each text block scores its own non-link Han characters; the block (or parent of
    paragraphs) with the highest score is the seed.  Text split over sibling blocks
    (document pages, sections) is then gathered by climbing to an ancestor when, within
    three levels, another low-link branch holds a block of at least 30% of the seed's
    own score: a continuation of the text, not a run of small items (comments, lists).
    """
    own_score, mass = text_mass(root) if mass is None else mass
    if not own_score:
        return None
    best = max(own_score, key=own_score.get)
    if own_score[best] < min_han or best.tag in ("body", "html"):
        return None
    seed_el, seed = best, own_score[best]
    node, misses = best, 0
    while misses < 3:
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        need = 0.3 * mass.get(best, 0)
        if any(
            child is not node
            and mass.get(child, 0) >= need
            and _continues(child, seed_el, own_score, 0.3 * seed)
            and chrome._link_density(child) < 0.3
            for child in parent
        ):
            best, node, misses = parent, parent, 0
        else:
            node, misses = parent, misses + 1
    return best


def _continues(branch, seed, own_score: dict, need: float) -> bool:
    """Whether ``branch`` holds a block like ``seed`` (same tag and class) with at least
    ``need`` of its own text: the next page or section of the same text."""
    key = (seed.tag, seed.get("class"))
    return any(
        own_score.get(x, 0) >= need and (x.tag, x.get("class")) == key
        for x in branch.iter(seed.tag)
    )


_INLINE = {"b", "strong", "span", "font", "em", "i", "u", "sub", "sup", "br", "small", "big"}


def _trafilatura_lines(root) -> list[str]:
    global _CFG
    import trafilatura

    if _CFG is None:
        _CFG = _trafilatura_config()
    out = trafilatura.extract(
        root,
        config=_CFG,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        favor_precision=True,
        with_metadata=False,
        output_format="txt",
    )
    lines = []
    for line in (out or "").splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):  # trafilatura's table rows
            line = " ".join(
                c.strip() for c in re.split(r"(?<!\\)\|", line.strip("| ")) if c.strip()
            )
        lines.append(line.replace("\\|", "|"))
    return lines


def _anchor_texts(root) -> set[str]:
    return {
        re.sub(r"\s+", "", a.text_content()) for a in root.iter("a") if a.text_content().strip()
    }


# a page showing this much Han text that yields no article records why
SILENT_PAGE_HAN = 300


def _article_verdict(lines: list[str], anchors: set[str] | None, min_han: int = 40) -> str | None:
    """None for an article; else why not: "short" (too little text), "links" (mostly link
    text), "list" (short dated lines: a list page)."""
    han = han_count("".join(lines))
    if han < min_han:
        return "short"
    if anchors:
        linked = sum(han_count(x) for x in lines if _mostly_links(x, anchors))
        if linked > 0.5 * han:
            return "links"
        # list pages: many short lines, each ending in a date
        dated = sum(1 for x in lines if len(x) < 80 and _ANY_DATE.search(x[-12:]))
        if dated >= 5 and dated > 0.5 * len(lines):
            return "list"
    return None


def _mostly_links(line: str, anchors: set[str]) -> bool:
    flat = re.sub(r"\s+", "", line)
    if flat in anchors:
        return True
    rest = flat
    for a in anchors:
        if len(a) >= 2 and a in rest:
            rest = rest.replace(a, "")
    return han_count(rest) < 0.3 * max(1, han_count(flat))


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TITLE_NAME = re.compile(r"(^|[-_\s])(title|headline|biaoti|bt|tit)([-_\s]|$)|title", re.I)


def headline_candidates(root) -> tuple[list[tuple[int, str]], dict]:
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
        if not 4 <= len(t) <= 120 or chrome.RELATED.match(t) or chrome.chrome_reason(t):
            continue
        linked = "".join(a.text_content() for a in el.iter("a")).strip()
        if len(linked) > 0.5 * len(t):
            continue
        out.append((i, t))
    return out, order


def headline(
    heads: list[tuple[int, str]], body_at: int | None, root, metas: dict, shown: str = ""
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
        or _MULTI_TITLE.search(title)
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


def page_title(root, metas: dict | None = None, names: tuple[set, set] | None = None) -> str | None:
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
    names = _names(root) if names is None else names
    for sel in _TITLE_SELECTORS:
        for el in _select(root, sel, names):
            t = re.sub(r"\s+", " ", el.text_content()).strip()
            if not 4 <= len(t) <= 120 or _flat(t) in site:
                continue
            ft = _flat(_clean_title(t) or "")
            if not first or (ft and (ft == first or ft.startswith(first) or first.startswith(ft))):
                return _clean_title(t)
    if first in site:
        # the page's own heading says more than the site's name
        for sel in _TITLE_SELECTORS:
            for el in _select(root, sel, names):
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


def meta_tags(root) -> dict[str, str]:
    """<meta name|property=... content=...> as a dict, names lower-cased (first wins)."""
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if name and content and name not in out:
            out[name] = content
    return out


def published_hint(
    root, text: str, metas: dict | None = None, visible: str | None = None
) -> str | None:
    """The page's publication date: a date meta, a labelled info-bar date (发布时间：…), the
    first timestamp shown (an info bar's 2020-10-04 20:30), a script's publish-time
    variable, then htmldate's reading of the page."""
    from archive.dates import parse_date

    metas = meta_tags(root) if metas is None else metas
    for name in _META_DATE:
        iso = parse_date(metas.get(name))
        if iso:
            return iso

    if visible is None:
        body = root.find("body")
        visible = _visible_text(body) if body is not None else text
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


def _visible_text(el) -> str:
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


def pagination_from_links(root, url: str) -> tuple[int, int, str] | None:
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


def pagination_by_pager(root, url: str) -> tuple[int, int, str] | None:
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


# ------------------------------------------------------------------ documents


def split_parts(
    lines: list[str], headings: list[str] | None = None, expected: int | None = None
) -> list[tuple[str | None, list[str]]]:
    """范文 pages: [(part title, lines), ...] when there are two or more parts.

    Parts are found by numbered markers (篇1, 篇一, 第一篇, 【篇1】, "标题 篇1"); failing
    that, when the page title announces N parts ("(通用4篇)"), by exactly N headings.
    """
    marks = []
    for i, line in enumerate(lines):
        if len(line) > 80 or "篇" not in line:  # every marker has a 篇
            continue
        for k, rx in enumerate(_PART):
            m = rx.match(line)
            if m:
                if k == 2:
                    num, rest = m.group(2), m.group(1)
                else:
                    num, rest = m.group(1), m.group(2)
                marks.append((i, _num(num), rest.strip()))
                break
    # keep a run numbered 1, 2, 3 ...
    run, want = [], 1
    for i, n, rest in marks:
        if n == want:
            run.append((i, rest))
            want += 1
    if len(run) < 2 and len(marks) == 1 and marks[0][0] <= 2 and not expected:
        # one 篇 per page: the marker (and its title line) is not text
        i, _n, rest = marks[0]
        body = lines[i + 1 :]
        title = rest if rest and not _WORDCOUNT.match(rest) else None
        if title is None and body and len(body[0]) <= 60 and not re.search("[。；;]$", body[0]):
            title, body = body[0], body[1:]
        return [(title, body)]
    if len(run) < 2:
        return _split_by_headings(lines, headings, expected)
    parts = []
    for j, (i, rest) in enumerate(run):
        end = run[j + 1][0] if j + 1 < len(run) else len(lines)
        body = lines[i + 1 : end]
        title = rest if rest and not _WORDCOUNT.match(rest) else None
        if title is None and body and len(body[0]) <= 60 and not re.search("[。；;]$", body[0]):
            title, body = body[0], body[1:]
        if title and body and chrome._squash(body[0]) == chrome._squash(title):
            body = body[1:]
        parts.append((title, body))
    return parts


def _split_by_headings(lines, headings, expected):
    if not headings or not expected or expected < 2:
        return [(None, lines)]
    keys = {chrome._squash(h) for h in headings}
    at = [i for i, line in enumerate(lines) if len(line) <= 80 and chrome._squash(line) in keys]
    if len(at) != expected:
        return [(None, lines)]
    return [
        (lines[i], lines[i + 1 : (at[j + 1] if j + 1 < len(at) else len(lines))])
        for j, i in enumerate(at)
    ]


def _num(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_NUM.index(s[1])
    if "十" in s:
        a, _, b = s.partition("十")
        return _CN_NUM.index(a) * 10 + (_CN_NUM.index(b) if b else 0)
    return _CN_NUM.index(s) if s in _CN_NUM else -1


def make_documents(
    url: str,
    title: str | None,
    lines: list[str],
    hint: str | None,
    script: str | None = None,
    headings: list[str] | None = None,
) -> list[dict]:
    if not lines:
        return []
    m = _MULTI_TITLE.search(title or "")
    parts = split_parts(lines, headings, _num(m.group(2)) if m else None)
    if len(parts) == 1:
        own_title, body = parts[0]
        page = _PART_SUFFIX.sub("", title or "").strip() or None
        return [_document(url, 0, page or own_title, body, hint, script)] if body else []
    base = _MULTI_TITLE.sub("", title or "").strip() or None
    return [
        _document(url, k, t or base, body, hint, script)
        for k, (t, body) in enumerate(parts, 1)
        if body
    ]


def _document(
    url: str,
    part: int,
    title: str | None,
    lines: list[str],
    hint: str | None,
    script: str | None = None,
) -> dict:
    from archive.metadata import describe
    from archive.normalize import normalize_text

    norm = normalize_text("\n".join(lines))
    t = normalize_text(title).text if title else None
    if t:
        t = _MULTI_TITLE.sub("", t).strip() or t
    meta = describe(t, norm.text, url, published_hint=hint)
    doc = {
        "part": part,
        "title": t,
        "text": norm.text,
        "script": script or norm.script,
        "placeholders": norm.placeholders,
    }
    for key in (
        "published_date",
        "report_date",
        "year",
        "org",
        "region",
        "doc_type",
        "is_report",
        "report_score",
        "doc_number",
        "addressee",
        "issuer",
        "issued_date",
    ):
        doc[key] = meta.get(key)
    return doc


# ------------------------------------------------------------------ attachments


def _attachment(ex: Extraction, url: str, content_type: str | None, body: bytes) -> Extraction:
    from archive import attachments

    try:
        att = attachments.extract_attachment(url, content_type, body)
    except attachments.AttachmentError as exc:
        ex.error = str(exc)
        return ex
    ex.encoding = None
    lines, title = chrome.clean_lines(att.lines, att.title)
    ex.title, ex.lines = title, lines
    m = _TRS_ATTACHMENT.search(urlsplit(url).path)
    ex.published_hint = f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None
    ex.documents = make_documents(url, title, lines, ex.published_hint)
    if not ex.documents:
        ex.error = "no text in attachment"
    elif att.truncated:
        ex.error = f"text truncated to {attachments.MAX_TEXT_CHARS} characters"
    return ex
