"""Rebuild archive.db from the WARC files alone (they are the source of truth)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from archive.store.indexer import Indexer


class ReindexError(Exception):
    pass


def warc_files(data_dir: Path) -> list[Path]:
    """Closed WARC files of the archive (DATA/warc, recorded WARC_DIRs, Redis workers'
    directories) in the order they were opened (names carry timestamp and serial)."""
    from archive.warc.dirs import warc_dirs, write_order
    from archive.warc.dirs import warc_files as files_in

    return write_order(files_in(warc_dirs(data_dir)))


def reindex(data_dir: str | Path) -> list[dict]:
    """Call with the data directory's lock held (and the Redis workers' ones, if any); a
    crashed run's .open files are cut back and renamed first (``crawler.run.put_right``)."""
    from archive.warc.dirs import warc_dirs
    from archive.warc.read import crawl_infos, iter_captures

    data_dir = Path(data_dir)
    files = warc_files(data_dir)
    if not files:
        raise ReindexError("no WARC files in " + ", ".join(str(d) for d in warc_dirs(data_dir)))
    target = data_dir / "archive.db"
    tmp = data_dir / "archive.db.reindex"
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    from archive.store.search_index import index_path

    shutil.rmtree(index_path(tmp), ignore_errors=True)
    infos = crawl_infos(files)  # crawl id -> {"start_urls": [...], ...} from warcinfo records
    from archive.store.parallel import AheadIndexer

    ix = Indexer(tmp)
    ahead = AheadIndexer(ix)  # extraction on a second core, results in order
    rows, current, last_seen = [], None, None
    try:
        for cap in iter_captures(files):
            if cap.crawl_id != current:
                if current is not None:
                    ahead.flush()
                    rows.append(ix.finish("reindexed", last_seen))
                current = cap.crawl_id
                ix.start_crawl(
                    current, infos.get(current, {}).get("start_urls", []), cap.fetched_at
                )
            ahead.add(cap)
            last_seen = cap.fetched_at
        ahead.flush()
    finally:
        ahead.stop()
    if current is not None:
        rows.append(ix.finish("reindexed", last_seen))
    ix.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ix.close()
    for side in ("-wal", "-shm"):  # never let the old WAL be replayed into the new file
        Path(f"{target}{side}").unlink(missing_ok=True)
        Path(f"{tmp}{side}").unlink(missing_ok=True)
    os.replace(tmp, target)
    from archive.store.search_index import index_path, replace

    replace(index_path(tmp), index_path(target))  # its stamp names the new database
    return rows
