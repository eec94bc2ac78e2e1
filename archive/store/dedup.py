"""Near-duplicate reports: MinHash signatures (datasketch 2's scheme) and their comparison.

``signature(text, title=None) -> bytes``
    * MinHash (datasketch 2's affine32 scheme, 128 permutations, seed 1) over the set of
      5-character shingles of the canonical text: Traditional converted to Simplified
      (OpenCC t2s, only when Traditional), NFKC, lower case, everything but Chinese
      characters, letters and digits removed (punctuation and layout do not count).
    * identity tokens of title + text: the years written (2011年, 二〇一一年, and 20xx
      for a template's blank year), the administrative places named (full names:
      广元市, 苍溪县), and "XX" when the text has template blanks. A report reused by
      another organisation or year, or turned into a 范文 template, keeps almost all
      its shingles but changes these.
    Layout: b"MH2" | uint32 shingle count | uint16 identity count |
            128 x uint32 MinHash values | identity count x uint32 (little endian).

The clustering pass over many signatures is ``archive.store.dedup_lsh``.
"""

from __future__ import annotations

import functools
import re
import struct
import zlib

import numpy as np

from archive.extract.normalize import fold

NUM_PERM = 128
SEED = 1
SHINGLE = 5
SAME_JACCARD = 0.5
SAME_CONTAINMENT = 0.8
MIN_SHINGLES_CONTAINMENT = 150  # containment is only trusted for texts this long
MIN_SHINGLES_SHORT = 30  # below this, only near-identical texts match

MAGIC = b"MH2"
HEADER = struct.Struct("<3sIH")
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MAX = np.uint32(0xFFFFFFFF)


def _folded(text: str) -> str:
    """NFKC, Simplified, lower case, blanks collapsed (``archive.extract.normalize.fold``: the
    form search indexes too, so the indexer folds each text once for both)."""
    return fold(text)


def canonical(text: str) -> str:
    """The text as compared: Simplified, NFKC, lower case, only Han, letters, digits."""
    return _NOISE.sub("", _folded(text))


def _kept_codes(folded: str) -> np.ndarray:
    """Code points of ``_NOISE.sub("", folded)`` (Han, a-z, 0-9), as uint64, by a mask."""
    c = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    keep = (
        ((c >= 0x30) & (c <= 0x39))
        | ((c >= 0x61) & (c <= 0x7A))
        | ((c >= 0x3400) & (c <= 0x4DBF))
        | ((c >= 0x4E00) & (c <= 0x9FFF))
        | ((c >= 0xF900) & (c <= 0xFAFF))
    )
    return c[keep].astype(np.uint64)


def shingle_hashes(text: str, folded: bool = False) -> np.ndarray:
    """Distinct 32-bit hashes of the 5-character shingles of the canonical text."""
    codes = _kept_codes(text if folded else _folded(text))
    if len(codes) < SHINGLE:
        return np.zeros(0, dtype=np.uint32)
    n = len(codes) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):  # polynomial hash, mod 2^64, folded to 32 bits
        h = h * np.uint64(1000003) + codes[j : j + n]
    h ^= h >> np.uint64(29)
    h = np.sort((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    return h[np.r_[True, h[1:] != h[:-1]]]  # np.unique's result, without its slower hash path


# Each pattern starts with what re can skip ahead to: one character class, or
# alternatives that each start with a literal (a look-behind comes after it:
# "(?:19|20)(?<![0-9a-z]..)" is "(?<![0-9a-z])(?:19|20)").  Otherwise re tries the whole
# pattern at every position, which is much slower ("[…]{4}" is a repeat, not a class, to
# it; so are alternatives starting with classes, as _BLANK's first form "[x×]…|_{3,}|…"
# had); tests/test_dedup.py checks both forms find the same.
_YEAR = re.compile(r"((?:19|20)(?<![0-9a-z]..)\d\d)\s*年")
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九][〇○零一二三四五六七八九]{3})\s*年")
_BLANK_YEAR = re.compile(r"(?:19|20)(?<![0-9a-z]..)(?:[x×*＊]{2}|\d[x×]|_{2,}|＿{2,})")
_BLANK_UNITS = "人次|名|个|家|户|人|项|场|期|次|天|月|日"
# "[x×](?<![a-z].)[x×]+(?![a-z])|_{3,}|＿{2,}|[x×](?<![a-z0-9].)(?=[万千百]?(?:units))",
# its first character taken out of the alternatives
_BLANK = re.compile(
    r"[x×_＿](?:(?<=[x×])(?<![a-z].)[x×]+(?![a-z])|(?<=_)_{2,}|(?<=＿)＿+|"
    rf"(?<=[x×])(?<![a-z0-9].)(?=[万千百]?(?:{_BLANK_UNITS})))"
)
_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")


IDENT_HEAD, IDENT_TAIL = 4000, 1000  # characters of the text searched for identity tokens


def identity_tokens(text: str, title: str | None = None, folded: bool = False) -> set[str]:
    """Years, places and template blanks that tell one report from its reuse (searched in
    the title, the first 4,000 and the last 1,000 characters)."""
    from archive.extract.regions import find_places

    text = text or ""
    if len(text) > IDENT_HEAD + IDENT_TAIL:
        text = text[:IDENT_HEAD] + "\n" + text[-IDENT_TAIL:]
    t = _folded(title or "") + "\n" + (text if folded else _folded(text))
    tokens = {"y:" + y for y in _YEAR.findall(t)}
    tokens.update("y:" + y.translate(_CN_DIGITS) for y in _CN_YEAR.findall(t))
    # both patterns need one of these characters: a text without any (most) skips them
    if any(c in t for c in "x×_＿*＊"):
        if _BLANK_YEAR.search(t):
            tokens.add("y:20xx")
        if _BLANK.search(t):
            tokens.add("xx")
    for _pos, cands in find_places(t, short=False):
        tokens.add("p:" + "|".join(sorted({c.code for c in cands})))
    return tokens


def _token_hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


@functools.lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations for (NUM_PERM, SEED, affine32), as (1, NUM_PERM) rows,
    drawn as datasketch 2.x draws them (``MinHash._init_permutations``: an odd multiplier
    and an offset from numpy's RandomState). datasketch itself is not imported here: it
    imports scipy, slow to load in every indexer, helper and clustering process, and the
    archive's signatures stay what they are whatever a later datasketch draws. The tests
    compare these permutations and the values made with them to datasketch's own."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a.reshape(1, -1), b.reshape(1, -1)


def minhash_values(hashes: np.ndarray) -> np.ndarray:
    """datasketch ``MinHash(NUM_PERM, SEED, scheme="affine32")`` after ``update_batch`` of
    these 32-bit values (``hashfunc`` the identity): the same numbers (a test compares
    them), computed on the whole array at once instead of a Python call per value."""
    if not len(hashes):
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype="<u4")
    a, b = _permutations()
    hv = np.asarray(hashes, dtype=np.uint32).reshape(-1, 1)
    hv = hv ^ (hv >> np.uint32(16))  # MurmurHash3's finalizer, as datasketch pre-mixes
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv.reshape(1, -1)
    a, b = a.reshape(-1, 1), b.reshape(-1, 1)
    out = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    # one row per permutation, so that each minimum runs along contiguous memory; blocks
    # of values bound the buffer.  A long text takes a few permutations at a time, so that
    # the block being multiplied, added and reduced stays in cache; a short one takes the
    # one pass over all rows, which is cheaper there
    n = hv.shape[1]
    rows = 16 if n >= 2048 else NUM_PERM
    tmp = np.empty((rows, min(n, 8192)), dtype=np.uint32)
    for lo in range(0, n, 8192):
        part = hv[:, lo : lo + 8192]
        block = tmp[:, : part.shape[1]]
        for r in range(0, NUM_PERM, rows):
            np.multiply(a[r : r + rows], part, out=block)
            np.add(block, b[r : r + rows], out=block)
            np.minimum(out[r : r + rows], block.min(axis=1), out=out[r : r + rows])
    return out.astype("<u4")


def signature(text: str, title: str | None = None, folded: str | None = None) -> bytes:
    """MinHash signature and identity tokens of a report (layout in the module docstring).
    ``folded``: ``_folded(text)``, when the caller has it already."""
    folded = _folded(text) if folded is None else folded
    hashes = shingle_hashes(folded, folded=True)
    values = minhash_values(hashes)
    tokens = identity_tokens(folded, title, folded=True)
    ident = np.array(sorted({_token_hash(tok) for tok in tokens})[:1000], dtype="<u4")
    return HEADER.pack(MAGIC, len(hashes), len(ident)) + values.tobytes() + ident.tobytes()


def _parse(sig: bytes) -> tuple[int, np.ndarray, frozenset[int]]:
    magic, count, n_ident = HEADER.unpack_from(sig)
    if magic != MAGIC:
        raise ValueError("not an archive.store.dedup signature")
    values = np.frombuffer(sig, dtype="<u4", count=NUM_PERM, offset=HEADER.size)
    ident = np.frombuffer(sig, dtype="<u4", count=n_ident, offset=HEADER.size + 4 * NUM_PERM)
    if HEADER.size + 4 * (NUM_PERM + n_ident) != len(sig):
        raise ValueError("signature has a wrong length")
    return count, values, frozenset(ident.tolist())


_TEMPLATE_TOKENS = (_token_hash("xx"), _token_hash("y:20xx"))


def conflict(a: frozenset, b: frozenset) -> bool:
    """Identity tokens conflict when each side has one the other lacks (广元 vs 南充,
    2011 vs 2012), or when one is a template (XX, 20xx) and the other is not: a 范文
    made from a report is another document. A subset (a preview missing its dateline)
    is no conflict."""
    for tok in _TEMPLATE_TOKENS:
        if (tok in a) != (tok in b):
            return True
    return bool(a - b) and bool(b - a)


def similarity(a: bytes, b: bytes) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller in the larger)."""
    na, va, _ia = _parse(a)
    nb, vb, _ib = _parse(b)
    return _similarity(na, va, nb, vb)


def _similarity(na: int, va: np.ndarray, nb: int, vb: np.ndarray) -> tuple[float, float]:
    if na == 0 or nb == 0:
        return 0.0, 0.0
    j = float(np.count_nonzero(va == vb)) / NUM_PERM
    inter = j * (na + nb) / (1.0 + j)
    return j, min(1.0, inter / min(na, nb))


def same_report(na: int, va: np.ndarray, nb: int, vb: np.ndarray) -> bool:
    j, c = _similarity(na, va, nb, vb)
    small = min(na, nb)
    if small < MIN_SHINGLES_SHORT:
        return j >= 0.9
    if j >= SAME_JACCARD:
        return True
    return small >= MIN_SHINGLES_CONTAINMENT and c >= SAME_CONTAINMENT
