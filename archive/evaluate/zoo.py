"""Score extraction against the zoo's ground truth (../shared/reference/scoring.md).

``evaluate(truth, fetch) -> dict``: ``truth`` is the zoo's truth dict (``documents``
with url, part, kind, pages, title, text, dates, org, region, doc_type, script,
is_report, dup_group); ``fetch(url) -> (status, content_type, body)``.  Every gold
page is fetched over HTTP and run through our extraction (multi-page articles
stitched by our own page links, 范文 parts split, attachments) and through bare
``trafilatura.extract`` defaults on the same bytes.  ``eval_command`` (``union-archive
eval``) starts the zoo in-process and prints both columns.
"""

from __future__ import annotations

import functools
import re
import statistics
import time
import unicodedata
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations

from archive.extract.page import process_capture, stitch

# fetch(url) -> (status, content type, body)
Fetch = Callable[[str], tuple[int, str | None, bytes]]

HELD_OUT = ("news",)  # zoo templates never looked at while writing chrome rules

LEAK_PATTERNS = [
    re.compile(p)
    for p in (
        r"ICP\s*备",
        r"ICP\s*证",
        r"公网安备",
        r"上传人",
        r"文档编号",
        r"下载资源",
        r"由会员分享",
        r"展开阅读全文",
        r"当前位置",
        r"您的位置",
        r"打印本页",
        r"关闭窗口",
        r"主办单位",
        r"网站标识码",
        r"以下是小编",
        r"第\s*\d+\s*页\s*/\s*共\s*\d+\s*页",
        r"网站无障碍",
        r"资源描述",
        r"继续免费阅读",
        r"超出免费预览范围",
        r"分享到",
        r"【字体",
        r"建议使用.{0,30}浏览器",
    )
]
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]|[A-Za-z0-9]+")
_MOJIBAKE = re.compile("[\u00c0-\u00ff]")
DATE_FIELDS = ("published_date", "report_date")
META_FIELDS = (
    "title",
    "published_date",
    "report_date",
    "year",
    "org",
    "region",
    "doc_type",
    "script",
    "doc_number",
    "addressee",
    "issuer",
    "issued_date",
)


# ------------------------------------------------------------------ scoring.md


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def score_norm(s: str | None) -> str:
    """NFKC, Traditional->Simplified, all whitespace removed."""
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s)
    s = _t2s().convert(s)
    return re.sub(r"\s+", "", s)


def shingles(text: str | None, n: int = 4) -> Counter:
    toks = _TOKEN.findall(score_norm(text))
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def text_f1(gold: str | None, output: str | None) -> float:
    g, o = shingles(gold), shingles(output)
    if not g or not o:
        return 1.0 if not g and not o else 0.0
    common = sum((g & o).values())
    if not common:
        return 0.0
    p, r = common / sum(o.values()), common / sum(g.values())
    return 2 * p * r / (p + r)


def leaks_in(text: str | None) -> list[str]:
    t = unicodedata.normalize("NFKC", text or "")
    return [p.pattern for p in LEAK_PATTERNS if p.search(t)]


def encoding_failure(text: str | None) -> bool:
    return bool(text) and ("\ufffd" in text or bool(_MOJIBAKE.search(text)))


def meta_equal(field: str, gold: object, ours: object) -> bool:
    if gold in (None, "") and ours in (None, ""):
        return True
    if gold in (None, "") or ours in (None, ""):
        return False
    if field == "year":
        try:
            return int(gold) == int(ours)
        except (TypeError, ValueError):
            return False
    return score_norm(str(gold)) == score_norm(str(ours))


# ------------------------------------------------------------------ running both systems


def http_fetch(url: str, timeout: float = 10.0, tries: int = 3) -> tuple[int, str | None, bytes]:
    """GET over HTTP (no proxies), retrying server errors as the crawler does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for attempt in range(tries):
        try:
            with opener.open(url, timeout=timeout) as resp:
                return resp.status, resp.headers.get("Content-Type"), resp.read()
        except urllib.error.HTTPError as exc:
            result = exc.code, exc.headers.get("Content-Type"), exc.read()
            if exc.code < 500 or attempt == tries - 1:
                return result
            time.sleep(0.2 * (attempt + 1))
    return result


def _bare(body: bytes) -> dict:
    """Bare trafilatura defaults on the raw bytes: text, title, date."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(body, with_metadata=True)
    except Exception:  # noqa: BLE001 - the anchor may fail on binaries
        doc = None
    if doc is None:
        return {"text": "", "title": None, "published_date": None}
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return {"text": d.get("text") or "", "title": d.get("title"), "published_date": d.get("date")}


class _Runner:
    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.pages: dict[str, tuple] = {}

    def get(self, url: str) -> tuple[int, str | None, bytes]:
        if url not in self.pages:
            self.pages[url] = self.fetch(url)
        return self.pages[url]

    def ours(self, gold_urls: list[str]) -> tuple[list[dict], str | None, str | None]:
        exs = []
        for url in gold_urls:
            status, ctype, body = self.get(url)
            exs.append(process_capture(url, ctype, body) if status == 200 else None)
        exs = [e for e in exs if e is not None]
        if not exs:
            return [], None, "fetch failed"
        if len(gold_urls) > 1:
            first = gold_urls[0]
            linked = all(e.continuation_of == first for e in exs[1:]) and exs[0].page_count == len(
                exs
            )
            exs.sort(key=lambda e: e.page_index)
            return stitch(exs), exs[0].encoding, None if linked else "pages not linked"
        return exs[0].documents, exs[0].encoding, exs[0].error

    def dates_on_pages(self, gold_urls: list[str], docs: list[dict]) -> set[str]:
        """Every date written anywhere on the pages (or in an attachment's text)."""
        from archive.extract.dates import find_dates
        from archive.extract.decode import DecodeError, decode_body

        texts = [d.get("text") or "" for d in docs]
        for url in gold_urls:
            status, ctype, body = self.get(url)
            try:
                texts.append(decode_body(body, ctype).text)
            except DecodeError:
                pass
        return {iso for t in texts for _s, _e, iso in find_dates(t)}

    def bare(self, gold_urls: list[str]) -> dict:
        outs = [_bare(self.get(u)[2]) for u in gold_urls]
        return {
            "text": "\n".join(o["text"] for o in outs),
            "title": outs[0]["title"],
            "published_date": outs[0]["published_date"],
        }


def _pick(docs: list[dict], part: int) -> dict | None:
    for d in docs:
        if int(d.get("part") or 0) == part:
            return d
    if part == 0 and docs:  # we split what gold keeps whole: judge the concatenation
        return {**docs[0], "text": "\n".join(d.get("text") or "" for d in docs)}
    if part > 0 and len(docs) == 1:
        return docs[0]
    return None


def evaluate(truth: dict, fetch: Fetch) -> dict:
    """Score our extraction and bare trafilatura on every gold document."""
    runner = _Runner(fetch)
    rows = []
    t0 = time.perf_counter()
    cache: dict[tuple, tuple] = {}
    for g in truth["documents"]:
        urls = g.get("pages") or [g["url"]]
        key = tuple(urls)
        if key not in cache:
            ours_run = runner.ours(urls)
            cache[key] = (ours_run, runner.bare(urls), runner.dates_on_pages(urls, ours_run[0]))
        (docs, encoding, note), bare, dates = cache[key]
        ours = _pick(docs, int(g.get("part") or 0)) or {}
        rows.append(
            {
                "gold": g,
                "ours": ours,
                "bare": bare,
                "encoding": encoding,
                "note": note,
                "dates_on_page": dates,
            }
        )
    result = {
        "documents": len(rows),
        "seconds": round(time.perf_counter() - t0, 2),
        "ours": _score(rows, "ours"),
        "bare": _score(rows, "bare"),
        "spurious": _spurious(truth, runner),
        "per_document": [
            {
                "id": r["gold"]["id"],
                "site": r["gold"].get("site"),
                "url": r["gold"]["url"],
                "f1": round(text_f1(r["gold"]["text"], r["ours"].get("text")), 4),
                "f1_bare": round(text_f1(r["gold"]["text"], r["bare"].get("text")), 4),
                "leaks": leaks_in(r["ours"].get("text")),
                "note": r["note"],
                "wrong": [
                    f for f in META_FIELDS if not meta_equal(f, r["gold"].get(f), r["ours"].get(f))
                ],
            }
            for r in rows
        ],
    }
    return result


def _score(rows: list[dict], who: str) -> dict:
    f1s, leaks, enc_fail = [], 0, 0
    by_site: dict[str, list[float]] = defaultdict(list)
    meta = {f: [0, 0] for f in META_FIELDS}
    stated = {f: [0, 0] for f in DATE_FIELDS}  # only gold dates the pages actually show
    tp = fp = fn = 0
    for r in rows:
        g, o = r["gold"], r[who]
        f = text_f1(g["text"], o.get("text"))
        f1s.append(f)
        by_site[g.get("site") or "?"].append(f)
        if leaks_in(o.get("text")) or leaks_in(o.get("title")):
            leaks += 1
        if encoding_failure(o.get("text")) or encoding_failure(o.get("title")):
            enc_fail += 1
        for field in META_FIELDS:
            if who == "bare" and field not in o:
                continue
            ok = meta_equal(field, g.get(field), o.get(field))
            meta[field][0] += ok
            meta[field][1] += 1
            if field in DATE_FIELDS and (not g.get(field) or g[field] in r["dates_on_page"]):
                stated[field][0] += ok
                stated[field][1] += 1
        if who == "ours":
            pred, real = bool(o.get("is_report")), bool(g.get("is_report"))
            tp += pred and real
            fp += pred and not real
            fn += real and not pred
    out = {
        "f1_macro": round(statistics.fmean(f1s), 4) if f1s else None,
        "f1_median": round(statistics.median(f1s), 4) if f1s else None,
        "share_below_0_9": round(sum(f < 0.9 for f in f1s) / len(f1s), 4) if f1s else None,
        "below_0_9": sum(f < 0.9 for f in f1s),
        "leaks": leaks,
        "encoding_failures": enc_fail,
        "f1_by_site": {s: round(statistics.fmean(v), 4) for s, v in sorted(by_site.items())},
        "metadata": {f: round(a / n, 4) for f, (a, n) in meta.items() if n},
        "dates_stated": {
            f: {
                "accuracy": round(a / n, 4) if n else None,
                "documents": n,
                "gold_not_on_page": meta[f][1] - n,
            }
            for f, (a, n) in stated.items()
        },
    }
    if who == "ours":
        out["report_precision"] = round(tp / (tp + fp), 4) if tp + fp else None
        out["report_recall"] = round(tp / (tp + fn), 4) if tp + fn else None
    out.update(_duplicates(rows, who))
    return out


def _duplicates(rows: list[dict], who: str) -> dict:
    from archive.store.dedup import signature
    from archive.store.dedup_lsh import cluster

    items, groups = [], {}
    for i, r in enumerate(rows):
        text = r[who].get("text") or ""
        if not text.strip():
            continue
        items.append((str(i), signature(text)))
        groups[str(i)] = r["gold"].get("dup_group") or f"solo:{r['gold']['id']}"
    clusters = cluster(items) if items else {}
    same = diff_merged = found = 0
    ids = list(groups)
    for a, b in combinations(ids, 2):
        together = clusters.get(a) is not None and clusters.get(a) == clusters.get(b)
        if groups[a] == groups[b]:
            same += 1
            found += together
        elif together:
            diff_merged += 1
    # gold pairs whose documents we lost entirely count as missed
    all_groups = Counter(r["gold"].get("dup_group") for r in rows if r["gold"].get("dup_group"))
    gold_pairs = sum(n * (n - 1) // 2 for n in all_groups.values())
    return {
        "duplicate_recall": round(found / gold_pairs, 4) if gold_pairs else None,
        "duplicate_pairs": gold_pairs,
        "false_merges": diff_merged,
    }


def _spurious(truth: dict, runner: _Runner) -> dict:
    """Documents we produce on pages that are not reports (site start pages)."""
    out = {}
    for _name, site in truth.get("sites", {}).items():
        url = site.get("start_url")
        if not url:
            continue
        status, ctype, body = runner.get(url)
        if status == 200:
            n = len(process_capture(url, ctype, body).documents)
            if n:
                out[url] = n
    return out


# ------------------------------------------------------------------ CLI


def format_report(res: dict) -> str:
    o, b = res["ours"], res["bare"]
    lines = [
        f"documents scored: {res['documents']}  ({res['seconds']} s)",
        f"{'metric':<34}{'ours':>10}{'bare trafilatura':>18}",
    ]

    def row(name, a, c="-"):
        lines.append(f"{name:<34}{_fmt(a):>10}{_fmt(c):>18}")

    row("text F1 macro", o["f1_macro"], b["f1_macro"])
    row("text F1 median", o["f1_median"], b["f1_median"])
    row("share F1 < 0.9", o["share_below_0_9"], b["share_below_0_9"])
    row("docs F1 < 0.9", o["below_0_9"], b["below_0_9"])
    row("leaks", o["leaks"], b["leaks"])
    row("encoding failures", o["encoding_failures"], b["encoding_failures"])
    for f in META_FIELDS:
        row(f"accuracy {f}", o["metadata"].get(f), b["metadata"].get(f, "-"))
    for f in DATE_FIELDS:
        st, bst = o["dates_stated"][f], b["dates_stated"][f]
        row(f"  {f} where stated", st["accuracy"], bst["accuracy"] if f in b["metadata"] else "-")
        lines[-1] += f"   ({st['gold_not_on_page']} gold dates appear nowhere on the page)"
    row("report precision", o.get("report_precision"))
    row("report recall", o.get("report_recall"))
    row("duplicate recall", o["duplicate_recall"], b["duplicate_recall"])
    row("false merges", o["false_merges"], b["false_merges"])
    row("docs on start pages", sum(res["spurious"].values()))
    lines.append("text F1 by site (held out of rule writing: " + ", ".join(HELD_OUT) + "):")
    for site, f in o["f1_by_site"].items():
        mark = " *held out*" if site in HELD_OUT else ""
        lines.append(f"  {site:<24}{_fmt(f):>10}{_fmt(b['f1_by_site'].get(site)):>18}{mark}")
    bad = [d for d in res["per_document"] if d["f1"] < 0.9 or d["leaks"] or d["note"]]
    if bad:
        lines.append("documents below 0.9, leaking or flagged:")
        for d in bad:
            lines.append(f"  {d['id']:<28} F1 {d['f1']:.3f} leaks {d['leaks']} {d['note'] or ''}")
    wrong = Counter(f for d in res["per_document"] for f in d["wrong"])
    if wrong:
        lines.append(
            "metadata misses: "
            + ", ".join(
                f"{f}: " + " ".join(d["id"] for d in res["per_document"] if f in d["wrong"])
                for f in META_FIELDS
                if wrong[f]
            )
        )
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)
