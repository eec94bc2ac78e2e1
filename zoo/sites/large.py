"""A large deterministic portal for benchmarks: N articles (~24 KB each) and list pages,
generated on request from (seed, page number) and never stored."""

from __future__ import annotations

import random
import re
import threading
from functools import lru_cache

from .. import content as c
from ..site import Page, Site, esc, paras_html

PER_LIST = 50
TARGET_BYTES = 24 * 1024
CITIES = [
    "广元",
    "绵阳",
    "德阳",
    "南充",
    "遂宁",
    "内江",
    "乐山",
    "宜宾",
    "泸州",
    "达州",
    "巴中",
    "雅安",
    "眉山",
    "资阳",
    "自贡",
    "攀枝花",
]
KINDS = [
    ("工作总结", "总结"),
    ("工作汇报", "汇报"),
    ("工作报告", "报告"),
    ("工作计划", "计划"),
    ("经验交流材料", "经验交流"),
]


@lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, ...], tuple[str, ...]]:
    reports, others = [], []
    for text_id in c.all_ids():
        t = c.load(text_id).simplified()
        (reports if t.is_report else others).extend(
            p for p in t.paras if len(p) >= 20 and "<" not in p
        )
    return tuple(reports), tuple(others)


def article(seed: int, i: int) -> dict:
    """Ground truth (title, text, metadata) of article i; pure function of (seed, i)."""
    rng = random.Random(f"union-zoo-large:{seed}:{i}")
    reports, others = _corpus()
    is_report = rng.random() < 0.8
    city = rng.choice(CITIES)
    year = 2008 + rng.randrange(17)
    month, day = 1 + rng.randrange(12), 1 + rng.randrange(28)
    if is_report:
        label, doc_type = rng.choice(KINDS)
        title = f"{city}市总工会{year}年{label}(第{i}号)"
        pool = reports
    else:
        doc_type, title = "other", f"{city}市职工文化活动简讯(第{i}号)"
        pool = others
    paras, size = [], 0
    while size < TARGET_BYTES - 2500:
        p = rng.choice(pool)
        paras.append(p)
        size += len(p.encode("utf-8")) + 8
    return {
        "id": f"large-{i}",
        "title": title,
        "text": "\n".join(paras),
        "paras": paras,
        "is_report": is_report,
        "doc_type": doc_type,
        "org": f"{city}市总工会" if is_report else None,
        "region": f"四川省{city}市",
        "year": year if is_report else None,
        "published_date": (
            f"{year + (1 if month == 12 and is_report else 0):04d}-{month:02d}-{day:02d}"
        ),
    }


class LargeSite(Site):
    name = "large"
    encoding = "utf-8"
    declared = "utf-8"

    def build(self) -> None:
        self.n = int(self.options.get("large_pages", 0))
        self.seed = int(self.options.get("seed", 2026))
        self.list_count = -(-self.n // PER_LIST)
        self.generated = 0  # article pages generated so far
        self._lock = threading.Lock()
        self.add_robots("Disallow: /search", content_type="text/plain; charset=utf-8")
        self.truth_extra = {
            "articles": self.n,
            "list_pages": self.list_count,
            "seed": self.seed,
            "article_url": self.url("/art/{i}.html"),
            "list_url": self.url("/list/{k}.html"),
            "truth": "zoo.sites.large.article(seed, i)",
        }
        self.add(
            "/", self.html_page(self._chrome("首页", '<p><a href="/list/0.html">全部文章</a></p>'))
        )

    def truth_for(self, i: int) -> dict:
        gold = article(self.seed, i)
        gold.pop("paras")
        gold.update(
            url=self.url(f"/art/{i}.html"),
            part=0,
            site=self.name,
            kind="html",
            source_url=None,
            pages=None,
            report_date=None,
            script="Hans",
            dup_group=f"large-{i}",
            encoding="utf-8",
            declared_encoding="utf-8",
            reachable=True,
        )
        return gold

    def _chrome(self, title: str, body: str) -> str:
        return (
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{esc(title)} - '
            f"四川工会信息网</title></head>\n"
            f'<body><div class="nav"><a href="/">首页</a> <a href="/list/0.html">'
            f"工作报告</a></div>\n{body}\n"
            f'<div class="footer">主办单位：四川工会信息网　蜀ICP备00000000号</div></body></html>\n'
        )

    def dynamic(self, path: str, query: str) -> Page | None:
        m = re.fullmatch(r"/art/(\d+)\.html", path)
        if m and int(m.group(1)) < self.n and str(int(m.group(1))) == m.group(1):
            i = int(m.group(1))
            with self._lock:
                self.generated += 1
            a = article(self.seed, i)
            nav = "".join(
                f'<a href="/art/{j}.html">相关文章{j}</a> '
                for j in (i - 1, i + 1)
                if 0 <= j < self.n
            )
            body = (
                f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a '
                f'href="/list/{i // PER_LIST}.html">工作报告</a></div>\n'
                f'<h1>{esc(a["title"])}</h1>\n<div class="info">发布时间：'
                f"{a['published_date']}</div>\n"
                f'<div class="content">\n{paras_html(a["paras"])}\n</div>\n<div '
                f'class="rel">{nav}</div>'
            )
            return self.html_page(self._chrome(a["title"], body))
        m = re.fullmatch(r"/list/(\d+)\.html", path)
        if m and int(m.group(1)) < self.list_count and str(int(m.group(1))) == m.group(1):
            k = int(m.group(1))
            lo, hi = k * PER_LIST, min(self.n, (k + 1) * PER_LIST)
            lis = "\n".join(
                f'<li><a href="/art/{j}.html">{esc(article_title(self.seed, j))}</a></li>'
                for j in range(lo, hi)
            )
            pager = " ".join(
                f'<a href="/list/{j}.html">{j + 1}</a>'
                for j in sorted({0, k - 1, k + 1, self.list_count - 1})
                if 0 <= j < self.list_count and j != k
            )
            return self.html_page(
                self._chrome(
                    f"工作报告 第{k + 1}页", f'<ul>{lis}</ul>\n<div class="pager">{pager}</div>'
                )
            )
        return None


def article_title(seed: int, i: int) -> str:
    """Title only (cheap enough for list pages: no text generated)."""
    rng = random.Random(f"union-zoo-large:{seed}:{i}")
    is_report = rng.random() < 0.8
    city = rng.choice(CITIES)
    year = 2008 + rng.randrange(17)
    rng.randrange(12), rng.randrange(28)
    if is_report:
        label, _ = rng.choice(KINDS)
        return f"{city}市总工会{year}年{label}(第{i}号)"
    return f"{city}市职工文化活动简讯(第{i}号)"
