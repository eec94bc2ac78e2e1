"""Issue 27's candidate index form, measured beside today's: Tantivy with character bigrams.

Today's search index (``archive.store.search``, FTS5) holds one token a character; a query term
is a phrase of them, so a rare phrase of common characters is found by reading every document
that holds all its characters (docs/performance.md, "Rare phrases of common characters").  This
probe builds, from an archive made by ``bench_search.py``, the form that docs/performance.md
names as the way out and times the core of a search page in both forms, in process and in the
same run, over ``bench_search.py``'s query kinds, the two steps of
``archive.publish.search_page`` that touch the index:

* **the read**: the rowids of at most ``search_exact_matches + 1`` matches, newest archived
  first (FTS5 stops in its doclists; Tantivy runs the phrase on windows of rowids from the
  newest down, each four times the last, and stops when it has enough);
* **the walk**, for a search with more matches: the 51 newest published (FTS5 walks the
  published_date index and checks each row against the index; Tantivy cannot check rows
  cheaply, so by the phrase's density in the read a dense phrase is found by walking the
  date index and checking each row's normalised text, a sparser one by Tantivy's newest by
  publication day, the last day's ties ordered by SQLite).

Tantivy form: per document, the normalised title and text (``normalize_document_text``) as
bigrams of their index tokens (``archive.store.search.tokens``) with positions, one field a
column, and the set of their tokens; a term of one character is its token in the set, a
longer one the phrase of its bigrams in either column; every term must match.  That is the
substring semantics of today's index, and the run checks it: for every query both forms must
find the same number of documents, the same rowids in the read and the same rows in the walk
(``mismatches`` in the output).

tantivy-py is not a dependency of the project: ``pip install tantivy`` into the venv first.

    python benchmarks/bench_search_tantivy.py --data DIR            # build if needed, measure
    python benchmarks/bench_search_tantivy.py --data DIR --build-only
    python benchmarks/bench_search_tantivy.py --data DIR --measure-only [--rounds 5] [--sizes]

The index goes to DIR/tantivy-probe (resumable: documents past the largest rowid indexed are
added); its size is printed in bytes a document beside the FTS5 index's.
"""

from __future__ import annotations

import argparse
import json
import operator
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from archive.publish.serve import LIMITS  # noqa: E402
from archive.store import search  # noqa: E402

BATCH = 2000
COMMIT_EVERY = 100_000
PAGE_ROWS = 51
WINDOW = 20_000  # rowids of the first window of a bounded read
TEXT_WALK_ROWS = 500  # rows a large search's page may check against their text


def tantivy_module():
    try:
        import tantivy
    except ImportError:
        sys.exit("bench_search_tantivy: tantivy-py is not installed (pip install tantivy)")
    return tantivy


def schema(tantivy):
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("rid", stored=True, indexed=True, fast=True)
    sb.add_integer_field("day", fast=True)
    for name in ("title_bi", "text_bi"):
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("chars", tokenizer_name="whitespace", index_option="basic")
    return sb.build()


def bigrams(toks: list[str]) -> str:
    return " ".join(map(operator.add, toks, toks[1:]))


def day(published: str | None) -> int:
    digits = (published or "")[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def open_index(tantivy, path: Path):
    path.mkdir(parents=True, exist_ok=True)
    return tantivy.Index(schema(tantivy), path=str(path))


def last_indexed(index, tantivy) -> int:
    index.reload()
    searcher = index.searcher()
    if searcher.num_docs == 0:
        return 0
    hits = searcher.search(tantivy.Query.all_query(), 1, count=False, order_by_field="rid").hits
    return searcher.doc(hits[0][1])["rid"][0]


def build(data: Path, index_dir: Path) -> None:
    tantivy = tantivy_module()
    index = open_index(tantivy, index_dir)
    start = last_indexed(index, tantivy)
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    total = conn.execute("select count(*) from documents where rowid > ?", [start]).fetchone()[0]
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    done, since_commit, last, t0 = 0, 0, start, time.perf_counter()
    while True:
        rows = conn.execute(
            "select rowid, title, text, published_date from documents where rowid > ? "
            f"order by rowid limit {BATCH}",
            [last],
        ).fetchall()
        if not rows:
            break
        for rowid, title, text, published in rows:
            t_toks = search.tokens(search.normalize_document_text(title))
            x_toks = search.tokens(search.normalize_document_text(text))
            writer.add_document(
                tantivy.Document(
                    rid=rowid,
                    day=day(published),
                    title_bi=bigrams(t_toks),
                    text_bi=bigrams(x_toks),
                    chars=" ".join(set(t_toks) | set(x_toks)),
                )
            )
        done += len(rows)
        since_commit += len(rows)
        last = rows[-1][0]
        if since_commit >= COMMIT_EVERY:
            writer.commit()
            since_commit = 0
        rate = done / (time.perf_counter() - t0)
        print(f"\rindexed {done:,} of {total:,} ({rate:,.0f} documents/s)", end="", file=sys.stderr)
    writer.commit()
    writer.wait_merging_threads()
    print(file=sys.stderr)


def term_query(tantivy, sch, term: str):
    toks = search.tokens(term)
    if len(toks) == 1:
        return tantivy.Query.term_query(sch, "chars", toks[0])
    grams = [a + b for a, b in zip(toks, toks[1:])]
    per_column = []
    for field in ("title_bi", "text_bi"):
        if len(grams) == 1:
            per_column.append(tantivy.Query.term_query(sch, field, grams[0]))
        else:
            per_column.append(tantivy.Query.phrase_query(sch, field, grams))
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in per_column])


def tantivy_query(tantivy, sch, q: str):
    terms = search.query_terms(q)
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, term_query(tantivy, sch, t)) for t in terms]
    )


def tantivy_read(tantivy, searcher, sch, query, top: int, cap: int) -> list[int]:
    """At most ``cap + 1`` matches, newest archived first, as search_page reads them: the
    match is run on windows of rowids from the newest down, each four times the last, and
    stops when it has enough (a common term stops in the first window; a rare one runs on
    all of them, and is cheap because its rarest bigram is)."""
    found: list[int] = []
    hi, width = top, WINDOW
    while len(found) <= cap and hi > 0:
        lo = max(0, hi - width)
        window = tantivy.Query.range_query(
            sch, "rid", tantivy.FieldType.Integer, lo + 1, hi, True, True
        )
        both = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, window)]
        )
        hits = searcher.search(both, cap + 1 - len(found), count=False, order_by_field="rid").hits
        found += searcher.fast_field_values("rid", [addr for _, addr in hits])
        hi, width = lo, width * 4
    return found


def tantivy_walk(tantivy, searcher, sch, q: str, conn, read: list[int]) -> list[int]:
    """The 51 newest published matches of a large search (over ``search_exact_matches``;
    ``read``: its newest matches by rowid).  Tantivy cannot check single rows cheaply (a
    phrase of common bigrams leads the intersection), so by the phrase's density in the
    read: a dense one is found by walking the published_date index and checking each row's
    text (about PAGE_ROWS / density rows); a sparser one by Tantivy's newest by publication
    day (its cost grows with the matches), the ties of the last day put in order by SQLite."""
    density = len(read) / max(1, max(read) - min(read) + 1)
    if PAGE_ROWS / density <= TEXT_WALK_ROWS:
        return text_walk(conn, search.query_terms(q))
    query = tantivy_query(tantivy, sch, q)
    hits = searcher.search(query, PAGE_ROWS, count=False, order_by_field="day").hits
    last = min(searcher.fast_field_values("day", [addr for _, addr in hits]))
    since = tantivy.Query.range_query(sch, "day", tantivy.FieldType.Integer, last, None)
    both = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, since)])
    n = searcher.search(both, 1, count=True).count
    hits = searcher.search(both, n, count=False, order_by_field="day").hits
    rids = searcher.fast_field_values("rid", [addr for _, addr in hits])
    return [
        r[0]
        for r in conn.execute(
            "select rowid from documents where rowid in (select value from json_each(?)) "
            f"order by published_date desc, id limit {PAGE_ROWS}",
            [json.dumps(rids)],
        )
    ]


def text_walk(conn, terms: list[str]) -> list[int]:
    """The published_date index walked, each row kept when every term is in its normalised
    title or text (what the index's phrase match means)."""
    out: list[int] = []
    for batch in date_batches(conn, 64):
        texts = dict(
            (r[0], r[1:])
            for r in conn.execute(
                "select rowid, title, text from documents where rowid in "
                "(select value from json_each(?))",
                [json.dumps(batch)],
            )
        )
        for rowid in batch:
            title, text = (search.normalize_document_text(x) for x in texts[rowid])
            if all(t in title or t in text for t in terms):
                out.append(rowid)
                if len(out) == PAGE_ROWS:
                    return out
    return out


def date_batches(conn, size: int = 500):
    """Rowids in search_page's order (published_date desc, id), a batch at a time."""
    offset = 0
    while True:
        rows = conn.execute(
            "select rowid from documents indexed by idx_documents_published_date "
            f"order by published_date desc, id limit {size} offset {offset}"
        ).fetchall()
        if not rows:
            return
        offset += size
        yield [r[0] for r in rows]


def fts5_read(conn, q: str, cap: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            f"select rowid from {search.FTS_TABLE} where {search.FTS_TABLE} match ? "
            f"order by rowid desc limit {cap + 1}",
            [search.rewrite_query(q)],
        )
    ]


def fts5_walk(conn, q: str) -> list[int]:
    """search_page.page_rows for a large search without filters."""
    return [
        r[0]
        for r in conn.execute(
            "select d.rowid from (select rowid, published_date, id from documents indexed by "
            "idx_documents_published_date order by published_date desc, id) as d where exists "
            f"(select 1 from {search.FTS_TABLE} f where f.rowid = d.rowid and "
            f"{search.FTS_TABLE} match ?) limit {PAGE_ROWS}",
            [search.rewrite_query(q)],
        )
    ]


def fts5_count(conn, q: str) -> int:
    return conn.execute(
        f"select count(*) from {search.FTS_TABLE} where {search.FTS_TABLE} match ?",
        [search.rewrite_query(q)],
    ).fetchone()[0]


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(data: Path, index_dir: Path, rounds: int, with_sizes: bool = False) -> None:
    from bench_search import SEED, queries, sizes

    tantivy = tantivy_module()
    index = open_index(tantivy, index_dir)
    index.reload()
    searcher = index.searcher()
    sch = index.schema
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    docs = conn.execute("select count(*) from documents").fetchone()[0]
    if searcher.num_docs != docs:
        sys.exit(f"the probe index holds {searcher.num_docs:,} of {docs:,} documents: build it")
    line = f"{docs:,} documents; Tantivy index {directory_bytes(index_dir) / docs:,.0f} B/doc"
    if with_sizes:  # reads the whole archive: minutes at 1,000,000 documents
        size = sizes(data)
        line += f", FTS5 index {(size['index'] or 0) / docs:,.0f}, text {size['text'] / docs:,.0f}"
    print(line)
    kinds = queries(data, random.Random(SEED))
    cap = LIMITS["search_exact_matches"]
    top = conn.execute("select max(rowid) from documents").fetchone()[0]

    def tq(q):
        return tantivy_query(tantivy, sch, q)

    # the same documents: every match of each query by both, and both steps' answers
    mismatches, large = [], set()
    for qs in kinds.values():
        for q in qs:
            want = fts5_count(conn, q)
            got = searcher.search(tq(q), 1, count=True).count
            read = (fts5_read(conn, q, cap), tantivy_read(tantivy, searcher, sch, tq(q), top, cap))
            if want != got or read[0] != read[1]:
                mismatches.append((q, want, got))
            if want > cap:
                large.add(q)
                if fts5_walk(conn, q) != tantivy_walk(tantivy, searcher, sch, q, conn, read[1]):
                    mismatches.append((q, "walk"))
    print(f"mismatches: {len(mismatches)}", *(f"{m}" for m in mismatches))

    def tantivy_page(q):
        read = tantivy_read(tantivy, searcher, sch, tq(q), top, cap)
        return q in large and tantivy_walk(tantivy, searcher, sch, q, conn, read)

    steps = {
        "fts5": lambda q: fts5_read(conn, q, cap) and q in large and fts5_walk(conn, q),
        "tantivy": lambda q: tantivy_page(q),
    }
    print(
        "the read of at most search_exact_matches + 1 matches, and for a larger search the "
        "51 newest published (ms):"
    )
    print(
        f"{'kind':12} {'n':>4} {'FTS5 p50':>9} {'p95':>7} {'max':>7} {'Tantivy p50':>12} "
        f"{'p95':>7} {'max':>7}"
    )
    for kind, qs in kinds.items():
        times = {"fts5": [], "tantivy": []}
        for q in qs:  # warm-up
            for step in steps.values():
                step(q)
        for _ in range(rounds):
            for q in qs:
                for name, step in steps.items():
                    t = time.perf_counter()
                    step(q)
                    times[name].append((time.perf_counter() - t) * 1000)
        cells = []
        for name in ("fts5", "tantivy"):
            ts = sorted(times[name])
            p95 = ts[min(len(ts) - 1, round(0.95 * len(ts)) - 1)]
            cells.append(f"{statistics.median(ts):9.1f} {p95:7.1f} {ts[-1]:7.1f}")
        print(f"{kind:12} {len(qs) * rounds:4} {cells[0]} {cells[1]:>28}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="an archive of bench_search.py")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument("--sizes", action="store_true", help="also the FTS5 index and text sizes")
    args = ap.parse_args()
    index_dir = args.data / "tantivy-probe"
    if not args.measure_only:
        build(args.data, index_dir)
    if not args.build_only:
        measure(args.data, index_dir, args.rounds, args.sizes)


if __name__ == "__main__":
    main()
