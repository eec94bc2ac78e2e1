"""Where an archive's WARC files are.

* ``DATA/warc`` — the default (``WARC_DIR`` unset);
* a crawl run with another ``WARC_DIR`` (``crawl -s WARC_DIR=...``, ``scrapy crawl ... -s
  WARC_DIR=...``) records that directory in ``DATA/warc-dirs.txt`` when it opens its first
  file: one directory a line, relative to DATA when it lies inside it, else absolute;
* the workers of a Redis crawl are data directories of their own, ``DATA/workers/NAME``
  (``crawl --redis``), each with its own ``warc/`` (and ``warc-dirs.txt``).

Everything that looks a WARC file up by its name (the indexer, ``union-archive record``,
``wacz``, ``reindex``, Datasette's ``/-/warc/`` and ``/-/record/``) goes through
``warc_dirs(DATA)``.  File names are unique across these directories (timestamp, serial and,
for workers, the worker's name in the prefix), so a name finds one file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DIRS_FILE = "warc-dirs.txt"
WORKERS_DIR = "workers"
OPEN_SUFFIX = ".open"
_STAMP = re.compile(r"-(\d{14})-(\d+)\.warc(\.gz)?$")


def _recorded(data_dir: Path) -> list[Path]:
    try:
        text = (data_dir / DIRS_FILE).read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            p = Path(line)
            out.append(p if p.is_absolute() else data_dir / p)
    return out


def record_warc_dir(data_dir: str | Path, warc_dir: str | Path) -> None:
    """Remember that crawls of ``data_dir`` wrote WARC files into ``warc_dir``."""
    data_dir = Path(data_dir).resolve()
    warc_dir = Path(warc_dir).resolve()
    if warc_dir == data_dir / "warc":
        return
    if any(p.resolve() == warc_dir for p in _recorded(data_dir)):
        return
    try:
        line = str(warc_dir.relative_to(data_dir))
    except ValueError:
        line = str(warc_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DIRS_FILE
    new = not path.exists()
    with open(path, "a", encoding="utf-8") as fh:  # appends only: safe beside readers
        if new:
            fh.write("# WARC directories of this archive besides warc/ (union-archive)\n")
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def own_warc_dirs(data_dir: str | Path) -> list[Path]:
    """``DATA/warc`` and the directories recorded in ``DATA/warc-dirs.txt``."""
    data_dir = Path(data_dir)
    out: list[Path] = []
    for p in [data_dir / "warc", *_recorded(data_dir)]:
        if all(p.resolve() != q.resolve() for q in out):
            out.append(p)
    return out


def worker_dirs(data_dir: str | Path) -> list[Path]:
    """The data directories of the Redis workers that crawled for this archive."""
    base = Path(data_dir) / WORKERS_DIR
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink())


def warc_dirs(data_dir: str | Path, workers: bool = True) -> list[Path]:
    """Every directory holding this archive's WARC files (own ones first, then workers')."""
    out = own_warc_dirs(data_dir)
    if workers:
        for w in worker_dirs(data_dir):
            out += [p for p in own_warc_dirs(w) if all(p.resolve() != q.resolve() for q in out)]
    return out


def find_warc(data_dir: str | Path, name: str, dirs: list[Path] | None = None) -> Path | None:
    """``DIR/name`` for the directory holding the WARC file ``name`` or, while it is still
    written, ``name.open``; None if none does.  The final name is returned either way: the
    file may be renamed at any moment, and ``archive.warc.read.read_record`` tries both."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        return None
    for d in dirs if dirs is not None else warc_dirs(data_dir):
        if (d / name).is_file() or (d / (name + OPEN_SUFFIX)).is_file():
            return d / name
    return None


class WarcLocator:
    """``find_warc`` with the directory list cached (re-read once when a name is not found)."""

    def __init__(self, data_dir: str | Path, first: str | Path | None = None):
        self.data_dir = Path(data_dir)
        self.first = Path(first) if first else None
        self._dirs: list[Path] | None = None

    def _load(self) -> list[Path]:
        dirs = warc_dirs(self.data_dir)
        if self.first is not None and all(self.first.resolve() != d.resolve() for d in dirs):
            dirs.insert(0, self.first)
        self._dirs = dirs
        return dirs

    def find(self, name: str) -> Path | None:
        hit = find_warc(self.data_dir, name, self._dirs if self._dirs is not None else self._load())
        if hit is None and self._dirs is not None:
            hit = find_warc(self.data_dir, name, self._load())
        return hit

    def path(self, name: str) -> Path:
        """The file for ``name``; a path that does not exist (for the error) if none."""
        return self.find(name) or self.data_dir / "warc" / name


def warc_files(dirs: list[Path]) -> list[Path]:
    """Closed WARC files of these directories."""
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.warc.gz"))]


def write_order(files: list[Path]) -> list[Path]:
    """Files in the order they were opened (the timestamp in their names; ties: directory,
    then name, i.e. serial).  In one directory with one prefix this is name order; files of
    several workers of one crawl interleave, which keeps that crawl in one piece."""
    dir_rank: dict[Path, int] = {}
    for p in files:
        dir_rank.setdefault(p.parent, len(dir_rank))

    def key(p: Path):
        m = _STAMP.search(p.name)
        return (m.group(1) if m else "", dir_rank[p.parent], p.name)

    return sorted(files, key=key)
