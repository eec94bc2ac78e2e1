"""Character classes of Chinese text: Han characters and CJK punctuation, brackets and quotes."""

from __future__ import annotations

import re

# Chinese characters and CJK punctuation / brackets / quotes
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = (
    r"\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    r"\u2018-\u201f\u2026\u2014\u00b7"
)
_CJK = HAN + CJK_PUNCT


HAN_RE = re.compile(f"[{HAN}]")
CJK_CHAR = re.compile(f"[{_CJK}]")
