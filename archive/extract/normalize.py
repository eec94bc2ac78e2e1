"""Text normalisation for extracted reports.

``normalize_text(text) -> NormalizedText(text, script, placeholders)``

* script: 'Hant' when the text is written in Traditional characters, else 'Hans'
  (as found, before conversion). Detection counts characters that exist only in
  Traditional / only in Simplified, using OpenCC's own character tables.
* Traditional text is converted to Simplified with OpenCC t2s: ``t2s()`` gives exactly
  opencc-python-reimplemented's output (same dictionaries, same choice of phrases;
  a test compares them) in a fraction of its time. Simplified text is never converted; a few
  Traditional-only characters inside Simplified text are mapped one by one.
* Width: full-width ASCII letters and digits become half-width (NFKC for those only);
  ㎡, ①, ％ and other symbols are left alone.
* Punctuation (archive.extract.punctuation): in Chinese text the ASCII , : ; ( ) ! ? (and a
  sentence-final .) become ，：；（）！？。 — but never between digits (10,000  9:37
  76.2万元) nor inside URLs, e-mail addresses, file names or runs of Latin text.
* Whitespace: each line stripped, runs of blanks collapsed, blanks between Chinese
  characters removed, zero-width and control characters dropped, one paragraph per line,
  no empty lines.
* Placeholders left by template sites (20xx年, 201x年, 20__年, XX县, XXX镇, x人次, xxxx名,
  __社区, ××单位 ...) are kept as they are and listed (comma-separated, first-seen order)
  in ``placeholders`` (None when there are none; archive.extract.placeholders).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from typing import NamedTuple

import opencc

from archive.extract.cjk import CJK_PUNCT, HAN
from archive.extract.placeholders import PH_START, find_placeholders
from archive.extract.punctuation import ASCII_PUNCT, fix_punctuation


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
    A long text is looked up in a table over its code points at once (numpy) rather than
    scanned by the regex."""
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
    (numpy) rather than str.translate on long texts; the few characters whose form
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
    if "  " in text:  # most reports have none, and the test is cheaper than the sub
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


_BLANKS = re.compile(r" {2,}")
# blanks before or after CJK punctuation: " +(?=[P])|(?<=[P]) +", its first blank taken out
# of the alternatives so that re searches for it rather than trying the pattern at every
# position (tests/test_normalize.py compares the two forms)
_PUNCT_GAP = re.compile(rf" (?: *(?=[{CJK_PUNCT}])|(?<=[{CJK_PUNCT}] ) *)")
_SPACED_HAN = re.compile(rf"[{HAN}] (?=[{HAN}])")


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
    if ASCII_PUNCT.search(text) or "：" in text or "．" in text:
        text = fix_punctuation(text)
        if " " in text:
            text = _PUNCT_GAP.sub("", text)
    placeholders = find_placeholders(text) if PH_START.search(text) else None
    return NormalizedText(text, script, placeholders)
