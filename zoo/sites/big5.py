"""Traditional-script repost site served in Big5 (Drupal-like /node/N URLs, ?page=N lists,
ROC dates on some pages). Gold texts are the Simplified (OpenCC t2s) form of what is shown."""

from __future__ import annotations

from .. import content as c
from ..site import Page, Site, esc, paras_html

SITE = "勞工資訊轉載網"


def _chrome(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=big5">
<title>{esc(title)} | {SITE}</title>
</head>
<body>
<div id="header"><a href="/">{SITE}</a> <a href="/news?page=0">最新轉載</a> <a href="/">關於本站\
</a></div>
{body}
<div id="footer"><p>本站文章均轉載自網路,版權歸原作者所有。</p>\
<p>版權所有 2024 {SITE} 聯絡我們：service@example.org</p></div>
</body>
</html>
"""


NODES = [
    # (text id, node, ROC or ISO date shown, ISO date, source note)
    ("district-2021", 3012, "民國110年12月26日", "2021-12-26", "本文轉載自區總工會"),
    ("guangyuan-2011", 1187, "2011-11-05", "2011-11-05", "轉載自 廣元市總工會"),
    ("siming-2012", 1240, "2012-05-20", "2012-05-20", "轉載自 廈門工會網"),
    ("news-jineng", 3318, "民國112年9月24日", "2023-09-24", "【本報消息】"),
    ("news-kuaidi", 3456, "2024-06-21", "2024-06-21", "轉載自 職工日報"),
]


def _traditional(text_id: str) -> c.Text:
    t = c.load(text_id).traditional()
    # Big5 lacks a few characters OpenCC may produce: replace them with Big5 forms
    fix = {
        "羣": "群",
        "衆": "眾",
        "啓": "啟",
        "爲": "為",
        "着": "著",
        "麪": "麵",
        "綫": "線",
        "裏": "裡",
    }
    t.title = "".join(fix.get(ch, ch) for ch in t.title)
    t.paras = ["".join(fix.get(ch, ch) for ch in p) for p in t.paras]
    return t


class Big5Site(Site):
    name = "big5"
    encoding = "big5"
    declared = "big5"

    def build(self) -> None:
        self.add_robots("Disallow: /user/")
        items = []
        for text_id, node, shown, iso, note in NODES:
            t = _traditional(text_id)
            path = f"/node/{node}"
            body = f"""<div class="breadcrumb"><a href="/">首頁</a> &raquo; 轉載</div>
<article class="node">
<h1 class="title">{esc(t.title)}</h1>
<div class="submitted">發佈日期：{shown}　{esc(note)}</div>
<div class="field-body">
{paras_html(t.paras)}
</div>
<div class="links"><a href="/news?page=0">返回列表</a> <a href="javascript:window.print()">列印</a>\
</div>
</article>"""
            self.add(path, self.html_page(_chrome(t.title, body)))
            self.gold(path, t, published_date=iso)
            items.append((path, t.title, iso))
        items.sort(key=lambda e: e[2], reverse=True)
        per = 2
        chunks = [items[i : i + per] for i in range(0, len(items), per)]
        self.news_pages = []
        for _n, chunk in enumerate(chunks):
            lis = "".join(f'<li><a href="{p}">{esc(ti)}</a> {d}</li>' for p, ti, d in chunk)
            pager = " ".join(f'<a href="/news?page={k}">{k + 1}</a>' for k in range(len(chunks)))
            self.news_pages.append(
                self.html_page(
                    _chrome(
                        "最新轉載", f'<ul class="views">{lis}</ul><div class="pager">{pager}</div>'
                    )
                )
            )
        lis = "".join(f'<li><a href="{p}">{esc(ti)}</a></li>' for p, ti, _ in items[:3])
        self.add(
            "/",
            self.html_page(
                _chrome("首頁", f'<h2>最新轉載</h2><ul>{lis}</ul><a href="/news?page=0">更多</a>')
            ),
        )

    def dynamic(self, path: str, query: str) -> Page | None:
        if path == "/news":
            from urllib.parse import parse_qs

            try:
                n = int(parse_qs(query).get("page", ["0"])[0])
            except ValueError:
                return None
            if 0 <= n < len(self.news_pages):
                return self.news_pages[n]
        return None
