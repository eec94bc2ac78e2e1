"""Dates in Chinese report pages -> ISO "YYYY-MM-DD".

``parse_date(s)`` finds the first complete date (year, month and day) inside ``s``:

* numeric: 2012-05-16, 2016/11/11 9:37:15, 2012.5.16, 2017-05-18 14：30
* 年月日: 2024年03月05日, 2024年3月5日 (also 号 for 日, spaces inside)
* Chinese numerals: 二〇一一年十一月一日, 二零一一年十一月一号 (cn2an for month/day)
* ROC (Taiwan) years: 民國114年12月26日, 中华民国101年4月5日, and bare 3-digit 年 years
  such as 114年12月26日 (years 1..150 with 年月日 are read as ROC years)
* full-width digits (２０１２年５月１６日) and dates inside longer strings
  ("发布时间：2016/11/11 9:37:15").

Anything that is not a real calendar date (2012-02-30, month 13) is skipped.
``find_dates(s)`` yields every date found, as (start, end, iso) tuples.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator

_FW_DIGITS = str.maketrans("０１２３４５６７８９：／－．", "0123456789:/-.")

# Chinese numeral digits used in years written digit by digit (二〇一一).
_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "o": 0,
    "0": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUM = "〇○零Ｏ一二三四五六七八九十两"

_SEP = r"\s*"
_NUMERIC = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?!\d)"
)
_NIANYUERI = re.compile(
    r"(?P<roc>(?:中华|中華)?民[国國]"
    + _SEP
    + r")?(?<!\d)(?P<y>\d{2,4})"
    + _SEP
    + r"年"
    + _SEP
    + r"(?P<m>\d{1,2})"
    + _SEP
    + r"月"
    + _SEP
    + r"(?P<d>\d{1,2})"
    + _SEP
    + r"[日号號]"
)
_CHINESE = re.compile(
    r"(?P<roc>(?:中华|中華)?民[国國])?(?P<y>[〇○零Ｏ一二三四五六七八九十百]{2,6})"
    r"\s*年\s*(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,4})[日号號]"
)
_COMPACT = re.compile(r"^\s*((?:19|20)\d\d)(\d\d)(\d\d)\s*$")


def _valid(y: int, m: int, d: int) -> str | None:
    if not (1900 <= y <= 2100):
        return None
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _cn_int(s: str) -> int | None:
    import cn2an  # here, not at the top: its import builds converters, which is slow

    try:
        return int(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def _cn_year(s: str, roc: bool) -> int | None:
    if not roc and len(s) == 4 and all(c in _CN_DIGIT for c in s):
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    if roc:
        return _cn_int(s)
    return None


def find_dates(s: str) -> Iterator[tuple[int, int, str]]:
    """Every complete date in ``s`` as (start, end, 'YYYY-MM-DD'), in text order."""
    if not s:
        return
    t = s.translate(_FW_DIGITS)
    found: list[tuple[int, int, str]] = []
    for m in _NUMERIC.finditer(t):
        iso = _valid(int(m["y"]), int(m["m"]), int(m["d"]))
        if iso:
            found.append((m.start(), m.end(), iso))
    for m in _NIANYUERI.finditer(t):
        y = int(m["y"])
        if m["roc"] or (len(m["y"]) <= 3 and 1 <= y <= 150):
            y += 1911
        elif len(m["y"]) == 2:
            continue
        iso = _valid(y, int(m["m"]), int(m["d"]))
        if iso:
            found.append((m.start(), m.end(), iso))
    if any(c in t for c in "年"):
        for m in _CHINESE.finditer(t):
            roc = bool(m["roc"])
            y = _cn_year(m["y"], roc)
            if y is None:
                continue
            if roc:
                y += 1911
            mo, d = _cn_int(m["m"]), _cn_int(m["d"])
            if mo is None or d is None:
                continue
            iso = _valid(y, mo, d)
            if iso:
                found.append((m.start(), m.end(), iso))
    m = _COMPACT.match(t)
    if m:
        iso = _valid(int(m[1]), int(m[2]), int(m[3]))
        if iso:
            found.append((m.start(1), m.end(3), iso))
    found.sort()
    last_end = -1
    for start, end, iso in found:
        if start >= last_end:  # overlapping matches: keep the first
            last_end = end
            yield start, end, iso


def parse_date(s: str | None) -> str | None:
    """The first complete date inside ``s`` as 'YYYY-MM-DD', or None."""
    if not s:
        return None
    for _start, _end, iso in find_dates(s):
        return iso
    return None


_YEAR = re.compile(r"(?<![\dxX])((?:19|20)\d\d)(?![\dxX])\s*(?:年|—|－|-|~|～|至)")
# a class first, then the repeat: re skips ahead to the numerals (unlike "[…]{4}")
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九][〇○零一二三四五六七八九]{3})年")


def find_year(s: str | None) -> int | None:
    """The first year (1949..2100) written before 年 (or starting a range) in ``s``."""
    if not s:
        return None
    t = s.translate(_FW_DIGITS)
    best: tuple[int, int] | None = None
    m = _YEAR.search(t)
    if m:
        y = int(m[1])
        if 1949 <= y <= 2100:
            best = (m.start(), y)
    m = _CN_YEAR.search(t)
    if m:
        y = _cn_year(m[1], False)
        if y and 1949 <= y <= 2100 and (best is None or m.start() < best[0]):
            best = (m.start(), y)
    return best[1] if best else None
