"""Reading an archive.db in tests."""

import sqlite3


def rows(db_path, sql, params=()):
    """The rows of a query as dicts (a fresh connection, closed after)."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def indexed(conn) -> list[tuple]:
    """What the (contentless) search index holds: (document id, column, position, token)
    for every token, read from FTS5's vocabulary table over the index itself."""
    conn.execute(
        "create virtual table if not exists temp.fts_instances "
        "using fts5vocab(main, documents_fts, instance)"
    )
    return conn.execute(
        "select d.id, v.col, v.offset, v.term from temp.fts_instances v "
        "join documents d on d.rowid = v.doc order by 1, 2, 3"
    ).fetchall()


def index_mismatches(db_path) -> tuple[set, set]:
    """(entries the index holds that the documents rows do not give, entries the rows give
    that the index lacks): both empty when the index is exactly the index forms of the
    documents as they are (no stale tokens left by a replaced version)."""
    from archive.store.search import index_form

    conn = sqlite3.connect(db_path)
    try:
        have = set(indexed(conn))
        want = set()
        for doc_id, title, text in conn.execute("select id, title, text from documents"):
            for col, value in (("title", title), ("text", text)):
                form = index_form(value)
                want.update((doc_id, col, i, tok) for i, tok in enumerate(form.split()))
    finally:
        conn.close()
    return have - want, want - have
