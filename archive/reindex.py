"""Rebuild archive.db from the WARC files alone (they are the source of truth)."""
from __future__ import annotations

import os
from pathlib import Path

from archive.indexer import Indexer


class ReindexError(Exception):
    pass


def warc_files(warc_dir: Path) -> list[Path]:
    """Closed WARC files in write order (names carry timestamp and serial)."""
    return sorted(p for p in Path(warc_dir).glob("*.warc.gz"))


def reindex(data_dir: str | Path) -> list[dict]:
    from archive.warc_read import iter_captures, crawl_infos

    from crawler.warc.writer import recover_open_files

    data_dir = Path(data_dir)
    if (data_dir / "warc").is_dir():
        recover_open_files(data_dir / "warc")   # a crashed run's .open file: its complete records count
    files = warc_files(data_dir / "warc")
    if not files:
        raise ReindexError(f"no WARC files in {data_dir / 'warc'}")
    target = data_dir / "archive.db"
    tmp = data_dir / "archive.db.reindex"
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    infos = crawl_infos(files)          # crawl id -> {"start_urls": [...], ...} from warcinfo records
    ix = Indexer(tmp)
    rows, current, last_seen = [], None, None
    for cap in iter_captures(files):
        if cap.crawl_id != current:
            if current is not None:
                rows.append(ix.finish("reindexed", last_seen))
            current = cap.crawl_id
            ix.start_crawl(current, infos.get(current, {}).get("start_urls", []), cap.fetched_at)
        ix.add(cap)
        last_seen = cap.fetched_at
    if current is not None:
        rows.append(ix.finish("reindexed", last_seen))
    ix.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ix.close()
    for side in ("-wal", "-shm"):   # never let the old WAL be replayed into the new file
        Path(f"{target}{side}").unlink(missing_ok=True)
        Path(f"{tmp}{side}").unlink(missing_ok=True)
    os.replace(tmp, target)
    return rows
