"""Recrawl benchmark: what an incremental recrawl of the zoo costs, and what it finds.

    python benchmarks/bench_recrawl.py [--slow-seconds 1.0] [--large-pages 0]

1. crawl the zoo (start URLs, delay 0) into a fresh data dir, then recrawl it
   unchanged: requests by kind, wall time ratio (target <= 20 %), WARC bytes added
   (target <= 5 %).  The zoo's `traps` site holds the faults (a page that sleeps
   --slow-seconds, a 30 MiB page, a 500-then-200 page with retry backoff) that cost
   the same on every crawl, so the same two crawls are also made without it
   ("fault-excluded").  Each crawl is a `union-archive crawl` process: Python and
   Scrapy start-up (~2 s here) is part of every figure.
2. edit 5 % of the pages of the zoo (the archived articles whose text can be edited in
   place) and recrawl: the documents that come out as changed must be exactly those.
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

from archive.store import document_id  # noqa: E402
from tests.conftest import crawl_cmd  # noqa: E402
from tests.sql import rows as q  # noqa: E402
from tests.test_incremental import editable_docs, edit_document  # noqa: E402




def warc_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz"))


def crawl(zoo, data: Path, start_urls: list[str]) -> tuple[float, list[dict], dict]:
    """(wall seconds of the process, requests the zoo served, crawls row + engine seconds)"""
    marks = {name: len(zoo.requests(name)) for name in zoo.sites}
    t = time.monotonic()
    proc = subprocess.run(crawl_cmd(data, start_urls), capture_output=True, text=True)
    wall = time.monotonic() - t
    if proc.returncode != 0:
        sys.exit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    reqs = [r for name in zoo.sites for r in zoo.requests(name)[marks[name]:]]
    row = q(data / "archive.db", "select * from crawls order by started_at desc limit 1")[0]
    m = re.search(r"'elapsed_time_seconds': ([0-9.]+)", proc.stderr)
    row["engine_seconds"] = float(m.group(1)) if m else float("nan")
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


def pair(zoo, start_urls, label):
    data = Path(tempfile.mkdtemp(prefix="bench-recrawl-"))
    w1, r1, row1 = crawl(zoo, data, start_urls)
    b1 = warc_bytes(data)
    w2, r2, row2 = crawl(zoo, data, start_urls)
    b2 = warc_bytes(data) - b1
    print(f"\n== {label}")
    print(f"first crawl : {w1:6.2f} s  {len(r1):4d} requests  {b1:9d} WARC bytes  "
          f"{row1['documents']} documents")
    print(f"recrawl     : {w2:6.2f} s  {len(r2):4d} requests  {b2:9d} WARC bytes added  "
          f"new {row2['new_documents']}, changed {row2['changed']}, unchanged {row2['unchanged']}")
    for kind, n in sorted(kinds(r2).items(), key=lambda kv: -kv[1]):
        print(f"   {n:4d}  {kind}")
    e1, e2 = row1["engine_seconds"], row2["engine_seconds"]
    print(f"wall time ratio: {w2 / w1:.0%} (target <= 20%)   without process start-up (Scrapy "
          f"engine open->close {e1:.2f} s -> {e2:.2f} s): {e2 / e1:.0%}")
    print(f"bytes added: {b2 / b1:.1%} (target <= 5%)   per recrawled URL: {b2 / max(1, len(r2)):.0f} "
          f"bytes (request + metadata + revisit records) vs {b1 / max(1, len(r1)):.0f} first time")
    return data, r1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slow-seconds", type=float, default=1.0)
    ap.add_argument("--large-pages", type=int, default=0)
    ap.add_argument("--changed", type=float, default=0.05, help="share of pages to edit")
    args = ap.parse_args()
    from zoo import Zoo

    with Zoo(slow_seconds=args.slow_seconds, large_pages=args.large_pages) as zoo:
        no_faults = [u for u in zoo.start_urls if u != zoo.truth["sites"]["traps"]["start_url"]]
        pair(zoo, no_faults, "zoo without the traps site (fault-excluded)")
        data, first_reqs = pair(zoo, zoo.start_urls, "whole zoo (with faults)")

        pages = len({r["path"] for r in first_reqs if r["status"] == 200})
        want = max(1, math.ceil(args.changed * pages))
        candidates = editable_docs(zoo)
        edited = candidates[:want]
        for d in edited:
            edit_document(zoo, d)
        w3, r3, row3 = crawl(zoo, data, zoo.start_urls)
        versions = {r["document_id"] for r in q(
            data / "archive.db", "select document_id from document_versions")}
        expected = {document_id(d["url"], 0) for d in edited}
        print(f"\n== {len(edited)} of {pages} pages edited ({len(edited) / pages:.1%}; "
              f"{len(candidates)} editable in place)")
        print(f"recrawl     : {w3:6.2f} s  {len(r3):4d} requests  new {row3['new_documents']}, "
              f"changed {row3['changed']}, unchanged {row3['unchanged']}")
        print(f"changed documents == edited pages: {versions == expected} "
              f"({len(versions)} changed, {len(expected)} edited)")
        if versions != expected or row3["new_documents"] != 0:
            sys.exit(1)


if __name__ == "__main__":
    main()
