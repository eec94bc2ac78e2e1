"""The search index: a Tantivy index beside archive.db, kept in step through a queue in it.

Form (``archive.store.search`` normalises and tokenises; this module stores and queries):

* ``rid``: the ``documents`` rowid (indexed, fast): deletes, windows of rowids, order;
* ``day``: the publication day as YYYYMMDD, 0 when unknown (indexed, fast): date order;
* ``title``: the title's tokens, one a character, with positions;
* ``text``: the text's character bigrams (two tokens written together), with positions;
* ``chars``: the set of the text's tokens (a one-character term).

A term of one character is its token in ``chars`` or ``title``; a longer one is the phrase
of its bigrams in ``text`` (consecutive positions) or of its tokens in ``title``.  A document
matches a term exactly when its normalised title or text contains it, as FTS5's phrases of
characters did, but a rare phrase of common characters starts from its rarest bigram
instead of reading the positions of every document that holds its characters
(docs/performance.md, "Tantivy beside FTS5").

Keeping in step: the writer of ``documents`` marks each changed rowid in
``_search_pending`` in its own transaction; ``SearchIndex.sync`` writes those rows to Tantivy
(a delete of the rowid's entry, then the row as it is now, or nothing when it is gone),
commits, and only then unmarks them.  A crash between the two leaves them marked and the
next sync writes them again.  ``_search_form`` in archive.db and ``form.json`` in the index
directory carry the same form version and generation: a directory of another archive,
form or build is rebuilt from ``documents`` (every rowid marked).
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

FORM_VERSION = "tantivy-1"
PENDING = "_search_pending"
FORM_TABLE = "_search_form"
FORM_FILE = "form.json"
WRITER_HEAP = 32_000_000
SYNC_CHUNK = 20_000  # rows written to Tantivy per commit when much is pending
WINDOW = 20_000  # rowids of the first window of a bounded read
TITLE_BOOST = 5.0  # a term in the title weighs as five in the text (bm25)


def index_path(db_path: str | Path) -> Path:
    """Where the index of an archive database lives: ``archive.db`` -> ``archive.db-search``."""
    return Path(f"{db_path}-search")


def database_path(conn: sqlite3.Connection) -> str:
    """The file of a connection's main database ("" in memory)."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or ""
    return ""


def _tantivy():
    import tantivy

    return tantivy


def schema() -> Any:
    tantivy = _tantivy()
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("rid", indexed=True, fast=True)
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("text", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("chars", tokenizer_name="whitespace", index_option="freq")
    return sb.build()


def day(published: str | None) -> int:
    digits = (published or "")[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def ensure_tables(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS {PENDING} (rowid INTEGER PRIMARY KEY)")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {FORM_TABLE} (version TEXT NOT NULL, generation TEXT)"
    )
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({FORM_TABLE})")]
    if "generation" not in cols:  # the FTS5 index's stamp had a version only
        conn.execute(f"ALTER TABLE {FORM_TABLE} ADD COLUMN generation TEXT")


def mark(conn: sqlite3.Connection, rowids: Iterable[int]) -> None:
    """Queue rowids for the index (in the caller's transaction)."""
    conn.executemany(f"INSERT OR IGNORE INTO {PENDING}(rowid) VALUES (?)", ((r,) for r in rowids))


def pending(conn: sqlite3.Connection) -> int:
    return conn.execute(f"SELECT count(*) FROM {PENDING}").fetchone()[0]


def stamp(conn: sqlite3.Connection) -> tuple[str, str] | None:
    row = conn.execute(f"SELECT version, generation FROM {FORM_TABLE}").fetchone()
    return (row[0], row[1]) if row and row[1] else None


def _dir_stamp(path: Path) -> tuple[str, str] | None:
    try:
        data = json.loads((path / FORM_FILE).read_text())
        return data["version"], data["generation"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def in_step(conn: sqlite3.Connection, path: Path) -> bool:
    """The index directory was built for this database, in this form."""
    mine = stamp(conn)
    return mine is not None and mine[0] == FORM_VERSION and _dir_stamp(path) == mine


def behind(conn: sqlite3.Connection, path: Path) -> str | None:
    """What keeps the index at ``path`` from answering for this database (read only), or
    None when it is in step: missing, of an earlier version or another archive, or rows
    queued and not yet written (a crash between the two commits, or an upgrade to run)."""
    import sqlite3

    try:
        if not in_step(conn, path):
            return "missing, of an earlier version or of another archive"
        queued = pending(conn)
    except sqlite3.OperationalError:  # no stamp or queue yet: an archive of an earlier version
        return "missing, of an earlier version or of another archive"
    return f"{queued} document(s) queued and not yet in it" if queued else None


def start_over(conn: sqlite3.Connection, path: Path) -> None:
    """An empty index of this form for this database, every document queued (in the
    caller's transaction; the directory is replaced at once)."""
    generation = uuid.uuid4().hex
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    conn.execute(f"DELETE FROM {FORM_TABLE}")
    conn.execute(f"INSERT INTO {FORM_TABLE} VALUES (?, ?)", [FORM_VERSION, generation])
    conn.execute(f"DELETE FROM {PENDING}")
    if conn.execute("select 1 from sqlite_master where name = 'documents'").fetchone():
        conn.execute(f"INSERT INTO {PENDING}(rowid) SELECT rowid FROM documents")
    _tantivy().Index(schema(), path=str(path), reuse=False)
    (path / FORM_FILE).write_text(json.dumps({"version": FORM_VERSION, "generation": generation}))


def replace(source: Path, target: Path) -> None:
    """Move a built index directory into place (reindex): the stamps say whether the pair
    of database and directory agree, whatever moment a crash comes at."""
    if target.exists():
        shutil.rmtree(target)
    if source.exists():
        source.rename(target)


class SearchIndex:
    """The writer side of one archive's index (one process at a time: Tantivy's lock).

    Rows reach the index in two steps: ``write_ahead`` hands the writer the documents
    given since its last call (their forms, computed ahead, are then let go of), and
    ``commit`` makes them searchable and unqueues them; ``sync`` does both for everything
    queued.  Until the commit a crash loses nothing: the rows stay queued."""

    def __init__(self, path: Path | None):
        """``path`` None: an index in memory (an in-memory database's)."""
        self.path = None if path is None else Path(path)
        self.index = _tantivy().Index(schema(), path=None if path is None else str(path))
        self._writer = None
        self.forms: dict[int, tuple] = {}  # rowid -> (title, text, forms) computed ahead
        self.written: set[int] = set()  # handed to the writer, not yet committed

    def writer(self) -> Any:
        if self._writer is None:
            self._writer = self.index.writer(WRITER_HEAP, 1)
        return self._writer

    def write_ahead(self, conn: sqlite3.Connection, forms_of: Any) -> None:
        """Hand the writer the documents given since the last call (their rows committed)."""
        if self.forms:
            rowids = sorted(self.forms)
            self._write(conn, rowids, forms_of)
            self.written.update(rowids)

    def commit(self, conn: sqlite3.Connection) -> int:
        """Make what the writer holds searchable, and unqueue it; returns how many rows."""
        rowids, self.written = sorted(self.written), set()
        if rowids:
            self.writer().commit()
            with conn:
                conn.executemany(f"DELETE FROM {PENDING} WHERE rowid = ?", ((r,) for r in rowids))
        return len(rowids)

    def sync(self, conn: sqlite3.Connection, forms_of: Any, progress: Any = None) -> int:
        """Write every queued rowid's row to the index and commit; returns how many were
        written.  ``forms_of(title, text) -> (title, text, chars)``: the index forms of a
        row; ``progress(done, left)``: called after each commit."""
        self.write_ahead(conn, forms_of)
        done = self.commit(conn)
        while True:
            rowids = [
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM {PENDING} ORDER BY rowid LIMIT {SYNC_CHUNK}"
                )
            ]
            if not rowids:
                return done
            self._write(conn, rowids, forms_of)
            self.written.update(rowids)
            done += self.commit(conn)
            if progress is not None:
                progress(done, pending(conn))

    def _write(self, conn, rowids: list[int], forms_of) -> None:
        """Each rowid's entry replaced by its row as it is (none when the row is gone)."""
        tantivy = _tantivy()
        writer = self.writer()
        ahead = {r: self.forms.pop(r) for r in rowids if r in self.forms}
        rows = conn.execute(
            "SELECT rowid, title, text, published_date FROM documents "
            "WHERE rowid IN (SELECT value FROM json_each(?))",
            [json.dumps(rowids)],
        )
        for rowid in rowids:
            writer.delete_documents_by_term("rid", rowid)
        for rowid, title, text, published in rows:
            given = ahead.get(rowid)
            forms = given[2] if given is not None and given[:2] == (title, text) else None
            if forms is None:
                forms = forms_of(title, text)
            writer.add_document(
                tantivy.Document(
                    rid=rowid, day=day(published), title=forms[0], text=forms[1], chars=forms[2]
                )
            )

    def close(self) -> None:
        """Let the index's merges finish and release the writer's lock (what it holds and
        has not committed stays queued)."""
        writer, self._writer = self._writer, None
        self.written = set()
        if writer is not None:
            writer.rollback()
            writer.wait_merging_threads()


# -- reading -------------------------------------------------------------------------------

_readers: dict[str, Any] = {}
_readers_lock = threading.Lock()


def reader(path: Path) -> Any | None:
    """The index at ``path`` for searching (one per process, reloaded to its last commit),
    or None when there is none."""
    key = str(path)
    with _readers_lock:
        index = _readers.get(key)
        if index is None:
            if not (path / "meta.json").is_file():
                return None
            index = _readers[key] = _tantivy().Index(schema(), path=key)
    index.reload()
    return index


def forget_reader(path: Path) -> None:
    with _readers_lock:
        _readers.pop(str(path), None)


def term_query(index: Any, toks: Sequence[str], boost: float = TITLE_BOOST) -> Any:
    """One term (its tokens): in the title (boosted) or in the text."""
    tantivy = _tantivy()
    title = tantivy.Query.boost_query(title_query(index, toks), boost)
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, title), (tantivy.Occur.Should, text_query(index, toks))]
    )


def text_query(index: Any, toks: Sequence[str]) -> Any:
    """One term in the text: its token in the set of characters, or the phrase of its bigrams."""
    tantivy = _tantivy()
    sch = index.schema
    if len(toks) == 1:
        return tantivy.Query.term_query(sch, "chars", toks[0])
    grams = [a + b for a, b in zip(toks, toks[1:])]
    if len(grams) == 1:
        return tantivy.Query.term_query(sch, "text", grams[0])
    return tantivy.Query.phrase_query(sch, "text", grams)


def title_query(index: Any, toks: Sequence[str]) -> Any:
    tantivy = _tantivy()
    if len(toks) == 1:
        return tantivy.Query.term_query(index.schema, "title", toks[0])
    return tantivy.Query.phrase_query(index.schema, "title", list(toks))


def all_of(queries: list) -> Any:
    tantivy = _tantivy()
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def integer_range(index: Any, field: str, lo: int | None, hi: int | None) -> Any:
    tantivy = _tantivy()
    return tantivy.Query.range_query(
        index.schema, field, tantivy.FieldType.Integer, lo, hi, True, True
    )


def newest(index: Any, query: Any, limit: int, top: int, below: int | None = None) -> list[int]:
    """Rowids of at most ``limit`` matches, newest archived first (rowid descending, from
    ``top`` or from under ``below``).  The query runs on windows of rowids from the newest
    down, each four times the last, and stops when it has enough: a common term stops in
    the first window, a rare one is cheap in every window."""
    searcher = index.searcher()
    found: list[int] = []
    hi = top if below is None else min(top, below - 1)
    width = WINDOW
    while len(found) < limit and hi > 0:
        lo = max(0, hi - width)
        hits = searcher.search(
            all_of([query, integer_range(index, "rid", lo + 1, hi)]),
            limit - len(found),
            count=False,
            order_by_field="rid",
        ).hits
        found += searcher.fast_field_values("rid", [addr for _, addr in hits])
        hi, width = lo, width * 4
    return found


def every(index: Any, query: Any) -> list[int]:
    """Rowids of every match, newest archived first."""
    searcher = index.searcher()
    n = searcher.search(query, 1, count=True).count
    if not n:
        return []
    hits = searcher.search(query, n, count=False, order_by_field="rid").hits
    return searcher.fast_field_values("rid", [addr for _, addr in hits])


def count(index: Any, query: Any) -> int:
    return index.searcher().search(query, 1, count=True).count


def by_day(index: Any, query: Any, limit: int, before: int | None = None) -> list[tuple[int, int]]:
    """(rowid, day) of at most ``limit`` matches, latest publication day first (``before``:
    on that day or earlier)."""
    searcher = index.searcher()
    if before is not None:
        query = all_of([query, integer_range(index, "day", None, before)])
    hits = searcher.search(query, limit, count=False, order_by_field="day").hits
    addrs = [addr for _, addr in hits]
    return list(
        zip(searcher.fast_field_values("rid", addrs), searcher.fast_field_values("day", addrs))
    )


def on_days(index: Any, query: Any, lo: int, hi: int) -> list[int]:
    """Rowids of every match published from day ``lo`` to ``hi``."""
    searcher = index.searcher()
    both = all_of([query, integer_range(index, "day", lo, hi)])
    n = searcher.search(both, 1, count=True).count
    if not n:
        return []
    hits = searcher.search(both, n, count=False, order_by_field="rid").hits
    return searcher.fast_field_values("rid", [addr for _, addr in hits])


def ranked(index: Any, query: Any, limit: int, lowest: int = 0) -> list[tuple[int, float]]:
    """(rowid, bm25 score) of the ``limit`` best matches (``lowest``: only rowids from it)."""
    searcher = index.searcher()
    if lowest:
        query = all_of([query, integer_range(index, "rid", lowest, None)])
    hits = searcher.search(query, limit, count=False).hits
    rids = searcher.fast_field_values("rid", [addr for _, addr in hits])
    return [(rid, score) for rid, (score, _) in zip(rids, hits)]
