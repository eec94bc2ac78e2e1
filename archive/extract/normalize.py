"""Text normalisation for extracted reports.

``normalize_text(text) -> NormalizedText(text, script, placeholders)``

* script: 'Hant' when the text is written in Traditional characters, else 'Hans'
  (as found, before conversion). Detection counts characters that exist only in
  Traditional / only in Simplified, using OpenCC's own character tables.
* Traditional text is converted to Simplified with OpenCC t2s: ``t2s()`` gives exactly
  opencc-python-reimplemented's output (same dictionaries, same choice of phrases;
  a test compares them) about ten times faster. Simplified text is never converted; a few
  Traditional-only characters inside Simplified text are mapped one by one.
* Width: full-width ASCII letters and digits become half-width (NFKC for those only);
  ㎡, ①, ％ and other symbols are left alone.
* Punctuation: in Chinese text the ASCII , : ; ( ) ! ? (and a sentence-final .) become
  ，：；（）！？。 — but never between digits (10,000  9:37  76.2万元) nor inside URLs,
  e-mail addresses, file names or runs of Latin text.
* Whitespace: each line stripped, runs of blanks collapsed, blanks between Chinese
  characters removed, zero-width and control characters dropped, one paragraph per line,
  no empty lines.
* Placeholders left by template sites (20xx年, 201x年, 20__年, XX县, XXX镇, x人次, xxxx名,
  __社区, ××单位 ...) are kept as they are and listed (comma-separated, first-seen order)
  in ``placeholders`` (None when there are none).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from typing import NamedTuple

import opencc


class NormalizedText(NamedTuple):
    text: str
    script: str  # 'Hans' | 'Hant'
    placeholders: str | None


# ---------------------------------------------------------------- script detection


def _dictionary(name: str) -> dict[str, list[str]]:
    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", name)
    table: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, values = line.rstrip("\n").partition("\t")
            if key and values:
                table[key] = values.split()
    return table


@functools.lru_cache(maxsize=1)
def _script_sets() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    ts = _dictionary("TSCharacters.txt")  # traditional -> simplified
    st = _dictionary("STCharacters.txt")  # simplified -> traditional
    trad_only = {k for k, v in ts.items() if len(k) == 1 and k not in v and k not in st}
    simp_only = {k for k, v in st.items() if len(k) == 1 and k not in v and k not in ts}
    char_map = {k: ts[k][0] for k in trad_only}
    return frozenset(trad_only), frozenset(simp_only), char_map


@functools.lru_cache(maxsize=1)
def _traditional_res() -> tuple[re.Pattern, re.Pattern]:
    """Traditional-only characters as two classes: the BMP ones (sre compiles a class of
    BMP characters to a bitmap: one lookup per character scanned) and the others (a list
    it walks, so only searched when the text has characters beyond the BMP at all)."""
    trad, _simp, _map = _script_sets()
    bmp = "".join(re.escape(c) for c in sorted(trad) if ord(c) <= 0xFFFF)
    astral = "".join(re.escape(c) for c in sorted(trad) if ord(c) > 0xFFFF)
    return re.compile(f"[{bmp}]"), re.compile(f"[{astral}]" if astral else "(?!)")


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@functools.lru_cache(maxsize=1)
def _traditional_table():
    """bool[0x110000]: is this code point a Traditional-only character."""
    import numpy as np

    trad, _simp, _map = _script_sets()
    table = np.zeros(0x110000, dtype=bool)
    table[[ord(c) for c in trad]] = True
    return table


def has_traditional(text: str) -> bool:
    """Does the text hold a Traditional-only character (one scan, no set of its characters)?
    A long text is looked up in a table over its code points at once (numpy): ~3x faster
    than the regex's scan over a report of 8,000 characters with none."""
    if len(text) >= 64:
        import numpy as np

        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return bool(_traditional_table()[codes].any())
    bmp, astral = _traditional_res()
    return bmp.search(text) is not None or (
        _ASTRAL.search(text) is not None and astral.search(text) is not None
    )


def detect_script(text: str, chars: set[str] | None = None) -> str:
    """'Hant' if the text uses more distinct Traditional-only than Simplified-only characters."""
    trad, simp, _map = _script_sets()
    if chars is None:
        if not has_traditional(text):  # most texts: decided without building a set
            return "Hans"
        chars = set(text)
    n_trad = len(trad.intersection(chars))
    if n_trad == 0:
        return "Hans"
    n_simp = len(simp.intersection(chars))
    return "Hant" if n_trad > n_simp else "Hans"


def _fix_stray_traditional(text: str, chars: set[str]) -> str:
    """Simplified text with a few Traditional-only characters (a pasted phrase): those
    characters alone are mapped (character table, no phrase conversion needed)."""
    trad, _simp, char_map = _script_sets()
    stray = trad.intersection(chars)
    if not stray:
        return text
    rx = re.compile("[" + "".join(re.escape(c) for c in stray) + "]")
    return rx.sub(lambda m: char_map[m.group()], text)


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _t2s_tables() -> tuple[dict[str, str], dict[str, tuple[int, ...]], dict[int, str]]:
    """OpenCC's t2s dictionaries (TSPhrases, TSCharacters), first candidate of each entry,
    exactly as opencc-python-reimplemented reads them."""

    def read(name: str) -> dict[str, str]:
        path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", name)
        table = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, value = line.strip().split("\t")
                table[key] = value.split(" ")[0]
        return table

    phrases = read("TSPhrases.txt")
    lengths: dict[str, set[int]] = {}
    for key in phrases:
        lengths.setdefault(key[:2], set()).add(len(key))
    by_prefix = {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}
    chars = {ord(k): v for k, v in read("TSCharacters.txt").items() if len(k) == 1}
    return phrases, by_prefix, chars


def t2s(text: str) -> str:
    """OpenCC t2s, the same output as opencc-python-reimplemented's ``OpenCC("t2s").convert``
    (tests/test_normalize.py compares them) in a fraction of its time: the library looks
    for the longest phrase (leftmost among equals), converts it, repeats on the pieces left
    and right of it, then maps the remaining characters one by one. Its phrases never
    contain the separators it splits on, so the same choice can be made over the whole
    text at once: every phrase occurrence, longest first then leftmost, kept when it does
    not overlap one already kept."""
    phrases, by_prefix, chars = _t2s_tables()
    found: list[tuple[int, int]] = []
    get = by_prefix.get
    size = len(text)
    for i in range(size - 1):
        lens = get(text[i : i + 2])
        if lens:
            for n in lens:
                if i + n <= size and text[i : i + n] in phrases:
                    found.append((-n, i))
    if not found:
        return text.translate(chars)
    found.sort()
    taken = bytearray(len(text))
    kept: dict[int, int] = {}
    for neg, i in found:
        n = -neg
        if not any(taken[i : i + n]):
            taken[i : i + n] = b"\x01" * n
            kept[i] = n
    out: list[str] = []
    pos = 0
    for i in sorted(kept):
        out.append(text[pos:i].translate(chars))
        out.append(phrases[text[i : i + kept[i]]])
        pos = i + kept[i]
    out.append(text[pos:].translate(chars))
    return "".join(out)


def to_simplified(text: str) -> str:
    """OpenCC t2s, applied only when the text is Traditional."""
    if detect_script(text) == "Hant":
        return t2s(text)
    return text


# ---------------------------------------------------------------- folding (search, dedup)


class _NFKCMap(dict):
    """codepoint -> its NFKC form, for str.translate; filled on first sight, so the
    lookups stay in C.  Mapping each character to its own NFKC form never changes the
    string's NFKC form (NFKD is per character, then reordered), so when the result is
    already normalised it *is* NFKC of the input."""

    def __missing__(self, o: int) -> str:
        self[o] = ch = unicodedata.normalize("NFKC", chr(o))
        return ch


_NFKC = _NFKCMap()


_OTHER = 0xFFFFFFFF  # in _nfkc_table: the NFKC form is not one BMP character


@functools.lru_cache(maxsize=1)
def _nfkc_table():
    """uint32[0x10000]: each BMP code point -> the code point of its NFKC form, or
    ``_OTHER`` when that form is not one BMP character (ﬁ, ㎡, ①...)."""
    import numpy as np

    table = np.arange(0x10000, dtype=np.uint32)
    for o in range(0x10000):
        if 0xD800 <= o <= 0xDFFF:
            continue
        ch = chr(o)
        if not unicodedata.is_normalized("NFKC", ch):
            form = unicodedata.normalize("NFKC", ch)
            table[o] = ord(form) if len(form) == 1 and ord(form) <= 0xFFFF else _OTHER
    return table


def _map_each(text: str) -> str:
    """Each character to its own NFKC form: a lookup table over the UTF-32 code units
    (numpy), ~10x faster than str.translate on long texts; the few characters whose form
    is not one BMP character (…, ①, ㎡, ﬁ, outside the BMP) go through the translate table."""
    if len(text) < 64:
        return text.translate(_NFKC)
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _nfkc_table()
    mapped = table[np.minimum(codes, 0xFFFF)]
    if int(codes.max()) > 0xFFFF:
        mapped[codes > 0xFFFF] = _OTHER
    other = np.flatnonzero(mapped == _OTHER)
    if not len(other):
        return mapped.tobytes().decode("utf-32-le", "surrogatepass")
    if len(other) * 8 > len(text):
        return text.translate(_NFKC)
    out, start = [], 0
    for i in other.tolist():
        out.append(mapped[start:i].tobytes().decode("utf-32-le", "surrogatepass"))
        out.append(_NFKC[int(codes[i])])
        start = i + 1
    out.append(mapped[start:].tobytes().decode("utf-32-le", "surrogatepass"))
    return "".join(out)


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), by a lookup table when that is enough."""
    out = _map_each(text)
    return out if unicodedata.is_normalized("NFKC", out) else unicodedata.normalize("NFKC", out)


def fold(text: str | None) -> str:
    """The form texts are compared and searched in: NFKC, Simplified (OpenCC t2s when the
    text is Traditional), lower case, each run of blanks one blank (line breaks stay:
    NFKC has made other blanks, such as U+3000, plain ones), stripped."""
    if not text:
        return ""
    text = to_simplified(nfkc(text)).lower()
    if "  " in text:  # a report has none mostly: the test is ~10x cheaper than the sub
        text = _BLANKS.sub(" ", text)
    return text.strip()


# ---------------------------------------------------------------- width, whitespace

# full-width letters and digits -> ASCII (what NFKC does for them)
_FW = {c: chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}
_FW.update({c: chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})
_FW.update({c: chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})
# blanks -> space; zero-width / BOM / soft hyphen -> nothing
for _c in (
    0x00A0,
    0x1680,
    0x2000,
    0x2001,
    0x2002,
    0x2003,
    0x2004,
    0x2005,
    0x2006,
    0x2007,
    0x2008,
    0x2009,
    0x200A,
    0x202F,
    0x205F,
    0x3000,
    0x0009,
    0x000B,
    0x000C,
):
    _FW[_c] = " "
for _c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD):
    _FW[_c] = ""
_FW.update({0x2028: "\n", 0x2029: "\n", 0x0085: "\n", 0x000D: "\n"})
_FW.update({c: "" for c in range(0x00, 0x20) if c not in (0x0A, 0x09, 0x0B, 0x0C, 0x0D)})
_FW[0x7F] = ""
_FW_KEYS = frozenset(chr(c) for c in _FW)
_FW_STR = {chr(k): v for k, v in _FW.items()}
_FW_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FW)) + "]")


def _fold_width(text: str) -> str:
    """The _FW mapping, applied only where such characters are (faster than str.translate)."""
    return _FW_RE.sub(lambda m: _FW_STR[m.group()], text)


# Chinese characters and CJK punctuation / brackets / quotes
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026\u2014\u00b7"
_CJK = _HAN + _CJK_PUNCT
_BLANKS = re.compile(r" {2,}")
# blanks before or after CJK punctuation: " +(?=[P])|(?<=[P]) +", its first blank taken out
# of the alternatives so that re searches for it (a look-behind first made re try the
# pattern at every position: 340 -> 6 us over a report; tested equal)
_PUNCT_GAP = re.compile(rf" (?: *(?=[{_CJK_PUNCT}])|(?<=[{_CJK_PUNCT}] ) *)")
_SPACED_HAN = re.compile(rf"[{_HAN}] (?=[{_HAN}])")
_HAN_RE = re.compile(f"[{_HAN}]")
_CJK_CHAR = re.compile(f"[{_CJK}]")

# ---------------------------------------------------------------- punctuation

_PUNCT = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）", ".": "。"}
_ASCII_PUNCT = re.compile(r"[,:;!?().]")
_ASCII_PUNCT_CHARS = frozenset(",:;!?().")
# the mark first, then the look-behind: re jumps to the mark instead of trying every position
_FW_COLON_TIME = re.compile(r"：(?<=\d：)(?=\d\d(?!\d))")
_FW_DECIMAL = re.compile(r"．(?<=\d．)(?=\d)")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK_CHAR.match(ch) is not None


def _paren_pairs_text(text: str) -> dict[int, int]:
    """Matching parentheses (ASCII or full-width), within one line."""

    def found():
        line = 0
        for m in _PARENS_NL.finditer(text):
            if m.group() == "\n":
                line += 1
            else:
                yield m.start(), line

    return _pair_parens(text, found())


def _pair_parens(text: str, found) -> dict[int, int]:
    """Pairs from the parentheses' (position, line number), in order: a stack that a new
    line empties."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    line = -1
    for i, k in found:
        if k != line:
            stack.clear()
            line = k
        if text[i] in "(（":
            stack.append(i)
        elif stack:
            j = stack.pop()
            pairs[j] = i
            pairs[i] = j
    return pairs


_PARENS_NL = re.compile(r"[()（）\n]")


def fix_punctuation(text: str) -> str:
    """ASCII punctuation -> full-width where it sits in Chinese text (see module doc)."""
    if "：" in text:
        text = _FW_COLON_TIME.sub(":", text)  # 14：30 -> 14:30
    if "．" in text:
        text = _FW_DECIMAL.sub(".", text)  # ７６．２ -> 76.2
    if len(text) < 512:
        return _fix_ascii_marks_loop(text)
    return _fix_ascii_marks(text)


def _paren_changes(text: str, i: int, pairs: dict[int, int]) -> bool:
    """Does the parenthesis at i become full-width? A pair does when it holds a Chinese
    character or has a CJK neighbour outside; a lone one when a neighbour is CJK."""
    n = len(text)
    j = pairs.get(i)
    if j is not None:
        lo, hi = (i, j) if i < j else (j, i)
        before = text[lo - 1] if lo > 0 else ""
        after = text[hi + 1] if hi + 1 < n else ""
        return bool(_HAN_RE.search(text, lo + 1, hi) or _is_cjk(before) or _is_cjk(after))
    prev, nxt = _neighbours(text, i)
    return _is_cjk(prev) or _is_cjk(nxt)


def _neighbours(text: str, i: int) -> tuple[str, str]:
    """The characters before and after position i ("" past an end), looking across one
    blank on either side."""
    n = len(text)
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < n else ""
    if prev == " " and i > 1:
        prev = text[i - 2]
    if nxt == " " and i + 2 < n:
        nxt = text[i + 2]
    return prev, nxt


def _fix_ascii_marks_loop(text: str, matches: list[int] | None = None) -> str:
    """The definition, one mark at a time (short texts, texts with few marks or beyond the
    BMP; the tests compare ``_fix_ascii_marks`` with it). ``matches``: the marks'
    positions, when the caller has them."""
    if matches is None:
        matches = [m.start() for m in _ASCII_PUNCT.finditer(text)]
    if not matches:
        return text
    pairs = _paren_pairs_text(text) if ("(" in text or ")" in text) else {}
    out: dict[int, str] = {}  # position -> replacement (few: the text is not copied per mark)
    # Only a mark with a Chinese neighbour changes, so URLs, e-mail addresses, file names
    # and numbers (all ASCII around their marks) are left alone without being parsed.
    for i in matches:
        ch = text[i]
        prev, nxt = _neighbours(text, i)
        if ch in "()":
            if _paren_changes(text, i, pairs):
                out[i] = _PUNCT[ch]
            continue
        if ch == ".":
            # sentence end after a Chinese character: 完成.  -> 完成。 (not 76.2, not X.docx)
            if prev and _HAN_RE.match(prev) and (not nxt or nxt == "\n" or _is_cjk(nxt)):
                out[i] = "。"
            continue
        if prev.isdigit() and nxt.isdigit():
            continue  # 10,000  9:37
        if _is_cjk(prev) or _is_cjk(nxt):
            out[i] = _PUNCT[ch]
    if not out:
        return text
    pieces, last = [], 0
    for i in sorted(out):
        pieces += [text[last:i], out[i]]
        last = i + 1
    pieces.append(text[last:])
    return "".join(pieces)


_SENTINEL = 0x10000  # "no character": past either end of the text


@functools.lru_cache(maxsize=1)
def _mark_tables():
    """bool[0x10001] tables over the BMP (plus the sentinel, all False): Chinese character,
    CJK (Chinese or CJK punctuation), ``str.isdigit``; and uint32 replacements per mark."""
    import numpy as np

    every = "".join(map(chr, range(0x10000)))

    def members(rx: re.Pattern) -> np.ndarray:  # one scan of the BMP, no call per character
        marked = rx.sub("\x01", every).encode("utf-32-le", "surrogatepass")
        table = np.zeros(0x10001, dtype=bool)
        table[:0x10000] = np.frombuffer(marked, dtype=np.uint32) == 1
        table[1] = rx.match("\x01") is not None
        return table

    han, cjk = members(_HAN_RE), members(_CJK_CHAR)
    digit = np.zeros(0x10001, dtype=bool)
    digit[:0x10000] = [c.isdigit() for c in every]
    repl = np.zeros(0x10001, dtype=np.uint32)  # 0: not one of the marks
    for a, b in _PUNCT.items():
        repl[ord(a)] = ord(b)
    return han, cjk, digit, repl


def _paren_pairs_codes(text: str, codes) -> dict[int, int]:
    """``_paren_pairs_text`` from the code points: the parentheses are found by numpy, and
    their line numbers by where the newlines are; the stack runs over the parentheses only."""
    import numpy as np

    pos = np.flatnonzero((codes == 40) | (codes == 41) | (codes == 0xFF08) | (codes == 0xFF09))
    lines = np.searchsorted(np.flatnonzero(codes == 10), pos)
    return _pair_parens(text, zip(pos.tolist(), lines.tolist()))


def _fix_ascii_marks(text: str) -> str:
    """``_fix_ascii_marks_loop`` for long texts: every , : ; ! ? . decided at once over the
    text's code points (numpy); only parentheses, which need their pairs, go one by one."""
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(codes)
    if not n or int(codes.max()) > 0xFFFF:
        return _fix_ascii_marks_loop(text)
    han, cjk, digit, repl = _mark_tables()
    at = np.flatnonzero(repl[codes])
    if len(at) < 48:  # numpy's fixed costs outweigh a short loop
        return _fix_ascii_marks_loop(text, at.tolist()) if len(at) else text
    padded = np.empty(n + 4, dtype=np.int64)  # two sentinels on each side
    padded[:2] = padded[-2:] = _SENTINEL
    padded[2:-2] = codes
    prev = padded[at + 1]
    skip = (prev == 32) & (at > 1)  # one blank is looked across
    prev[skip] = padded[at[skip]]
    nxt = padded[at + 3]
    skip = (nxt == 32) & (at + 2 < n)
    nxt[skip] = padded[at[skip] + 4]
    mark = codes[at]
    dot = mark == 46
    change = np.where(
        dot,
        han[prev] & ((nxt == _SENTINEL) | (nxt == 10) | cjk[nxt]),
        ~(digit[prev] & digit[nxt]) & (cjk[prev] | cjk[nxt]),
    )
    parens = (mark == 40) | (mark == 41)
    change &= ~parens
    out = None
    if change.any():
        out = codes.copy()
        where = at[change]
        out[where] = repl[mark[change]]  # "." -> "。" too (_PUNCT)
    if parens.any():
        pairs = _paren_pairs_codes(text, codes)
        for i in at[parens].tolist():
            if _paren_changes(text, i, pairs):
                if out is None:
                    out = codes.copy()
                out[i] = 0xFF08 if text[i] == "(" else 0xFF09
    return text if out is None else out.tobytes().decode("utf-32-le", "surrogatepass")


# ---------------------------------------------------------------- placeholders

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
_PLACEHOLDER = re.compile(rf"(?P<core>{_PH_CORE})(?P<tail>[{_HAN}]{{0,2}})")


_PH_START = re.compile("[xX×_＿□]")


def _find_placeholders(text: str) -> str | None:
    tokens: list[str] = []
    seen: set[str] = set()
    last_end = 0
    for hit in _PH_START.finditer(text):
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
        if not tail and not (before and _HAN_RE.match(before)):
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


# ---------------------------------------------------------------- whitespace


def clean_whitespace(text: str) -> str:
    """Blanks collapsed, blanks around CJK punctuation removed, one paragraph per line,
    no empty lines. A single blank between two Chinese characters is kept (title phrases
    such as "强化组织保障 发挥优势作用"), unless the line is letter-spaced ("工 会 工 作")."""
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if " " in line:
            if "  " in line:
                line = _BLANKS.sub(" ", line)
            line = _PUNCT_GAP.sub("", line)
            spaced = len(_SPACED_HAN.findall(line))
            if spaced >= 3 and spaced * 3 >= len(line):
                line = _SPACED_HAN.sub(lambda m: m.group(0)[0], line)
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------- public


def normalize_text(text: str | None) -> NormalizedText:
    """Normalise an extracted text; see the module docstring for the rules."""
    if not text:
        return NormalizedText("", "Hans", None)
    if _FW_RE.search(text):
        text = _fold_width(text)
    if has_traditional(text):
        chars = set(text)
        script = detect_script(text, chars)
        text = t2s(text) if script == "Hant" else _fix_stray_traditional(text, chars)
    else:
        script = "Hans"
    text = clean_whitespace(text)
    if _ASCII_PUNCT.search(text) or "：" in text or "．" in text:
        text = fix_punctuation(text)
        if " " in text:
            text = _PUNCT_GAP.sub("", text)
    placeholders = _find_placeholders(text) if _PH_START.search(text) else None
    return NormalizedText(text, script, placeholders)
