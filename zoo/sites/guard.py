"""A provincial union portal behind a 加速乐-style JavaScript cookie challenge.

Every page (robots.txt aside) answers 521 with a tiny page and a ``__jsluid_h`` cookie
until the request carries ``__jsl_clearance=NONCE.VALUE``, where NONCE is the one that
521 page named for that ``__jsluid_h`` and VALUE a hash of it that only running the
page's script gives (the number is in no page).  Behind it: a plain server-rendered
TRS-like portal (a list, three articles, a report under ``/private/`` that robots.txt
disallows).
"""

from __future__ import annotations

import secrets
import threading
from http.cookies import CookieError, SimpleCookie

from .. import content as c
from ..site import Page, Site, esc, paras_html

SITE = "蜀北职工服务网"
CHALLENGE_STATUS = 521


def clearance(nonce: str) -> str:
    """What the challenge script computes: FNV-1a of the nonce, folded (see CHALLENGE)."""
    h = 2166136261
    for ch in nonce:
        h = ((h ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return f"{nonce}.{h % 1000003 + 7 * len(nonce):x}"


CHALLENGE = """<html><head><meta charset="utf-8"></head><body><script>
(function(){var n="%s",h=2166136261;
for(var i=0;i<n.length;i++){h=Math.imul(h^n.charCodeAt(i),16777619)>>>0;}
document.cookie="__jsl_clearance="+n+"."+(h%%1000003+7*n.length).toString(16)+";path=/";
location.href=location.pathname+location.search;})();
</script></body></html>"""


def _chrome(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)}_{SITE}</title></head>
<body>
<div class="nav"><a href="/">首页</a> <a href="/gzbg/index.html">工作报告</a>
<a href="/private/index.html">内部资料</a></div>
{body}
<div class="foot">{SITE} 版权所有 主办单位：蜀北省总工会 蜀ICP备12000001号</div>
</body></html>
"""


def _article(t: c.Text, shown: str) -> str:
    return _chrome(
        t.title,
        f"""<h1 class="title">{esc(t.title)}</h1>
<div class="info">发布时间：{shown} 来源：{SITE}</div>
<div class="TRS_Editor">
{paras_html(t.paras)}
</div>""",
    )


ARTICLES = [  # (text, path, date)
    ("jiange-2022", "/gzbg/202207/t20220712_301.html", "2022-07-12"),
    ("plan-2024", "/gzbg/202401/t20240115_318.html", "2024-01-15"),
    ("news-kuaidi", "/gzbg/202406/t20240621_344.html", "2024-06-21"),
]
PRIVATE = ("speech-2019", "/private/201908/t20190820_12.html", "2019-08-20")


def _text(text_id: str) -> c.Text:
    if text_id == "jiange-2022":
        return c.relocate(c.load("cangxi-2022"), "jiange-2022", {"苍溪": "剑阁"})
    return c.load(text_id)


class GuardSite(Site):
    name = "guard"

    def build(self) -> None:
        self.add_robots("Disallow: /private/")
        self.forbidden.append("/private/")
        self._issued: dict[str, str] = {}  # __jsluid_h -> the nonce its 521 page named
        self._lock = threading.Lock()
        self.challenges = 0  # 521 answers so far (tests read it)
        items = []
        for text_id, path, when in ARTICLES:
            t = _text(text_id)
            self.add(path, self.html_page(_article(t, when)))
            self.gold(path, t, published_date=when)
            items.append(f'<li><a href="{path}">{esc(t.title)}</a><span>{when}</span></li>')
        text_id, path, when = PRIVATE
        t = _text(text_id)
        self.add(path, self.html_page(_article(t, when)))
        self.gold(path, t, published_date=when, reachable=False)
        listing = _chrome("工作报告", f'<ul class="list">{"".join(items)}</ul>')
        self.add("/gzbg/index.html", self.html_page(listing))
        private = _chrome("内部资料", f'<a href="{path}">内部</a>')
        self.add("/private/index.html", self.html_page(private))
        home = _chrome("首页", f"<p>欢迎访问{SITE}</p><ul>{''.join(items)}</ul>")
        self.add("/", self.html_page(home))
        self.truth_extra = {"challenge_status": CHALLENGE_STATUS}

    def passes(self, cookie_header: str | None) -> bool:
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header or "")
        except CookieError:
            return False
        uid, clear = cookies.get("__jsluid_h"), cookies.get("__jsl_clearance")
        if uid is None or clear is None:
            return False
        with self._lock:
            nonce = self._issued.get(uid.value)
        return nonce is not None and clear.value == clearance(nonce)

    def challenge(self, cookie_header: str | None) -> Page:
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header or "")
        except CookieError:
            pass
        uid = cookies["__jsluid_h"].value if "__jsluid_h" in cookies else secrets.token_hex(16)
        nonce = secrets.token_hex(8)
        with self._lock:
            self._issued[uid] = nonce
            self.challenges += 1
        return Page(
            status=CHALLENGE_STATUS,
            body=(CHALLENGE % nonce).encode("utf-8"),
            content_type="text/html; charset=utf-8",
            headers=[
                ("Set-Cookie", f"__jsluid_h={uid}; path=/; HttpOnly"),
                ("Cache-Control", "no-store"),
            ],
        )

    def gate(self, path: str, cookie_header: str | None) -> Page | None:
        """The challenge page when this request must solve one, else None."""
        if path == "/robots.txt" or self.passes(cookie_header):
            return None
        return self.challenge(cookie_header)
