"""One captured page -> its documents (pure: no network, no Scrapy).

``process_capture(url, content_type, body) -> Extraction`` and ``stitch(pages)``
as specified in docs/architecture.md.  Steps, each in its module of archive.extract:
decode (``decode``) -> parse once with lxml, hidden boxes dropped (``dom``) -> title
(``titles``), published hint (``date_hints``) and pagination (``pagination``) from the
page -> body (``body``): the CMS's own container when there is one (div.TRS_Editor,
#zoom, #UCAP-CONTENT, .ccontent, #ArticleBody ...) or the densest prose block, else
trafilatura tuned for short Chinese bodies -> chrome rules (``boilerplate_dom`` on the
tree, ``boilerplate`` on the lines) -> split 范文 parts, normalise and describe
(``parts``, ``normalize``, ``metadata``).  Attachments (.docx, PDF) go through
``attachments``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from archive.extract import boilerplate, boilerplate_dom
from archive.extract.body import (
    SILENT_PAGE_HAN,
    anchor_texts,
    article_verdict,
    choose_body,
    heading_texts,
    trafilatura_lines,
)
from archive.extract.date_hints import published_hint
from archive.extract.decode import DecodeError, decode_body
from archive.extract.dom import (
    drop_hidden,
    element_lines,
    han_count,
    ids_and_classes,
    meta_tags,
    parse_html,
    parse_limit,
    visible_text,
)
from archive.extract.pagination import pagination, pagination_by_pager, pagination_from_links
from archive.extract.parts import make_documents
from archive.extract.titles import (
    headline,
    headline_candidates,
    own_report_title,
    page_title,
)


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


# TRS WCM attachment names: P0 + upload date YYYYMMDD + serial (P020240116389614168185.pdf)
_TRS_ATTACHMENT = re.compile(r"/P0(20\d\d)(0[1-9]|1[0-2])([0-3]\d)\d{6,}\.\w+$")


_ATTACHMENT_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument",
    "application/msword",
)


# no report page is this big; larger "pages" are dumps or traps and would stall the indexer
MAX_PAGE_BYTES = 8 * 1024 * 1024


def process_capture(url: str, content_type: str | None, body: bytes) -> Extraction:
    ex = Extraction(url=url)
    if not body:
        ex.error = "empty body"
        return ex
    ctype = (content_type or "").split(";")[0].strip().lower()
    path = urlsplit(url).path.lower()
    from archive.extract import attachments

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
        ex.lines, ex.title = boilerplate.clean_lines(lines, title)
        ex.documents = make_documents(url, ex.title, ex.lines, None)
        return ex
    if ctype == "application/json" or ctype.endswith("+json"):
        from archive.extract.json_api import article_html

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
    names = ids_and_classes(root)  # ids and classes: read once for both selectors' passes
    body = root.find("body")
    visible = visible_text(body) if body is not None else text
    ex.published_hint = published_hint(root, text, metas, visible)
    heads, order = headline_candidates(root)
    shown = visible if body is not None else ""
    container, known, prose = choose_body(root, names)
    ex.title = headline(heads, order.get(container), root, metas, shown) or page_title(
        root, metas, names
    )
    anchors = None if known else anchor_texts(root)
    headings: list[str] = []
    if container is not None:
        boilerplate_dom.strip_link_chrome(container)
        lines = element_lines(container)
        headings = heading_texts(container)
    else:
        lines = trafilatura_lines(root)
    script = "Hans"
    if lines:
        from archive.extract.normalize import detect_script, to_simplified

        joined = "\n".join(lines)
        script = detect_script(joined)
        if script == "Hant":  # chrome rules are written in Simplified: convert first
            lines = to_simplified(joined).split("\n")
            ex.title = to_simplified(ex.title) if ex.title else ex.title
            headings = [to_simplified(h) for h in headings]
    ex.script = script
    lines, ex.title = boilerplate.clean_lines(lines, ex.title)
    ex.title, lines = own_report_title(ex.title, lines)
    if not lines and container is not None:
        # the chosen block held nothing but chrome: trafilatura reads the whole page
        lines, _ = boilerplate.clean_lines(trafilatura_lines(root), ex.title)
    pager = (
        pagination(text, url) or pagination_from_links(root, url) or pagination_by_pager(root, url)
    )
    verdict = article_verdict(
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


def _attachment(ex: Extraction, url: str, content_type: str | None, body: bytes) -> Extraction:
    from archive.extract import attachments

    try:
        att = attachments.extract_attachment(url, content_type, body)
    except attachments.AttachmentError as exc:
        ex.error = str(exc)
        return ex
    ex.encoding = None
    lines, title = boilerplate.clean_lines(att.lines, att.title)
    ex.title, ex.lines = title, lines
    m = _TRS_ATTACHMENT.search(urlsplit(url).path)
    ex.published_hint = f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None
    ex.documents = make_documents(url, title, lines, ex.published_hint)
    if not ex.documents:
        ex.error = "no text in attachment"
    elif att.truncated:
        ex.error = f"text truncated to {attachments.MAX_TEXT_CHARS} characters"
    return ex
