"""Chinese full-text search over ``documents``: normalisation, tokens, and the index's API.

Approach: a document matches a query term exactly when its normalised title or text
contains the normalised term as a substring, for every length (1 character, 2, or
工资集体协商), with no false positives.  Segmenters (jieba) find 工会 only where they cut
it out as a word, and stock tokenizers cannot match one or two Han characters, so the
index is built from characters: the title as one token a character, the text as its
character *bigrams* with positions and the set of its characters; a term of one character
is a token, a longer one a phrase (``archive.store.search_index``, Tantivy: it stores bigrams
with positions within the size of the text, which FTS5 could not, and a rare phrase of
common characters starts from its rarest bigram; docs/performance.md).

Tokens: ``[a-z0-9]`` and CJK ideographs (U+3400-4DBF, U+4E00-9FFF) stand for
themselves; every other character of the BMP (punctuation, symbols, other scripts, and one
blank for each run of whitespace) becomes the character U+F0000 + its code point, in
Supplementary Private Use Area-A, a token character of its own that no text character of
the BMP collides with (a character beyond the BMP, and the noncharacters U+FFFE and
U+FFFF, become ``u<hex codepoint>``).  Whitespace and punctuation are therefore positions
too, so a term never matches across a paragraph break.

Normalisation (the same for documents and queries): NFKC (full-width -> half-width,
compatibility forms), Traditional -> Simplified (OpenCC t2s; documents only when their
script is Traditional, see ``archive.extract.normalize.to_simplified``; queries always), lower
case, runs of blanks -> one blank.  A document's line breaks stay (``normalize.fold``): each
is a position of its own, so a phrase never matches across a paragraph break; a query's
whitespace runs become one blank (terms are split on them anyway).

Query syntax (``query_terms``): whitespace-separated terms, all required (AND);
"double quotes" keep a phrase with blanks together.  Nothing the user types reaches a
query language: every term is rebuilt from tokens.

Storage: the index is a directory beside the database (``archive.db-search``), its entries
keyed by the ``documents`` rowid; ``index_documents`` queues changed rowids in archive.db in
the writer's transaction and writes them to the index once it has committed, so that the
two never disagree for longer than a crash leaves them queued (``search_index``).
``ensure_search`` drops the FTS5 index of earlier versions (``documents_fts``) and rebuilds
the index from ``documents`` when its directory is missing or of another archive or form;
``rebuild_search`` does that on demand.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.store import search_index
from archive.store.search_index import SearchIndex

if TYPE_CHECKING:
    from sqlite_utils import Database

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


def index_forms(
    title: str | None, text: str | None, folded: str | None = None
) -> tuple[str, str, str]:
    """What the index stores for a document: its title's tokens, its text's bigrams and
    its text's set of tokens, each joined by blanks (``folded``: the text's
    ``normalize_document_text``, when the caller has it already)."""
    if folded is None:
        folded = normalize_document_text(text)
    return index_form(title), bigram_form(folded), chars_form(folded)


def _units(normalized: str):
    """The token characters of a normalised string as UTF-32 code units, or None when one
    of its tokens is ``u<hex>`` (the str path)."""
    import numpy as np

    c = np.frombuffer(normalized.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(c) and int(c.max()) > _LAST_MOVED:
        return None
    return np.where(_own_table()[c], c, c + _PRIVATE).astype(np.uint32)


def bigram_form(normalized: str) -> str:
    """The bigrams of a normalised string's tokens, joined by blanks."""
    import numpy as np

    units = _units(normalized) if len(normalized) >= 64 else None
    if units is None:
        toks = tokens(normalized)
        return " ".join(map(operator.add, toks, toks[1:]))
    if len(units) < 2:
        return ""
    out = np.empty((len(units) - 1, 3), dtype=np.uint32)
    out[:, 0], out[:, 1], out[:, 2] = units[:-1], units[1:], 0x20
    return out.tobytes()[:-4].decode("utf-32-le", "surrogatepass")


def chars_form(normalized: str) -> str:
    """The set of a normalised string's tokens, joined by blanks."""
    import numpy as np

    units = _units(normalized) if len(normalized) >= 64 else None
    if units is None:
        return " ".join(sorted(set(tokens(normalized))))
    return " ".join(np.unique(units).tobytes().decode("utf-32-le", "surrogatepass"))


# -- the index, kept in step with documents ------------------------------------------------

# the columns of ``documents`` the index holds (a row changed in another is not re-indexed)
INDEXED_COLUMNS = ("title", "text", "published_date")

# an in-memory database's index, by its connection (held, so that its id is not reused)
_memory: dict[int, tuple[object, SearchIndex]] = {}


def _path(db: Database) -> Path | None:
    file = search_index.database_path(db.conn)
    return search_index.index_path(file) if file else None


def open_index(db: Database) -> SearchIndex:
    """The writer side of the database's index (an in-memory database's lives in memory)."""
    path = _path(db)
    if path is None:
        if id(db.conn) not in _memory:
            _memory[id(db.conn)] = (db.conn, SearchIndex(None))
        return _memory[id(db.conn)][1]
    return SearchIndex(path)


def reader(db: Database) -> Any:
    """The database's index for searching, or None when it has none yet."""
    path = _path(db)
    if path is None:
        if id(db.conn) not in _memory:
            return None
        index = _memory[id(db.conn)][1].index
        index.reload()
        return index
    return search_index.reader(path)


def ensure_search(db: Database) -> None:
    """The index's tables in archive.db, and an index of this form for this database: one
    that is missing, of another form or of another database is rebuilt from ``documents``
    (every rowid queued; ``sync_search`` writes them).  The FTS5 index of earlier versions
    (``documents_fts``) is dropped."""
    conn = db.conn
    with db.atomic():
        search_index.ensure_tables(conn)
        if conn.execute("select 1 from sqlite_master where name = 'documents_fts'").fetchone():
            conn.execute("DROP TABLE documents_fts")
        path = _path(db)
        if path is None:
            if search_index.stamp(conn) is None:
                conn.execute(f"DELETE FROM {search_index.FORM_TABLE}")
                conn.execute(
                    f"INSERT INTO {search_index.FORM_TABLE} VALUES (?, 'memory')",
                    [search_index.FORM_VERSION],
                )
            return
        if not search_index.in_step(conn, path):
            if (
                conn.execute("select 1 from documents limit 1").fetchone()
                if db["documents"].exists()
                else None
            ):
                import logging

                logging.getLogger(__name__).warning(
                    "the search index %s is missing or of another form: rebuilding it", path
                )
            search_index.forget_reader(path)
            search_index.start_over(conn, path)


def index_documents(db: Database, docs: Iterable[dict], store: SearchIndex | None = None) -> int:
    """(Re-)index documents (dicts with id, title, text) already written to ``documents``
    (``_index``: their ``index_forms``, when the caller has them already).  Their rowids are
    queued in the caller's transaction; outside one they are written to the index at once,
    inside one ``sync_search`` writes them after the commit.  ``store``: the caller's
    ``open_index`` (kept open across calls: the indexer).  Returns how many were queued
    (documents missing from ``documents`` are skipped)."""
    docs = list({d["id"]: d for d in docs}.values())  # the same id twice: the last one wins
    if not docs:
        return 0
    if store is None:  # a caller that keeps an index open ensured it when it opened it
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
    with db.atomic():  # nests in the caller's transaction (the indexer's flush)
        search_index.mark(conn, (found[d["id"]] for d in docs))
    if store is not None:
        for d in docs:
            if d.get("_index"):
                store.forms[found[d["id"]]] = (d.get("title"), d.get("text"), d["_index"])
    if not conn.in_transaction:
        sync_search(db, store)
    return len(docs)


def sync_search(
    db: Database,
    store: SearchIndex | None = None,
    settle: bool = False,
    progress: Callable | None = None,
) -> int:
    """Write every queued row to the index; returns how many.  Without ``store`` (or with
    ``settle``) the index's merges are waited for and its writer released.  ``progress(done,
    left)``: called after each commit of a long write."""
    own = store is None
    if own:
        store = open_index(db)
    try:
        return store.sync(db.conn, index_forms, progress)
    finally:
        if own or settle:
            store.close()


def rebuild_search(db: Database, progress: Callable | None = None) -> int:
    """Rebuild the whole index from the ``documents`` table (e.g. after rows were deleted
    from ``documents`` by hand); returns how many documents it holds."""
    path = _path(db)
    with db.atomic():
        search_index.ensure_tables(db.conn)
        if path is None:
            if id(db.conn) in _memory:
                _memory[id(db.conn)][1].writer().delete_all_documents()
            search_index.mark(db.conn, (r[0] for r in db.execute("select rowid from documents")))
        else:
            search_index.forget_reader(path)
            search_index.start_over(db.conn, path)
    return sync_search(db, progress=progress)


def match_query(index: Any, q: str | None) -> Any:
    """The index query of a user query (every term required), or None without a term."""
    terms = query_terms(q)
    if index is None or not terms:
        return None
    return search_index.all_of([search_index.term_query(index, tokens(t)) for t in terms])


def matching_rowids(path: Path, q: str | None, column: str | None = None) -> list[int]:
    """The rowids of every document matching ``q`` in the index at ``path`` (``column``:
    ``title`` or ``text``, a search in that column only)."""
    index = search_index.reader(path)
    if index is None or not query_terms(q):
        return []
    if column == "title":
        query = title_match_query(index, q)
    elif column == "text":
        query = search_index.all_of(
            [search_index.text_query(index, tokens(t)) for t in query_terms(q)]
        )
    elif column is None:
        query = match_query(index, q)
    else:
        raise ValueError(f"no search column {column!r}: title or text")
    return search_index.every(index, query)


def title_match_query(index: Any, q: str | None) -> Any:
    """The index query of documents with every term of ``q`` in the title."""
    terms = query_terms(q)
    if index is None or not terms:
        return None
    return search_index.all_of([search_index.title_query(index, tokens(t)) for t in terms])


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
    """Document ids matching ``q``, best first (bm25, a title match weighing 5x the text)."""
    index = reader(db)
    query = match_query(index, q)
    if query is None:
        return []
    n = limit or search_index.count(index, query)
    if not n:
        return []
    ranked = search_index.ranked(index, query, n)
    ids = dict(
        db.execute(
            "SELECT rowid, id FROM documents WHERE rowid IN (SELECT value FROM json_each(?))",
            [json.dumps([r for r, _ in ranked])],
        ).fetchall()
    )
    return [ids[r] for r, _ in ranked if r in ids]
