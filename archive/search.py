"""Chinese full-text search over ``documents`` (SQLite FTS5, no extension needed).

Approach: one token per character, phrase queries.
  SQLite's FTS5 ``trigram`` tokenizer cannot match queries under three characters
  (工会, 劳模, 会) and ``unicode61`` treats a whole run of Han characters as one token.
  A jieba-segmented column finds 工会 only where the segmenter cut it out as a word
  (not inside 总工会 or 工会会员), so recall depends on the dictionary.  Instead the
  text is normalised and written to the FTS5 table as *one token per character*,
  separated by spaces, and a query becomes an FTS5 *phrase* of the same tokens.  FTS5
  matches a phrase only at consecutive positions, so a document matches a query term
  exactly when the normalised text contains the normalised term as a substring: every
  length (1 character, 2, or 工资集体协商) is found, with no false positives, and
  ``bm25()`` ranks on whole-phrase frequencies.  The stock ``unicode61`` tokenizer reads
  the table, so any SQLite client (and Datasette's stock search box, through the
  ``escape_fts`` override in ``archive.datasette_plugin``) can query it.

Tokens: ``[a-z0-9]`` and CJK ideographs (U+3400-4DBF, U+4E00-9FFF) stand for
themselves; every other character (punctuation, symbols, other scripts, and one blank
for each run of whitespace) becomes ``u<hex codepoint>`` - a multi-letter token that no
single letter can collide with.  Whitespace and punctuation are therefore positions
too, so a term never matches across a paragraph break.

Normalisation (the same for documents and queries): NFKC (full-width -> half-width,
compatibility forms), Traditional -> Simplified (OpenCC t2s; documents only when their
script is Traditional, see ``archive.normalize.to_simplified``; queries always), lower
case, whitespace runs -> one blank.

Query syntax (``rewrite_query``): whitespace-separated terms, all required (AND);
"double quotes" keep a phrase with blanks together.  Nothing the user types reaches
FTS5 syntax: every term is rebuilt from tokens.

Storage: ``documents_fts(doc_id UNINDEXED, title, text)``; its rowid is the rowid of the
``documents`` row (Datasette: ``fts_pk: rowid``).  ``index_documents`` replaces a
document's entry, so re-indexing is idempotent; ``rebuild_search`` re-creates the
whole index from ``documents`` (e.g. after a VACUUM, which may renumber rowids).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

FTS_TABLE = "documents_fts"
# title weighs 5x the body in bm25 (first column doc_id is unindexed)
BM25 = f"bm25({FTS_TABLE}, 0.0, 5.0, 1.0)"
NO_MATCH = '""'  # an empty phrase: valid FTS5, matches nothing

_WS = re.compile(r"\s+")


_TERMS = re.compile(r'"([^"]*)"|(\S+)')


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _common(text: str) -> str:
    return _WS.sub(" ", text.lower()).strip()


def normalize_document_text(text: str | None) -> str:
    """Normalised form of a title or text as indexed (``archive.normalize.fold``)."""
    from archive.normalize import fold

    return fold(text)


def normalize_query(q: str | None) -> str:
    """Normalised form of a query (always converted to Simplified)."""
    if not q:
        return ""
    return _common(_t2s().convert(unicodedata.normalize("NFKC", q)))


def _token(ch: str) -> str:
    if "a" <= ch <= "z" or "0" <= ch <= "9":
        return ch
    o = ord(ch)
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
        return ch
    return f"u{o:x}"


class _TokenMap(dict):
    """char -> token, filled on first sight: lookups stay in C (map + dict)."""

    def __missing__(self, ch: str) -> str:
        self[ch] = tok = _token(ch)
        return tok


_TOKENS = _TokenMap()


def tokens(normalized: str) -> list[str]:
    """One token per character of an already normalised string."""
    return list(map(_TOKENS.__getitem__, normalized))


# one piece per run of characters that are their own tokens, and one per other character
_SPLIT = re.compile(r"([^a-z0-9\u3400-\u4dbf\u4e00-\u9fff])")


def index_form(text: str | None, normalized: str | None = None) -> str:
    """What is stored in the FTS5 table for a title or text (``normalized``: its
    ``normalize_document_text``, when the caller has it already): its tokens joined by
    blanks, i.e. ``" ".join(tokens(normalized))``."""
    if normalized is None:
        normalized = normalize_document_text(text)
    if len(normalized) >= 64:
        return _spaced_tokens(normalized)
    # runs of Han/letters/digits are spaced by str.join in C; only the other characters
    # (about one in ten) take a lookup
    out = []
    for i, piece in enumerate(_SPLIT.split(normalized)):
        if i & 1:
            out.append(_TOKENS[piece])
        elif piece:
            out.append(" ".join(piece))
    return " ".join(out)


@functools.lru_cache(maxsize=1)
def _own_table():
    """bool[0x10000]: which BMP code points are tokens of their own; and the hex digits."""
    import numpy as np

    own = np.zeros(0x10000, dtype=bool)
    for lo, hi in ((0x61, 0x7A), (0x30, 0x39), (0x4E00, 0x9FFF), (0x3400, 0x4DBF)):
        own[lo:hi + 1] = True
    return own, np.frombuffer("0123456789abcdef".encode("utf-32-le"), dtype=np.uint32)


def _spaced_tokens(normalized: str) -> str:
    """``" ".join(tokens(normalized))`` built on UTF-32 code units with numpy (a long
    text: several times faster than the str path): a token character is copied, any
    other becomes ``u`` and its code point in lower-case hex; one blank between tokens."""
    import numpy as np

    own_table, hex_digits = _own_table()
    c = np.frombuffer(normalized.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    own = own_table[np.minimum(c, 0xFFFF)]
    own &= c <= 0xFFFF
    other = np.flatnonzero(~own)
    oc = c[other]
    digits = 1 + sum((oc >= (1 << s)).astype(np.int64) for s in (4, 8, 12, 16, 20))
    width = np.ones(len(c), dtype=np.int64)           # characters of each token
    width[other] += digits
    starts = np.cumsum(width + 1) - (width + 1)
    out = np.full(int(starts[-1] + width[-1]), 0x20, dtype=np.uint32)
    out[starts[own]] = c[own]
    if len(other):
        os_ = starts[other]
        out[os_] = 0x75                                   # "u"
        k = np.arange(6)
        valid = k < digits[:, None]
        shift = (4 * np.maximum(digits[:, None] - 1 - k, 0)).astype(np.uint32)
        out[(os_[:, None] + 1 + k)[valid]] = hex_digits[((oc[:, None] >> shift) & 0xF)[valid]]
    return out.tobytes().decode("utf-32-le")


def query_terms(q: str | None) -> list[str]:
    """The normalised terms of a query (all must match)."""
    terms = []
    for m in _TERMS.finditer(q or ""):
        term = normalize_query(m.group(1) if m.group(1) is not None else m.group(2))
        if term and term not in terms:
            terms.append(term)
    return terms


def rewrite_query(q: str | None) -> str:
    """User query -> FTS5 MATCH expression for ``documents_fts``."""
    phrases = ['"' + " ".join(tokens(t)) + '"' for t in query_terms(q)]
    return " AND ".join(phrases) if phrases else NO_MATCH


def ensure_search(db) -> None:
    """Create the FTS5 table if it is missing (sqlite_utils.Database)."""
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "doc_id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 0')")


def index_documents(db, docs: Iterable[dict]) -> int:
    """(Re-)index documents (dicts with id, title, text) already written to ``documents``
    (``_index``: their (title, text) index forms, when the caller has them already).

    Idempotent per id: an existing entry is replaced.  Returns how many were indexed
    (documents missing from the ``documents`` table are skipped)."""
    ensure_search(db)
    rows = []
    for d in {d["id"]: d for d in docs}.values():  # the same id twice: the last one wins
        found = db.execute("SELECT rowid FROM documents WHERE id = ?", [d["id"]]).fetchone()
        if found is None:
            continue
        forms = d.get("_index") or (index_form(d.get("title")),
                                    index_form(d.get("text"), d.get("_folded")))
        rows.append((found[0], d["id"], *forms))
    if not rows:
        return 0
    conn = db.conn
    with db.atomic():      # nests in the caller's transaction (the indexer's flush)
        # only entries that exist are deleted (a new document has none: a delete per row
        # would cost ~8 % of the writes)
        rowids = [r[0] for r in rows]
        for lo in range(0, len(rowids), 500):
            part = rowids[lo:lo + 500]
            present = conn.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE rowid IN ({','.join('?' * len(part))})",
                part).fetchall()
            conn.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", present)
        conn.executemany(
            f"INSERT INTO {FTS_TABLE}(rowid, doc_id, title, text) VALUES (?, ?, ?, ?)", rows)
    return len(rows)


def rebuild_search(db, batch: int = 200) -> int:
    """Drop and rebuild the whole index from the ``documents`` table."""
    db.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    ensure_search(db)
    n = 0
    last = None
    while True:
        where, params = ("WHERE rowid > ?", [last]) if last is not None else ("", [])
        chunk = db.execute(
            f"SELECT rowid, id, title, text FROM documents {where} ORDER BY rowid LIMIT {batch}",
            params).fetchall()
        if not chunk:
            return n
        n += index_documents(db, [{"id": r[1], "title": r[2], "text": r[3]} for r in chunk])
        last = chunk[-1][0]


def snippet(text: str | None, q: str | None, width: int = 40) -> str:
    """About ``2 * width`` characters of the (normalised) text around the first match of
    the query's first term found in it, with "…" where it was cut; "" without a match."""
    norm = normalize_document_text(text)
    for term in query_terms(q):
        i = norm.find(term)
        if i >= 0:
            start, end = max(0, i - width), min(len(norm), i + len(term) + width)
            return ("…" if start else "") + norm[start:end] + ("…" if end < len(norm) else "")
    return ""


def search(db, q: str, limit: int | None = None) -> list[str]:
    """Document ids matching ``q``, best first (bm25, title weighted)."""
    sql = (f"SELECT doc_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY {BM25}"
           + (f" LIMIT {int(limit)}" if limit else ""))
    return [r[0] for r in db.execute(sql, [rewrite_query(q)]).fetchall()]
