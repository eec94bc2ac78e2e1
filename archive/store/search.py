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
  ``bm25()`` ranks on whole-phrase frequencies.  A stock tokenizer reads the table, so
  any SQLite client (and Datasette's stock search box, through the ``escape_fts``
  override in ``archive.publish.plugin``) can query it.  It is FTS5's ``ascii``
  tokenizer (every non-ASCII character is a token character, ASCII splits on anything
  but letters and digits): on these token strings it gives exactly ``unicode61``'s
  tokens, for less CPU per insert (no Unicode table per character).

Tokens: ``[a-z0-9]`` and CJK ideographs (U+3400-4DBF, U+4E00-9FFF) stand for
themselves; every other character of the BMP (punctuation, symbols, other scripts, and one
blank for each run of whitespace) becomes the character U+F0000 + its code point, in
Supplementary Private Use Area-A, a token character of its own for the tokenizer (and for
unicode61: category Co) that no text character can collide with (a character beyond the
BMP, which plane 15 itself is in, and the noncharacters U+FFFE and U+FFFF become
``u<hex codepoint>``, a multi-letter token no single letter collides with; for every
character it would make longer token strings to write and tokenize).  Whitespace and
punctuation are therefore positions too, so a term never matches across a paragraph break.

Normalisation (the same for documents and queries): NFKC (full-width -> half-width,
compatibility forms), Traditional -> Simplified (OpenCC t2s; documents only when their
script is Traditional, see ``archive.extract.normalize.to_simplified``; queries always), lower
case, runs of blanks -> one blank.  A document's line breaks stay (``normalize.fold``): each
is a position of its own, so a phrase never matches across a paragraph break; a query's
whitespace runs become one blank (terms are split on them anyway).

Query syntax (``rewrite_query``): whitespace-separated terms, all required (AND);
"double quotes" keep a phrase with blanks together.  Nothing the user types reaches
FTS5 syntax: every term is rebuilt from tokens.

Storage: ``documents_fts(title, text)``, a *contentless* FTS5 table (``content=''``): it
keeps the index only, not a second copy of the token strings (those are longer than the
text: a content table would take a large share of archive.db).  Its rowid is the rowid of
the ``documents`` row (Datasette: ``fts_pk: rowid``; join ``documents`` on it for ids and
columns).  A contentless entry is removed by giving the exact values it was indexed with, so
``index_documents`` is given each changed document's row from before the write
(``previous``); the indexer re-indexes only documents whose title or text changed.
``FORM_VERSION`` stamps the index form in ``_search_form``: an index made with another
form, or of the older layout with a content table, is rebuilt once by ``ensure_search``.
``rebuild_search`` re-creates the whole index from ``documents``.  A VACUUM keeps the
rowids: SQLite may renumber a table without an INTEGER PRIMARY KEY, but copies rows with
their rowids when the table has indexes, as ``documents`` has (tests/test_search.py VACUUMs
an archive with a gap and searches it).

Segments: every write of the indexer adds a segment, and FTS5 merges a level only when it
holds ``AUTOMERGE`` of them, so a long run leaves dozens; a search reads each segment for
each of its terms, and the bounded search pages check single rows against the index
(``archive.publish.search_page``), one lookup per segment and term.  ``merge_search`` (at the end
of a crawl, in its clustering process, and of a reindex) merges them to at most one a
level, rewriting only the levels that hold more than one (docs/performance.md).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

FTS_TABLE = "documents_fts"
# title weighs 5x the body in bm25
BM25 = f"bm25({FTS_TABLE}, 5.0, 1.0)"
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
    """Normalised form of a title or text as indexed (``archive.extract.normalize.fold``)."""
    from archive.extract.normalize import fold

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
    return chr(_PRIVATE + o) if o <= _LAST_MOVED else f"u{o:x}"


_PRIVATE = 0xF0000  # a BMP character that is not a token of its own: U+F0000 + it,
_LAST_MOVED = 0xFFFD  # up to U+FFFFD (U+FFFFE and U+FFFFF are noncharacters, not Co)


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
    return _joined_tokens(normalized)


def _joined_tokens(normalized: str) -> str:
    """``" ".join(tokens(normalized))`` by str operations (short texts, and texts with
    ``u<hex>`` tokens): runs of Han/letters/digits are spaced by str.join in C; only the
    other characters (about one in ten) take a lookup."""
    out = []
    for i, piece in enumerate(_SPLIT.split(normalized)):
        if i & 1:
            out.append(_TOKENS[piece])
        elif piece:
            out.append(" ".join(piece))
    return " ".join(out)


@functools.lru_cache(maxsize=1)
def _own_table():
    """bool[0x10000]: which BMP code points are tokens of their own."""
    import numpy as np

    own = np.zeros(0x10000, dtype=bool)
    for lo, hi in ((0x61, 0x7A), (0x30, 0x39), (0x4E00, 0x9FFF), (0x3400, 0x4DBF)):
        own[lo : hi + 1] = True
    return own


def _spaced_tokens(normalized: str) -> str:
    """``" ".join(tokens(normalized))`` built on UTF-32 code units with numpy (a long
    text: several times faster than the str path): a token character is copied, any
    other moved to U+F0000 + itself; one blank between tokens.  A text with characters
    whose tokens are ``u<hex>`` (beyond the BMP, U+FFFE, U+FFFF) takes the str path."""
    import numpy as np

    c = np.frombuffer(normalized.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(c):
        return ""
    if int(c.max()) > _LAST_MOVED:
        return _joined_tokens(normalized)
    out = np.full(2 * len(c) - 1, 0x20, dtype=np.uint32)
    out[0::2] = np.where(_own_table()[c], c, c + _PRIVATE)
    return out.tobytes().decode("utf-32-le", "surrogatepass")


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


def title_query(q: str | None) -> str:
    """User query -> FTS5 MATCH expression for documents with every term in the title."""
    phrases = ["title : " + p for p in rewrite_query(q).split(" AND ") if p != NO_MATCH]
    return " AND ".join(phrases) if phrases else NO_MATCH


FORM_VERSION = "2"  # of index_form: an index made with another form is rebuilt
TOKENIZER = "ascii"  # the token strings hold [a-z0-9], blanks and non-ASCII token characters
_FORM_TABLE = "_search_form"
# FTS5 merges a level's segments when it holds this many (its default: 4).  The indexer
# writes a batch of documents a transaction, each a new segment: merging less often makes
# inserts cheaper, for a slightly larger index and queries as fast.
AUTOMERGE = 16


def _layout_is_current(db) -> bool:
    """Contentless, and made with this FORM_VERSION (deletes must give the exact values
    that were indexed, so an index of another form cannot be updated, only rebuilt)."""
    row = db.execute("select sql from sqlite_master where name = ?", [FTS_TABLE]).fetchone()
    if row is None or not re.search(r"content\s*=\s*''", row[0] or ""):
        return False
    if _FORM_TABLE not in db.table_names():
        return False
    stamp = db.execute(f"select version from {_FORM_TABLE}").fetchone()
    return stamp is not None and stamp[0] == FORM_VERSION


def _create(db) -> None:
    db.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        f"title, text, tokenize = '{TOKENIZER}', content = '')"
    )
    db.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', ?)", [AUTOMERGE])
    db.execute(f"CREATE TABLE IF NOT EXISTS {_FORM_TABLE} (version TEXT NOT NULL)")
    db.execute(f"DELETE FROM {_FORM_TABLE}")
    db.execute(f"INSERT INTO {_FORM_TABLE} (version) VALUES (?)", [FORM_VERSION])


def ensure_search(db: Database) -> None:
    """Create the FTS5 table if it is missing (sqlite_utils.Database).  An index of the
    older layout (with a content table and a doc_id column) or of another index form is
    rebuilt from ``documents``, once."""
    exists = db.execute("select 1 from sqlite_master where name = ?", [FTS_TABLE]).fetchone()
    if exists is None:
        with db.atomic():
            _create(db)
    elif not _layout_is_current(db):
        import logging

        logging.getLogger(__name__).warning(
            "the search index is of an older layout or form: rebuilding it from documents"
        )
        rebuild_search(db)
    else:  # an index made when AUTOMERGE was lower keeps its own: moved up, not rebuilt
        row = db.execute(f"select v from {FTS_TABLE}_config where k = 'automerge'").fetchone()
        if row is None or row[0] != AUTOMERGE:
            with db.atomic():
                db.execute(
                    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', ?)",
                    [AUTOMERGE],
                )


# levels of at most this many segments are merged by ``merge_search`` (FTS5's usermerge)
USERMERGE = 2


def segments(db: Database) -> list[int]:
    """How many segments each level of the index holds, read from FTS5's structure record
    (the row of id 10 in ``documents_fts_data``: a 4-byte cookie, then varints: levels,
    segments, write counter, and per level: merge state, segments, 3 numbers a segment)."""
    row = db.execute(f"SELECT block FROM {FTS_TABLE}_data WHERE id = 10").fetchone()
    if row is None:
        return []
    block, pos = row[0], 4

    def varint() -> int:
        nonlocal pos
        value = 0
        for k in range(9):
            byte = block[pos]
            pos += 1
            if k == 8:
                return (value << 8) | byte
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return value
        return value

    levels = varint()
    varint(), varint()
    counts = []
    for _ in range(levels):
        varint()
        n = varint()
        for _ in range(3 * n):
            varint()
        counts.append(n)
    return counts


def merge_search(db: Database, pages: int = 2000) -> None:
    """Merge the index's segments until no level holds more than one, ``pages`` pages a
    transaction (FTS5's 'merge' with usermerge 2).  A search reads every segment of each of
    its terms, and a crawl leaves up to AUTOMERGE - 1 segments on each level; run after a
    crawl, this rewrites only the levels that hold more than one."""
    conn = db.conn
    with conn:
        conn.execute(
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('usermerge', ?)", [USERMERGE]
        )
    while True:
        before = conn.total_changes
        with conn:
            conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('merge', ?)", [pages])
        if conn.total_changes - before < 2:  # FTS5: nothing was left to merge
            return


def _forms(doc: dict) -> tuple[str, str]:
    return doc.get("_index") or (
        index_form(doc.get("title")),
        index_form(doc.get("text"), doc.get("_folded")),
    )


def index_documents(
    db: Database, docs: Iterable[dict], previous: dict[str, dict] | None = None
) -> int:
    """(Re-)index documents (dicts with id, title, text) already written to ``documents``
    (``_index``: their (title, text) index forms, when the caller has them already).

    The table is contentless: an entry is removed by giving the values it was indexed
    with.  A document that has an entry is therefore re-indexed from ``previous[id]``
    (its title and text *as they were indexed*: the ``documents`` row before the write
    that changed it) or, without one, from its ``documents`` row as it is now - right
    when the row has not changed since it was indexed (re-indexing is then idempotent).
    Returns how many were indexed (documents missing from ``documents`` are skipped)."""
    docs = list({d["id"]: d for d in docs}.values())  # the same id twice: the last one wins
    if not docs:
        return 0
    ensure_search(db)
    conn = db.conn
    found: dict[str, int] = {}
    for lo in range(0, len(docs), 500):
        part = [d["id"] for d in docs[lo : lo + 500]]
        found.update(
            conn.execute(
                f"SELECT id, rowid FROM documents WHERE id IN ({','.join('?' * len(part))})", part
            )
        )
    docs = [d for d in docs if d["id"] in found]
    if not docs:
        return 0
    rowids = [found[d["id"]] for d in docs]
    present: set[int] = set()
    for lo in range(0, len(rowids), 500):
        part = rowids[lo : lo + 500]
        present.update(
            r[0]
            for r in conn.execute(
                f"SELECT rowid FROM {FTS_TABLE} WHERE rowid IN ({','.join('?' * len(part))})", part
            )
        )
    previous = previous or {}
    with db.atomic():  # nests in the caller's transaction (the indexer's flush)
        if present:  # only entries that exist are deleted (a new document has none)
            old = []
            for d in docs:
                rowid = found[d["id"]]
                if rowid not in present:
                    continue
                before = previous.get(d["id"])
                if before is None:
                    title, text = conn.execute(
                        "SELECT title, text FROM documents WHERE rowid = ?", [rowid]
                    ).fetchone()
                    before = {"title": title, "text": text}
                old.append((rowid, index_form(before.get("title")), index_form(before.get("text"))))
            conn.executemany(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) "
                "VALUES ('delete', ?, ?, ?)",
                old,
            )
        conn.executemany(
            f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (?, ?, ?)",
            [(found[d["id"]], *_forms(d)) for d in docs],
        )
    return len(docs)


def rebuild_search(db: Database, batch: int = 200) -> int:
    """Drop and rebuild the whole index from the ``documents`` table (e.g. after rows
    were deleted from ``documents`` by hand: their entries stay in a contentless index,
    joining no row, until it is rebuilt)."""
    with db.atomic():
        db.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        _create(db)
        n = 0
        last = None
        while True:
            where, params = ("WHERE rowid > ?", [last]) if last is not None else ("", [])
            chunk = db.execute(
                f"SELECT rowid, title, text FROM documents {where} ORDER BY rowid LIMIT {batch}",
                params,
            ).fetchall()
            if not chunk:
                return n
            db.conn.executemany(
                f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (?, ?, ?)",
                [(r[0], index_form(r[1]), index_form(r[2])) for r in chunk],
            )
            n += len(chunk)
            last = chunk[-1][0]


# of a text searched for an excerpt: a search lists up to 500 texts, which may be huge
SNIPPET_SCAN_CHARS = 20_000


def snippet(text: str | None, q: str | None, width: int = 40) -> str:
    """About ``2 * width`` characters of the (normalised) text around the first match of
    the query's first term found in it, with "…" where it was cut; "" without a match.
    Only the first ``SNIPPET_SCAN_CHARS`` characters are searched (and normalised), so a
    huge text costs what a long report does."""
    text = text or ""
    norm = normalize_document_text(text[:SNIPPET_SCAN_CHARS])
    more = len(text) > SNIPPET_SCAN_CHARS
    for term in query_terms(q):
        i = norm.find(term)
        if i >= 0:
            start, end = max(0, i - width), min(len(norm), i + len(term) + width)
            return (
                ("…" if start else "") + norm[start:end] + ("…" if end < len(norm) or more else "")
            )
    return ""


def search(db: Database, q: str, limit: int | None = None) -> list[str]:
    """Document ids matching ``q``, best first (bm25, title weighted)."""
    sql = (
        f"SELECT d.id FROM {FTS_TABLE} JOIN documents d ON d.rowid = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH ? ORDER BY {BM25}" + (f" LIMIT {int(limit)}" if limit else "")
    )
    return [r[0] for r in db.execute(sql, [rewrite_query(q)]).fetchall()]
