"""The whole archive's near-duplicate clusters and the facts copies share, written to SQLite."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlite_utils import Database

from archive.extract.metadata import SHARED_FACTS, fill_from_duplicates

logger = logging.getLogger(__name__)

DEDUP_TMP = ".dedup-tmp"  # in the archive's directory: the clustering's temporary files


def cluster_archive(db: Database, db_path: Path) -> None:
    """Near-duplicate clusters over the whole archive (``archive.store.dedup_lsh``), then the
    facts copies share (``fill_from_duplicates``), one cluster at a time.  Memory
    follows the number of documents (ids), not their rows: the signatures are
    streamed from SQLite and the facts are read back cluster by cluster."""
    from itertools import groupby

    from archive.store.dedup_lsh import cluster_iter, remove_leftovers

    if "_signatures" not in db.table_names():
        return
    tmp = db_path.parent / DEDUP_TMP
    tmp.mkdir(exist_ok=True)
    if remove_leftovers(tmp):
        logger.warning("removed the temporary files of a killed clustering run from %s", tmp)
    conn = db.conn
    clusters = cluster_iter(
        db.execute(  # read to the end before the first answer
            "select doc_id, signature from _signatures order by doc_id"
        ),
        tmp_dir=tmp,
    )
    with conn:
        conn.executemany(
            "update documents set cluster_id = ? where id = ? and cluster_id is not ?",
            ((cid, did, cid) for did, cid in clusters),
        )
        # copies of one report share its facts: fill what a copy lacks.  The fills
        # wait in a temporary table while the clusters are read, then go in at once.
        conn.execute("create temp table if not exists _fills (id text, field text, value)")
        conn.execute("delete from temp._fills")
        rows = conn.execute(
            "select id, cluster_id, is_report, report_date, year, org, region from documents "
            "where cluster_id in (select cluster_id from documents "
            "group by cluster_id having count(*) > 1) order by cluster_id"
        )
        names = [c[0] for c in rows.description]
        for cid, members in groupby(rows, key=lambda r: r[1]):
            group = [dict(zip(names, r)) for r in members]
            fills = fill_from_duplicates(group, {d["id"]: cid for d in group})
            conn.executemany(
                "insert into temp._fills values (?, ?, ?)",
                [(did, f, v) for did, vals in fills.items() for f, v in vals.items()],
            )
        for field in SHARED_FACTS:
            conn.execute(
                f"update documents set [{field}] = f.value from temp._fills f "
                "where f.id = documents.id and f.field = ?",
                [field],
            )
        conn.execute("delete from temp._fills")
