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
from datasketch import MinHash

from .normalize import to_simplified

NUM_PERM = 128
SEED = 1
SHINGLE = 5
SAME_JACCARD = 0.5
SAME_CONTAINMENT = 0.8
MIN_SHINGLES_CONTAINMENT = 150   # containment is only trusted for texts this long
MIN_SHINGLES_SHORT = 30          # below this, only near-identical texts match
LSH_BANDS, LSH_ROWS = 42, 3      # candidate when J >= ~0.29 (P=0.996 at J=0.5)
MAX_BUCKET = 64                  # larger LSH buckets only link each document to its neighbours
NEIGHBOURS = 8

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


def _candidate_pairs(values: np.ndarray) -> np.ndarray:
    """LSH banding: pairs (i < j) that agree on every row of at least one band.
    Returns an (n, 2) int64 array without repeats."""
    n = len(values)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    v = values.astype(np.uint64)
    chunks = []
    for band in range(LSH_BANDS):
        cols = v[:, band * LSH_ROWS:(band + 1) * LSH_ROWS]
        key = np.zeros(n, dtype=np.uint64)
        for c in range(LSH_ROWS):  # mix the band's values into one 64-bit key
            key = (key ^ cols[:, c]) * np.uint64(0x9E3779B97F4A7C15)
        order = np.argsort(key, kind="stable")
        k = key[order]
        run_starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        run_lens = np.diff(np.r_[run_starts, n])
        for st, ln in zip(run_starts[run_lens > 1], run_lens[run_lens > 1]):
            end = st + ln
            group = np.sort(order[st:end])
            if len(group) <= MAX_BUCKET:
                ii, jj = np.triu_indices(len(group), 1)
            else:  # a huge bucket (shared boilerplate): link neighbours only
                ii = np.repeat(np.arange(len(group)), NEIGHBOURS)
                jj = ii + np.tile(np.arange(1, NEIGHBOURS + 1), len(group))
                keep = jj < len(group)
                ii, jj = ii[keep], jj[keep]
            chunks.append(np.stack([group[ii], group[jj]], axis=1))
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks).astype(np.int64)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _verify(counts: np.ndarray, values: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Boolean mask: which candidate pairs are the same report (see same_report)."""
    keep = np.zeros(len(pairs), dtype=bool)
    for lo in range(0, len(pairs), 200_000):
        a, b = pairs[lo:lo + 200_000, 0], pairs[lo:lo + 200_000, 1]
        j = np.count_nonzero(values[a] == values[b], axis=1) / NUM_PERM
        na, nb = counts[a], counts[b]
        small = np.minimum(na, nb)
        contain = np.minimum(1.0, j * (na + nb) / (1.0 + j) / np.maximum(small, 1))
        ok = np.where(small < MIN_SHINGLES_SHORT, j >= 0.9,
                      (j >= SAME_JACCARD) |
                      ((small >= MIN_SHINGLES_CONTAINMENT) & (contain >= SAME_CONTAINMENT)))
        keep[lo:lo + 200_000] = ok
    return keep


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

    keyed = []
    for doc_id, sig in items:
        if sig is None:
            continue
        count, values = _parse(sig)
        if count:
            keyed.append((doc_id, count, values))
    if len(keyed) >= 2:
        counts = np.array([c for _d, c, _v in keyed], dtype=np.float64)
        values = np.stack([v for _d, _c, v in keyed])
        pairs = _candidate_pairs(values)
        if len(pairs):
            for i, j in pairs[_verify(counts, values, pairs)]:
                ra, rb = find(keyed[i][0]), find(keyed[j][0])
                if ra != rb:
                    if rb < ra:
                        ra, rb = rb, ra
                    parent[rb] = ra
    return {doc_id: find(doc_id) for doc_id in ids}
