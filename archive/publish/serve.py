"""`union-archive serve`: publish DATA/archive.db with Datasette, read-only and locked down.

* The database is opened normally (not immutable: a crawl may be writing it; WAL lets
  Datasette read while the crawl writes). Datasette 0.65 opens its read connections with
  ``mode=ro`` and has no write endpoints unless a canned query asks for them (none do).
* Arbitrary SQL is off (``allow_sql: false`` in datasette.yml); ``--allow-sql`` turns it on.
* ``sql_time_limit_ms`` and ``max_returned_rows`` are set (``SETTINGS``); downloading the
  whole database is off.
* Metadata: ``archive/publish/datasette.yml`` (a copy of the repository's datasette.yml, kept
  identical by a test); templates: ``archive/publish/templates``; plugin: ``archive.publish.plugin``
  (loaded through its entry point).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.database import Database

PACKAGE_DIR = Path(__file__).resolve().parent
METADATA_PATH = PACKAGE_DIR / "datasette.yml"
TEMPLATES_DIR = PACKAGE_DIR / "templates"

SETTINGS = {
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "facet_time_limit_ms": 500,
    "suggest_facets": False,  # facets are configured; suggestions slow search pages
    "allow_download": False,
    "allow_csv_stream": True,
    "truncate_cells_html": 160,
    "default_page_size": 50,
    "num_sql_threads": 3,
}


# What one page may render, whatever the archive holds (docs/publishing.md, "Limits").
LIMITS = {
    "page_text_chars": 100_000,  # of a document's text on its page; all of it at /-/text/ID
    "search_chars": 100,  # of a search (_search, _search_COLUMN, q): longer is a 400
    "running_searches": 2,  # at once: one of the 3 SQL threads stays free for the rest
    "waiting_searches": 16,  # for a free slot; a search beyond those is answered 503
    "search_exact_matches": 10_000,  # a table search beyond: no count, newest first,
    "search_facet_sample": 1_000,  # and facets over its most recently archived matches
    "page_versions": 20,  # earlier versions diffed on a document page (the latest)
    "changes_rows": 500,  # documents of each kind (new, changed, gone) on /-/changes
    "feed_entries": 50,  # newest reports in a site's Atom feed
}


class ArchiveMissing(Exception):
    pass


ARCHIVE_DB = "archive"  # the database's name in Datasette (DIR/archive.db)


def archive_database(datasette: Datasette) -> Database | None:
    """The archive's ``datasette.database.Database``, or None when it is not served."""
    try:
        return datasette.get_database(ARCHIVE_DB)
    except KeyError:
        return None


def load_metadata(allow_sql: bool = False) -> dict:
    from datasette.utils import parse_metadata

    metadata = parse_metadata(METADATA_PATH.read_text(encoding="utf-8"))
    if allow_sql:
        metadata.pop("allow_sql", None)
    else:
        metadata["allow_sql"] = False
    return metadata


def archive_path(data_dir: str | Path) -> Path:
    path = Path(data_dir) / "archive.db"
    if not path.is_file():
        raise ArchiveMissing(
            f"{path} not found (build it first: union-archive crawl --data "
            f"{data_dir} ... or union-archive reindex --data {data_dir})"
        )
    return path


def make_datasette(
    data_dir: str | Path, allow_sql: bool = False, settings: dict | None = None
) -> Datasette:
    """A configured ``Datasette`` for DATA/archive.db (raises ArchiveMissing)."""
    from datasette.app import Datasette

    path = archive_path(data_dir)
    return Datasette(
        files=[str(path)],
        metadata=load_metadata(allow_sql),
        settings={**SETTINGS, **(settings or {})},
        template_dir=str(TEMPLATES_DIR),
        cors=False,
    )


def run_server(
    data_dir: str | Path,
    port: int = 8001,
    host: str = "127.0.0.1",
    allow_sql: bool = False,
    log_level: str = "info",
) -> None:
    import uvicorn

    ds = make_datasette(data_dir, allow_sql=allow_sql)
    uvicorn.run(ds.app(), host=host, port=port, log_level=log_level, lifespan="on", workers=1)
