"""Duplicate reports: MinHash signatures and LSH clusters."""

import os
import random
import sys

import numpy as np
import opencc
import pytest

from archive.extract.normalize import normalize_text
from archive.store.dedup import NUM_PERM, signature, similarity
from archive.store.dedup_lsh import cluster
from tests.seeds import seed


@pytest.fixture(scope="module")
def reports():
    g = seed("bdocx-guangyuan-2011.txt")
    x = seed("xmgh-siming-2012.txt")
    return {
        "guangyuan": g[g.index("关于全市工会工作情况的汇报\n") : g.index("展开阅读全文")],
        "siming": x[x.index("强化组织保障") : x.index("收藏本页")],
        "district": normalize_text(seed("district-2021-traditional.txt")).text,
    }


def small_edits(text: str, n: int, rnd: random.Random) -> str:
    """n small edits: a character changed, a phrase dropped, a line break moved."""
    chars = list(text)
    for _ in range(n):
        i = rnd.randrange(len(chars))
        op = rnd.choice(("swap", "drop", "insert"))
        if op == "swap":
            chars[i] = "某"
        elif op == "drop":
            del chars[i : i + 4]
        else:
            chars.insert(i, "，")
    return "".join(chars)


def test_signature_layout():
    sig = signature("关于全市工会工作情况的汇报，今年以来我市各级工会组织深入学习。")
    assert isinstance(sig, bytes) and sig[:3] == b"MH2"
    assert len(sig) == 3 + 4 + 2 + 4 * NUM_PERM + 4 * 0  # no year, place or blank named
    assert signature("") != sig and cluster([("a", signature("")), ("b", signature(""))]) == {
        "a": "a",
        "b": "b",
    }  # empty texts are nobody's duplicate


def test_punctuation_and_layout_do_not_count(reports):
    t = reports["guangyuan"]
    relaid = t.replace("\n", "").replace("，", ",").replace("。", ". ")
    assert similarity(signature(t), signature(relaid))[0] == 1.0


def test_near_duplicate_with_small_edits_clusters(reports):
    rnd = random.Random(4)
    t = reports["guangyuan"]
    edited = small_edits(t, 25, rnd)
    edited = "（来源：广元日报）\n" + edited.replace("2011年11月1日", "2011年11月2日")
    j, _c = similarity(signature(t), signature(edited))
    assert j > 0.7
    out = cluster([("b-site2", signature(edited)), ("a-site1", signature(t))])
    assert out == {"a-site1": "a-site1", "b-site2": "a-site1"}


def test_traditional_repost_clusters_with_simplified_original(reports):
    t = reports["guangyuan"]
    trad = opencc.OpenCC("s2tw").convert(t)
    assert trad != t and "關於全市工會工作情況" in trad
    out = cluster([("z", signature(t)), ("m", signature(trad))])
    assert out["z"] == out["m"] == "m"


def test_partial_preview_clusters_with_full_text(reports):
    t = reports["guangyuan"]
    preview = t[: int(len(t) * 0.55)]  # 文库 page that stops at the free preview
    out = cluster([("full", signature(t)), ("preview", signature(preview))])
    assert out["preview"] == out["full"]


def test_distinct_reports_with_shared_boilerplate_stay_apart(reports):
    """Four parts of a 范文 page: same intro, same closing, same headings, different bodies."""
    intro = (
        "工会工作总结\n以下是小编整理的工会工作总结，仅供参考。在上级工会和党委的正确领导下，"
        "我们认真贯彻落实党的路线方针政策，坚持以职工为中心的工作导向，紧紧围绕中心工作，"
        "服务大局，各项工作取得了新的进展。现将一年来的工作总结如下：\n"
    )
    closing = (
        "\n下一步，我们将进一步加强学习，改进作风，开拓创新，扎实工作，"
        "为推动经济社会高质量发展作出新的更大贡献。\n"
    )
    headings = [
        "一、加强思想政治引领",
        "二、深化劳动和技能竞赛",
        "三、维护职工合法权益",
        "四、加强自身建设",
    ]
    g = [line for line in reports["guangyuan"].split("\n") if line.strip()]
    bodies = [
        "\n".join(g[10:25]),
        "\n".join(g[25:45]),
        "\n".join(g[45:70]),
        reports["siming"][300:2300],
    ]
    parts = []
    for body in bodies:
        lines = body.split("\n")
        step = max(1, len(lines) // 4)
        mixed = []
        for k, h in enumerate(headings):
            mixed.append(h)
            mixed.extend(lines[k * step : (k + 1) * step])
        parts.append(intro + "\n".join(mixed) + closing)
    sigs = [signature(p) for p in parts]
    for a in range(4):
        for b in range(a + 1, 4):
            assert similarity(sigs[a], sigs[b])[0] < 0.3
    items = [(f"p{k}", s) for k, s in enumerate(sigs)]
    items += [("r-district", signature(reports["district"]))]
    out = cluster(items)
    assert len(set(out.values())) == len(items)


def test_cluster_id_is_smallest_id_and_order_independent(reports):
    t = reports["siming"]
    rnd = random.Random(9)
    copies = {f"id{k}": signature(small_edits(t, 5, rnd)) for k in (7, 3, 5)}
    other = signature(reports["guangyuan"])
    items = list(copies.items()) + [("id1", other)]
    expect = {"id7": "id3", "id3": "id3", "id5": "id3", "id1": "id1"}
    assert cluster(items) == expect
    rnd.shuffle(items)
    assert cluster(items) == expect


def planted(n: int) -> list[tuple[str, bytes]]:
    """n random signatures, with 300 planted near-duplicate pairs (documents 2k and 2k+1)."""
    rng = np.random.default_rng(0)
    vals = rng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint32)
    for i in range(0, 600, 2):  # near-duplicate: 80% of the MinHash values shared
        vals[i + 1] = vals[i]
        idx = rng.choice(NUM_PERM, NUM_PERM // 5, replace=False)
        vals[i + 1, idx] = rng.integers(0, 2**32, len(idx), dtype=np.uint32)
    head = b"MH2" + (1000).to_bytes(4, "little") + (0).to_bytes(2, "little")
    return [(f"{i:06d}", head + vals[i].astype("<u4").tobytes()) for i in range(n)]


def test_scales_with_lsh_not_all_pairs(monkeypatch):
    """30,000 documents (random signatures, 300 planted near-duplicate pairs): LSH hands
    a few candidate pairs per band to verification, not the 450 million pairs of all
    against all (the work is counted, not timed: benchmarks time things)."""
    import archive.store.dedup_lsh as dedup_lsh

    n = 30_000
    items = planted(n)
    verified = []
    real_verify = dedup_lsh._verify

    def counting_verify(counts, values, pairs, band=0, small=None):
        verified.append(len(pairs))
        return real_verify(counts, values, pairs, band, small)

    monkeypatch.setattr(dedup_lsh, "_verify", counting_verify)
    out = cluster(items)
    assert len(verified) >= dedup_lsh.LSH_BANDS  # every band was looked at
    assert 300 <= sum(verified) < n  # the planted pairs and some chance ones, never all pairs
    assert all(out[f"{i + 1:06d}"] == f"{i:06d}" for i in range(0, 600, 2))
    assert len(set(out.values())) == n - 300


def test_clustering_memory_is_about_one_signature_per_document():
    """The archive is clustered at the end of every crawl: its memory must follow the
    MinHash values (512 bytes a document), not copies of every signature in Python objects
    (which took ~2 KB a document, 2.7x the peak of a 10,000-page crawl at 100,000)."""
    import tracemalloc

    n = 30_000
    items = planted(n)
    tracemalloc.start()
    try:
        out = cluster(iter(items))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(set(out.values())) == n - 300
    assert peak / n < 1000, f"{peak / n:.0f} bytes per document"


def test_templated_archive_clusters_in_bounded_memory():
    """A portal whose pages are all copies of a few templates (the zoo's large portal)
    gives hundreds of verified pairs per document; they wait on disk by similarity, so
    memory does not follow them (holding them all took ~11 KB a document, ~0.9 GB at the
    end of a 100,000-page crawl).  The groups are the templates."""
    import tracemalloc

    n, sources = 10_000, 10
    rng = np.random.default_rng(1)
    src = rng.integers(0, 2**32, size=(sources, NUM_PERM), dtype=np.uint32)
    vals = src[np.arange(n) % sources].copy()
    mask = rng.random((n, NUM_PERM)) < 0.15  # 85 % of each copy's values kept
    vals[mask] = rng.integers(0, 2**32, int(mask.sum()), dtype=np.uint32)
    head = b"MH2" + (1000).to_bytes(4, "little") + (0).to_bytes(2, "little")
    items = [(f"{i:06d}", head + vals[i].astype("<u4").tobytes()) for i in range(n)]
    tracemalloc.start()
    try:
        out = cluster(items)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert {out[f"{i:06d}"] for i in range(n)} == {f"{k:06d}" for k in range(sources)}
    assert peak / n < 3000, f"{peak / n:.0f} bytes per document"


# ------------------------------------------------------------------ reuse is not duplication


def relocate(text: str, mapping: dict[str, str], year_shift: int) -> str:
    """The same report reused by another organisation a year later (as template sites do)."""
    import re

    for old, new in mapping.items():
        text = text.replace(old, new)
    return re.sub(r"(?<!\d)(20[0-3]\d)(?=年)", lambda m: str(int(m.group(1)) + year_shift), text)


def templatize(text: str) -> str:
    import re

    text = text.replace("广元市", "XX市").replace("广元", "XX")
    return re.sub(r"(?<!\d)20[0-3]\d(?=年)", "20xx", text)


def test_report_reused_by_another_city_is_a_different_report(reports):
    t = reports["guangyuan"]
    other = relocate(t, {"广元": "南充", "旺苍县": "南部县"}, 1)
    j, _c = similarity(signature(t), signature(other))
    assert j > 0.85  # nearly the same shingles ...
    out = cluster([("a", signature(t)), ("b", signature(other))])
    assert out == {"a": "a", "b": "b"}  # ... but another city, another year


def test_template_made_from_a_report_is_a_different_document(reports):
    t = reports["guangyuan"]
    tpl = templatize(t)
    assert "20xx年" in tpl and "XX市总工会" in tpl
    out = cluster(
        [
            ("a", signature(t)),
            ("b", signature(tpl)),
            ("c", signature(opencc.OpenCC("s2t").convert(tpl))),
        ]
    )
    assert out == {"a": "a", "b": "b", "c": "b"}  # the template's own repost is its duplicate


def test_title_tells_reports_with_identical_bodies_apart():
    body = (
        "一季度，镇工会走访慰问困难职工和农民工46户，发放慰问金2.3万元；组织春风行动招聘会1场，"
        "提供岗位320个；新建村级工会联合会2个，发展会员118名；开展安全生产宣传进企业活动3次。"
    )
    a = signature(body, title="元坝镇工会2023年一季度工作简报")
    b = signature(body, title="XX镇工会20xx年一季度工作简报")
    c = signature(body, title="元坝镇工会2023年一季度工作简报")
    assert cluster([("a", a), ("b", b), ("c", c)]) == {"a": "a", "b": "b", "c": "a"}


def test_a_preview_does_not_chain_two_different_reports(reports):
    """A preview without years or places fits both a report and its reuse: it may join
    one of them, never merge the two."""
    t = reports["guangyuan"]
    other = relocate(t, {"广元": "南充", "旺苍县": "南部县"}, 1)
    lines = t.split("\n")
    neutral = "\n".join(
        ln
        for ln in lines
        if not any(k in ln for k in ("年", "广元", "南充", "旺苍", "宁波", "凉山", "四川"))
    )
    out = cluster([("a", signature(t)), ("b", signature(other)), ("p", signature(neutral))])
    assert out["p"] in (out["a"], out["b"])  # it is the same text as both
    assert out["a"] != out["b"]


def test_zoo_gold_duplicates(zoo):
    """The zoo's gold texts and titles: every duplicate group found, no two groups merged
    (relocated reports, 范文 templates and Traditional reposts included)."""
    import itertools

    docs = [d for d in zoo.truth["documents"] if d.get("reachable", True)]
    keys = [f"{k:03d}" for k in range(len(docs))]
    out = cluster([(key, signature(d["text"], title=d["title"])) for key, d in zip(keys, docs)])
    group = {key: d["dup_group"] for key, d in zip(keys, docs)}
    same = [(a, b) for a, b in itertools.combinations(keys, 2) if group[a] == group[b]]
    assert len(same) >= 10
    missed = [(group[a], a, b) for a, b in same if out[a] != out[b]]
    merged = [
        (group[a], group[b])
        for a, b in itertools.combinations(keys, 2)
        if group[a] != group[b] and out[a] == out[b]
    ]
    assert not missed and not merged, (missed, merged)


def test_minhash_values_equal_datasketch():
    """The vectorised MinHash gives datasketch's own numbers (same permutations, same
    affine32 scheme), so signatures mean what datasketch's documentation says."""
    import numpy as np
    from datasketch import MinHash

    from archive.store.dedup import SEED, _permutations, minhash_values, shingle_hashes

    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
    assert np.array_equal(_permutations()[0][0], a) and np.array_equal(_permutations()[1][0], b)
    assert a.dtype == np.uint32 and len(set(a.tolist())) == NUM_PERM
    rng = np.random.default_rng(7)
    samples = [
        np.zeros(0, dtype=np.uint32),
        np.array([0, 1, 0xFFFFFFFF], dtype=np.uint32),
        rng.integers(0, 2**32, size=5000, dtype=np.uint64).astype(np.uint32),
        rng.integers(0, 2**32, size=20000, dtype=np.uint64).astype(np.uint32),  # 3 blocks
        # either side of where 16 permutations at a time begin
        rng.integers(0, 2**32, size=2047, dtype=np.uint64).astype(np.uint32),
        rng.integers(0, 2**32, size=2048, dtype=np.uint64).astype(np.uint32),
        shingle_hashes("今年以来，我市各级工会组织深入学习贯彻党的十七大精神" * 3),
    ]
    for hashes in samples:
        m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=lambda x: x)
        if len(hashes):
            m.update_batch([int(h) for h in hashes])
        assert np.array_equal(minhash_values(hashes), np.asarray(m.hashvalues, dtype=np.uint32))


def test_fold_is_nfkc_simplified_lower():
    import unicodedata

    from archive.extract.normalize import fold, nfkc, to_simplified

    rng = random.Random(11)
    alphabet = "工会總ＡＢ２０…㎡①ﬁ e\u0301\u00e9\u0323，。\u3000\n😀\U0002f800\uffffa"
    long_texts = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(60, 500))) for _ in range(300)
    ] + ["２" * 64, "…" * 70, "工会，" * 30 + "①"]
    for text in long_texts:  # 64 characters and more: the lookup-table path
        assert nfkc(text) == unicodedata.normalize("NFKC", text), text
    for text in [
        "２０２４年　工会ＡＢＣ……㎡①",
        "e\u0301t\u00e9 ℃\u0301 Ⅱ ﬁ",
        "總工會工作報告",
        "",
        "x\u0301\u0323",
    ]:
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
        want = " ".join(to_simplified(unicodedata.normalize("NFKC", text)).lower().split())
        assert fold(text) == want


def test_fold_collapses_runs_of_blanks_and_keeps_line_breaks():
    """Runs of blanks (U+3000 included, after NFKC) become one blank; a line break stays a
    character of its own (the search index makes it a position: no phrase across
    paragraphs); the ends are stripped."""
    from archive.extract.normalize import fold

    assert fold("  工会  工作\u3000\u3000总结 \n\n 二〇二四  ") == "工会 工作 总结 \n\n 二〇二四"
    assert fold("工会\n工作") == "工会\n工作"
    assert fold("a" * 70 + "   b") == "a" * 70 + " b"
    assert fold("　") == ""


def test_indexer_clusters_the_archive_and_fills_what_copies_lack(tmp_path, reports):
    """At the end of a crawl the indexer clusters every signature in archive.db and a
    copy missing a fact takes the value its cluster's reports agree on, read back cluster
    by cluster (a real SQLite file; the same path a crawl's finish takes)."""
    from archive.store.indexer import Indexer

    t = reports["siming"]
    rnd = random.Random(3)
    rows = [  # three copies of one report (one lacks year and region), a report of its own
        dict(
            id="d1",
            url="http://a/1",
            year=2012,
            region="福建省厦门市思明区",
            org="思明区总工会",
            is_report=1,
            text=t,
        ),
        dict(
            id="d2",
            url="http://b/2",
            year=None,
            region=None,
            org="思明区总工会",
            is_report=1,
            text=small_edits(t, 4, rnd),
        ),
        dict(
            id="d3",
            url="http://c/3",
            year=2012,
            region="福建省厦门市思明区",
            org=None,
            is_report=1,
            text=small_edits(t, 4, rnd),
        ),
        dict(
            id="d4",
            url="http://d/4",
            year=2011,
            region=None,
            org=None,
            is_report=1,
            text=reports["guangyuan"],
        ),
    ]
    ix = Indexer(tmp_path / "archive.db")
    ix.db["documents"].insert_all([{**r, "cluster_id": r["id"]} for r in rows], alter=True)
    ix.db["_signatures"].insert_all(
        [{"doc_id": r["id"], "signature": signature(r["text"])} for r in rows], pk="doc_id"
    )
    ix._cluster()
    ix.close()
    import sqlite3

    conn = sqlite3.connect(tmp_path / "archive.db")
    got = {
        r[0]: r[1:]
        for r in conn.execute("select id, cluster_id, year, region, org from documents order by id")
    }
    assert got == {
        "d1": ("d1", 2012, "福建省厦门市思明区", "思明区总工会"),
        "d2": ("d1", 2012, "福建省厦门市思明区", "思明区总工会"),
        "d3": ("d1", 2012, "福建省厦门市思明区", "思明区总工会"),
        "d4": ("d4", 2011, None, None),
    }


def _signed_archive(root, rows: list[dict]) -> None:
    """ROOT/archive.db holding ``rows`` as documents, each its own cluster, with their
    signatures, and one finished crawl ``c1``."""
    from archive.store.indexer import Indexer

    ix = Indexer(root / "archive.db")
    ix.db["documents"].insert_all([{**r, "cluster_id": r["id"]} for r in rows], alter=True)
    ix.db["_signatures"].insert_all(
        [{"doc_id": r["id"], "signature": signature(r["text"])} for r in rows], pk="doc_id"
    )
    ix.db["crawls"].insert(
        {"id": "c1", "status": "finished", "finished_at": "2000-01-01T00:00:00Z"}, pk="id"
    )
    ix.close()


def test_crawl_clustering_process_clusters_and_moves_finished_at(tmp_path, reports):
    """The process a crawl starts after its indexer (crawler.processes.cluster_worker,
    spawned as the bridge spawns it) clusters the archive and moves the crawls row's
    finished_at to its end; when it fails (a damaged signature) it exits non-zero and
    nothing archived changes."""
    import multiprocessing
    import sqlite3

    from crawler.processes import cluster_worker as _cluster_worker

    t = reports["siming"]
    rows = [
        dict(id="d1", url="http://a/1", is_report=1, text=t),
        dict(id="d2", url="http://b/2", is_report=1, text=small_edits(t, 4, random.Random(1))),
        dict(id="d3", url="http://c/3", is_report=1, text=reports["guangyuan"]),
    ]
    _signed_archive(tmp_path, rows)

    def run():
        proc = multiprocessing.get_context("spawn").Process(
            target=_cluster_worker, args=(str(tmp_path), "c1")
        )
        proc.start()
        proc.join(120)
        return proc.exitcode

    def state():
        with sqlite3.connect(tmp_path / "archive.db") as conn:
            return (
                dict(conn.execute("select id, cluster_id from documents")),
                conn.execute("select finished_at from crawls").fetchone()[0],
            )

    # what a SIGKILLed clustering run leaves in the archive's directory (its process is
    # gone), and the files of a run still alive (this process): only the first go
    import subprocess

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    tmp = tmp_path / ".dedup-tmp"
    for pid in (gone.pid, os.getpid()):
        (tmp / f"union-dedup-{pid}-x1y2" / f"union-dedup-{pid}-z3").mkdir(parents=True)
        (tmp / f"union-dedup-{pid}-x1y2" / "values").write_bytes(b"\0" * 512)
    assert run() == 0
    clusters, finished = state()
    assert clusters == {"d1": "d1", "d2": "d1", "d3": "d3"}
    assert finished > "2026-"
    assert sorted(p.name for p in tmp.iterdir()) == [f"union-dedup-{os.getpid()}-x1y2"]

    with sqlite3.connect(tmp_path / "archive.db") as conn:
        conn.execute("update documents set cluster_id = id")
        conn.execute("update crawls set finished_at = '2000-01-01T00:00:00Z'")
        conn.execute("update _signatures set signature = x'00112233' where doc_id = 'd3'")
    assert run() != 0
    assert state() == ({"d1": "d1", "d2": "d2", "d3": "d3"}, "2000-01-01T00:00:00Z")
    assert sorted(p.name for p in tmp.iterdir()) == [f"union-dedup-{os.getpid()}-x1y2"]


def test_clustering_process_started_early_waits_for_its_word(tmp_path, reports):
    """The crawl starts the clustering process while its indexer closes; the process
    imports, then waits for a word on a pipe without holding the data directory's worker
    lock: True clusters, False or a crawler gone (the pipe closed) exits with nothing
    changed."""
    import fcntl
    import multiprocessing
    import sqlite3
    import time

    from crawler.lock import LOCK_FILE, WORKER_BYTE
    from crawler.processes import cluster_worker as _cluster_worker

    t = reports["siming"]
    rows = [
        dict(id="d1", url="http://a/1", is_report=1, text=t),
        dict(id="d2", url="http://b/2", is_report=1, text=small_edits(t, 4, random.Random(1))),
    ]
    _signed_archive(tmp_path, rows)
    ctx = multiprocessing.get_context("spawn")

    def state():
        with sqlite3.connect(tmp_path / "archive.db") as conn:
            return (
                dict(conn.execute("select id, cluster_id from documents")),
                conn.execute("select finished_at from crawls").fetchone()[0],
            )

    before = state()
    lock_fd = os.open(tmp_path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        for word in (False, None, True):
            read, write = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_cluster_worker, args=(str(tmp_path), "c1", read))
            proc.start()
            read.close()
            time.sleep(1.0)
            assert proc.is_alive()  # waiting for its word
            fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, WORKER_BYTE)  # not held by it
            fcntl.lockf(lock_fd, fcntl.LOCK_UN, 1, WORKER_BYTE)
            if word is not None:
                write.send(word)
            write.close()  # None: the crawler is gone
            proc.join(120)
            assert proc.exitcode == 0
            if word is not True:
                assert state() == before
        # killed while it waits: the crawler's word meets a closed pipe and is dropped
        import signal

        clustered = state()
        with sqlite3.connect(tmp_path / "archive.db") as conn:
            conn.execute("update documents set cluster_id = id")
        before = state()
        from crawler.extensions import _tell

        read, write = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_cluster_worker, args=(str(tmp_path), "c1", read))
        proc.start()
        read.close()
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        _tell(write, True)
        assert proc.exitcode == -signal.SIGKILL and write.closed
        assert state() == before
    finally:
        os.close(lock_fd)
    clusters, finished = clustered
    assert clusters == {"d1": "d1", "d2": "d1"} and finished > "2026-"


def test_value_file_gives_back_columns_of_every_document(tmp_path):
    """Clustering reads MinHash values a few columns at a time from a column-blocked
    temporary file: what comes back is the values as appended, across blocks, also when
    rows are appended after a read."""
    from archive.store.dedup_lsh import _BLOCK_ROWS, _ValueFile

    rng = np.random.default_rng(0)
    rows = rng.integers(0, 2**32, (2 * _BLOCK_ROWS + 77, NUM_PERM), dtype=np.uint32)
    store = _ValueFile(str(tmp_path))
    for r in rows[: _BLOCK_ROWS + 5]:
        store.append(r.astype("<u4").tobytes())
    assert (store.columns(3, 9) == rows[: _BLOCK_ROWS + 5, 3:9].T).all()
    for r in rows[_BLOCK_ROWS + 5 :]:
        store.append(r.astype("<u4").tobytes())
    assert len(store) == len(rows)
    assert (store.columns(0, NUM_PERM) == rows.T).all()
    store.close()


def test_identity_patterns_match_their_look_behind_first_definitions():
    """dedup's year and blank patterns put the look-behind after a literal first character
    (for speed); they must find exactly what the plain definitions find."""
    import re

    from archive.store import dedup

    plain = {
        "_YEAR": re.compile(r"(?<![0-9a-z])((?:19|20)\d\d)\s*年"),
        "_BLANK_YEAR": re.compile(r"(?<![0-9a-z])(?:19|20)(?:[x×*＊]{2}|\d[x×]|_{2,}|＿{2,})"),
        "_BLANK": re.compile(
            r"(?<![a-z])[x×]{2,}(?![a-z])|_{3,}|＿{2,}|"
            r"(?<![a-z0-9])[x×](?=[万千百]?(?:人次|名|个|家|户|人|项|场|期|次|天|月|日))"
        ),
    }
    rng = random.Random(4)
    pieces = [
        "19",
        "20",
        "x",
        "×",
        "*",
        "＊",
        "_",
        "＿",
        "a",
        "0",
        "5",
        "万",
        "人次",
        "名",
        "月",
        " ",
        "\n",
        "工",
        "年",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(20000)]
    for text in texts:
        for name, want in plain.items():
            got = getattr(dedup, name)
            assert [m.span() for m in got.finditer(text)] == [
                m.span() for m in want.finditer(text)
            ], (name, text)
            assert got.findall(text) == want.findall(text), (name, text)


def _band_pairs_per_bucket(values):
    """The first definition of ``dedup_lsh._band_pairs``: one bucket at a time (per band: its
    pairs as a set of (i, j), and ``small`` after the band)."""
    from archive.store.dedup_lsh import LSH_BANDS, LSH_ROWS, MAX_BUCKET, NEIGHBOURS

    n = len(values)
    small = np.zeros((n, LSH_BANDS), dtype=bool)
    for band in range(LSH_BANDS):
        key = np.zeros(n, dtype=np.uint64)
        for col in values.columns(band * LSH_ROWS, (band + 1) * LSH_ROWS):
            key ^= col.astype(np.uint64)
            key *= np.uint64(0x9E3779B97F4A7C15)
        order = np.argsort(key, kind="stable")
        k = key[order]
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        lens = np.diff(np.r_[starts, n])
        pairs = set()
        for st, ln in zip(starts[lens > 1], lens[lens > 1]):
            group = np.sort(order[st : st + ln])
            if ln <= MAX_BUCKET:
                ii, jj = np.triu_indices(ln, 1)
                small[group, band] = True
            else:
                ii = np.repeat(np.arange(ln), NEIGHBOURS)
                jj = ii + np.tile(np.arange(1, NEIGHBOURS + 1), ln)
                ii, jj = ii[jj < ln], jj[jj < ln]
            pairs.update(zip(group[ii].tolist(), group[jj].tolist()))
        yield band, small.copy(), pairs


def test_band_pairs_by_bucket_size_equal_their_per_bucket_definition(tmp_path, monkeypatch):
    """``_band_pairs`` pairs all small buckets of one size at once: per band, the same
    pairs (each once, i < j) and the same record of small buckets as pairing them one
    bucket at a time; buckets from 2 documents to huge ones (a few templates copied
    thousands of times), pieces cut small so that a band spans several."""
    from archive.store import dedup_lsh

    monkeypatch.setattr(dedup_lsh, "_PIECE", 5000)
    rng = np.random.default_rng(3)
    for sources, noise in ((4, 0.05), (60, 0.3), (900, 0.5), (2500, 0.2)):
        n = 5000
        vals = rng.integers(0, 2**32, (sources, NUM_PERM), dtype=np.uint32)[
            rng.integers(0, sources, n)
        ]
        mask = rng.random((n, NUM_PERM)) < noise
        vals[mask] = rng.integers(0, 2**32, int(mask.sum()), dtype=np.uint32)
        store = dedup_lsh._ValueFile(str(tmp_path))
        for r in vals:
            store.append(r.astype("<u4").tobytes())
        got: dict[int, list] = {}
        last_small = None
        for band, small, pairs in dedup_lsh._band_pairs(store):
            assert len(pairs) <= 2 * 5000 + dedup_lsh.MAX_BUCKET**2
            assert (pairs[:, 0] < pairs[:, 1]).all()
            got.setdefault(band, []).append(pairs)
            last_small = small
        sizes = 0
        for band, _small, want in _band_pairs_per_bucket(store):
            have = np.concatenate(got.pop(band)) if want else np.zeros((0, 2), dtype=np.int64)
            assert len(have) == len(want)  # each pair once
            assert set(map(tuple, have.tolist())) == want
            sizes += len(want)
        assert not got
        assert (last_small == small).all()
        assert sizes > 0
        store.close()


def test_identity_patterns_equal_their_slower_first_forms():
    """``_BLANK`` and ``_CN_YEAR`` are written so that re skips ahead to their first
    characters; they must find exactly what their first forms found (every match, at every
    position, on strings made of the characters that matter)."""
    import re

    from archive.extract import dates
    from archive.store import dedup

    units = dedup._BLANK_UNITS
    first_blank = re.compile(
        r"[x×](?<![a-z].)[x×]+(?![a-z])|_{3,}|＿{2,}|"
        rf"[x×](?<![a-z0-9].)(?=[万千百]?(?:{units}))"
    )
    first_cn = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年")
    first_cn_dates = re.compile(r"([〇○零一二三四五六七八九]{4})年")
    rng = random.Random(11)
    alphabet = list("xx××__＿＿aZ09 \n人名万千百次年一二〇○九工会") + ["人次"]
    blanks = 0
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(14)))
        for p in range(len(s) + 1):
            a, b = first_blank.match(s, p), dedup._BLANK.match(s, p)
            assert (a and a.span()) == (b and b.span()), (s, p)
        a, b = first_blank.search(s), dedup._BLANK.search(s)
        assert (a and a.span()) == (b and b.span()), s
        blanks += a is not None
        assert first_cn.findall(s) == dedup._CN_YEAR.findall(s), s
        assert first_cn_dates.findall(s) == dates._CN_YEAR.findall(s), s
    assert blanks > 1000
    assert dedup._CN_YEAR.findall("二〇二三 年、一九九九年") == ["二〇二三", "一九九九"]


def test_a_join_that_ends_a_conflict_counts():
    """Two pairs of one similarity are replayed in order: A (2020) with B (2020 and
    2021), then A with C (2021).  Before the first join, A and C conflict; after it,
    A's group holds both years and C's are a subset of them: C joins.  B and C are too
    different to be a pair themselves."""
    from archive.store import dedup

    rng = np.random.default_rng(3)
    base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32)
    b, c = base.copy(), base.copy()
    b[:40] = rng.integers(0, 2**32, 40, dtype=np.uint32)  # 88 of 128 values kept
    c[60:100] = rng.integers(0, 2**32, 40, dtype=np.uint32)  # 88 kept; B and C share 48

    def sig(values, years):
        toks = sorted(dedup._token_hash(f"y:{y}") for y in years)
        return (
            dedup.HEADER.pack(dedup.MAGIC, 100, len(toks))
            + values.astype("<u4").tobytes()
            + np.array(toks, dtype="<u4").tobytes()
        )

    items = [("a", sig(base, [2020])), ("b", sig(b, [2020, 2021])), ("c", sig(c, [2021]))]
    assert dedup.similarity(items[1][1], items[2][1])[0] < dedup.SAME_JACCARD
    assert cluster(items) == {"a": "a", "b": "a", "c": "a"}
