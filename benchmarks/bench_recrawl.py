"""Recrawl benchmark: what an incremental recrawl of the zoo costs, and what it finds.

    python benchmarks/bench_recrawl.py [--slow-seconds 1.0] [--large-pages 0]

1. crawl the zoo (start URLs, delay 0) into a fresh data dir, then recrawl it
   unchanged with the default revisit schedule (archived articles and attachments
   are not due yet: only start pages, lists and pages that gave no document are
   fetched): requests by kind, wall time ratio (target <= 20 %), WARC bytes added
   (target <= 5 %).  The zoo's `traps` site holds the faults (a page that sleeps
   --slow-seconds, a 30 MiB page, a 500-then-200 page with retry backoff) that cost
   the same on every crawl, so the same two crawls are also made without it
   ("fault-excluded").  Each crawl is a `union-archive crawl` process: Python and
   Scrapy start-up (~2 s here) is part of every figure.
2. edit 5 % of the pages of the zoo (the archived articles whose text can be edited in
   place) and recrawl with `--recheck all` (so that the edited pages are due): the
   documents that come out as changed must be exactly those.
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.store.schema import document_id  # noqa: E402
from tests.conftest import crawl_cmd  # noqa: E402
from tests.sql import rows as q  # noqa: E402
from tests.test_incremental import edit_document, editable_docs  # noqa: E402


def warc_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))


EXTRA: list[str] = []  # further -s settings for every crawl


def crawl(zoo, data: Path, start_urls: list[str], *extra) -> tuple[float, list[dict], dict]:
    """(wall seconds of the process, requests the zoo served, crawls row + engine seconds
    + articles skipped as not due)"""
    marks = {name: len(zoo.requests(name)) for name in zoo.sites}
    t = time.monotonic()
    proc = subprocess.run(
        crawl_cmd(data, start_urls, *EXTRA, *extra), capture_output=True, text=True
    )
    wall = time.monotonic() - t
    if proc.returncode != 0:
        sys.exit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    reqs = [r for name in zoo.sites for r in zoo.requests(name)[marks[name] :]]
    row = q(data / "archive.db", "select * from crawls order by started_at desc limit 1")[0]
    m = re.search(r"'elapsed_time_seconds': ([0-9.]+)", proc.stderr)
    row["engine_seconds"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"'union/skipped/not_due': (\d+)", proc.stderr)
    row["not_due"] = int(m.group(1)) if m else 0
    return wall, reqs, row


def kinds(reqs: list[dict]) -> Counter:
    c = Counter()
    for r in reqs:
        conditional = "If-None-Match" in r["headers"] or "If-Modified-Since" in r["headers"]
        if r["path"] == "/robots.txt":
            c["robots.txt"] += 1
        elif conditional:
            c["conditional -> 304" if r["status"] == 304 else f"conditional -> {r['status']}"] += 1
        elif r["status"] == 200:
            c["full GET -> 200 (lists, start pages, pages without validators)"] += 1
        else:
            c[f"full GET -> {r['status']}"] += 1
    return c


def report(
    label: str, wall: float, reqs: list[dict], added: int, row: dict, w1: float, b1: int, e1: float
) -> None:
    print(
        f"{label:<12}: {wall:6.2f} s  {len(reqs):5d} requests  {added:10d} WARC bytes added  "
        f"new {row['new_documents']}, changed {row['changed']}, unchanged {row['unchanged']}"
    )
    for kind, n in sorted(kinds(reqs).items(), key=lambda kv: -kv[1]):
        print(f"   {n:5d}  {kind}")
    if row["not_due"]:
        print(f"   ({row['not_due']} links to archived documents not due: not requested)")
    e = row["engine_seconds"]
    print(
        f"   wall time {wall / w1:.0%} of the first crawl (target <= 20%); Scrapy engine "
        f"open->close {e:.2f} s vs {e1:.2f} s: {e / e1:.0%}"
    )
    print(
        f"   bytes added {added / b1:.1%} of the first crawl (target <= 5%); "
        f"{added / max(1, len(reqs)):.0f} bytes per request"
    )


def pair(zoo, start_urls, label):
    data = Path(tempfile.mkdtemp(prefix="bench-recrawl-"))
    w1, r1, row1 = crawl(zoo, data, start_urls)
    b1 = warc_bytes(data)
    w2, r2, row2 = crawl(zoo, data, start_urls)
    b2 = warc_bytes(data) - b1
    print(f"\n== {label}")
    print(
        f"first crawl : {w1:6.2f} s  {len(r1):5d} requests  {b1:10d} WARC bytes        "
        f"{row1['documents']} documents; Scrapy engine open->close {row1['engine_seconds']:.2f} s"
    )
    report("recrawl", w2, r2, b2, row2, w1, b1, row1["engine_seconds"])
    return data, r1, (w1, b1, row1["engine_seconds"])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--slow-seconds", type=float, default=1.0)
    ap.add_argument("--large-pages", type=int, default=0)
    ap.add_argument("--changed", type=float, default=0.05, help="share of pages to edit")
    args = ap.parse_args()
    from zoo import Zoo

    with Zoo(slow_seconds=args.slow_seconds, large_pages=args.large_pages) as zoo:
        no_faults = [u for u in zoo.start_urls if u != zoo.truth["sites"]["traps"]["start_url"]]
        pair(zoo, no_faults, "zoo without the traps site (fault-excluded)")
        data, first_reqs, first = pair(zoo, zoo.start_urls, "whole zoo (with faults)")

        pages = len({r["path"] for r in first_reqs if r["status"] == 200})
        want = max(1, math.ceil(args.changed * pages))
        candidates = editable_docs(zoo)
        edited = candidates[:want]
        for d in edited:
            edit_document(zoo, d)
        before = warc_bytes(data)
        w3, r3, row3 = crawl(zoo, data, zoo.start_urls, "--recheck", "all")
        versions = {
            r["document_id"]
            for r in q(data / "archive.db", "select document_id from document_versions")
        }
        expected = {document_id(d["url"], 0) for d in edited}
        print(
            f"\n== {len(edited)} of {pages} pages edited ({len(edited) / pages:.1%}; "
            f"{len(candidates)} editable in place), recrawl with --recheck all"
        )
        report("recrawl", w3, r3, warc_bytes(data) - before, row3, *first)
        print(
            f"changed documents == edited pages: {versions == expected} "
            f"({len(versions)} changed, {len(expected)} edited)"
        )
        if versions != expected or row3["new_documents"] != 0:
            sys.exit(1)


if __name__ == "__main__":
    main()
