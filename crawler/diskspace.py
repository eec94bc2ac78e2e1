"""Free space on the disks a crawl writes to: a reserve that is kept free.

A crawl writes WARC files, then (in its indexer) archive.db, and keeps its frontier and
log beside them.  When the free space on the filesystem of the data directory or of the
WARC directory falls below ``UNION_MIN_FREE_SPACE`` bytes, the WARC middleware stops the
crawl (spider close reason ``diskfull``; the crawls row says ``interrupted``): the
reserve is what the indexer, the clustering pass, the frontier and the log still need to
end the run cleanly.  A crawl does not start below it.  A write that fails anyway (the
reserve eaten by another program) stops the crawl the same way.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

DISK_FULL = "diskfull"  # spider close reason of a crawl stopped for lack of space
STOP_DETAIL_STAT = "union/stopped"  # stats key: the one-line reason of such a stop
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (a directory not made yet)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def megabytes(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10_000_000 else f"{n / 1e6:.2f} MB"


def low_space(paths: Iterable[str | Path], reserve: int) -> str | None:
    """One line naming the first of ``paths`` whose filesystem has less than ``reserve``
    bytes free, or None (also for a reserve of 0 or less: no check)."""
    if reserve <= 0:
        return None
    for path in paths:
        where = _existing(path)
        free = shutil.disk_usage(where).free
        if free < reserve:
            return (
                f"only {megabytes(free)} free on the disk of {path}, below the reserve of "
                f"{megabytes(reserve)} (UNION_MIN_FREE_SPACE)"
            )
    return None


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_ERRNOS
