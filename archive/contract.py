"""The one contract between capture (``crawler/``) and the archive (``archive/``).

The crawler imports nothing else from ``archive/``, and the archive nothing from
``crawler/`` (``tests/test_architecture.py`` checks both).  What crosses:

* a ``Capture`` with its WARC location, from the crawler's WARC middleware to the
  indexer process the crawler starts (``run_indexer``), then ``run_clustering``;
* the one WARC reader (warcio underneath), for the records the crawler reads back;
* where the WARC files are, and their CDXJ indexes, which the crawler writes as it goes;
* the few questions the crawler asks of archive.db (``archive.store.crawls``), so that
  neither side runs SQL on the other's tables.

Modules with heavy imports (extraction, the indexer, cdxj-indexer) load when called, so
the crawl process stays lean.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import __version__
from archive.capture import Capture
from archive.store.crawls import (
    KnownDocuments,
    crawl_progress,
    crawl_row,
    latest_unfinished,
    mark_failed,
    mark_interrupted,
)
from archive.warc.dirs import WarcLocator, own_warc_dirs, record_warc_dir
from archive.warc.read import (
    body_and_error,
    header,
    iso_seconds,
    read_payload,
    record_problem,
)

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from archive.warc.cdxj import IndexLines

__all__ = [
    "Capture",
    "KnownDocuments",
    "WarcLocator",
    "__version__",
    "archive_db",
    "as_crawl_child",
    "body_and_error",
    "cdxj_index_lines",
    "cdxj_repair",
    "cdxj_side_files",
    "crawl_progress",
    "crawl_row",
    "declared_charsets",
    "header",
    "iso_seconds",
    "latest_unfinished",
    "mark_failed",
    "mark_interrupted",
    "own_warc_dirs",
    "preload_clustering",
    "read_payload",
    "record_problem",
    "record_warc_dir",
    "run_clustering",
    "run_indexer",
    "write_crawl_index",
]


def archive_db(data_dir: str | Path) -> Path:
    """Where a data directory keeps its archive database."""
    return Path(data_dir) / "archive.db"


def run_indexer(
    q: Queue, db_path: str, crawl_id: str, start_urls: list[str], started_at: str, **kw: Any
) -> Any:
    """The indexer: reads Captures from ``q`` until the crawler closes it
    (``archive.store.worker.run_worker``; keyword arguments pass through)."""
    from archive.store.worker import run_worker

    return run_worker(q, db_path, crawl_id, start_urls, started_at, **kw)


def run_clustering(db_path: str, crawl_id: str | None = None) -> None:
    """The archive's duplicate clusters, after the indexer (a process of its own)."""
    from archive.store.worker import run_cluster

    run_cluster(db_path, crawl_id)


def preload_clustering() -> None:
    """Import what the clustering runs, before the word to start it."""
    import archive.store.dedup_lsh  # noqa: F401


def as_crawl_child(nice: int) -> None:
    """Make this process a crawl child: niced, deaf to SIGINT/SIGTERM."""
    from archive.store.process import as_crawl_child as child

    child(nice)


def declared_charsets(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(header charset, meta charset) of a page, as the decoder reads them."""
    from archive.extract.decode import declared_charsets as declared

    return declared(body, content_type)


def cdxj_index_lines(*args: Any, **kw: Any) -> IndexLines:
    """A crawl's CDXJ lines as its records are written (``archive.warc.cdxj.IndexLines``)."""
    from archive.warc.cdxj import IndexLines

    return IndexLines(*args, **kw)


def write_crawl_index(warc_files: list[Path], data_dir: Path, crawl_id: str) -> Path:
    from archive.warc.cdxj import write_crawl_index as write

    return write(warc_files, data_dir, crawl_id)


def cdxj_side_files(data_dir: Path) -> list[Path]:
    from archive.warc.cdxj import side_files

    return side_files(data_dir)


def cdxj_repair(data_dir: Path, warc_files: list[Path]) -> dict[str, list[str]]:
    from archive.warc.cdxj import repair

    return repair(data_dir, warc_files)
