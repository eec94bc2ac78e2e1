"""A page's cleaned lines -> its documents: 范文 pages split into their parts, each part
normalised and described (archive.extract.normalize, archive.extract.metadata).
"""

from __future__ import annotations

import re

from archive.extract import boilerplate

MULTI_TITLE = re.compile(
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
        if title and body and boilerplate._squash(body[0]) == boilerplate._squash(title):
            body = body[1:]
        parts.append((title, body))
    return parts


def _split_by_headings(lines, headings, expected):
    if not headings or not expected or expected < 2:
        return [(None, lines)]
    keys = {boilerplate._squash(h) for h in headings}
    at = [
        i for i, line in enumerate(lines) if len(line) <= 80 and boilerplate._squash(line) in keys
    ]
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
    m = MULTI_TITLE.search(title or "")
    parts = split_parts(lines, headings, _num(m.group(2)) if m else None)
    if len(parts) == 1:
        own_title, body = parts[0]
        page = _PART_SUFFIX.sub("", title or "").strip() or None
        return [_document(url, 0, page or own_title, body, hint, script)] if body else []
    base = MULTI_TITLE.sub("", title or "").strip() or None
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
    from archive.extract.metadata import describe
    from archive.extract.normalize import normalize_text

    norm = normalize_text("\n".join(lines))
    t = normalize_text(title).text if title else None
    if t:
        t = MULTI_TITLE.sub("", t).strip() or t
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
