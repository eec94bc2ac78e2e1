"""Lists whose later pages a browser asks for by POST, asked for the same way.

Two pagers are understood, each read from the list's first page:

* Hanweb jcms ``jpage``: the first records sit in a ``<datastore>`` inside
  ``<script type="text/xml">``; the plugin's call ``$('#UNIT').jpage({totalRecord: N,
  perPage: P, groupSize: G, proxyUrl: '/module/web/jpage/dataproxy.jsp', ajaxParam: {...}})``
  POSTs ``ajaxParam`` as a form to ``proxyUrl?startrecord=S&endrecord=E&perpage=P``, a group
  of ``P * G`` records at a time, and gets ``<datastore>`` XML back.  The datastore's
  ``<nextgroup>`` link to that endpoint is never asked for by GET (jcms answers 405).
* Old JSP columns: a ``<form method="post">`` with a page-number field (``pgno``, ``pageNo``,
  ...) that ``javascript:goPage(N)`` links fill in and submit; the page count is read from
  the pager's text (``共N页``, ``第1/N页``) or the largest number those links pass.

``later_pages(response, links)`` gives the POST requests for every later page (all at once,
from the first page) and the links without those into jpage endpoints; ``record_links``
reads the links of a jpage answer (its records' CDATA).  The requests are pagination: as
deep as the first page, and Scrapy's robots.txt, delays and budgets apply to them as to any.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from lxml import etree
from scrapy import FormRequest
from scrapy.http import HtmlResponse

from crawler.links import Link, extract_links, url_shape

if TYPE_CHECKING:
    from scrapy.http import Response

MAX_PAGES = 10000  # later pages asked for one list (as for createPageHTML scripts)
KIND_META = "post_list"  # request.meta: "jpage" or "pgno" on the requests made here
LIST_META = "post_list_url"  # request.meta: the list page the request came from

_JPAGE_CALL = re.compile(r"\.jpage\(\s*\{")
_NUMBER = r"\s*:\s*['\"]?(\d+)"
_TOTAL = re.compile(r"\btotalRecord" + _NUMBER)
_PER_PAGE = re.compile(r"\bperPage" + _NUMBER)
_GROUP = re.compile(r"\bgroupSize" + _NUMBER)
_PROXY = re.compile(r"\bproxyUrl\s*:\s*(['\"])([^'\"]+)\1")
_PARAMS = re.compile(r"\bajaxParam\s*:\s*\{([^{}]*)\}")
_PAIR = re.compile(r"""['"]?(\w+)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,\s}]+))""")
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)

_POST_FORM = re.compile(rb"<form\b[^>]*\bmethod\s*=\s*['\"]?post", re.IGNORECASE)
PAGE_FIELDS = ("pgno", "pageno", "pagenum", "pageindex", "currentpage", "curpage", "page")
_PAGE_COUNT = re.compile(r"共\s*(\d{1,5})\s*页|第?\s*\d{1,5}\s*/\s*(\d{1,5})\s*页")
_JS_PAGE_ARG = re.compile(r"\w+\(\s*['\"]?(\d{1,5})['\"]?\s*\)")
_INPUTS = etree.XPath(".//input[@name]")
_PAGER_ANCHORS = etree.XPath("//a[starts-with(normalize-space(@href), 'javascript:') or @onclick]")
_INLINE_SCRIPTS = etree.XPath("//script[not(@src)]/text()")
_BODY_TEXT = etree.XPath("normalize-space(//body)")


def _config(script: str, start: int) -> str:
    """The text of the object literal opening at ``start`` (braces balanced)."""
    depth, i = 0, start
    while i < len(script):
        ch = script[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return script[start : i + 1]
        elif ch in "'\"":
            end = script.find(ch, i + 1)
            i = end if end > 0 else len(script)
        i += 1
    return script[start:]


def jpage_pages(base_url: str, scripts: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(URL, form fields) of the later groups of every jpage list these scripts set up."""
    out = []
    for script in scripts:
        if "jpage" not in script:
            continue
        for call in _JPAGE_CALL.finditer(script):
            cfg = _config(script, call.end() - 1)
            total, per_page, proxy, params = (
                _TOTAL.search(cfg),
                _PER_PAGE.search(cfg),
                _PROXY.search(cfg),
                _PARAMS.search(cfg),
            )
            if not (total and per_page and proxy and params) or int(per_page.group(1)) < 1:
                continue
            group = _GROUP.search(cfg)
            size = int(per_page.group(1)) * max(1, int(group.group(1)) if group else 1)
            total_n = int(total.group(1))
            form = [(k, a or b or c) for k, a, b, c in _PAIR.findall(params.group(1))]
            endpoint = urljoin(base_url, proxy.group(2))
            joiner = "&" if "?" in endpoint else "?"
            for start in range(size + 1, min(total_n, size * MAX_PAGES) + 1, size):
                end = min(start + size - 1, total_n)
                out.append(
                    (
                        f"{endpoint}{joiner}startrecord={start}&endrecord={end}"
                        f"&perpage={per_page.group(1)}",
                        form,
                    )
                )
    return out


def _page_count(root) -> int | None:
    """How many pages the page's pager says the list has."""
    counts = []
    for a, b in _PAGE_COUNT.findall(_BODY_TEXT(root)):
        counts.append(int(a or b))
    for anchor in _PAGER_ANCHORS(root):
        js = (anchor.get("href") or "") + " " + (anchor.get("onclick") or "")
        counts += [int(n) for n in _JS_PAGE_ARG.findall(js)]
    return max(counts) if counts else None


def _form_fields(form) -> list[tuple[str, str]]:
    """What the browser's ``form.submit()`` sends: every field as on the page, no button."""
    out = []
    for el in form.iter("input", "select", "textarea"):
        name = el.get("name")
        kind = (el.get("type") or "text").lower()
        if not name or el.get("disabled") is not None:
            continue
        if el.tag == "select":
            options = el.findall(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            out += [(name, o.get("value", o.text or "")) for o in chosen]
        elif el.tag == "textarea":
            out.append((name, el.text or ""))
        elif kind in ("checkbox", "radio"):
            if el.get("checked") is not None:
                out.append((name, el.get("value", "on")))
        elif kind not in ("submit", "button", "image", "reset", "file"):
            out.append((name, el.get("value", "")))
    return out


def pgno_forms(response: Response) -> list[tuple[int, str, int, int]]:
    """(form number, page field, current page, page count) of the page-number POST forms."""
    root = response.selector.root
    out = []
    for number, form in enumerate(root.iter("form")):
        if (form.get("method") or "").strip().lower() != "post":
            continue
        fields = {(i.get("name") or "").lower(): i for i in _INPUTS(form)}
        name = next((f for f in PAGE_FIELDS if f in fields), None)
        if name is None:
            continue
        field = fields[name]
        try:
            current = int((field.get("value") or "1").strip() or 1)
        except ValueError:
            continue
        count = _page_count(root)
        if count and count > 1:
            out.append((number, field.get("name"), current, min(count, MAX_PAGES)))
    return out


def later_pages(response: Response, links: list[Link]) -> tuple[list, list[Link]]:
    """POST requests for the later pages of the POST-paged lists on ``response`` (a list's
    first page, fetched by GET), and ``links`` without GET links into jpage endpoints."""
    if not isinstance(response, HtmlResponse):
        return [], links
    body = response.body
    # most pages have neither: no parse of the page for them (the middleware found the links)
    has_jpage, has_form = b"jpage" in body, _POST_FORM.search(body) is not None
    if not (has_jpage or has_form):
        return [], links
    requests = []
    chain = response.meta.get("chain", 0)
    shape = response.meta.get("shape")
    depth_meta = {"link_kind": "pagination", "warc_conditional": False, LIST_META: response.url}

    def meta(url: str, kind: str) -> dict:
        s = url_shape(url)
        return {"shape": s, "chain": chain + 1 if s == shape else 0, KIND_META: kind, **depth_meta}

    if has_jpage:
        pages = jpage_pages(response.url, _INLINE_SCRIPTS(response.selector.root))
        endpoints = {url.split("?")[0] for url, _ in pages}
        for url, form in pages:
            # jQuery's $.ajax posts its data as UTF-8, whatever the page's charset
            requests.append(
                FormRequest(
                    url,
                    formdata=form,
                    encoding="utf-8",
                    priority=5,
                    headers={"X-Requested-With": "XMLHttpRequest"},
                    meta=meta(url, "jpage"),
                )
            )
        if endpoints:
            links = [link for link in links if link.url.split("?")[0] not in endpoints]
    if has_form:
        forms = list(response.selector.root.iter("form"))
        for number, name, current, count in pgno_forms(response):
            form = forms[number]
            url = response.urljoin(form.get("action") or response.url)
            fields = _form_fields(form)
            for n in range(1, count + 1):
                if n != current:
                    data = [(k, str(n) if k == name else v) for k, v in fields]
                    # browsers encode a form in its page's charset
                    requests.append(
                        FormRequest(
                            url,
                            formdata=data,
                            encoding=response.encoding,
                            priority=5,
                            meta=meta(url, "pgno"),
                        )
                    )
    return requests, links


def record_links(response: Response) -> list[Link]:
    """The links in the records of a jpage answer (``<datastore>`` XML), resolved against
    the list page they are shown on."""
    from parsel import Selector

    records = _RECORD.findall(response.text)
    if not records:
        return []
    base = response.meta.get(LIST_META) or response.url
    return extract_links(base, Selector(text="<ul>" + "".join(records) + "</ul>"))
