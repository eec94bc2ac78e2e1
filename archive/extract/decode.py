"""Bytes -> text for captured pages, right even when servers lie.

Order of evidence: byte-order mark; bytes that are valid UTF-8 (a very strong
signal for non-ASCII text), or nearly (a few invalid bytes among many valid
multi-byte characters, which are then dropped); the declared charsets (HTTP header, then <meta>),
decoded strictly, with GB labels widened to GB18030 (gb2312 labels routinely sit
over GBK bytes); then charset-normalizer.  After decoding, U+FFFD and
cp1252/latin-1 mojibake (UTF-8 or GBK bytes read as Western) are detected and
repaired by re-decoding.  Binary payloads (PDF, images, archives, Office files)
served as text raise ``DecodeError`` instead of yielding garbage text.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes


class DecodeError(ValueError):
    """The payload is not text (binary) or cannot be decoded."""


@dataclass
class Decoded:
    text: str
    encoding: str  # codec actually used: utf-8, gbk, gb18030, big5, ...
    declared: str | None  # charset declared by header or <meta>, normalised
    repaired: bool = False  # mojibake / replacement characters were repaired


_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"<\?xml[^>]+encoding\s*=\s*[\"']([\w.:-]+)", re.I)
# characters that betray bytes decoded with a Western single-byte codec
_MOJIBAKE = re.compile(
    "[\u00c0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039"
    "\u203a\u20ac\u2122\u0080-\u009f]"
)
_HAN = re.compile("[\u4e00-\u9fff]")
# runs of the characters outside each class: deleting them counts the class in one C pass
_OUTSIDE = {rx: re.compile("[^" + rx.pattern[1:-1] + "]+") for rx in (_MOJIBAKE, _HAN)}

_GB = {
    "gb2312",
    "gbk",
    "gb18030",
    "x-gbk",
    "gb_2312-80",
    "gb_2312",
    "cp936",
    "ms936",
    "windows-936",
    "euc-cn",
    "csgb2312",
    "iso-ir-58",
    "chinese",
    "hz-gb-2312",
}
_BIG5 = {"big5", "big5-hkscs", "big5hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950", "ms950"}


def normalize_label(label: str | None) -> str | None:
    """A charset label as a codec name we report (``gbk``, ``big5``, ``utf-8``...)."""
    if not label:
        return None
    low = label.strip().strip("\"'").lower()
    if low in _GB:
        return (
            "gb18030"
            if low == "gb18030"
            else (
                "gb2312"
                if low
                in {"gb2312", "gb_2312-80", "gb_2312", "csgb2312", "euc-cn", "iso-ir-58", "chinese"}
                else "gbk"
            )
        )
    if low in _BIG5:
        return "big5"
    if low in {"utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"}:
        return "utf-8"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def _codec(name: str) -> str:
    """The Python codec used to decode a reported name (widened supersets)."""
    if name in ("gb2312", "gbk", "gb18030"):
        return "gb18030"
    if name == "big5":
        return "big5hkscs"
    if name in ("iso8859-1", "latin-1", "ascii", "us-ascii"):
        return "cp1252"  # WHATWG: latin-1 labels mean windows-1252
    return name


def declared_charsets(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(header charset, meta charset), both normalised or None."""
    header = None
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        header = normalize_label(m.group(1)) if m else None
    head = body[:4096]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    meta = normalize_label(m.group(1).decode("ascii", "ignore")) if m else None
    return header, meta


def looks_binary(body: bytes) -> bool:
    head = body[:1024]
    stripped = head.lstrip()
    if any(stripped.startswith(m) for m in _MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    # many C0 control bytes (other than tab/newline/cr/formfeed/esc) mean binary
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return ctrl > max(4, len(head) // 50)


def _strict(body: bytes, name: str) -> str | None:
    try:
        return body.decode(_codec(name))
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8(body: bytes) -> str | None:
    """Strict UTF-8, tolerating a payload cut inside its last character."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3 and exc.reason in (
            "unexpected end of data",
            "invalid continuation byte",
        ):
            try:
                return body[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return None


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few invalid bytes (a stray byte, a character cut by a CMS), those
    replaced: when its valid multi-byte characters outnumber them twenty to one.  GBK or
    Big5 bytes read as UTF-8 are mostly invalid, so they never pass."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")  # not those sent as U+FFFD
    valid = len(text) - len(text.encode("ascii", "ignore")) - bad
    return text if valid >= 20 * bad else None


def _report_gb(body: bytes, name: str | None = None) -> str:
    """Which GB codec the bytes really needed (gb2312 labels over GBK bytes are common)."""
    if name == "gb18030":
        return "gb18030"  # declared so
    try:
        body.decode("gbk")
        return "gbk"
    except UnicodeDecodeError:
        return "gb18030"


@functools.cache
def _class_table(pattern: re.Pattern):
    """bool[0x10001]: which BMP characters the one-class ``pattern`` matches (both classes
    here are BMP characters only); the last entry stands for every character beyond."""
    import numpy as np

    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    codes = np.frombuffer(every.encode("utf-32-le"), dtype=np.uint32)
    # each member (one character) becomes NUL, which is no member: one scan of the BMP
    marked = np.frombuffer(pattern.sub("\x00", every).encode("utf-32-le"), dtype=np.uint32)
    table = np.zeros(0x10001, dtype=bool)  # [0x10000]: beyond the BMP, never a member
    table[codes[(marked == 0) & (codes != 0)]] = True
    return table


def _non_ascii_share(text: str, pattern: re.Pattern, default: float) -> float:
    """Share of the non-ASCII characters (first 20,000 characters) that match ``pattern``.
    A page-sized sample is counted over its code points at once (numpy) rather than by
    deleting the runs outside the class, which short samples still do."""
    sample = text[:20000]
    if len(sample) >= 256:
        import numpy as np

        codes = np.frombuffer(sample.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        non_ascii = int(np.count_nonzero(codes >= 128))
        if not non_ascii:
            return default
        member = _class_table(pattern)[np.minimum(codes, 0x10000)]
        return int(np.count_nonzero(member)) / non_ascii
    non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))
    if not non_ascii:
        return default
    return len(_OUTSIDE[pattern].sub("", sample)) / non_ascii


def _han_share(text: str) -> float:
    return _non_ascii_share(text, _HAN, 1.0)


def mojibake_score(text: str) -> float:
    """Share of non-ASCII characters that look like Western-codec mojibake."""
    return _non_ascii_share(text, _MOJIBAKE, 0.0)


def has_mojibake(text: str) -> bool:
    return mojibake_score(text) > 0.3 and _han_share(text) < 0.5


def repair_mojibake(text: str) -> tuple[str, str] | None:
    """Undo a Western-codec misreading: re-encode and decode as UTF-8 or GB18030."""
    for western in ("cp1252", "latin-1"):
        try:
            raw = text.encode(western)
        except UnicodeEncodeError:
            # cp1252 lacks 5 bytes; mixed text: fall back to per-character latin-1
            try:
                raw = "".join(
                    c if ord(c) < 256 else c.encode("cp1252").decode("latin-1") for c in text
                ).encode("latin-1")
            except UnicodeError:
                continue
        for target in ("utf-8", "gb18030", "big5"):
            fixed = _strict(raw, target)
            if fixed is not None and _han_share(fixed) > 0.5 and not has_mojibake(fixed):
                return fixed, target
        best = from_bytes(raw).best()
        if best is not None:
            fixed = str(best)
            if _han_share(fixed) > 0.5 and not has_mojibake(fixed):
                return fixed, normalize_label(best.encoding) or best.encoding
    return None


def _detect(body: bytes) -> tuple[str, str] | None:
    """Undeclared or wrongly declared: charset-normalizer among CJK codecs."""
    res = from_bytes(body, cp_isolation=["utf_8", "gb18030", "big5", "gbk"])
    best = res.best()
    if best is None:
        return None
    name = normalize_label(best.encoding) or best.encoding
    text = _strict(body, name)
    return (text, name) if text is not None else (str(best), name)


_FAMILY = {"gb2312": "gb", "gbk": "gb", "gb18030": "gb", "big5": "big5"}


def _common_share(text: str, family: str, sample: int = 3000) -> float:
    """Share of Han characters among the common ones of their charset: GB2312 level 1
    (the 3,755 most frequent Simplified characters) or Big5 level 1 (5,401 frequent
    Traditional ones).  Text decoded with the wrong family is made of rare characters."""
    han = _OUTSIDE[_HAN].sub("", text)[:sample]
    if not han:
        return 0.0
    common = 0
    for ch in han:
        try:
            if family == "gb":
                b = ch.encode("gb2312")
                common += 0xB0 <= b[0] <= 0xD7
            else:
                b = ch.encode("big5")
                common += 0xA440 <= (b[0] << 8 | b[1]) <= 0xC67E
        except UnicodeEncodeError:
            pass
    return common / len(han)


def _plausible_cjk(text: str) -> bool:
    return _han_share(text) > 0.6 and "\ufffd" not in text


def decode_body(body: bytes, content_type: str | None) -> Decoded:
    """Decode a captured payload; raise ``DecodeError`` for binaries."""
    if body is None:
        raise DecodeError("empty body")
    header, meta = declared_charsets(body, content_type)
    declared = header or meta
    # byte-order marks win
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            text = body[len(bom) :].decode(
                "utf-16-le"
                if bom == codecs.BOM_UTF16_LE
                else "utf-16-be"
                if bom == codecs.BOM_UTF16_BE
                else "utf-8",
                errors="replace",
            )
            return _finish(text, name, declared, False)
    if looks_binary(body):
        raise DecodeError("binary payload served as text")
    # valid UTF-8 with non-ASCII bytes is UTF-8, whatever the labels say
    if not body.isascii():
        text = _utf8(body)
        if text is None:
            text = _mostly_utf8(body)
        if text is not None:
            return _finish(text, "utf-8", declared, False)
    else:
        return _finish(body.decode("ascii"), declared or "utf-8", declared, False)
    # declared charsets, strictly, header first then meta; a GB label over Big5 bytes
    # (or the reverse) still decodes strictly, so the other family must not read better
    for name in dict.fromkeys(x for x in (header, meta) if x and x != "utf-8"):
        text = _strict(body, name)
        if text is not None and (_plausible_cjk(text) or not has_mojibake(text)):
            family = _FAMILY.get(name)
            if family:
                other = "big5" if family == "gb" else "gb18030"
                alt = _strict(body, other)
                if (
                    alt is not None
                    and _plausible_cjk(alt)
                    and _common_share(alt, _FAMILY[other]) > _common_share(text, family) + 0.2
                ):
                    text, name = alt, other
            if name in ("gb2312", "gbk", "gb18030"):
                name = _report_gb(body, name if name in (header, meta) else None)
            return _finish(text, name, declared, False)
    # undeclared or contradicted: try the CJK codecs, then a detector
    candidates = []
    for name in ("gb18030", "big5"):
        text = _strict(body, name)
        if text is not None and _plausible_cjk(text):
            candidates.append((text, name))
    if len(candidates) == 2:  # both read: the one made of common characters
        candidates.sort(key=lambda c: _common_share(c[0], _FAMILY[c[1]]), reverse=True)
        candidates = candidates[:1]
    if len(candidates) == 1:
        text, name = candidates[0]
        return _finish(text, _report_gb(body) if name == "gb18030" else name, declared, False)
    guess = _detect(body)
    if guess is not None:
        text, name = guess
        if name in ("gb2312", "gbk", "gb18030"):
            name = _report_gb(body)
        return _finish(text, name, declared, False)
    if candidates:
        text, name = candidates[0]
        return _finish(text, name, declared, False)
    # last resort: declared or gb18030 with replacement characters, then repair
    name = declared if declared and declared != "utf-8" else "gb18030"
    return _finish(body.decode(_codec(name), errors="replace"), name, declared, False)


def _finish(text: str, name: str, declared: str | None, repaired: bool) -> Decoded:
    if has_mojibake(text):
        fixed = repair_mojibake(text)
        if fixed is not None:
            return Decoded(fixed[0], fixed[1], declared, True)
    if "\ufffd" in text:
        # replacement characters left by a few bad bytes (or by a server that had
        # already replaced them): nothing to recover, never pass them on
        text = text.replace("\ufffd", "")
        repaired = True
    return Decoded(text, name, declared, repaired)
