"""CDXJ index per crawl (cdxj-indexer): ``<UNION_DATA_DIR>/indexes/<crawl_id>.cdxj``.

Lines are ``SURT TIMESTAMP {json}`` sorted, with url, mime, status, digest, length,
offset and filename (the WARC basename) for response and revisit records, which is
what pywb and ReplayWeb.page read.  ``lookup`` finds the records of a URL in it.
"""
from __future__ import annotations

import json
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer


SORT_BUFFER_CHARS = 4 * 1024 * 1024   # lines held before a sorted run goes to a temporary file


def write_index(warc_files: list[Path], out_path: Path) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    # cdxj-indexer sorts in runs merged from temporary files: memory stays bounded
    # however large the crawl (its default run of 32 M characters is ~60 MB of str)
    CDXJIndexer(str(tmp), [str(p) for p in warc_files], sort=True,
                max_sort_buff_size=SORT_BUFFER_CHARS).process_all()
    tmp.replace(out_path)
    return out_path


def write_crawl_index(warc_files: list[Path], data_dir: Path, crawl_id: str) -> Path:
    return write_index(warc_files, Path(data_dir) / "indexes" / f"{crawl_id}.cdxj")


def read_index(path: Path):
    """(urlkey, timestamp, fields) per line."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, ts, data = line.rstrip("\n").split(" ", 2)
            yield key, ts, json.loads(data)


def lookup(path: Path, url: str) -> list[dict]:
    """Index entries for ``url`` (exact match), oldest first."""
    return [dict(fields, timestamp=ts) for _, ts, fields in read_index(path) if fields.get("url") == url]
