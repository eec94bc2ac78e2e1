"""A county union site that holds the faults and crawler traps: a page that fails once,
a slow page, a 301 chain, a redirect loop, 404 links, an endless calendar, two endless
下一页 lists whose URLs change shape at every page, an oversized page, binary bytes served
as text/html and a <script> payload page."""

from __future__ import annotations

import datetime
import random
import re
import threading

from .. import content as c
from ..site import Page, Site, esc, paras_html, redirect

SITE = "旺苍县总工会"
PAYLOAD = "<script>alert('xss')</script>"


def _chrome(title: str, body: str, raw_title: str | None = None) -> str:
    head_title = raw_title if raw_title is not None else esc(title)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{head_title} - {SITE}</title>
</head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/calendar/2024-01-01.html">活动日历</a> \
<a href="/reports/">工作报告</a></div>
{body}
<div class="footer">主办单位：{SITE}　蜀ICP备10020030号</div>
</body>
</html>
"""


def _article(
    t: c.Text, when: str, raw_title: str | None = None, raw_paras: str | None = None
) -> str:
    h1 = esc(t.title)
    body = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; 工作报告</div>
<h1>{h1}</h1>
<div class="info">发布时间：{when}</div>
<div class="content">
{raw_paras if raw_paras is not None else paras_html(t.paras)}
</div>"""
    return _chrome(t.title, body, raw_title)


class TrapsSite(Site):
    name = "traps"
    encoding = "utf-8"
    declared = "utf-8"

    def build(self) -> None:
        self.slow_seconds = float(self.options.get("slow_seconds", 3.0))
        self.oversized_bytes = int(self.options.get("oversized_bytes", 30 * 1024 * 1024))
        self.flaky_failed = False
        self.flaky_lock = threading.Lock()
        self.add_robots("Disallow: /admin/", content_type="text/plain; charset=utf-8")
        self.traps = ["/calendar/", "/loop/", "/dated/", "/letters/"]
        self.faults = {
            "flaky_500": "/reports/flaky.html",
            "slow": "/reports/slow.html",
            "redirect_chain": "/r/1.html",
            "redirect_loop": "/loop/a.html",
            "not_found": "/reports/missing.html",
            "oversized": "/archive/all.html",
            "binary_as_html": "/download/report.html",
            "script_payload": "/reports/xss.html",
        }
        # the flaky page holds a report (the crawler must retry to get it)
        wc = c.relocate(
            c.load("cangxi-2022"),
            "wangcang-2023",
            {"苍溪县": "旺苍县", "猕猴桃种植": "黄茶种植", "十五届三次": "十六届二次"},
            1,
        )
        self.flaky_page = self.html_page(_article(wc, "2023-07-10 09:00"))
        self.gold("/reports/flaky.html", wc, published_date="2023-07-10")
        # slow page: a distractor
        slow = c.load("notice-holiday")
        self.slow_page = self.html_page(_article(slow, "2024-04-23 08:00"))
        self.slow_page.delay = self.slow_seconds
        self.gold("/reports/slow.html", slow, published_date="2024-04-23")
        # a 301 chain of 3 hops ending at a short gold page
        self.add("/r/1.html", redirect(self.url("/r/2.html")))
        self.add("/r/2.html", redirect("/r/3.html"))
        self.add("/r/3.html", redirect(self.url("/reports/shequ.html")))
        sq = c.load("shequ-2022")
        self.add("/reports/shequ.html", self.html_page(_article(sq, "2023-01-05 10:30")))
        self.gold("/reports/shequ.html", sq, published_date="2023-01-05")
        # redirect loop
        self.add("/loop/a.html", redirect("/loop/b.html", 302))
        self.add("/loop/b.html", redirect(self.url("/loop/a.html"), 301))
        # script payload in title and body, a short report
        x = c.load("xss-2024")
        raw_para = esc(x.paras[0].replace(PAYLOAD, "\0")).replace("\0", esc(PAYLOAD))
        self.add(
            "/reports/xss.html",
            self.html_page(
                _article(
                    x,
                    "2024-03-01 09:00",
                    raw_title=x.title,  # <title> is RCDATA: kept literally
                    raw_paras=f"<p>{raw_para}</p>\n<script>alert('xss')</script>",
                )
            ),
        )
        self.gold("/reports/xss.html", x, published_date="2024-03-01")
        # binary bytes served as text/html (deterministic)
        rng = random.Random(4242)
        self.add(
            "/download/report.html",
            Page(
                body=b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(4096)),
                content_type="text/html; charset=utf-8",
            ),
        )
        links = [
            ("/reports/flaky.html", wc.title),
            ("/reports/slow.html", slow.title),
            ("/r/1.html", "社区工会工作小结"),
            ("/reports/xss.html", "工会工作简报"),
            ("/reports/missing.html", "2019年工作总结(已删除)"),
            ("/archive/all.html", "全部资料汇编"),
            ("/download/report.html", "工作报告下载"),
            ("/loop/a.html", "旧版网站"),
            ("/calendar/2024-01-01.html", "活动日历"),
            ("/dated/a2024-01-01.html", "通知公告"),
            ("/letters/aaaa.html", "工作动态"),
        ]
        lis = "".join(f'<li><a href="{p}">{esc(ti)}</a></li>' for p, ti in links)
        home = _chrome("首页", f'<ul class="list">{lis}</ul>')
        self.add("/", self.html_page(home))
        self.add("/reports/", self.html_page(home))

    def dynamic(self, path: str, query: str) -> Page | None:
        if path == "/reports/flaky.html":
            with self.flaky_lock:
                failed_before, self.flaky_failed = self.flaky_failed, True
            if not failed_before:
                return Page(
                    status=500,
                    body=b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                    content_type="text/html; charset=utf-8",
                )
            return self.flaky_page
        if path == "/reports/slow.html":
            return self.slow_page
        if path == "/archive/all.html":
            return self._oversized()
        m = re.fullmatch(r"/calendar/(\d{4})-(\d{2})-(\d{2})\.html", path)
        if m:
            try:
                day = datetime.date(*map(int, m.groups()))
            except ValueError:
                return None
            nxt, prv = day + datetime.timedelta(days=1), day - datetime.timedelta(days=1)
            body = (
                f"<h1>{day.isoformat()} 活动安排</h1><p>本日暂无活动安排。</p>"
                f'<p><a href="/calendar/{prv.isoformat()}.html">前一天</a> <a '
                f'href="/calendar/{nxt.isoformat()}.html">后一天</a></p>'
            )
            return self.html_page(_chrome(f"活动日历 {day.isoformat()}", body))
        m = re.fullmatch(r"/dated/([ab])(\d{4})-(\d{2})-(\d{2})\.html", path)
        if m:  # a list whose next page changes the URL's shape at every step
            try:
                day = datetime.date(*map(int, m.groups()[1:]))
            except ValueError:
                return None
            nxt = day + datetime.timedelta(days=1)
            letter = "b" if m.group(1) == "a" else "a"
            return self._pager_page(f"通知公告 {day.isoformat()}", f"{letter}{nxt.isoformat()}")
        m = re.fullmatch(r"/letters/([a-z]{4})\.html", path)
        if m:  # a list counting in letters: aaaa, aaab, ... never the same shape twice
            n = 0
            for ch in m.group(1):
                n = n * 26 + ord(ch) - 97
            n = (n + 1) % 26**4
            name = "".join(chr(97 + n // 26**k % 26) for k in (3, 2, 1, 0))
            return self._pager_page(f"工作动态 {m.group(1)}", name)
        return None

    def _pager_page(self, title: str, next_name: str) -> Page:
        body = (
            f'<h1>{title}</h1><ul class="list"><li>暂无内容</li></ul>'
            f'<div class="pager"><a href="{next_name}.html">下一页</a></div>'
        )
        return self.html_page(_chrome(title, body))

    def _oversized(self) -> Page:
        head = (
            _chrome("全部资料汇编", "\0").split("\0")[0]
            + '<h1>全部资料汇编</h1>\n<div class="content">\n'
        )
        head = head.encode("utf-8")
        tail = b"</div></body></html>\n"
        row = ("<p>" + "工会资料汇编内容。" * 20 + "</p>\n").encode("utf-8")
        size = self.oversized_bytes
        fill = size - len(head) - len(tail)

        def chunks():
            yield head
            left = fill
            block = row * 256
            while left > 0:
                piece = block[:left]
                yield piece
                left -= len(piece)
            yield tail

        return Page(content_type="text/html; charset=utf-8", chunks=chunks, length=size)
