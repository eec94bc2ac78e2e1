"""Articles served as JSON (single-page apps' APIs): the article as a small HTML page.

``article_html(text)`` finds, in a JSON answer, the object holding the longest text (a
``content``/``body`` field with HTML or plain paragraphs) with its title and date, and
writes them as an HTML page that the ordinary extraction reads; list answers and other
JSON give None.  The document then has the JSON answer's WARC record as its provenance.
"""

from __future__ import annotations

import html
import json
import re

_HAN = re.compile(r"[\u3400-\u9fff]")
_DATE = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}")
_MARKUP = re.compile(r"<(?:p|br|div|span|h\d|section|table)\b", re.I)
TITLE_KEYS = ("title", "headline", "subject", "name")
MIN_HAN = 50  # fewer Chinese characters than this in its longest text: not an article


def _candidates(node, found: list) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                found.append((len(_HAN.findall(value)), key, value, node))
            else:
                _candidates(value, found)
    elif isinstance(node, list):
        for value in node:
            _candidates(value, found)


def _field(obj: dict, keys, pattern=None) -> str | None:
    for key, value in obj.items():
        if isinstance(value, str) and any(k in key.lower() for k in keys):
            if pattern is None or pattern.search(value):
                return value.strip()
    return None


def article_html(text: str) -> str | None:
    """An HTML page of the article in this JSON text, or None."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    found: list = []
    _candidates(data, found)
    if not found:
        return None
    han, key, content, obj = max(found, key=lambda c: c[0])
    if han < MIN_HAN or key.lower() in TITLE_KEYS:
        return None
    title = _field(obj, TITLE_KEYS) or ""
    date = _field(obj, ("date", "time", "publish"), _DATE)
    if not _MARKUP.search(content):
        content = "".join(
            f"<p>{html.escape(p.strip())}</p>" for p in content.splitlines() if p.strip()
        )
    t = html.escape(title)
    meta = f'<meta name="PubDate" content="{html.escape(date)}">' if date else ""
    return (
        f'<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{t}">'
        f"{meta}<title>{t}</title></head><body><h1>{t}</h1>"
        f'<div class="article">{content}</div></body></html>'
    )
