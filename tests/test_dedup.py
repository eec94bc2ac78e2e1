"""Duplicate reports: MinHash signatures and LSH clusters."""
import random
import time
from pathlib import Path

import numpy as np
import opencc
import pytest

from archive.dedup import NUM_PERM, cluster, signature, similarity
from archive.normalize import normalize_text

SEEDS = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "seeds",
                          Path("/work/shared/seeds")) if p.is_dir()), None)


def seed(name: str) -> str:
    if SEEDS is None:
        pytest.skip("shared/seeds not present")
    return (SEEDS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reports():
    g = seed("bdocx-guangyuan-2011.txt")
    x = seed("xmgh-siming-2012.txt")
    return {
        "guangyuan": g[g.index("关于全市工会工作情况的汇报\n"):g.index("展开阅读全文")],
        "siming": x[x.index("强化组织保障"):x.index("收藏本页")],
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
            del chars[i:i + 4]
        else:
            chars.insert(i, "，")
    return "".join(chars)


def test_signature_layout():
    sig = signature("关于全市工会工作情况的汇报，今年以来我市各级工会组织深入学习。")
    assert isinstance(sig, bytes) and sig[:3] == b"MH1"
    assert len(sig) == 3 + 4 + 4 * NUM_PERM
    assert signature("") != sig and cluster([("a", signature("")), ("b", signature(""))]) == \
        {"a": "a", "b": "b"}   # empty texts are nobody's duplicate


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
    preview = t[: int(len(t) * 0.55)]   # 文库 page that stops at the free preview
    out = cluster([("full", signature(t)), ("preview", signature(preview))])
    assert out["preview"] == out["full"]


def test_distinct_reports_with_shared_boilerplate_stay_apart(reports):
    """Four parts of a 范文 page: same intro, same closing, same headings, different bodies."""
    intro = ("工会工作总结\n以下是小编整理的工会工作总结，仅供参考。在上级工会和党委的正确领导下，"
             "我们认真贯彻落实党的路线方针政策，坚持以职工为中心的工作导向，紧紧围绕中心工作，"
             "服务大局，各项工作取得了新的进展。现将一年来的工作总结如下：\n")
    closing = ("\n下一步，我们将进一步加强学习，改进作风，开拓创新，扎实工作，"
               "为推动经济社会高质量发展作出新的更大贡献。\n")
    headings = ["一、加强思想政治引领", "二、深化劳动和技能竞赛", "三、维护职工合法权益", "四、加强自身建设"]
    g = reports["guangyuan"].split("\n")
    bodies = ["\n".join(g[10:25]), "\n".join(g[25:45]), "\n".join(g[45:70]),
              reports["siming"][300:2300]]
    parts = []
    for body in bodies:
        lines = body.split("\n")
        step = max(1, len(lines) // 4)
        mixed = []
        for k, h in enumerate(headings):
            mixed.append(h)
            mixed.extend(lines[k * step:(k + 1) * step])
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


def test_scales_with_lsh_not_all_pairs():
    """30,000 documents (random signatures, 300 planted near-duplicate pairs) in seconds."""
    rng = np.random.default_rng(0)
    n = 30_000
    vals = rng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint32)
    for i in range(0, 600, 2):  # near-duplicate: 80% of the MinHash values shared
        vals[i + 1] = vals[i]
        idx = rng.choice(NUM_PERM, NUM_PERM // 5, replace=False)
        vals[i + 1, idx] = rng.integers(0, 2**32, len(idx), dtype=np.uint32)
    head = b"MH1" + (1000).to_bytes(4, "little")
    items = [(f"{i:06d}", head + vals[i].astype("<u4").tobytes()) for i in range(n)]
    t0 = time.perf_counter()
    out = cluster(items)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5, elapsed
    assert all(out[f"{i + 1:06d}"] == f"{i:06d}" for i in range(0, 600, 2))
    assert len(set(out.values())) == n - 300
