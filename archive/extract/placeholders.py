"""Placeholders left by template sites (20xx年, XX县, __社区, ××单位): found and listed,
never changed (archive.extract.normalize).
"""

from __future__ import annotations

import re

from archive.extract.cjk import HAN, HAN_RE

# a placeholder token is the gap plus the unit or administrative word right after it
_UNIT2 = ("人次", "社区", "街道", "乡镇", "万元", "单位", "公司", "企业", "同志", "学校", "小区")


_UNIT1 = "年月日天周期次届名人个家户所项场元万亿余多省市区县州镇乡村街局厂处科部校院号条篇份位"


_PH_CORE = (
    r"(?:19|20)(?:[xX×*＊]{2}|\d[xX×*＊]|_{2,}|＿{2,})"  # 20xx 201x 20__
    r"|[xX×]{1,6}"  # X XX XXX x ×× (boundaries below)
    r"|_{2,}|＿{2,}|□{2,}"  # __ ＿＿ □□
)


_PH_CHARS = frozenset("xX×_＿□")


_ALNUM = re.compile(r"[A-Za-z0-9]")


_PLACEHOLDER = re.compile(rf"(?P<core>{_PH_CORE})(?P<tail>[{HAN}]{{0,2}})")


PH_START = re.compile("[xX×_＿□]")


def find_placeholders(text: str) -> str | None:
    tokens: list[str] = []
    seen: set[str] = set()
    last_end = 0
    for hit in PH_START.finditer(text):
        i = hit.start()
        if i < last_end:
            continue
        m = None
        if (
            i >= 2
            and text[i - 2 : i] in ("19", "20")
            or i >= 3
            and text[i - 3 : i - 1] in ("19", "20")
        ):
            m = _PLACEHOLDER.match(text, i - 2) or _PLACEHOLDER.match(text, i - 3)
            if m and m.end() <= i:
                m = None
        if m is None:
            m = _PLACEHOLDER.match(text, i)
        if m is None:
            continue
        last_end = m.end()
        core, tail = m["core"], m["tail"]
        start = m.start()
        before = text[start - 1] if start else ""
        if core[0] in "xX×" and (_ALNUM.match(before or " ") or _ALNUM.match(text, m.end("core"))):
            continue  # part of a Latin word or a number: docx, 1024×768
        if not tail and not (before and HAN_RE.match(before)):
            continue  # a lone x / __ not touching Chinese text: not a template gap
        if core[0] in "xX×" and tail[:1] in ("光", "射"):
            continue  # X光, X射线
        if tail[:2] in _UNIT2:
            tail = tail[:2]
        elif tail[:1] and tail[0] in _UNIT1:
            tail = tail[0]
        else:
            tail = ""
        tok = core + tail
        if tok not in seen:
            seen.add(tok)
            tokens.append(tok)
    return ",".join(tokens) if tokens else None
