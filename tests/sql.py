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
