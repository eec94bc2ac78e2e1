"""Near-duplicate reports: MinHash signatures (datasketch) and LSH clustering.

``signature(text) -> bytes``
    MinHash (datasketch, affine32 scheme, 128 permutations, seed 1) over the set of
    5-character shingles of the canonical text: Traditional converted to Simplified
    (OpenCC t2s, only when Traditional), NFKC, lower case, everything but Chinese
    characters, letters and digits removed (punctuation and layout do not count).
    Layout: b"MH1" | uint32 shingle count | 128 x uint32 hash values (little endian).

``cluster(items: list[tuple[doc_id, signature]]) -> dict[doc_id, cluster_id]``
    Candidates come from MinHashLSH (banding; no all-pairs comparison, fine for
    100,000 documents), then each candidate pair is checked: the same report when the
    estimated Jaccard similarity is >= SAME_JACCARD, or when the smaller text is almost
    wholly inside the larger one (containment >= SAME_CONTAINMENT, both texts long
    enough): a partial preview, or a repost with an extra paragraph. Groups are the
    connected components; cluster_id is the smallest doc_id of the group (stable).
"""
from __future__ import annotations

import re
import struct
import unicodedata

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from .normalize import to_simplified

NUM_PERM = 128
SEED = 1
SHINGLE = 5
SAME_JACCARD = 0.5
SAME_CONTAINMENT = 0.8
MIN_SHINGLES_CONTAINMENT = 150   # containment is only trusted for texts this long
MIN_SHINGLES_SHORT = 30          # below this, only near-identical texts match
LSH_THRESHOLD = 0.3

_MAGIC = b"MH1"
_HEADER = struct.Struct("<3sI")
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MAX = np.uint32(0xFFFFFFFF)


def canonical(text: str) -> str:
    """The text as compared: Simplified, NFKC, lower case, only Han, letters, digits."""
    text = unicodedata.normalize("NFKC", to_simplified(text or ""))
    return _NOISE.sub("", text.lower())


def shingle_hashes(text: str) -> np.ndarray:
    """Distinct 32-bit hashes of the 5-character shingles of the canonical text."""
    s = canonical(text)
    if len(s) < SHINGLE:
        return np.zeros(0, dtype=np.uint32)
    codes = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):  # polynomial hash, mod 2^64, folded to 32 bits
        h = h * np.uint64(1000003) + codes[j:j + n]
    h ^= h >> np.uint64(29)
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def _identity(x):
    return x


def signature(text: str) -> bytes:
    """MinHash signature of a text (see module docstring for the layout)."""
    hashes = shingle_hashes(text)
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=_identity)
    if len(hashes):
        m.update_batch(hashes)
    values = np.asarray(m.hashvalues, dtype="<u4")
    return _HEADER.pack(_MAGIC, len(hashes)) + values.tobytes()


def _parse(sig: bytes) -> tuple[int, np.ndarray]:
    magic, count = _HEADER.unpack_from(sig)
    if magic != _MAGIC:
        raise ValueError("not an archive.dedup signature")
    values = np.frombuffer(sig, dtype="<u4", offset=_HEADER.size)
    if len(values) != NUM_PERM:
        raise ValueError("signature has %d values, expected %d" % (len(values), NUM_PERM))
    return count, values


def similarity(a: bytes, b: bytes) -> tuple[float, float]:
    """(estimated Jaccard, estimated containment of the smaller in the larger)."""
    na, va = _parse(a)
    nb, vb = _parse(b)
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


def cluster(items: list[tuple[str, bytes]]) -> dict[str, str]:
    """doc_id -> cluster_id (the smallest doc_id among the documents of the same report)."""
    ids = [doc_id for doc_id, _sig in items]
    parent = {doc_id: doc_id for doc_id in ids}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra

    parsed: dict[str, tuple[int, np.ndarray]] = {}
    exact: dict[bytes, str] = {}
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    for doc_id, sig in items:
        if sig is None:
            continue
        count, values = _parse(sig)
        if count == 0:
            continue
        if sig in exact:
            union(exact[sig], doc_id)
            continue
        exact[sig] = doc_id
        parsed[doc_id] = (count, values)
        mh = LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32")
        for other in lsh.query(mh):
            if find(other) == find(doc_id):
                continue
            no, vo = parsed[other]
            if same_report(count, values, no, vo):
                union(other, doc_id)
        lsh.insert(doc_id, mh)
    return {doc_id: find(doc_id) for doc_id in ids}
