"""Search and browsing at archive scale, over HTTP on a real `union-archive serve`.

Build (resumable, constant memory, progress on stderr): DIR/archive.db grows to N documents
of report prose, in batches of 1,000 written as the indexer writes them (`documents` rows
through sqlite-utils, then ``archive.store.search.index_documents``), each batch one transaction,
written to the search index every ``SYNC_BATCHES`` batches and at the end, its merges waited
for as at the end of a crawl (``archive.store.search.sync_search``).
The prose is drawn from a pool of sentences made by a character Markov chain (order 3) over
the zoo's report texts, so common words (工会, 职工) are in nearly every document while a
sentence-long phrase is in a few hundred; titles, sites, dates, regions and types are drawn
at random, published dates independent of insertion order. A killed build continues where
it stopped (batch b always gives the same documents); running again with a larger --docs
grows the same archive (100,000 first, then 1,000,000).

Measure: starts `union-archive serve --data DIR` and times sequential GETs (after one
warm-up each) of 1-, 2-, 4- and 6-character searches, two-term searches, the default table
page, a faceted filter, a search with a facet filter, the next page of a search, the ranked
search and the JSON API; prints p50/p95 per kind, archive and index bytes per document and
the indexing rate.

    python benchmarks/bench_search.py --data /tmp/bench-search --docs 100000
    python benchmarks/bench_search.py --data /tmp/bench-search --docs 1000000 [--rounds 20] \
        [--cache-mb 512]    # a page cache for the build beyond SQLite's 2 MB
    python benchmarks/bench_search.py --data DIR --build-only | --measure-only
    python benchmarks/bench_search.py --data DIR --trace '/archive/documents?_search=会微 職工送'
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.store import schema as store  # noqa: E402
from archive.store import search, search_index  # noqa: E402

BATCH = 1000
SYNC_BATCHES = 20  # batches a commit of the search index
SEED = 20261207
SENTENCES = 40_000
DOC_TYPES = ["工作报告", "工作总结", "汇报", "经验交流", "讲话", "通知", "计划", "其他"]
TITLE_ENDS = [
    "工作总结",
    "工作情况的汇报",
    "工作报告",
    "经验交流材料",
    "上半年工作总结",
    "工作要点",
    "在职代会上的讲话",
    "情况通报",
]


def corpus() -> str:
    """The zoo's report texts (bodies without their front matter)."""
    texts = []
    for path in sorted((ROOT / "zoo" / "data").glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        texts.append(body)
    return "\n".join(texts)


def sentence_pool(n: int, seed: int = SEED) -> list[str]:
    """n sentences from an order-3 character Markov chain over the corpus."""
    text = corpus().replace("\n", "。")
    order = 3
    follow: dict[str, list[str]] = {}
    for i in range(len(text) - order):
        follow.setdefault(text[i : i + order], []).append(text[i + order])
    starts = [
        text[i + 1 : i + 1 + order]
        for i in range(len(text) - order - 1)
        if text[i] in "。；！？" and text[i + 1 : i + 1 + order] in follow
    ]
    rnd = random.Random(seed)
    pool = []
    while len(pool) < n:
        s = rnd.choice(starts)
        while len(s) < 120:
            nxt = rnd.choice(follow.get(s[-order:], ["。"]))
            s += nxt
            if nxt in "。；！？" and len(s) >= 12:
                break
        if not s.endswith(("。", "；", "！", "？")):
            s += "。"
        pool.append(s.lstrip("。"))
    return pool


def regions() -> list[str]:
    lines = (
        (ROOT / "archive" / "extract" / "data" / "regions.tsv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    return [ln.split("\t")[1] for ln in lines if ln and not ln.startswith("#")][:400]


class Maker:
    """Document rows of batch b: always the same for the same b."""

    def __init__(self):
        self.pool = sentence_pool(SENTENCES)
        self.regions = regions()
        self.sites = [f"www.gh{k:02d}.org.cn" for k in range(60)]
        self.site_weights = [1 / (k + 1) for k in range(60)]  # a few large portals

    def batch(self, b: int) -> list[dict]:
        rnd = random.Random(SEED * 1_000_003 + b)
        rows = []
        for i in range(b * BATCH, (b + 1) * BATCH):
            length = min(20_000, int(rnd.lognormvariate(7.7, 0.6)))  # median ~2,200 chars
            paras, size = [], 0
            while size < length:
                para = "".join(rnd.choices(self.pool, k=rnd.randint(2, 7)))
                paras.append(para)
                size += len(para) + 1
            year = rnd.randint(2008, 2025)
            site = rnd.choices(self.sites, self.site_weights)[0]
            url = f"http://{site}/art/{year}/{i}.html"
            title = rnd.choice(self.pool)[: rnd.randint(6, 18)].rstrip("。，；,") + rnd.choice(
                TITLE_ENDS
            )
            rows.append(
                {
                    "id": store.document_id(url),
                    "url": url,
                    "part": 0,
                    "site": site,
                    "title": title,
                    "text": "\n".join(paras),
                    "published_date": f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    "year": year,
                    "org": None,
                    "region": rnd.choice(self.regions),
                    "doc_type": rnd.choice(DOC_TYPES),
                    "is_report": int(rnd.random() < 0.6),
                    "report_score": round(rnd.random(), 2),
                    "script": "Hant" if rnd.random() < 0.05 else "Hans",
                    "encoding": "utf-8",
                    "source_url": url,
                    "cluster_id": store.document_id(url),
                    "warc_filename": "union-20261207000000-00000.warc.gz",
                    "warc_offset": 0,
                    "warc_length": 0,
                    "captured_at": "2026-12-07T00:00:00Z",
                    "crawl_id": "bench",
                }
            )
        return rows


def build(data: Path, docs: int, cache_mb: int = 0) -> dict:
    """Grow DATA/archive.db to ``docs`` documents; returns the indexing figures."""
    data.mkdir(parents=True, exist_ok=True)
    db = store.connect(data / "archive.db")
    if cache_mb:  # the random-keyed indexes (id, url, cluster_id) outgrow SQLite's 2 MB
        db.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
    search.ensure_search(db)
    store_ = search.open_index(db)
    have = db.execute("select count(*) from documents").fetchone()[0]
    if have % BATCH:
        raise SystemExit(f"{have} documents: not a whole number of batches of {BATCH}")
    if have >= docs:
        settle(db, store_)
        db.conn.close()
        return {}
    maker = Maker()
    index_s = chars = done = 0
    start = time.monotonic()
    for b in range(have // BATCH, docs // BATCH):
        rows = maker.batch(b)
        t = time.perf_counter()
        with db.atomic():
            db["documents"].insert_all(rows, pk="id")
            search.index_documents(db, rows, store=store_)
        if b % SYNC_BATCHES == SYNC_BATCHES - 1:
            search.sync_search(db, store_)
        index_s += time.perf_counter() - t
        chars += sum(len(r["text"]) + len(r["title"]) for r in rows)
        done += len(rows)
        if b % 10 == 9 or (b + 1) * BATCH >= docs:
            wall = time.monotonic() - start
            print(
                f"\r{(b + 1) * BATCH:,}/{docs:,} documents, {done / wall:,.0f}/s "
                f"(writing and indexing {done / index_s:,.0f}/s)",
                end="",
                file=sys.stderr,
                flush=True,
            )
    print(file=sys.stderr)
    t = time.perf_counter()
    settle(db, store_)
    index_s += time.perf_counter() - t
    db.conn.close()
    return {"documents": done, "docs_per_s": done / index_s, "chars_per_s": chars / index_s}


def settle(db, store_) -> None:
    """What the end of a crawl does to the index (``archive.store.search.sync_search``)."""
    t = time.perf_counter()
    search.sync_search(db, store_, settle=True)
    segments = search.reader(db).searcher().num_segments
    print(
        f"search index in step, {segments} segments, in {time.perf_counter() - t:.1f} s",
        file=sys.stderr,
        flush=True,
    )


def sizes(data: Path) -> dict:
    conn = sqlite3.connect(data / "archive.db")
    try:
        n = conn.execute("select count(*) from documents").fetchone()[0]
        text = conn.execute(
            "select sum(length(cast(text as blob))) + "
            "sum(length(cast(title as blob))) from documents"
        ).fetchone()[0]
        page = conn.execute("pragma page_size").fetchone()[0]
        total = conn.execute("pragma page_count").fetchone()[0] * page
    finally:
        conn.close()
    folder = search_index.index_path(data / "archive.db")
    index = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"documents": n, "archive": total, "index": index, "text": text}


def queries(data: Path, rnd: random.Random) -> dict[str, list[str]]:
    """Search terms by kind: fixed common words and substrings cut from the archive."""
    conn = sqlite3.connect(data / "archive.db")
    texts = [
        r[0] for r in conn.execute("select text from documents where rowid % 997 = 1 limit 200")
    ]
    conn.close()
    han = [search.normalize_document_text(t) for t in texts]

    def cut(n):
        while True:
            t = rnd.choice(han)
            i = rnd.randrange(0, len(t) - n)
            s = t[i : i + n]
            if all("\u4e00" <= c <= "\u9fff" for c in s):
                return s

    return {
        "1 char": ["会", "工", "的", "书"] + [cut(1) for _ in range(4)],
        "2 chars": ["工会", "职工", "劳模", "协商"] + [cut(2) for _ in range(4)],
        "4 chars": ["工会工作", "困难职工", "劳动竞赛", "工会会员"] + [cut(4) for _ in range(4)],
        "6 chars": ["工资集体协商", "困难职工帮扶", "职工之家建设"] + [cut(6) for _ in range(5)],
        "two terms": ["工会 职工", "劳模 工匠", "工会 协商", "职工 困难"]
        + [cut(2) + " " + cut(3) for _ in range(4)],
    }


def timed_get(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    t = time.perf_counter()
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    return time.perf_counter() - t, r.status, body


def measure(data: Path, rounds: int) -> None:
    from tests.fixtures_archive import serving

    rnd = random.Random(SEED)
    kinds = queries(data, rnd)
    paths: dict[str, list[str]] = {}
    for kind, qs in kinds.items():
        paths[f"search page, {kind}"] = [f"/archive/documents?_search={quote(q)}" for q in qs]
    paths["JSON search (2 chars)"] = [
        f"/archive/documents.json?_search={quote(q)}&_shape=array" for q in kinds["2 chars"]
    ]
    paths["ranked search (2-4 chars)"] = [
        f"/archive/search?q={quote(q)}" for q in kinds["2 chars"] + kinds["4 chars"]
    ]
    paths["default table page"] = ["/archive/documents"]
    paths["faceted filter"] = [
        "/archive/documents?site=www.gh03.org.cn",
        "/archive/documents?year=2019&doc_type=" + quote("工作总结"),
        "/archive/documents?is_report=1",
    ]
    paths["search + facet filter"] = [
        f"/archive/documents?_search={quote(q)}&year=2019" for q in kinds["2 chars"]
    ]
    paths["JSON table API"] = [
        "/archive/documents.json?_shape=array",
        "/archive/documents.json?site=www.gh01.org.cn",
    ]
    with serving(data) as base:
        port = int(base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        nxt = []
        for q in kinds["2 chars"][:4]:  # the second page of a search, by its own link
            _, _, body = timed_get(conn, f"/archive/documents.json?_search={quote(q)}")
            link = json.loads(body).get("next_url")
            if link:
                nxt.append(link.split("://", 1)[-1].split("/", 1)[-1].join(["/", ""]))
        paths["next page of a search"] = nxt
        print(f"{'kind':32} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  statuses")
        for kind, ps in paths.items():
            times, statuses = [], set()
            for p in ps:
                timed_get(conn, p)  # warm-up
            for _ in range(rounds):
                for p in ps:
                    took, status, _ = timed_get(conn, p)
                    times.append(took * 1000)
                    statuses.add(status)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
            print(
                f"{kind:32} {len(times):4} {statistics.median(times):8.1f} {p95:8.1f} "
                f"{times[-1]:8.1f}  {sorted(statuses)}"
            )
        slow = []
        for kind, ps in paths.items():
            if kind.startswith("search page"):
                for p in ps:
                    took, _, _ = timed_get(conn, p)
                    slow.append((took * 1000, p))
        print(
            "slowest search pages:",
            ", ".join(f"{t:.0f} ms {p.split('=', 1)[1]}" for t, p in sorted(slow)[-3:]),
        )


def trace(data: Path, paths: list[str]) -> None:
    """Every SQL statement each page runs and its time (Datasette's own trace, the search
    path's reads included), in process, after a warm-up of the page."""
    import asyncio

    from datasette.tracer import capture_traces

    from archive.publish.serve import make_datasette

    ds = make_datasette(data)

    async def run():
        for path in paths:
            base, _, query = path.partition("?")
            path = base + (
                "?" + urlencode(parse_qsl(query, keep_blank_values=True)) if query else ""
            )
            await ds.client.get(path)
            traces: list[dict] = []
            t = time.perf_counter()
            with capture_traces(traces):
                r = await ds.client.get(path)
            took = (time.perf_counter() - t) * 1000
            sql = [x for x in traces if x.get("sql")]
            print(
                f"{unquote(path)}: {r.status_code}, {took:.0f} ms, {len(sql)} statements, "
                f"{sum(x['duration_ms'] for x in sql):.0f} ms of SQL"
            )
            for x in sql:
                if x["duration_ms"] >= 0.5:
                    print(f"  {x['duration_ms']:8.1f} ms  {' '.join(x['sql'].split())[:150]}")

    asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="archive directory (kept)")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=10, help="timed GETs of each URL")
    ap.add_argument(
        "--cache-mb",
        type=int,
        default=0,
        help="SQLite page cache of the build's connection (default: SQLite's)",
    )
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument(
        "--trace",
        nargs="+",
        metavar="PATH",
        help="print each SQL statement of these pages and its time, then exit "
        "(e.g. '/archive/documents?_search=工会')",
    )
    args = ap.parse_args()
    if args.trace:
        trace(args.data, args.trace)
        return
    if not args.measure_only:
        rate = build(args.data, args.docs, args.cache_mb)
        if rate:
            print(
                f"indexed {rate['documents']:,} documents: {rate['docs_per_s']:,.0f} "
                f"documents/s, {rate['chars_per_s'] / 1e6:.2f} M characters/s "
                "(writing rows and index, one core)"
            )
    s = sizes(args.data)
    per = s["documents"] or 1
    index = f"{s['index'] / per:,.0f}" if s["index"] is not None else "?"
    print(
        f"{s['documents']:,} documents: archive.db {s['archive'] / per:,.0f} bytes/document, "
        f"index {index} bytes/document, text {s['text'] / per:,.0f} bytes/document (UTF-8)"
    )
    if not args.build_only:
        measure(args.data, args.rounds)


if __name__ == "__main__":
    main()
