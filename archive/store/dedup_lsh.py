"""Near-duplicate reports: LSH clustering of ``archive.store.dedup`` signatures.

``cluster(items: iterable of (doc_id, signature)) -> dict[doc_id, cluster_id]``
    Candidates come from LSH banding (LSH_BANDS bands of LSH_ROWS values; no all-pairs
    comparison), then each candidate pair is checked: the same
    report when the estimated Jaccard similarity is >= SAME_JACCARD, or when the smaller
    text is almost wholly inside the larger one (containment >= SAME_CONTAINMENT, both
    long enough: a partial preview, a repost with an extra paragraph) -- and their
    identity tokens do not conflict (each has a year / place the other lacks).
    Groups are the connected components; cluster_id is the smallest doc_id of the
    group (stable whatever the order of ``items``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator

import numpy as np

from archive.store.dedup import (
    HEADER,
    MAGIC,
    MIN_SHINGLES_CONTAINMENT,
    MIN_SHINGLES_SHORT,
    NUM_PERM,
    SAME_CONTAINMENT,
    SAME_JACCARD,
    conflict,
)

LSH_BANDS, LSH_ROWS = 42, 3  # candidates well below SAME_JACCARD: a same pair is rarely missed
MAX_BUCKET = 64  # larger LSH buckets only link each document to its neighbours
NEIGHBOURS = 8


_BLOCK_ROWS = 2048  # documents per block of the value file
_PIECE = 1 << 18  # candidate pairs handed on at once (bounds the working arrays)
_REPLAY_ROWS = 1 << 14  # verified pairs wait on disk by similarity and by this many first rows
_COLUMNS_AT_ONCE = 2 * LSH_ROWS  # MinHash columns read at once while verifying


class _ValueFile:
    """The (documents x NUM_PERM) MinHash values of an archive, in a temporary file laid
    out by columns (in blocks of ``_BLOCK_ROWS`` documents), so that a few columns of
    every document are read at once: one band for LSH keys, a few columns for checking a
    piece of candidate pairs.  Holding all values would take a whole row a document; this holds
    one value a document per column read, and reading rows at random
    through mmap mapped nearly the whole file anyway (the kernel maps pages around each
    fault)."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, "values")
        self._fh = open(self.path, "w+b")
        self._buf = bytearray()
        self._blocks: list[tuple[int, int]] = []  # (file offset, documents) of each block
        self.rows = 0

    def __len__(self) -> int:
        return self.rows

    def append(self, row: bytes) -> None:
        self._buf += row
        self.rows += 1
        if len(self._buf) >= 4 * NUM_PERM * _BLOCK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        rows = len(self._buf) // (4 * NUM_PERM)
        block = np.frombuffer(self._buf, dtype="<u4").reshape(rows, NUM_PERM)
        self._fh.seek(0, os.SEEK_END)  # columns() may have read in between
        self._blocks.append((self._fh.tell(), rows))
        np.ascontiguousarray(block.T).tofile(self._fh)
        del block
        self._buf = bytearray()

    def columns(self, lo: int, hi: int) -> np.ndarray:
        """Columns ``lo:hi`` of every document: a (hi - lo, documents) uint32 array.
        Safe to call from several threads once every row is appended (positioned reads)."""
        self._flush()  # rows still in the buffer (none once all are appended)
        self._fh.flush()
        fd = self._fh.fileno()
        out = np.empty((hi - lo, self.rows), dtype=np.uint32)
        start = 0
        for offset, rows in self._blocks:
            size = 4 * (hi - lo) * rows
            data = np.frombuffer(os.pread(fd, size, offset + 4 * lo * rows), dtype="<u4")
            if data.nbytes != size:
                raise OSError(f"short read from {self.path}")
            out[:, start : start + rows] = data.reshape(hi - lo, rows)
            start += rows
        return out

    def close(self) -> None:
        self._fh.close()


def _band_pairs(values: _ValueFile):
    """LSH banding, one band at a time: (band, small, (k, 2) array of pairs (i < j) that
    agree on every row of the band), at most about ``_PIECE`` pairs an array.

    A pair that already agreed on an earlier band, in a bucket small enough that all its
    pairs were handed on then, is not handed on again (see ``_verify``); ``small`` is the
    (documents x bands) record of that.  Small buckets are paired by size, all buckets of
    one size at once (one ``triu_indices`` for them, not a call per bucket)."""
    n = len(values)
    if n < 2:
        return
    small = np.zeros((n, LSH_BANDS), dtype=bool)
    for band in range(LSH_BANDS):
        key = np.zeros(n, dtype=np.uint64)
        for col in values.columns(band * LSH_ROWS, (band + 1) * LSH_ROWS):  # the band: one key
            key ^= col.astype(np.uint64)
            key *= np.uint64(0x9E3779B97F4A7C15)
        # stable: the documents of a bucket stay in ascending order, so a pair is (i < j)
        order = np.argsort(key, kind="stable")
        k = key[order]
        del key
        run_starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        run_lens = np.diff(np.r_[run_starts, n])
        del k
        paired = (run_lens > 1) & (run_lens <= MAX_BUCKET)
        small[order[np.repeat(paired, run_lens)], band] = True
        chunks, size = [], 0
        for length in np.unique(run_lens[paired]).tolist():
            starts = run_starts[paired & (run_lens == length)]
            ii, jj = np.triu_indices(length, 1)
            step = max(1, _PIECE // len(ii))
            for lo in range(0, len(starts), step):
                at = starts[lo : lo + step, None]
                chunks.append(np.stack([order[at + ii].ravel(), order[at + jj].ravel()], axis=1))
                size += len(chunks[-1])
                if size >= _PIECE:
                    yield band, small, np.concatenate(chunks)
                    chunks, size = [], 0
        # a huge bucket (shared boilerplate): each document linked to its next neighbours
        huge = run_lens > MAX_BUCKET
        for st, ln in zip(run_starts[huge].tolist(), run_lens[huge].tolist()):
            group = order[st : st + ln]
            ii = np.repeat(np.arange(ln), NEIGHBOURS)
            jj = ii + np.tile(np.arange(1, NEIGHBOURS + 1), ln)
            keep = jj < ln
            chunks.append(np.stack([group[ii[keep]], group[jj[keep]]], axis=1))
            size += len(chunks[-1])
            if size >= _PIECE:
                yield band, small, np.concatenate(chunks)
                chunks, size = [], 0
        if chunks:
            yield band, small, np.concatenate(chunks)


def _ordered_pairs(
    counts: np.ndarray, values: _ValueFile, chunk: int = 65_536, tmp_dir: str | None = None
):
    """The candidate pairs that are the same report, each once, most similar first (ties
    in (i, j) order), as (k, 2) arrays of at most ``chunk`` pairs.

    Templated portals share so many phrases that verified pairs run to hundreds per
    document; holding them all (to sort them) would take memory that grows with them.  Each
    band's pairs are verified as they come (a pair already handed on by an earlier band
    is dropped there) and appended to a temporary file per similarity (the number of
    equal MinHash values, 0..NUM_PERM: the same for a pair in every band) and per block
    of ``_REPLAY_ROWS`` first documents; the files are then read back from the most
    similar down, block by block, each deduplicated on its own.  Memory follows one
    piece of one band and one file."""
    n = len(values)
    with tempfile.TemporaryDirectory(prefix=tmp_prefix(), dir=tmp_dir) as tmp:
        files: set[tuple[int, int]] = set()
        for band, small, pairs in _band_pairs(values):
            keep, sim = _verify(counts, values, pairs, band, small)
            if not keep.any():
                continue
            pairs, sim = pairs[keep], sim[keep]
            codes = pairs[:, 0] * n + pairs[:, 1]
            part = (sim.astype(np.int64) << 32) | (pairs[:, 0] // _REPLAY_ROWS)
            order = np.argsort(part, kind="stable")
            codes, part = codes[order], part[order]
            starts = np.flatnonzero(np.r_[True, part[1:] != part[:-1]])
            for lo, hi in zip(starts, np.r_[starts[1:], len(part)]):
                name = (int(part[lo] >> 32), int(part[lo] & 0xFFFFFFFF))
                files.add(name)
                with open(os.path.join(tmp, "%d-%d" % name), "ab") as fh:
                    codes[lo:hi].astype("<i8").tofile(fh)
        for level, block in sorted(files, key=lambda f: (-f[0], f[1])):
            path = os.path.join(tmp, "%d-%d" % (level, block))
            codes = np.unique(np.fromfile(path, dtype="<i8"))
            os.unlink(path)
            for lo in range(0, len(codes), chunk):
                part = codes[lo : lo + chunk]
                yield np.stack([part // n, part % n], axis=1)


def _verify(
    counts: np.ndarray,
    values: _ValueFile,
    pairs: np.ndarray,
    band: int = 0,
    small: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(boolean mask: which candidate pairs are the same report (see same_report) and were
    not handed on by a band before ``band`` (one whose bucket was small in ``small``),
    number of equal MinHash values of each pair).  The values are read a few columns
    at a time for the whole piece."""
    a, b = pairs[:, 0], pairs[:, 1]
    eq = np.zeros(len(pairs), dtype=np.int16)
    earlier = np.zeros(len(pairs), dtype=bool)  # agreed on an earlier, small bucket
    for lo in range(0, NUM_PERM, _COLUMNS_AT_ONCE):  # a whole number of bands at a time
        cols = values.columns(lo, min(NUM_PERM, lo + _COLUMNS_AT_ONCE))
        for c0 in range(0, len(cols), LSH_ROWS):
            in_band = None
            for col in cols[c0 : c0 + LSH_ROWS]:
                same = col[a] == col[b]
                eq += same
                in_band = same if in_band is None else in_band & same
            this = (lo + c0) // LSH_ROWS
            if this < band and lo + c0 + LSH_ROWS <= LSH_BANDS * LSH_ROWS:
                earlier |= in_band & small[a, this]
    j = eq / NUM_PERM
    na, nb = counts[a], counts[b]
    smaller = np.minimum(na, nb)
    contain = np.minimum(1.0, j * (na + nb) / (1.0 + j) / np.maximum(smaller, 1))
    ok = np.where(
        smaller < MIN_SHINGLES_SHORT,
        j >= 0.9,
        (j >= SAME_JACCARD)
        | ((smaller >= MIN_SHINGLES_CONTAINMENT) & (contain >= SAME_CONTAINMENT)),
    )
    return ok & ~earlier, eq


def cluster(items: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """doc_id -> cluster_id (the smallest doc_id among the documents of the same report)."""
    return dict(cluster_iter(items))


def tmp_prefix() -> str:
    """Temporary directories of a clustering run are named after its process, so that
    ``remove_leftovers`` knows which ones a killed run left behind."""
    return f"union-dedup-{os.getpid()}-"


def remove_leftovers(tmp_dir: str | os.PathLike) -> int:
    """Remove the temporary directories of clustering runs that are no longer alive (a
    SIGKILL leaves them: TemporaryDirectory cleans up on return and exceptions only)."""
    import shutil

    removed = 0
    for entry in os.scandir(tmp_dir):
        parts = entry.name.split("-")
        if (
            entry.is_dir()
            and entry.name.startswith("union-dedup-")
            and len(parts) >= 4
            and parts[2].isdigit()
            and not _alive(int(parts[2]))
        ):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cluster_iter(
    items: Iterable[tuple[str, bytes | None]], tmp_dir: str | os.PathLike | None = None
) -> Iterator[tuple[str, str]]:
    """(doc_id, cluster_id) of every document, in the order of ``items``.

    ``items`` may be an iterator (a database cursor); it is read to the end before the
    first answer.  ``tmp_dir``: where the temporary files go (default: the system's; the
    indexer uses the archive's directory, on disk beside the data, not a tmpfs in RAM).
    The MinHash values wait in a temporary file, read a few columns at a time (see
    ``_ValueFile``); identity tokens are parsed when a pair is checked and kept only for
    groups; verified pairs wait on disk (see ``_ordered_pairs``).  Memory is
    a few fields per document (its id, count, tokens, LSH bookkeeping) plus one piece
    of one band."""
    ids: list[str] = []
    keyed = array("q")  # index in ids of the documents with shingles
    counts = array("d")
    idents = bytearray()  # identity tokens of keyed documents, one after another
    ident_end = array("q")
    vsize = 4 * NUM_PERM
    with (
        tempfile.TemporaryDirectory(prefix=tmp_prefix(), dir=tmp_dir) as tmp,
        contextlib.closing(_ValueFile(tmp)) as store,
    ):
        for doc_id, sig in items:
            ids.append(doc_id)
            if sig is None:
                continue
            magic, count, n_ident = HEADER.unpack_from(sig)
            if magic != MAGIC or HEADER.size + 4 * (NUM_PERM + n_ident) != len(sig):
                raise ValueError(f"not an archive.store.dedup signature: {doc_id}")
            if count:
                keyed.append(len(ids) - 1)
                counts.append(count)
                store.append(sig[HEADER.size : HEADER.size + vsize])
                idents += sig[HEADER.size + vsize :]
                ident_end.append(len(idents))
        first = np.arange(len(ids), dtype=np.int64)  # the group of each document
        if len(keyed) >= 2:
            cnts = np.frombuffer(counts, dtype=np.float64)
            tokens = array("I")  # of keyed document k: tokens[starts[k]:ends[k]]
            tokens.frombytes(idents)
            if sys.byteorder == "big":  # written little-endian
                tokens.byteswap()
            ends = np.frombuffer(ident_end, dtype=np.int64) // 4
            first = _replay(
                _ordered_pairs(cnts, store, tmp_dir=tmp),
                ids,
                np.frombuffer(keyed, dtype=np.int64),
                tokens,
                ends,
            )
            del tokens
    for x, doc_id in enumerate(ids):
        yield doc_id, ids[first[x]]


def _replay(
    chunks, ids: list[str], keyed: np.ndarray, tokens: array, ends: np.ndarray
) -> np.ndarray:
    """The groups: verified pairs (keyed indices) replayed most similar first, a pair
    joining two groups unless their identity tokens conflict (``conflict`` on the
    union of each group's tokens).  Returns, for each document, the index of the
    smallest id in its group (a union-find whose root is that document)."""
    parent = list(range(len(ids)))
    keys = keyed.tolist()
    ends_ = ends.tolist()
    starts = [0, *ends_[:-1]]
    merged: dict[int, frozenset] = {}  # a group's tokens, by its root

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pairs in chunks:
        for i, j in pairs.tolist():
            ra, rb = find(keys[i]), find(keys[j])
            if ra == rb:
                continue
            ta = merged.get(ra)
            if ta is None:  # a document alone
                ta = frozenset(tokens[starts[i] : ends_[i]])
            tb = merged.get(rb)
            if tb is None:
                tb = frozenset(tokens[starts[j] : ends_[j]])
            if conflict(ta, tb):
                continue
            if ids[rb] < ids[ra]:
                ra, rb = rb, ra
            parent[rb] = ra
            merged[ra] = ta | tb
            merged.pop(rb, None)
    return np.array([find(x) for x in range(len(ids))], dtype=np.int64)
