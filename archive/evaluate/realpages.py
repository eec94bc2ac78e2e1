"""Score extraction on saved real pages (the realpages layout) against hand-checked gold.

A folder in that layout holds ``pages/NAME.html`` (the bytes as served), ``gold/NAME.txt``
(the body, one paragraph a line) and ``titles.json`` (``{NAME: {"article", "published",
"url"}}``).  Each page goes through ``process_capture`` on its raw bytes, as the crawler
would hand it over, and in the same run through bare trafilatura (defaults, and
``favor_precision=True``) and GNE when it is installed (the ``eval`` extra).

Scoring follows the set's own rules: NFKC, OpenCC t2s, all whitespace removed, then the
multiset of character 4-grams; leaks are fixed chrome strings present in an output but
absent from its gold.
"""

from __future__ import annotations

import functools
import json
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

LEAKS = (
    "ICP备",
    "公网安备",
    "当前位置",
    "您的位置",
    "打印本页",
    "关闭窗口",
    "责任编辑",
    "分享到",
    "相关文章",
    "相关新闻",
    "延伸阅读",
    "网友评论",
    "上一篇",
    "下一篇",
    "版权所有",
    "扫一扫",
    "返回顶部",
)
_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str | None) -> str:
    """NFKC, Traditional to Simplified, no whitespace: the form both sides are compared in."""
    return _WS.sub("", _t2s().convert(unicodedata.normalize("NFKC", text or "")))


def _grams(text: str, n: int = 4) -> Counter:
    if len(text) < n:
        return Counter([text]) if text else Counter()
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def char_f1(gold: str, output: str) -> float:
    g, o = _grams(normalize(gold)), _grams(normalize(output))
    if not g and not o:
        return 1.0
    common = sum((g & o).values())
    if not common:
        return 0.0
    p, r = common / sum(o.values()), common / sum(g.values())
    return 2 * p * r / (p + r)


def leaks(gold: str, output: str) -> list[str]:
    g, o = normalize(gold), normalize(output)
    return [s for s in LEAKS if normalize(s) in o and normalize(s) not in g]


def same_title(gold: str | None, ours: str | None) -> bool:
    return bool(gold) and normalize(gold) == normalize(ours)


@dataclass
class Output:
    """What one extractor returned for one page."""

    text: str = ""
    title: str | None = None
    published: str | None = None
    error: str | None = None


@dataclass
class PageScore:
    page: str
    f1: float
    leaks: list[str] = field(default_factory=list)
    empty: bool = False
    title_ok: bool = False
    date_ok: bool | None = None  # None when the gold has no date
    title: str | None = None
    published: str | None = None
    error: str | None = None


# ------------------------------------------------------------------ extractors


def ours(name: str, url: str, body: bytes) -> Output:
    from archive.extract.page import process_capture

    ex = process_capture(url, "text/html", body)
    docs = ex.documents
    text = "\n".join(d["text"] for d in docs)
    first = docs[0] if docs else {}
    return Output(
        text=text,
        title=first.get("title") or ex.title,
        published=first.get("published_date") or ex.published_hint,
        error=ex.error,
    )


def _trafilatura(body: bytes, **options) -> Output:
    import trafilatura

    doc = trafilatura.bare_extraction(body, with_metadata=True, **options)
    if doc is None:
        return Output()
    get = doc.get if isinstance(doc, dict) else functools.partial(getattr, doc)
    return Output(text=get("text") or "", title=get("title"), published=get("date"))


def trafilatura_default(name: str, url: str, body: bytes) -> Output:
    return _trafilatura(body)


def trafilatura_precision(name: str, url: str, body: bytes) -> Output:
    return _trafilatura(body, favor_precision=True)


def gne(name: str, url: str, body: bytes) -> Output:
    from gne import GeneralNewsExtractor

    from archive.extract.decode import decode_body

    html = decode_body(body, "text/html").text
    try:
        res = GeneralNewsExtractor().extract(html)
    except Exception as exc:  # GNE raises on pages it cannot read; that is its score
        return Output(error=f"{type(exc).__name__}: {exc}")
    date = str(res.get("publish_time") or "")[:10] or None
    return Output(text=res.get("content") or "", title=res.get("title"), published=date)


def extractors(baselines: bool = True) -> dict:
    found = {"ours": ours}
    if baselines:
        found["trafilatura"] = trafilatura_default
        found["trafilatura precision"] = trafilatura_precision
        try:
            import gne as _gne  # noqa: F401
        except ImportError:
            pass
        else:
            found["gne"] = gne
    return found


# ------------------------------------------------------------------ scoring


def load(folder: Path) -> list[tuple[str, bytes, str, dict]]:
    """(name, page bytes, gold text, titles entry) for every page that has a gold text."""
    folder = Path(folder)
    titles = json.loads((folder / "titles.json").read_text(encoding="utf-8"))
    out = []
    for gold in sorted((folder / "gold").glob("*.txt")):
        name = gold.stem
        page = folder / "pages" / f"{name}.html"
        if page.exists():
            out.append(
                (name, page.read_bytes(), gold.read_text(encoding="utf-8"), titles.get(name, {}))
            )
    if not out:
        raise click.UsageError(f"{folder}: no pages/NAME.html with gold/NAME.txt")
    return out


def score_page(name: str, gold: str, meta: dict, out: Output) -> PageScore:
    want_date = meta.get("published")
    return PageScore(
        page=name,
        f1=char_f1(gold, out.text),
        leaks=leaks(gold, out.text),
        empty=not normalize(out.text),
        title_ok=same_title(meta.get("article"), out.title),
        date_ok=None if not want_date else (out.published or "")[:10] == want_date,
        title=out.title,
        published=out.published,
        error=out.error,
    )


def evaluate(folder: Path, baselines: bool = True, out_dir: Path | None = None) -> dict:
    """{extractor: {"pages": [PageScore...], "summary": {...}}} over a realpages folder."""
    pages = load(folder)
    result = {}
    for who, fn in extractors(baselines).items():
        rows = []
        for name, body, gold, meta in pages:
            url = meta.get("url") or f"http://realpages.invalid/{name}.html"
            out = fn(name, url, body)
            rows.append(score_page(name, gold, meta, out))
            if out_dir is not None:
                target = Path(out_dir) / who.replace(" ", "-")
                target.mkdir(parents=True, exist_ok=True)
                (target / f"{name}.txt").write_text(out.text, encoding="utf-8")
        result[who] = {"pages": rows, "summary": summarize(rows)}
    return result


def summarize(rows: list[PageScore]) -> dict:
    dated = [r for r in rows if r.date_ok is not None]
    return {
        "pages": len(rows),
        "f1_macro": statistics.fmean(r.f1 for r in rows),
        "f1_min": min(r.f1 for r in rows),
        "below_0_9": sum(r.f1 < 0.9 for r in rows),
        "leaks": sum(len(r.leaks) for r in rows),
        "empty": sum(r.empty for r in rows),
        "titles_right": sum(r.title_ok for r in rows),
        "dates_right": sum(bool(r.date_ok) for r in dated),
        "dated_pages": len(dated),
    }


def format_report(result: dict) -> str:
    names = [r.page for r in next(iter(result.values()))["pages"]]
    whos = list(result)
    width = max(len(n) for n in names) + 2
    lines = [
        "per page: F1 (ours: leaks, title, date marked where wrong)",
        "page".ljust(width) + "".join(w[:21].rjust(22) for w in whos),
    ]
    for i, name in enumerate(names):
        cells = []
        for w in whos:
            r = result[w]["pages"][i]
            marks = (
                ("E" if r.empty else "")
                + ("L" if r.leaks else "")
                + ("" if r.title_ok else "t")
                + ("d" if r.date_ok is False else "")
            )
            cells.append(f"{r.f1:.3f} {marks:<4}".rjust(22))
        lines.append(name.ljust(width) + "".join(cells))
    lines.append("(E empty output, L leak, t title wrong, d published date wrong)")
    lines.append("")
    keys = (
        ("f1_macro", "text F1 macro"),
        ("f1_min", "text F1 lowest page"),
        ("below_0_9", "pages below 0.90"),
        ("leaks", "leaks"),
        ("empty", "empty outputs"),
        ("titles_right", "titles right"),
        ("dates_right", "published dates right"),
    )
    lines.append("".ljust(24) + "".join(w[:21].rjust(22) for w in whos))
    for key, label in keys:
        row = []
        for w in whos:
            s = result[w]["summary"]
            v = s[key]
            if key in ("titles_right",):
                v = f"{v}/{s['pages']}"
            elif key == "dates_right":
                v = f"{v}/{s['dated_pages']}"
            elif isinstance(v, float):
                v = f"{v:.4f}"
            row.append(str(v).rjust(22))
        lines.append(label.ljust(24) + "".join(row))
    for w in whos:
        bad = [(r.page, r.leaks) for r in result[w]["pages"] if r.leaks]
        if bad and w == "ours":
            lines.append(f"leaks ({w}): " + ", ".join(f"{p} {'/'.join(x)}" for p, x in bad))
    return "\n".join(lines)


def pages_command(
    folder: Path, json_path: str | None, out_dir: str | None, baselines: bool
) -> dict:
    result = evaluate(Path(folder), baselines, Path(out_dir) if out_dir else None)
    click.echo(format_report(result))
    if json_path:
        plain = {
            w: {"pages": [asdict(r) for r in v["pages"]], "summary": v["summary"]}
            for w, v in result.items()
        }
        Path(json_path).write_text(
            json.dumps(plain, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return result
