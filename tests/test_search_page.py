"""The documents table's search path for terms in more documents than a page may count
(archive.search_page), through Datasette's own client against a real archive on disk."""
from __future__ import annotations

from archive import store


def test_archives_get_the_indexes_newest_first_pages_and_facets_read(tmp_path):
    """The default order walks published_date's index; script and is_report facets count
    from their indexes, not from every row's pages (an archive made before gets them too)."""
    import sqlite3

    old = sqlite3.connect(tmp_path / "archive.db")
    old.execute("create table documents (id text primary key, published_date text, "
                "script text, is_report integer)")
    old.close()
    db = store.connect(tmp_path / "archive.db")
    names = {r[0] for r in db.execute("select name from sqlite_master where type = 'index'")}
    plan = " ".join(str(r) for r in db.execute(
        "explain query plan select id from documents order by published_date desc limit 51"))
    db.conn.close()
    assert {"idx_documents_published_date", "idx_documents_script",
            "idx_documents_is_report"} <= names
    assert "idx_documents_published_date" in plan and "TEMP B-TREE" not in plan
