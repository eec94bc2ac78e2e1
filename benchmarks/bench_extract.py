"""Speed of our whole extraction vs bare trafilatura.extract on the same pages.

Fetches every HTML page of the zoo once (gold pages and start pages), then, in one
process and the same run, times
  ours: archive.extract.process_capture (decode, body, chrome, split, normalise, metadata)
  bare: trafilatura.extract(body) with its defaults
over the same bytes, interleaved round by round so both see the same machine load.

    python benchmarks/bench_extract.py [--rounds 5]
Target: ours / bare <= 1.2.

Then, on the text of the two Simplified seed captures (../shared/seeds), the
normalisation and metadata alone (archive.normalize.normalize_text + archive.metadata.
describe), in ms of CPU per 10 KB of UTF-8 (best of 5 rounds). Target: < 5 ms.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time


def collect_pages() -> list[tuple[str, str | None, bytes]]:
    from archive.evaluate import http_fetch
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

    from archive.extract import process_capture

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
    return {"pages": len(pages), "rounds": rounds,
            "ours_pages_per_s": len(pages) / ours, "bare_pages_per_s": len(pages) / bare,
            "ratio": ours / bare}


def normalise_describe_ms_per_10kb(rounds: int = 5) -> float | None:
    """CPU ms per 10 KB for normalize_text + describe on the Simplified seeds (None
    without ../shared/seeds)."""
    from archive.metadata import describe
    from archive.normalize import normalize_text
    from tests.seeds import SEEDS

    if not SEEDS:
        return None
    cases = [((SEEDS / "xmgh-siming-2012.txt").read_text(encoding="utf-8"),
              "强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)"),
             ((SEEDS / "bdocx-guangyuan-2011.txt").read_text(encoding="utf-8"), None)]
    n_bytes = sum(len(text.encode("utf-8")) for text, _ in cases)
    for text, title in cases:                       # warm: OpenCC tables, regexes
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
        print(f"normalise + describe on the Simplified seeds: {ms:.2f} ms CPU per 10 KB  (target < 5)")
    res["normalise_describe_ms_per_10kb"] = ms
    return res


if __name__ == "__main__":
    main()
