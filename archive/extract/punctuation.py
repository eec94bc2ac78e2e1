"""ASCII punctuation in Chinese text made full-width (，：；（）！？。), never between digits
nor inside URLs, e-mail addresses, file names or Latin text (archive.extract.normalize).
"""

from __future__ import annotations

import functools
import re

from archive.extract.cjk import CJK_CHAR, HAN_RE

_PUNCT = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）", ".": "。"}


ASCII_PUNCT = re.compile(r"[,:;!?().]")


_ASCII_PUNCT_CHARS = frozenset(",:;!?().")


# the mark first, then the look-behind: re jumps to the mark instead of trying every position
_FW_COLON_TIME = re.compile(r"：(?<=\d：)(?=\d\d(?!\d))")


_FW_DECIMAL = re.compile(r"．(?<=\d．)(?=\d)")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and CJK_CHAR.match(ch) is not None


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
        return bool(HAN_RE.search(text, lo + 1, hi) or _is_cjk(before) or _is_cjk(after))
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
        matches = [m.start() for m in ASCII_PUNCT.finditer(text)]
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
            if prev and HAN_RE.match(prev) and (not nxt or nxt == "\n" or _is_cjk(nxt)):
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

    han, cjk = members(HAN_RE), members(CJK_CHAR)
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
