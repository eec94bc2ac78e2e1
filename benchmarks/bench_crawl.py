"""Crawl throughput and memory: full pipeline vs bare Scrapy, same run, same portal.

    .venv/bin/python benchmarks/bench_crawl.py --pages 10000 [--also 100000] [--repeat 3]

Starts the zoo's large portal on loopback, crawls it with the bare link-following
spider (crawler/spiders/bare.py: no WARC, no indexer) and with `union-archive crawl`
(WARC capture + extraction + SQLite in the indexer process), and prints pages/s of
both, their ratio, and the peak memory (RSS summed over the crawl's process tree).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_rss(pid: int, field: str | None = None) -> int:
    """Resident memory of a process and its descendants, in bytes (Linux /proc); ``field``:
    one part of it from /proc/PID/status instead (``RssFile``: pages of mapped files, which
    the kernel can take back)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            if field is None:
                with open(f"/proc/{p}/statm") as fh:
                    total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            else:
                with open(f"/proc/{p}/status") as fh:
                    total += int(fh.read().split(f"{field}:")[1].split()[0]) * 1024
        except (OSError, IndexError):
            pass
    return total


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's waited-for descendants."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_measured(
    cmd: list[str], cwd: Path
) -> tuple[float, int, float, subprocess.CompletedProcess, int]:
    """Wall time, peak tree RSS, CPU seconds of the command's process tree, its output, and
    how much of the peak was pages of mapped files."""
    peak = peak_files = 0
    cpu0 = children_cpu()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample():
        nonlocal peak, peak_files
        while not done.is_set():
            now = tree_rss(proc.pid)
            if now > peak:
                peak, peak_files = now, tree_rss(proc.pid, "RssFile")
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    done.set()
    t.join()
    return (
        wall,
        peak,
        children_cpu() - cpu0,
        subprocess.CompletedProcess(cmd, proc.returncode, out, err),
        peak_files,
    )


def count_pages(stderr: str) -> int:
    import re

    m = re.findall(r"'downloader/response_count': (\d+)", stderr)
    return int(m[-1]) if m else 0


def catchup_seconds(stderr: str) -> float:
    import re

    m = re.findall(r"indexer finished ([\d.]+)s after the last fetch", stderr)
    return float(m[-1]) if m else 0.0


def spilled(stderr: str) -> int:
    import re

    m = re.findall(r"'union/indexer_spilled': (\d+)", stderr)
    return int(m[-1]) if m else 0


def indexer_ms(stderr: str) -> float:
    import re

    m = re.findall(r"indexer used [\d.]+ s of CPU for \d+ captures \(([\d.]+) ms each", stderr)
    return float(m[-1]) if m else float("nan")


def bench(pages: int, concurrency: int, bare: bool = True) -> dict:
    from zoo import Zoo

    common = [
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "ROBOTSTXT_OBEY=False",
        "-s",
        "DEPTH_LIMIT=0",
        "-s",
        "LOG_LEVEL=INFO",
        "-s",
        "LOGSTATS_INTERVAL=0",
    ]
    with Zoo(large_pages=pages) as z, tempfile.TemporaryDirectory() as tmp:
        start = z.urls["large"]
        bare_cmd = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "bare",
            "-a",
            f"start_urls={start}",
            *common,
        ]
        skipped = (
            float("nan"),
            0,
            float("nan"),
            subprocess.CompletedProcess(bare_cmd, 0, "", ""),
            0,
        )
        # bare Scrapy as shipped (CONCURRENT_ITEMS=100), and with this project's engine tuning
        # (crawler/settings.py: CONCURRENT_ITEMS=8), which the bare spider otherwise inherits
        t_bare, m_bare, c_bare, p_bare, _ = (
            run_measured([*bare_cmd, "-s", "CONCURRENT_ITEMS=100"], ROOT) if bare else skipped
        )
        t_tuned, _, c_tuned, p_tuned, _ = run_measured(bare_cmd, ROOT) if bare else skipped
        full_cmd = [
            sys.executable,
            "-m",
            "cli.main",
            "crawl",
            "--data",
            tmp,
            "--start-url",
            start,
            "--allow-loopback",
            "--delay",
            "0",
            "--progress",
            "log",
            *common,
        ]
        t_full, m_full, c_full, p_full, f_full = run_measured(full_cmd, ROOT)
        n_bare, n_full = count_pages(p_bare.stderr), count_pages(p_full.stderr)
        n_tuned = count_pages(p_tuned.stderr)
        catchup = catchup_seconds(p_full.stderr)
        warc_bytes = sum(f.stat().st_size for f in Path(tmp, "warc").glob("*.warc.gz"))
        db_bytes = sum(  # archive.db, its WAL and its search index directory
            f.stat().st_size for f in Path(tmp).glob("archive.db*/**/*") if f.is_file()
        ) + sum(f.stat().st_size for f in Path(tmp).glob("archive.db*") if f.is_file())
        import sqlite3

        conn = sqlite3.connect(Path(tmp, "archive.db"))
        docs = conn.execute("select count(*) from documents").fetchone()[0]
        conn.close()
    return dict(
        pages=pages,
        bare_pages=n_bare,
        bare_s=t_bare,
        bare_pps=n_bare / t_bare,
        bare_peak=m_bare,
        full_pages=n_full,
        full_s=t_full,
        full_pps=n_full / t_full,
        full_peak=m_full,
        full_peak_files=f_full,
        fetch_pps=n_full / max(t_full - catchup, 1e-9),
        catchup_s=catchup,
        documents=docs,
        warc_mb=warc_bytes / 1e6,
        db_mb=db_bytes / 1e6,
        full_rc=p_full.returncode,
        bare_rc=p_bare.returncode,
        indexer_ms=indexer_ms(p_full.stderr),
        spilled=spilled(p_full.stderr),
        bare_cpu_ms=1000 * c_bare / max(n_bare, 1),
        full_cpu_ms=1000 * c_full / max(n_full, 1),
        tuned_pps=n_tuned / t_tuned,
        tuned_cpu_ms=1000 * c_tuned / max(n_tuned, 1),
    )


def show(r: dict) -> None:
    print(f"large portal, {r['pages']} pages")
    print(
        f"  bare Scrapy : {r['bare_pages']:>7} responses in {r['bare_s']:7.1f}s = "
        f"{r['bare_pps']:6.1f} pages/s, "
        f"peak {r['bare_peak'] / 2**20:6.0f} MiB  (Scrapy's defaults: CONCURRENT_ITEMS=100)"
    )
    print(
        "  bare Scrapy, CONCURRENT_ITEMS=8 as in crawler/settings.py: "
        f"{r['tuned_pps']:6.1f} pages/s, "
        f"{r['tuned_cpu_ms']:.1f} ms CPU per response"
    )
    print(
        f"  union crawl : {r['full_pages']:>7} responses in {r['full_s']:7.1f}s = "
        f"{r['full_pps']:6.1f} pages/s, "
        f"peak {r['full_peak'] / 2**20:6.0f} MiB ({r['full_peak_files'] / 2**20:.0f} of it mapped "
        f"files), {r['documents']} documents, "
        f"{r['warc_mb']:.1f} MB WARC, "
        f"{r['db_mb']:.0f} MB archive.db and search index"
    )
    print(
        f"  CPU per response (process tree, user+system): bare {r['bare_cpu_ms']:.1f} ms, union "
        f"{r['full_cpu_ms']:.1f} ms, of which the indexer and its extraction helper "
        f"{r['indexer_ms']:.1f} ms (extraction, signatures, search index, SQLite)"
    )
    print(
        f"  union crawl, fetch phase (until the last fetch; the indexer then needed "
        f"{r['catchup_s']:.1f}s more): {r['fetch_pps']:6.1f} pages/s; "
        f"{r['spilled']} captures waited in the disk spool"
    )
    print(
        "  ratio full/bare pages/s, end to end (archive complete): "
        f"{r['full_pps'] / r['bare_pps']:.2f}"
        f"  (target >= 0.70)"
    )
    print(
        "  ratio full/bare pages/s, fetch phase:                   "
        f"{r['fetch_pps'] / r['bare_pps']:.2f}"
    )
    print(
        f"  ratio full/bare pages/s, fetch phase, bare with CONCURRENT_ITEMS=8: "
        f"{r['fetch_pps'] / r['tuned_pps']:.2f}"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--also", type=int, default=0, help="a second, larger run for the memory ratio")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument(
        "--also-full-only",
        action="store_true",
        help="the --also run crawls with the full pipeline only "
        "(the memory ratio needs no bare run)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the --pages comparison this many times (bare, tuned bare and full "
        "in turn each time) and print every end-to-end ratio and their median: "
        "the host's speed drifts by a few per cent between runs",
    )
    args = ap.parse_args()
    runs = []
    for _ in range(max(1, args.repeat)):
        runs.append(bench(args.pages, args.concurrency))
        show(runs[-1])
    first = runs[0]
    if len(runs) > 1:
        ratios = sorted(r["full_pps"] / r["bare_pps"] for r in runs)
        print(
            f"end-to-end ratios over {len(runs)} runs: "
            + ", ".join(f"{r['full_pps'] / r['bare_pps']:.3f}" for r in runs)
            + f"; median {statistics.median(ratios):.3f}, lowest {ratios[0]:.3f}  (target >= 0.70)"
        )
    if args.also:
        second = bench(args.also, args.concurrency, bare=not args.also_full_only)
        show(second)
        print(
            f"peak memory {args.also} vs {args.pages} pages (full pipeline): "
            f"{second['full_peak'] / first['full_peak']:.2f}x  (target <= 1.20)"
        )
