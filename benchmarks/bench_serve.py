"""Searches under load on a real `union-archive serve` (127.0.0.1).

Builds an archive of the test fixture's documents plus N synthetic ones (30 random
paragraphs of two fixture reports each), starts `union-archive serve` on it, sends S ranked
searches at once (/archive/search.json, four terms every document has), then one light
request (/archive/crawls.json), and prints the light request's wait, the searches' median
and longest time and how many were turned away (503) and how fast.

    python benchmarks/bench_serve.py [--docs 5000] [--searches 40]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures_archive import add_filler_documents, build_archive, serving  # noqa: E402

QUERY = "/archive/search.json?q=" + quote("工会 工作 职工 组织")


def build(root: Path, docs: int):
    arch = build_archive(root)
    add_filler_documents(arch, docs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--searches", type=int, default=40)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    build(root, args.docs)
    results, lock = [], threading.Lock()

    def get(base, path, name):
        u = urlsplit(base)
        start = time.monotonic()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        with lock:
            results.append((name, r.status, time.monotonic() - start))

    with serving(root) as base:
        get(base, QUERY, "alone")
        threads = [
            threading.Thread(target=get, args=(base, f"{QUERY}&n={i}", "search"))
            for i in range(args.searches)
        ]
        for t in threads:
            t.start()
        time.sleep(0.2)
        get(base, "/archive/crawls.json", "light")
        for t in threads:
            t.join()
    took = {name: t for name, _, t in results if name in ("alone", "light")}
    ok = [t for name, status, t in results if name == "search" and status == 200]
    refused = [t for name, status, t in results if name == "search" and status == 503]
    print(f"{args.docs + 11} documents; one search alone {took['alone']:.2f} s")
    print(
        f"{args.searches} searches at once: {len(ok)} answered (median "
        f"{statistics.median(ok):.2f} s, longest {max(ok):.2f} s), {len(refused)} turned "
        f"away (503, longest {max(refused or [0]):.2f} s)"
    )
    print(f"a light request sent 0.2 s after them: {took['light']:.2f} s")


if __name__ == "__main__":
    main()
