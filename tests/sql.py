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
    """What the search index holds: (document id, field, term) for every term of every
    entry, read from the index's term dictionary one entry at a time (each rowid's
    entries must be one: a second would be listed as ``("<duplicate>", rowid)``)."""
    from archive.store import search_index

    path = search_index.index_path(search_index.database_path(conn))
    index = search_index.reader(path)
    searcher = index.searcher()
    ids = dict(conn.execute("select rowid, id from documents"))
    out = []
    import tantivy

    everything = searcher.search(tantivy.Query.all_query(), searcher.num_docs or 1, count=False)
    rids = searcher.fast_field_values("rid", [addr for _, addr in everything.hits])
    for rid in sorted(set(rids) & set(ids)):  # an orphan entry (a row deleted by hand) joins no row
        if rids.count(rid) > 1:
            out.append(("<duplicate>", rid, ""))
        one = tantivy.Query.term_query(index.schema, "rid", rid)
        for field in ("title", "text", "chars"):
            for term, n in searcher.terms_with_prefix(field, "", filter_query=one):
                if n:
                    out.append((ids[rid], field, term))
    return sorted(out)


def index_mismatches(db_path) -> tuple[set, set]:
    """(entries the index holds that the documents rows do not give, entries the rows give
    that the index lacks): both empty when the index is exactly the index forms of the
    documents as they are (no stale terms left by a replaced version, no entry of a row
    that is gone)."""
    from archive.store.search import index_forms

    conn = sqlite3.connect(db_path)
    try:
        have = set(indexed(conn))
        want = set()
        for doc_id, title, text in conn.execute("select id, title, text from documents"):
            for field, form in zip(("title", "text", "chars"), index_forms(title, text)):
                want.update((doc_id, field, term) for term in form.split())
    finally:
        conn.close()
    return have - want, want - have
