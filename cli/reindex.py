"""The reindex command: archive.db and the CDXJ indexes rebuilt from the WARC files."""

from __future__ import annotations

from pathlib import Path

import click

from cli.crawl import crawl_summary, write_crawl_report
from cli.main import data_option, fail, writable_dir


@click.command()
@data_option
def reindex(data_dir: Path) -> None:
    """Rebuild archive.db (and the CDXJ indexes) from the WARC files alone, and write the
    report of every crawl rebuilt (DIR/logs/crawl-ID.md).

    They are read from DIR/warc, the WARC_DIRs recorded in DIR/warc-dirs.txt and the
    data directories of Redis workers, DIR/workers/* (each locked while it is read).
    A torn record at the end of a WARC file (a file cut short) is set aside in NAME.torn
    first."""
    from contextlib import ExitStack

    from archive.store.reindex import ReindexError
    from archive.store.reindex import reindex as do_reindex
    from archive.warc.dirs import warc_dirs, warc_files, worker_dirs
    from archive.warc.verify import TORN_SUFFIX, cut_torn, rebuild_indexes
    from crawler.lock import EXIT_LOCKED, DataDirLock, LockedError

    writable_dir(data_dir)
    try:
        with ExitStack() as locks:
            from crawler.run import put_right

            # a worker still crawling holds its lock: refuse rather than read half a crawl
            for d in [data_dir, *worker_dirs(data_dir)]:
                locks.enter_context(DataDirLock(d, "reindex"))
                put_right(d)  # a killed crawl's .open WARC files: cut back and included
            for path in warc_files(warc_dirs(data_dir)):
                moved = cut_torn(path)
                if moved:
                    click.echo(
                        f"{path}: a torn record at its end ({moved} bytes) set aside "
                        f"in {path.name}{TORN_SUFFIX}",
                        err=True,
                    )
            rows = do_reindex(data_dir)
            indexes = rebuild_indexes(data_dir)
            for row in rows:  # under the lock, so that no crawl changes the archive meanwhile
                click.echo(crawl_summary(row))
                write_crawl_report(data_dir, row["id"])
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    except ReindexError as exc:
        fail(str(exc))
    click.echo(
        f"rebuilt {data_dir / 'archive.db'} from "
        + ", ".join(str(d) for d in warc_dirs(data_dir) if d.is_dir())
    )
    if indexes:
        click.echo(f"rebuilt {len(indexes)} CDXJ index(es) in {data_dir / 'indexes'}")


@click.command("search-index")
@data_option
@click.option("--rebuild", is_flag=True, help="Build the whole index again from documents.")
def search_index_command(data_dir: Path, rebuild: bool) -> None:
    """Bring the search index (DIR/archive.db-search) in step with archive.db: write the
    documents queued for it, or build it when it is missing, of an earlier version (the
    FTS5 index of versions before it) or of another archive.  A crawl does this itself;
    run it after an upgrade, so that the first crawl does not, and to rebuild on demand."""
    import time

    from archive.store import schema as store
    from archive.store import search
    from crawler.lock import EXIT_LOCKED, DataDirLock, LockedError

    path = data_dir / "archive.db"
    if not path.is_file():
        fail(f"{path} not found")
    started = time.monotonic()

    def progress(done: int, left: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        click.echo(f"search index: {done:,} written, {left:,} left ({rate:,.0f}/s)", err=True)

    try:
        with DataDirLock(data_dir, "search-index"):
            db = store.connect(path)
            try:
                if rebuild:
                    search.ensure_search(db)
                    n = search.rebuild_search(db, progress=progress)
                else:
                    search.ensure_search(db)
                    n = search.sync_search(db, progress=progress)
            finally:
                db.conn.close()
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    click.echo(
        f"search index in step: {n:,} documents written in {time.monotonic() - started:.1f} s"
    )
