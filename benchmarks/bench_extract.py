"""Speed of our whole extraction vs bare trafilatura.extract on the same pages.

Fetches every HTML page of the zoo once (gold pages and start pages), then, in one
process and the same run, times
  ours: archive.extract.page.process_capture (decode, body, chrome, split, normalise, metadata)
  bare: trafilatura.extract(body) with its defaults
over the same bytes, interleaved round by round so both see the same machine load.

    python benchmarks/bench_extract.py [--rounds 5]
Target: ours / bare <= 1.2.

Then, on the text of the two Simplified seed captures (../shared/seeds), the
normalisation and metadata alone (archive.extract.normalize.normalize_text +
archive.extract.metadata.describe), in ms of CPU per 10 KB of UTF-8 (best of 5 rounds).
Target: < 5 ms.

With --large N (default 1000; 0 skips it): the indexer's work per capture on N article and
list pages of the zoo's large portal (the pages benchmarks/bench_crawl.py crawls):
process_capture plus the derived forms (folded text, MinHash signature, search index forms;
archive.store.documents.prepare_documents), in ms of CPU per capture, best of the rounds. SQLite,
WARC reading and the hand-over to the helper process are not in it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

# tests.seeds and zoo from this checkout; appended, so PYTHONPATH can put another
# checkout's archive package first to compare two versions
sys.path.append(str(Path(__file__).resolve().parent.parent))


def collect_pages() -> list[tuple[str, str | None, bytes]]:
    from archive.evaluate.zoo import http_fetch
    from zoo import Zoo

    pages = []
    with Zoo() as zoo:
        urls = [d["url"] for d in zoo.truth["documents"] if d.get("kind", "html") == "html"]
        urls += [u for d in zoo.truth["documents"] for u in (d.get("pages") or [])]
        urls += [s["start_url"] for s in zoo.truth.get("sites", {}).values()]
        for url in dict.fromkeys(urls):
            status, ctype, body = http_fetch(url)
            if status == 200 and body:
                pages.append((url, ctype, body))
    return pages


def run(pages, rounds: int) -> dict:
    import trafilatura

    from archive.extract.page import process_capture

    # warm both (imports, OpenCC tables, trafilatura config) outside the clock
    for url, ctype, body in pages[:3]:
        process_capture(url, ctype, body)
        trafilatura.extract(body)
    ours_t, bare_t = [], []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        for url, ctype, body in pages:
            process_capture(url, ctype, body)
        ours_t.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        for _url, _ctype, body in pages:
            trafilatura.extract(body)
        bare_t.append(time.perf_counter() - t0)
    ours, bare = statistics.median(ours_t), statistics.median(bare_t)
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ours_pages_per_s": len(pages) / ours,
        "bare_pages_per_s": len(pages) / bare,
        "ratio": ours / bare,
    }


def large_portal_pages(n: int) -> list[tuple[str, str | None, bytes]]:
    """n pages of the zoo's large portal (its articles, and a list page every 100)."""
    from archive.evaluate.zoo import http_fetch
    from zoo import Zoo

    pages = []
    with Zoo(large_pages=n) as zoo:
        base = zoo.urls["large"].rstrip("/")
        for i in range(n):
            url = f"{base}/list/{i // 100}.html" if i % 100 == 99 else f"{base}/art/{i}.html"
            status, ctype, body = http_fetch(url)
            if status == 200 and body:
                pages.append((url, ctype, body))
    return pages


def indexer_ms_per_capture(pages, rounds: int) -> float:
    """Best round's CPU ms per capture for extraction and the derived forms."""
    from archive.extract.page import process_capture
    from archive.store.documents import prepare_documents

    for url, ctype, body in pages[:20]:  # warm: tables, parsers, dictionaries
        prepare_documents(process_capture(url, ctype, body))
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        t0 = time.process_time()
        for url, ctype, body in pages:
            prepare_documents(process_capture(url, ctype, body))
        best = min(best, time.process_time() - t0)
    return best * 1000 / len(pages)


def normalise_describe_ms_per_10kb(rounds: int = 5) -> float | None:
    """CPU ms per 10 KB for normalize_text + describe on the Simplified seeds (None
    without ../shared/seeds)."""
    from archive.extract.metadata import describe
    from archive.extract.normalize import normalize_text
    from tests.seeds import SEEDS

    if not SEEDS:
        return None
    cases = [
        (
            (SEEDS / "xmgh-siming-2012.txt").read_text(encoding="utf-8"),
            "强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)",
        ),
        ((SEEDS / "bdocx-guangyuan-2011.txt").read_text(encoding="utf-8"), None),
    ]
    n_bytes = sum(len(text.encode("utf-8")) for text, _ in cases)
    for text, title in cases:  # warm: OpenCC tables, regexes
        describe(title, normalize_text(text).text, "http://x/a.html")
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(5):
            for text, title in cases:
                describe(title, normalize_text(text).text, "http://x/a.html", "2012-05-16")
        best = min(best, (time.process_time() - t0) / 5)
    return best * 1000 / (n_bytes / 10_000)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--large",
        type=int,
        default=1000,
        help="pages of the large portal for the per-capture figure (0: skip)",
    )
    args = ap.parse_args(argv)
    pages = collect_pages()
    res = run(pages, args.rounds)
    print(f"pages: {res['pages']}  rounds: {res['rounds']} (median round)")
    print(f"ours (decode+extract+normalise+metadata): {res['ours_pages_per_s']:8.1f} pages/s")
    print(f"bare trafilatura.extract:                 {res['bare_pages_per_s']:8.1f} pages/s")
    print(f"ratio ours/bare time: {res['ratio']:.2f}x  (target <= 1.2x)")
    ms = normalise_describe_ms_per_10kb(args.rounds)
    if ms is None:
        print("normalise + describe: ../shared/seeds not found, not measured")
    else:
        print(
            f"normalise + describe on the Simplified seeds: {ms:.2f} ms CPU per 10 KB  (target < 5)"
        )
    res["normalise_describe_ms_per_10kb"] = ms
    if args.large > 0:
        large = large_portal_pages(args.large)
        res["indexer_ms_per_capture"] = indexer_ms_per_capture(large, min(args.rounds, 3))
        print(
            f"indexer work per capture on {len(large)} large-portal pages (extraction, signature, "
            f"search forms): {res['indexer_ms_per_capture']:.2f} ms CPU"
        )
    return res


if __name__ == "__main__":
    main()
