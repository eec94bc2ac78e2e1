"""A page's article body: the CMS's container or the densest block of prose (trafilatura
when neither), and whether what was found is an article at all.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from archive.extract import boilerplate_dom
from archive.extract.dom import css_select, han_count, ids_and_classes

if TYPE_CHECKING:
    from lxml.html import HtmlElement

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
    large tuple, and justext looks it up in an ``lru_cache`` keyed on it, so the tuple
    would be hashed and compared again on every page; a frozenset of the same words
    caches its hash.  trafilatura fills this module-level cache itself on first use
    otherwise."""
    from trafilatura import external

    words = getattr(external, "JT_STOPLIST", None)
    if words is None and hasattr(external, "jt_stoplist_init"):
        words = external.jt_stoplist_init()
    if words is not None and not isinstance(words, frozenset):
        external.JT_STOPLIST = frozenset(words)


_CFG = None


def choose_body(root: HtmlElement, names: tuple[set, set]) -> tuple:
    """(body element or None, whether the page has a CMS container at all, the page's prose:
    Han characters of its text blocks outside links).

    The CMS's container (``body_container``) and the densest prose block (``densest_block``)
    are both found; the container is trusted unless the prose says it is a wrapper around
    much more than the article (comments, sidebars, a whole column) or a fragment of it.
    """
    known = body_container(root, names)
    boilerplate_dom.strip_elements(root, keep=known)
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


def heading_texts(el: HtmlElement) -> list[str]:
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


def body_container(root: HtmlElement, names: tuple[set, set] | None = None) -> HtmlElement | None:
    names = ids_and_classes(root) if names is None else names
    for sel in BODY_SELECTORS:
        found = css_select(root, sel, names)
        best = None
        for el in found:
            n = han_count(el.text_content())
            if n >= 20 and (best is None or n > best[0]):
                best = (n, el)
        if best is not None:
            el = best[1]
            # generic containers (div.content, #content, article) must be text, not a layout box
            if (
                sel in ("div.content", "#content", "article")
                and boilerplate_dom._link_density(el) > 0.3
            ):
                continue
            return el
    return None


_TEXT_TAGS = ("p", "td", "div", "section", "article", "font", "span", "li", "pre", "blockquote")


_SENTENCE_MARK = re.compile("[。，；！？、,;!?]")


def text_mass(root: HtmlElement) -> tuple[dict, dict]:
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


def densest_block(
    root: HtmlElement, min_han: int = 30, mass: tuple[dict, dict] | None = None
) -> HtmlElement | None:
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
            and boilerplate_dom._link_density(child) < 0.3
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


def trafilatura_lines(root: HtmlElement) -> list[str]:
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


def anchor_texts(root: HtmlElement) -> set[str]:
    return {
        re.sub(r"\s+", "", a.text_content()) for a in root.iter("a") if a.text_content().strip()
    }


_ANY_DATE = re.compile(r"(20\d\d|19\d\d)\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?")


# a page showing this much Han text that yields no article records why
SILENT_PAGE_HAN = 300


def article_verdict(lines: list[str], anchors: set[str] | None, min_han: int = 40) -> str | None:
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
