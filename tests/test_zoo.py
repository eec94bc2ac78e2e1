"""The portal zoo: real servers on 127.0.0.1, every gold document fetched and checked."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser

import lxml.html
import opencc
import pytest

from zoo import Zoo

T2S = opencc.OpenCC("t2s")
CHROME = [
    "ICP备",
    "公网安备",
    "上传人",
    "文档编号",
    "下载资源",
    "由会员分享",
    "展开阅读全文",
    "当前位置",
    "您的位置",
    "打印本页",
    "关闭窗口",
    "主办单位",
    "网站标识码",
    "以下是小编",
    "共5页",
    "责任编辑",
    "网站无障碍",
    "资源描述",
    "超出免费预览范围",
    "分享到",
    "【字体",
    "浏览器",
    "上一篇",
    "下一篇",
]
# the sites a zoo always runs (the large portal only when asked for)
SITES = {"trs", "news", "wenku", "fanwen", "big5", "mislabeled", "portal", "traps", "hanweb"}
REQUIRED = {
    "url",
    "part",
    "site",
    "kind",
    "source_url",
    "pages",
    "is_report",
    "title",
    "text",
    "published_date",
    "report_date",
    "year",
    "org",
    "region",
    "doc_type",
    "script",
    "dup_group",
    "encoding",
    "declared_encoding",
    "reachable",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_plain = urllib.request.build_opener(NoRedirect)


def fetch(url: str, method: str = "GET", headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) without following redirects; errors are answers too."""
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with _plain.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


class _PageText(HTMLParser):
    """A page's text as a browser's tokenizer reads it: <title> is raw text, and a stray
    </html> ends nothing (libxml2 drops what follows one, browsers show it)."""

    CDATA_CONTENT_ELEMENTS = ("script", "style", "title", "textarea")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(body: bytes, encoding: str) -> str:
    parser = _PageText()
    parser.feed(body.decode(encoding))
    parser.close()
    return "".join(parser.parts)


@pytest.fixture(scope="module")
def zoo():
    with Zoo(large_pages=100_000, slow_seconds=0.6) as z:
        yield z


@pytest.fixture(scope="module")
def docs(zoo):
    return zoo.truth["documents"]


def test_truth_shape(zoo, docs, tmp_path):
    assert set(zoo.urls) == SITES | {"large"}
    assert all(u.startswith("http://127.0.0.1:") for u in zoo.urls.values())
    assert len(set(zoo.urls.values())) == len(zoo.urls)
    assert sorted(zoo.start_urls) == sorted(zoo.urls.values())
    assert 40 <= len(docs) <= 90
    for d in docs:
        assert REQUIRED <= set(d), d["url"]
        assert d["url"].startswith(zoo.urls[d["site"]])
        assert d["title"] and d["text"]
        assert d["script"] in ("Hans", "Hant")
        assert d["doc_type"] in ("汇报", "总结", "报告", "经验交流", "讲话", "计划", "other")
        assert not re.search(r"[\u00c0-\u00ff\ufffd]", d["text"])
        for leak in CHROME:
            assert leak not in d["text"], (d["url"], leak)
    reports = [d for d in docs if d["is_report"]]
    assert len(reports) >= 25 and len(docs) - len(reports) >= 8
    assert sum(len(d["text"]) < 250 for d in reports) >= 3
    assert sum(len(d["text"]) > 3000 for d in reports) >= 8
    # every html site has several reports and at least one distractor somewhere
    for site in ("trs", "news", "wenku", "fanwen", "big5", "portal"):
        mine = [d for d in docs if d["site"] == site]
        assert sum(d["is_report"] for d in mine) >= 3 and not all(d["is_report"] for d in mine), (
            site
        )
    # reposts: one report in several sites, in Traditional script, as a near duplicate
    groups = {}
    for d in docs:
        groups.setdefault(d["dup_group"], set()).add(d["site"])
    assert len(groups["guangyuan-2011"]) >= 3
    assert any(d["script"] == "Hant" and d["dup_group"] == "guangyuan-2011" for d in docs)
    assert any(d["variant_of"] and d["dup_group"] == "cangxi-2022" for d in docs)
    # (url, part) is unique
    assert len({(d["url"], d["part"]) for d in docs}) == len(docs)
    out = tmp_path / "truth.json"
    zoo.write_truth(out)
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(zoo.truth))


def _check_html_doc(zoo, d):
    urls = d["pages"] or [d["url"]]
    texts = []
    for url in urls:
        status, headers, body = fetch(url)
        if status == 500 and url == zoo.truth["faults"]["flaky_500"]:
            status, headers, body = fetch(url)  # fails once per zoo, by design
        assert status == 200, url
        ctype = headers["Content-Type"]
        assert ctype.startswith("text/html"), url
        texts.append(page_text(body, d["encoding"]))
    joined = norm("".join(texts))
    if d["script"] == "Hant":
        joined = norm(T2S.convert("".join(texts)))
    for para in d["text"].split("\n"):
        assert norm(para) in joined, (d["url"], para[:40])
    assert norm(d["title"]) in joined or norm(d["title"]) in norm(T2S.convert("".join(texts))), d[
        "url"
    ]


def test_every_gold_page_is_served_with_its_text(zoo, docs):
    checked = 0
    for d in docs:
        if d["kind"] == "html":
            _check_html_doc(zoo, d)
            checked += 1
    assert checked >= 40


_PAGER = re.compile(r'createPageHTML\((\w+),\s*(\w+),\s*"([^"]+)",\s*"([^"]+)"\)')


def _links(url: str, body: bytes, encoding: str) -> set[str]:
    """<a href> links plus the pages a TRS createPageHTML(...) call would write."""
    html = body.decode(encoding, errors="replace")
    if html.startswith("<?xml"):  # a Hanweb dataproxy answer: only its records
        return {urllib.parse.urljoin(url, h) for h in _RECORD_HREF.findall(html)}
    out = {
        urllib.parse.urljoin(url, a.get("href"))
        for a in lxml.html.fromstring(html).iter("a")
        if a.get("href") and not a.get("href").startswith(("javascript:", "#", "mailto:"))
    }
    variables = dict(re.findall(r"var\s+(\w+)\s*=\s*(\d+)", html))
    for count, _cur, stem, ext in _PAGER.findall(html):
        n = int(variables.get(count, count))
        out |= {urllib.parse.urljoin(url, f"{stem}.{ext}")}
        out |= {urllib.parse.urljoin(url, f"{stem}_{i}.{ext}") for i in range(1, n)}
    # a Hanweb <datastore>: its records' links are in CDATA inside a script
    out |= {urllib.parse.urljoin(url, h) for h in _RECORD_HREF.findall(html)}
    return {u.split("#")[0] for u in out}


_RECORD_HREF = re.compile(r'<record><!\[CDATA\[[^\]]*?href="([^"]+)"')
_JPAGE = re.compile(
    r"totalRecord:(\d+),.*?proxyUrl:'([^']+)',perPage:(\d+),.*?ajaxParam:\{([^}]*)\}"
)
_PGNO = re.compile(
    r'<form name="pageForm" method="post" action="([^"]+)">(.*?)</form>.*?第\d+/(\d+)页', re.S
)


def _post_pages(url: str, body: bytes, encoding: str) -> list[tuple[str, bytes]]:
    """(URL, form body) of the later pages of a jpage list (groups of one page) or of a
    pgno form on a list's first page, as their scripts POST them."""
    html = body.decode(encoding, errors="replace")
    out = []
    for total, proxy, per, params in _JPAGE.findall(html):
        total, per = int(total), int(per)
        form = urllib.parse.urlencode(
            [(k, v.strip("'")) for k, v in (p.split(":", 1) for p in params.split(","))]
        ).encode()
        for start in range(per + 1, total + 1, per):
            end = min(start + per - 1, total)
            out.append(
                (
                    urllib.parse.urljoin(
                        url, f"{proxy}?startrecord={start}&endrecord={end}&perpage={per}"
                    ),
                    form,
                )
            )
    for action, inputs, pages in _PGNO.findall(html):
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', inputs))
        if fields.get("pgno") == "1":
            for n in range(2, int(pages) + 1):
                form = urllib.parse.urlencode({**fields, "pgno": n}).encode(encoding)
                out.append((urllib.parse.urljoin(url, action), form))
    return out


def test_gold_documents_and_faults_are_reachable_from_start_urls(zoo, docs):
    """A polite crawler (robots, no traps) starting at start_urls finds every reachable
    gold document, every page of the multi-page article and every fault; the
    robots-forbidden report is linked only from forbidden pages."""
    codecs = {s["base"]: s["encoding"] for s in zoo.truth["sites"].values()}
    avoid = tuple(zoo.truth["forbidden"] + zoo.truth["traps"])
    queue = [(u, None) for u in zoo.start_urls if u != zoo.urls["large"]]
    seen, linked, posted = {u for u, _ in queue}, set(), set()
    while queue:
        url, form = queue.pop()
        base = next(b for b in codecs if url.startswith(b))
        status, headers, body = fetch(url, "POST" if form is not None else "GET", data=form)
        if status == 500:
            status, headers, body = fetch(url)
        if status in (301, 302):
            body, headers = (
                f'<a href="{headers["Location"]}">moved</a>'.encode(),
                {"Content-Type": "text/html"},
            )
        elif status != 200 or not headers.get("Content-Type", "").startswith(
            ("text/html", "text/xml")
        ):
            continue
        # the charset the header names (the Hanweb site's old JSP part is GBK), else the site's
        codec = (status == 200 and headers.get_content_charset()) or codecs[base]
        if form is None and status == 200:
            for page in _post_pages(url, body, codec):
                if page not in posted and not page[0].startswith(avoid):
                    posted.add(page)
                    queue.append(page)
        try:
            found = _links(url, body, codec if status == 200 else "ascii")
        except Exception:  # binary_as_html and other junk
            continue
        linked |= found
        for link in found:
            if (
                link not in seen
                and link.startswith(tuple(codecs))
                and not link.startswith(avoid)
                and "/archive/" not in link
            ):
                seen.add(link)
                queue.append((link, None))
    for d in docs:
        for url in d["pages"] or [d["url"]]:
            assert (url in seen) == d["reachable"], url
    assert set(zoo.truth["faults"].values()) <= linked
    assert any(u.startswith(zoo.truth["forbidden"][0]) for u in linked)
    # the Hanweb site's later list pages exist only as POSTs (the forbidden proxy's too)
    hanweb = [(u, f) for u, f in posted if u.startswith(zoo.urls["hanweb"])]
    assert len([u for u, _ in hanweb if "/module/web/jpage/dataproxy.jsp?" in u]) == 2
    assert len([u for u, _ in hanweb if "/oldsite/column.jsp?" in u]) == 2


def test_attachments_hold_their_gold_text(zoo, docs):
    import docx
    from pdfminer.high_level import extract_text

    atts = {d["kind"]: d for d in docs if d["kind"] != "html"}
    assert set(atts) == {"docx", "pdf"}
    for d in atts.values():
        status, _, page = fetch(d["source_url"])
        assert status == 200 and d["url"].rsplit("/", 1)[1].encode() in page
        status, headers, body = fetch(d["url"])
        assert status == 200
        if d["kind"] == "docx":
            assert headers["Content-Type"].startswith("application/vnd.openxmlformats")
            paras = [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]
            assert paras[0] == d["title"] and "\n".join(paras[1:]) == d["text"]
        else:
            assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
            assert norm(extract_text(io.BytesIO(body))) == norm(d["title"] + d["text"])
    # deterministic bytes across instances, for attachments and every gold page
    with Zoo() as other:
        for d in docs:
            if d["url"] == zoo.truth["faults"]["flaky_500"]:
                continue
            path = d["url"].split("/", 3)[3]
            assert fetch(other.urls[d["site"]] + path)[2] == fetch(d["url"])[2], d["url"]
        assert other.truth["documents"] == json.loads(
            json.dumps(zoo.truth["documents"])
            .replace(zoo.urls["trs"], other.urls["trs"])
            .replace(zoo.urls["news"], other.urls["news"])
            .replace(zoo.urls["wenku"], other.urls["wenku"])
            .replace(zoo.urls["fanwen"], other.urls["fanwen"])
            .replace(zoo.urls["big5"], other.urls["big5"])
            .replace(zoo.urls["mislabeled"], other.urls["mislabeled"])
            .replace(zoo.urls["portal"], other.urls["portal"])
            .replace(zoo.urls["traps"], other.urls["traps"])
            .replace(zoo.urls["hanweb"], other.urls["hanweb"])
        )


def test_declared_and_actual_encodings(zoo, docs):
    by_site = {}
    for d in docs:
        if d["kind"] == "html":
            by_site.setdefault(d["site"], []).append(d)
    for d in by_site["trs"]:
        status, headers, body = fetch(d["url"])
        assert headers["Content-Type"] == "text/html"  # no charset in the header
        assert b"charset=gb2312" in body[:400]
        with pytest.raises(UnicodeDecodeError):
            body.decode("gb2312")
        body.decode("gbk")
        assert (d["encoding"], d["declared_encoding"]) == ("gbk", "gb2312")
    for d in by_site["mislabeled"]:
        status, headers, body = fetch(d["url"])
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"charset" not in body.lower()
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        body.decode("gbk")
    for d in by_site["big5"]:
        status, headers, body = fetch(d["url"])
        assert headers["Content-Type"] == "text/html; charset=big5" and d["script"] == "Hant"
        text = body.decode("big5")
        assert T2S.convert(text) != text  # really Traditional
    for d in by_site["fanwen"]:
        status, headers, body = fetch(d["url"])
        assert headers["Content-Type"] == "text/html; charset=gbk"
        body.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
    assert zoo.truth["sites"]["mislabeled"] == {
        **zoo.truth["sites"]["mislabeled"],
        "encoding": "gbk",
        "declared": "utf-8",
    }


def test_robots_and_forbidden_reports(zoo, docs):
    status, headers, body = fetch(zoo.urls["trs"] + "robots.txt")
    assert status == 200 and b"Disallow: /nbzl/" in body
    assert zoo.truth["forbidden"] == [
        zoo.urls["trs"] + "nbzl/",
        zoo.urls["hanweb"] + "module/jslib/",
    ]
    hidden = [d for d in docs if not d["reachable"]]
    assert hidden and all(
        d["url"].startswith(zoo.truth["forbidden"][0]) and d["is_report"] for d in hidden
    )
    status, headers, body = fetch(zoo.urls["hanweb"] + "robots.txt")
    assert status == 200 and b"Disallow: /module/jslib/" in body
    for name, url in zoo.urls.items():
        assert fetch(url + "robots.txt")[0] == 200, name


def test_trs_pagination_lives_only_in_scripts(zoo, docs):
    base = zoo.urls["trs"]
    status, _, body = fetch(base + "gzbg/index.html")
    html = body.decode("gbk")
    assert re.search(r'createPageHTML\(2, 0, "index", "html"\)', html)
    assert 'href="index_1.html"' not in html
    assert fetch(base + "gzbg/index_1.html")[0] == 200
    assert fetch(base + "gzbg/index_2.html")[0] == 404
    html = fetch(base + "gzdt/index.html")[2].decode("gbk")  # the expanded-variable form
    assert "var countPage = 2//" in html and "createPageHTML(countPage, currentPage" in html
    assert 'href="index_1.html"' not in html and fetch(base + "gzdt/index_1.html")[0] == 200
    multi = [d for d in docs if d["pages"] and d["site"] == "trs"]
    assert len(multi) == 1 and len(multi[0]["pages"]) == 3
    first = fetch(multi[0]["pages"][0])[2].decode("gbk")
    stem = multi[0]["pages"][0].rsplit("/", 1)[1][:-5]
    assert f'createPageHTML(3, 0, "{stem}", "html")' in first
    assert f'{stem}_1.html"' not in first and 'class="TRS_Editor"' in first and "<style" in first
    assert "【字体：" in first and "公网安备" in first and "网站无障碍" in first


def test_trs_official_notice_states_its_fields(zoo, docs):
    """A 公文 on the 通知公告 list's second page: the page shows what its truth says."""
    official = [d for d in docs if d["doc_number"]]
    assert [d["site"] for d in official] == ["trs"]
    d = official[0]
    assert d["addressee"] and d["issuer"] and d["issued_date"] == "2021-03-12"
    lines = norm(page_text(fetch(d["url"])[2], "gbk"))
    for shown in (
        d["doc_number"],
        norm(d["addressee"]) + ":",
        d["issuer"] + "二〇二一年三月十二日",
    ):
        assert shown in lines, shown
    listing = fetch(zoo.urls["trs"] + "tzgg/index_1.html")[2].decode("gbk")
    assert d["url"].rsplit("/", 1)[1] in listing
    assert all(k in x for x in docs for k in ("doc_number", "addressee", "issuer", "issued_date"))


def test_fanwen_multi_report_pages(zoo, docs):
    parts = [d for d in docs if d["site"] == "fanwen" and d["part"]]
    by_url = {}
    for d in parts:
        by_url.setdefault(d["url"], []).append(d["part"])
    assert sorted(map(sorted, by_url.values())) == [[1, 2, 3], [1, 2, 3, 4]]
    text = "\n".join(d["text"] for d in parts)
    assert "20xx" in text and "XX县" in text and "x人次" in text
    for url in by_url:
        html = fetch(url)[2].decode("gbk")
        assert "以下是小编" in html or "下面是小编" in html
        assert "您的位置" in html and ("篇1" in html)


def test_news_and_wenku_templates(zoo):
    html = fetch(zoo.urls["news"] + "ghgz/list_2.shtml")[2].decode()
    assert ".shtml" in html and fetch(zoo.urls["news"] + "ghgz/list.shtml")[0] == 200
    art = re.search(r'href="(/c/[^"]+\.shtml)"', html).group(1)
    page = fetch(zoo.urls["news"] + art[1:])[2].decode()
    assert re.search(r"<title>.+ - .+ - 职工日报网</title>", page)
    assert "上一篇" in page and "下一篇" in page and "责任编辑" in page
    page = fetch(zoo.urls["wenku"] + "p-7125872.html")[2].decode()
    for s in (
        "上传人",
        "文档编号",
        "第1页 / 共5页",
        "下载资源",
        "资源描述",
        "由会员",
        "猜你喜欢",
        "举报",
    ):
        assert s in page
    assert fetch(zoo.urls["wenku"] + "tag/gonghui.html?page=2")[0] == 200
    assert fetch(zoo.urls["wenku"] + "tag/gonghui.html?page=9")[0] == 404


def test_portal_reproduces_each_class(zoo, docs):
    """Each portal page carries the real-world class it stands for, and its gold is the
    body only (docs/zoo.md)."""
    import datetime as dt

    gold = {d["id"]: d for d in docs if d["site"] == "portal"}
    assert len(gold) >= 10 and all(d["encoding"] == "utf-8" for d in gold.values())

    def page(doc_id):
        status, headers, body = fetch(gold[doc_id]["url"])
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        return body.decode("utf-8")

    def absent(doc_id, *strings):
        for s in strings:
            assert norm(s) not in norm(gold[doc_id]["text"]), (doc_id, s)

    # 1. keyword spam: a display:none box as big as the page
    html = page("portal-zhuanfang-2024")
    spam = re.search(r'<div style="display:none">([^<]*)</div>', html).group(1)
    assert len(spam.encode()) >= 30_000 and len(spam) > len(html) / 2
    absent("portal-zhuanfang-2024", spam.split()[0])
    assert "|" in gold["portal-zhuanfang-2024"]["title"]  # 7. a headline with a |
    # 2. a generic div.content around nav, breadcrumb, the article, a sidebar, 20 comments
    html = page("portal-tongchuan-2024h1")
    box = lxml.html.fromstring(html).find_class("content")[0]
    talks = box.find_class("talk-item")
    assert len(talks) == 20 and box.find_class("news-detail") and box.find_class("col-right")
    assert all("回复" in t.text_content() and "赞(" in t.text_content() for t in talks)
    absent("portal-tongchuan-2024h1", *(t.find_class("talk-said")[0].text_content() for t in talks))
    # 3. breadcrumb in another wording, an info bar whose timestamp has no label
    html = page("portal-ruhui-2024")
    assert "您所在的位置：" in html and "发布时间" not in html
    stamp = re.search(r"(\d{4}-\d\d-\d\d) \d\d:\d\d　来源：[^　]+　作者：", html)
    assert stamp.group(1) == gold["portal-ruhui-2024"]["published_date"]
    # 7. <title> only the column and the site, the headline in an <h5> just before the body
    assert "<title>工会动态--陕西省总工会</title>" in html
    assert f'<h5>{gold["portal-ruhui-2024"]["title"]}</h5>\n<div class="art-main">' in html
    # 4. credits inside the body, and a teaser for another article after the editor
    html = page("portal-gongjiang-2024")
    for s in ("【文/本报记者", "对此文亦有贡献）", "图片均来自网络", "责任编辑："):
        assert s in html
        absent("portal-gongjiang-2024", s)
    teaser = html.split("责任编辑：", 1)[1].split("</div>", 1)[0]
    assert any(d["url"].endswith(re.search(r'href="([^"]+)"', teaser).group(1)) for d in docs)
    # 5. a 划重点 box whose bullets the body says again
    html = page("portal-yizhan-2024")
    bullets = lxml.html.fromstring(html).find_class("key-box")[0].findall(".//li")
    text = gold["portal-yizhan-2024"]["text"]
    assert "划重点：" in html and bullets and all(b.text_content() in text for b in bullets)
    assert not any(line in [b.text_content() for b in bullets] for line in text.split("\n"))
    html = page("portal-yishihui-2024")  # and a 摘要 box
    assert "<b>摘要：</b>" in html and "本报记者 吕新宇 范小雨" in html
    absent("portal-yishihui-2024", "摘要：", "本报记者")
    assert f"<title>基层风采--{gold['portal-yishihui-2024']['title']}</title>" in html  # 7.
    # 6. promotion, player, related links, image prompt and back link inside the body
    html = page("portal-jineng-2024")
    for s in (
        "扫码关注",
        "公众号",
        "下载客户端",
        'class="qg-player-wrap"',
        "自动播放",
        "（点击看清晰大图）",
    ):
        assert s in html
    assert re.search(r"<p><strong>相关新闻：</strong></p>\n(<p><a [^>]+>[^<]+</a></p>\n){2}", html)
    assert re.search(r"。<a href=\"/\">返回首页&gt;&gt;</a></p>", html)
    absent(
        "portal-jineng-2024",
        "扫码关注",
        "下载客户端",
        "自动播放",
        "点击看清晰大图",
        "返回首页",
        "相关新闻",
    )
    # 8. a WeChat-style repost: <section><span> only, the date only in a script variable
    html = page("portal-hanzhong-2024q1")
    body = html.split('<div class="rp-body">', 1)[1].split("</div>", 1)[0]
    assert "<section" in body and "<span" in body and "<p" not in body
    ct = int(re.search(r'var ct = "(\d{10})"', html).group(1))
    day = dt.datetime.fromtimestamp(ct, dt.timezone(dt.timedelta(hours=8))).date()
    assert day.isoformat() == gold["portal-hanzhong-2024q1"]["published_date"]
    assert day != dt.datetime.fromtimestamp(ct, dt.UTC).date()  # Beijing time counts
    assert not re.search(r"20\d\d[-/年.]\d", page_text(html.encode(), "utf-8").replace(str(ct), ""))
    # 9. paragraphs separated only by <br>; a short body in a fixed-height box
    html = page("portal-qindu-2023")
    body = html.split('<div class="arc-text">', 1)[1].split("</div>", 1)[0]
    assert body.count("<br>") == len(gold["portal-qindu-2023"]["text"].split("\n")) - 1
    assert "<p" not in body
    html = page("portal-wulizhen-2024h1")
    assert 'style="height:300px;overflow:hidden"' in html
    assert len(gold["portal-wulizhen-2024h1"]["text"]) < 150
    # 10. a stray </body></html> from an included header, the article after it
    html = page("portal-weinan-ankangbei-2023")
    first = gold["portal-weinan-ankangbei-2023"]["text"].split("\n")[1]
    assert -1 < html.find("</body>\n</html>") < html.find(first) < html.rfind("</html>")
    # the gold of pages our extraction still gets wrong says what goes wrong
    assert all(isinstance(d["known_failure"], (str, type(None))) for d in docs)


def test_faults(zoo, docs):
    faults = zoo.truth["faults"]
    assert set(faults) == {
        "flaky_500",
        "slow",
        "redirect_chain",
        "redirect_loop",
        "not_found",
        "oversized",
        "binary_as_html",
        "script_payload",
    }
    # 500 once per zoo instance, then 200 with the gold page
    with Zoo() as fresh:
        flaky = fresh.truth["faults"]["flaky_500"]
        assert [fetch(flaky)[0] for _ in range(3)] == [500, 200, 200]
        assert "旺苍县总工会" in fetch(flaky)[2].decode()
    assert any(d["url"] == faults["flaky_500"] and d["is_report"] for d in docs)
    # slow
    started = time.monotonic()
    assert fetch(faults["slow"])[0] == 200
    assert time.monotonic() - started >= 0.6
    # 301 chain of three hops to a gold page
    url, hops = faults["redirect_chain"], 0
    while True:
        status, headers, _ = fetch(url)
        if status != 301:
            break
        url, hops = urllib.parse.urljoin(url, headers["Location"]), hops + 1
    assert hops == 3 and status == 200 and any(d["url"] == url for d in docs)
    # redirect loop
    seen, url = [], faults["redirect_loop"]
    for _ in range(4):
        status, headers, _ = fetch(url)
        assert status in (301, 302)
        seen.append(url)
        url = urllib.parse.urljoin(url, headers["Location"])
    assert seen[0] == seen[2] and seen[1] == seen[3] and seen[0] != seen[1]
    assert any(seen[0].startswith(t) for t in zoo.truth["traps"])
    # 404 linked from the home page
    assert fetch(faults["not_found"])[0] == 404
    assert faults["not_found"].split("/", 3)[3].encode() in fetch(zoo.urls["traps"])[2]
    # oversized: 30 MiB announced and sent
    status, headers, _ = fetch(faults["oversized"], "HEAD")
    assert status == 200 and int(headers["Content-Length"]) >= 30 * 1024 * 1024
    status, headers, body = fetch(faults["oversized"])
    assert len(body) == int(headers["Content-Length"]) and body.rstrip().endswith(b"</html>")
    # binary served as text/html
    status, headers, body = fetch(faults["binary_as_html"])
    assert headers["Content-Type"].startswith("text/html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    # script payload in title and body, and it is a short report
    body = fetch(faults["script_payload"])[2].decode()
    assert re.search(r"<title>[^<]*<script>alert\('xss'\)</script>", body)
    assert "&lt;script&gt;alert('xss')&lt;/script&gt;" in body
    gold = next(d for d in docs if d["url"] == faults["script_payload"])
    assert gold["is_report"] and "<script>alert('xss')</script>" in gold["title"] + gold["text"]
    assert "<script>alert('xss')</script>" in gold["text"] and len(gold["text"]) < 250


def test_calendar_trap_never_ends(zoo):
    url = zoo.urls["traps"] + "calendar/2024-01-01.html"
    assert any(url.startswith(t) for t in zoo.truth["traps"])
    seen = set()
    for _ in range(40):
        status, _, body = fetch(url)
        assert status == 200 and url not in seen
        seen.add(url)
        nxt = re.search(r'href="([^"]+)">后一天', body.decode()).group(1)
        url = urllib.parse.urljoin(url, nxt)
    assert url.endswith("2024-02-10.html")


def test_request_log(zoo):
    before = len(zoo.requests("news"))
    fetch(zoo.urls["news"] + "ghgz/list.shtml?x=1")
    fetch(zoo.urls["news"] + "nope.shtml", "HEAD")
    log = zoo.requests("news")[before:]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/ghgz/list.shtml?x=1", 200),
        ("HEAD", "/nope.shtml", 404),
    ]
    assert "User-Agent" in log[0]["headers"]


def test_gzip_and_conditional_requests(zoo, docs):
    import gzip

    url = next(d["url"] for d in docs if d["site"] == "news")
    status, h_plain, plain = fetch(url)
    assert "Content-Encoding" not in h_plain and h_plain["Vary"] == "Accept-Encoding"
    status, h_gz, packed = fetch(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert (
        status == 200
        and h_gz["Content-Encoding"] == "gzip"
        and int(h_gz["Content-Length"]) == len(packed)
    )
    assert gzip.decompress(packed) == plain and len(packed) < len(plain)
    assert fetch(url, headers={"If-None-Match": h_plain["ETag"]})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": h_plain["Last-Modified"]})[0] == 304
    assert fetch(url, headers={"If-None-Match": '"other"'})[0] == 200
    # RFC 9110 13.2.2: If-None-Match decides when sent, If-Modified-Since only without it
    lm = h_plain["Last-Modified"]
    assert fetch(url, headers={"If-None-Match": '"other"', "If-Modified-Since": lm})[0] == 200
    assert fetch(url, headers={"If-None-Match": f'"x", W/{h_plain["ETag"]}'})[0] == 304
    assert fetch(url, headers={"If-None-Match": "*"})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    assert fetch(url, headers={"If-Modified-Since": "not a date"})[0] == 200
    pdf = next(d["url"] for d in docs if d["kind"] == "pdf")
    assert "Content-Encoding" not in fetch(pdf, headers={"Accept-Encoding": "gzip"})[1]
    assert "ETag" not in fetch(zoo.truth["faults"]["flaky_500"])[1]  # generated pages: none


def test_large_portal_is_deterministic_and_lazy(zoo):
    from zoo.sites.large import article

    site = zoo.sites["large"]
    info = zoo.truth["sites"]["large"]
    assert info["articles"] == 100_000 and info["list_pages"] == 2000
    before = site.generated
    status, headers, body = fetch(zoo.urls["large"] + "art/99999.html")
    assert status == 200 and site.generated == before + 1
    assert 20_000 <= len(body) <= 30_000
    gold = site.truth_for(99999)
    text = norm(page_text(body, "utf-8"))
    assert all(norm(p) in text for p in gold["text"].split("\n")) and norm(gold["title"]) in text
    assert fetch(zoo.urls["large"] + "art/100000.html")[0] == 404
    listing = fetch(zoo.urls["large"] + "list/1999.html")[2].decode()
    assert "/art/99999.html" in listing and site.generated == before + 1
    with Zoo(large_pages=100_000) as other:
        for path in ("art/0.html", "art/4242.html", "list/7.html"):
            assert fetch(other.urls["large"] + path)[2] == fetch(zoo.urls["large"] + path)[2]
    assert article(2026, 5) == article(2026, 5) and article(2026, 5) != article(7, 5)


def test_zoo_without_large_and_stop_frees_ports():
    z = Zoo().start()
    try:
        assert "large" not in z.urls and fetch(z.urls["trs"])[0] == 200
        url = z.urls["trs"]
    finally:
        z.stop()
    assert [r["path"] for r in z.requests("trs")] == ["/"]
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_cli_serve_prints_urls_and_writes_truth(tmp_path):
    truth = tmp_path / "truth.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoo.cli", "serve", "--truth", str(truth)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        while not lines or not lines[-1].startswith("ground truth:"):  # written, then said
            lines.append(proc.stdout.readline())
            assert lines[-1], "zoo serve ended early"
        urls = dict(line.split() for line in lines[:-1])
        assert set(urls) == SITES
        assert fetch(urls["news"])[0] == 200
        data = json.loads(truth.read_text(encoding="utf-8"))
        assert data["sites"]["news"]["base"] == urls["news"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_hanweb_later_list_pages_answer_only_post(zoo, docs):
    import xml.etree.ElementTree as ET

    base = zoo.urls["hanweb"]
    status, headers, body = fetch(base + "col/col1201/index.html")
    html = body.decode("utf-8")
    assert status == 200 and html.count("<record><![CDATA[") == 3 and "totalRecord:8," in html
    proxy = base + "module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3"
    status, headers, _ = fetch(proxy)
    assert status == 405 and headers["Allow"] == "POST"
    form = {
        "col": 1,
        "appid": 1,
        "webid": 12,
        "path": "/",
        "columnid": 1201,
        "unitid": "47023",
        "webname": "江淮省总工会",
        "permissiontype": 0,
    }
    status, headers, body = fetch(proxy, "POST", data=urllib.parse.urlencode(form).encode())
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(body)
    assert root.findtext("totalrecord") == "8" and root.findtext("totalpage") == "3"
    hrefs = [re.search(r'href="([^"]+)"', r.text).group(1) for r in root.iter("record")]
    assert len(hrefs) == 3 and all(h not in html for h in hrefs)  # not on the first page
    gold = {d["url"] for d in docs if d["site"] == "hanweb"}
    assert {base + h.lstrip("/") for h in hrefs} <= gold
    # the form must be the page's: another unit's id is refused
    wrong = urllib.parse.urlencode({**form, "unitid": "1"}).encode()
    assert fetch(proxy, "POST", data=wrong)[0] == 400
    # the old JSP column: GET is page 1, POST pgno=N page N
    col = base + "oldsite/column.jsp?cid=222"
    first = fetch(col)[2].decode("gbk")
    third = fetch(col, "POST", data=b"cid=222&pgno=3")[2].decode("gbk")
    assert 'value="1"' in first and 'value="3"' in third and "第1/3页" in first
    assert re.findall(r"content\.jsp\?id=(\d+)", first) == ["9031", "8977"]
    assert re.findall(r"content\.jsp\?id=(\d+)", third) == ["8533"]
    log = [r for r in zoo.requests("hanweb") if r["method"] == "POST"]
    assert log[-1]["body"] == "cid=222&pgno=3" and log[-1]["path"] == "/oldsite/column.jsp?cid=222"
    # sites without POST answers say 405 too
    assert fetch(zoo.urls["news"] + "ghgz/list.shtml", "POST", data=b"a=1")[0] == 405


def test_pager_traps_never_end_and_change_shape_every_page(zoo):
    from crawler.links import url_shape

    for start, last in (
        ("dated/a2024-01-01.html", "dated/a2024-02-10.html"),
        ("letters/aaaa.html", "letters/aabo.html"),
    ):
        url = zoo.urls["traps"] + start
        assert any(url.startswith(t) for t in zoo.truth["traps"])
        seen, shapes = set(), []
        for _ in range(40):
            status, _, body = fetch(url)
            assert status == 200 and url not in seen
            seen.add(url)
            shapes.append(url_shape(url))
            nxt = re.search(r'href="([^"]+)">下一页', body.decode()).group(1)
            url = urllib.parse.urljoin(url, nxt)
        assert url.endswith(last)
        assert all(a != b for a, b in zip(shapes, shapes[1:]))
