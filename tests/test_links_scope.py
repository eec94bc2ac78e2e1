"""Link discovery and scope rules of the crawler (pure parts)."""

import pytest
from parsel import Selector

from crawler.links import extract_links, script_pagination, url_shape
from crawler.middlewares import address_refused, check_url
from crawler.sources import SourcesError, load_sources

TRS_LIST = """<html><body><ul><li><a href="./202403/t20240329_1068756.html">\
关于全市工会工作情况的汇报</a></li>
<li><a href="../other/notice.html">通知</a></li><li><a href="javascript:void(0)">打印</a></li>
<li><a href="mailto:x@example.org">mail</a></li><li><a href="./P020260930389614168185.pdf">附件</a>\
</li></ul>
<script>var currentPage = 0; var countPage = 4;
createPageHTML(countPage, currentPage, "index", "html");</script></body></html>"""


def test_trs_script_pagination_and_links():
    base = "http://127.0.0.1:8000/xwdt/ghyw/index.html"
    links = {l.url: l for l in extract_links(base, Selector(text=TRS_LIST))}
    for i in (1, 2, 3):
        assert links[f"http://127.0.0.1:8000/xwdt/ghyw/index_{i}.html"].kind == "pagination"
    assert "http://127.0.0.1:8000/xwdt/ghyw/index_4.html" not in links
    report = links["http://127.0.0.1:8000/xwdt/ghyw/202403/t20240329_1068756.html"]
    assert (
        report.kind == "page"
        and report.priority > links["http://127.0.0.1:8000/xwdt/other/notice.html"].priority
    )
    assert links["http://127.0.0.1:8000/xwdt/ghyw/P020260930389614168185.pdf"].kind == "attachment"
    assert not any(u.startswith(("javascript", "mailto")) for u in links)


def test_literal_create_page_html_in_article():
    urls = script_pagination(
        "http://h/a/t20171117_5577604.html", 'createPageHTML(3, 0, "t20171117_5577604", "html");'
    )
    assert urls == [
        "http://h/a/t20171117_5577604.html",
        "http://h/a/t20171117_5577604_1.html",
        "http://h/a/t20171117_5577604_2.html",
    ]


def test_expanded_variables_without_semicolons():
    # real TRS templates: `var countPage = 2//共多少页`, and arithmetic on other variables
    script = (
        "var currentPage = 0;//所在页从0开始\nvar prevPage = currentPage-1//上一页\n"
        'var countPage = 3//共多少页\ncreatePageHTML(countPage, currentPage, "index", "html");'
    )
    assert script_pagination("http://h/gzdt/", script) == [
        "http://h/gzdt/index.html",
        "http://h/gzdt/index_1.html",
        "http://h/gzdt/index_2.html",
    ]


def test_hanweb_datastore_links_in_script():
    html = (
        '<script type="text/xml"><datastore><recordset><record><![CDATA[<li><a '
        'href="/art/2026/9/16/'
        'art_77278_11830771.html" target="_blank">工会工作总结</a></li>]]></record>'
        "</recordset></datastore></script>"
    )
    urls = [l.url for l in extract_links("http://h/col/col77278/index.html", Selector(text=html))]
    assert "http://h/art/2026/9/16/art_77278_11830771.html" in urls


def test_url_shape_folds_digits():
    assert url_shape("http://h/cal/2024-03-05.html") == url_shape("http://h/cal/2024-03-06.html")
    assert url_shape("http://h/list_2.shtml") != url_shape("http://h/t2024_1.html")


@pytest.mark.parametrize(
    "host,loop,priv,refused",
    [
        ("127.0.0.1", False, False, "loopback address"),
        ("127.0.0.1", True, False, None),
        ("localhost", False, False, "loopback address"),
        ("10.1.2.3", True, False, "private or link-local address"),
        ("169.254.1.1", False, False, "private or link-local address"),
        ("192.168.0.1", False, True, None),
        ("[::1]", False, False, "loopback address"),
        ("www.acftu.org", False, False, None),
        # numeric spellings the C library (and browsers) read as addresses
        ("127.1", False, False, "loopback address"),
        ("2130706433", False, False, "loopback address"),
        ("0x7f000001", False, False, "loopback address"),
        ("0", False, False, "loopback address"),
        ("2852039166", True, False, "private or link-local address"),
        ("0xa9fea9fe", True, False, "private or link-local address"),
        ("0251.0376.0251.0376", True, False, "private or link-local address"),
        ("10.1", True, False, "private or link-local address"),
        ("[::ffff:169.254.169.254]", True, False, "private or link-local address"),
        ("[::ffff:127.0.0.1]", False, True, "loopback address"),
        ("100.64.0.1", True, False, "private or link-local address"),
        ("8.8.8.8", False, False, None),
        ("deadbeef", False, False, None),  # a name: judged by what it resolves to
    ],
)
def test_address_scope(host, loop, priv, refused):
    assert address_refused(host, loop, priv) == refused


def test_check_url_schemes():
    assert check_url("ftp://www.acftu.org/x").startswith("not an http(s) URL")
    assert "--allow-loopback" in check_url("http://127.0.0.1:8000/")
    assert check_url("https://www.acftu.org/xwdt/") is None


def test_shipped_sources_are_valid():
    sources = load_sources()
    assert len(sources) >= 6
    assert all(check_url(s["url"]) is None for s in sources)  # real, public portals only
    assert {"trs", "newspaper", "traditional", "spa"} <= {s["kind"] for s in sources}


def test_a_shipped_hash_routed_source_starts_at_its_route():
    """The survey's gsgh.org.cn/#/... is a hash-routed app: its start request keeps the route
    (a fragment starting with "/" is a page of its own) and is rendered in the browser."""
    from scrapy.http import Request

    from crawler.routes import RouteFingerprinter, app_route

    routed = [s for s in load_sources() if app_route(s["url"])]
    assert routed and all(s.get("render") == "browser" for s in routed)
    fingerprint = RouteFingerprinter().fingerprint
    for s in routed:
        bare = s["url"].split("#")[0]
        assert fingerprint(Request(s["url"])) != fingerprint(Request(bare))


def test_bad_sources_file(tmp_path):
    bad = tmp_path / "s.yml"
    bad.write_text("sources:\n  - name: a\n    url: ftp://x\n    kind: trs\n", encoding="utf-8")
    with pytest.raises(SourcesError, match="no http"):
        load_sources(bad)
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(tmp_path / "missing.yml")


def test_pager_anchors_beside_the_page_are_pagination():
    html = (
        '<a href="/">首页</a> <a href="/list/1.html">2</a> <a href="/list/3.html">下一页</a> '
        '<a href="/list/9.html">尾頁</a> <a href="/art/5.html">2</a> <a href="sub/x.html">4</a> '
        '<a href="/calendar/2024-01-02.html">后一天</a> <a href="/list/7.html">全部文章</a> '
        '<a href="/list/8.pdf">3</a>'
    )
    kinds = {l.url: l.kind for l in extract_links("http://h/list/0.html", Selector(text=html))}
    assert kinds == {
        "http://h/": "page",  # home, not a pager
        "http://h/list/1.html": "pagination",  # page number beside this page
        "http://h/list/3.html": "pagination",
        "http://h/list/9.html": "pagination",  # Traditional 尾頁
        "http://h/art/5.html": "page",  # a number, but another directory
        "http://h/list/sub/x.html": "page",
        "http://h/calendar/2024-01-02.html": "page",  # a calendar's next day is no pager
        "http://h/list/7.html": "page",  # same directory, not a pager text
        "http://h/list/8.pdf": "attachment",
    }
    query = {
        l.url: l.kind
        for l in extract_links("http://h/news", Selector(text='<a href="/news?page=2">3</a>'))
    }
    assert query == {"http://h/news?page=2": "pagination"}


def test_spider_callbacks_are_no_generators_returning_values():
    """WARN_ON_GENERATOR_RETURN_VALUE is off in crawler/settings.py (Scrapy re-parsed the
    callback's source for every response); this is the check it made, done once."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    from crawler.spiders.bare import BareSpider
    from crawler.spiders.union import UnionSpider

    checked = 0
    for cls in (UnionSpider, BareSpider):
        for name, func in inspect.getmembers(cls, inspect.isgeneratorfunction):
            assert not is_generator_with_return_value(func), f"{cls.__name__}.{name}"
            checked += 1
    assert checked >= 2  # both parse() methods

    def bad():  # the check itself still catches one
        yield 1
        return 2

    assert is_generator_with_return_value(bad)


ODD_LINKS = (
    '<a href="sms:10086">短信</a> <a href="/a1.html">一</a> '
    '<a href="weixin://dl/chat">微信</a> <a href="/a2.html">二</a> '
    '<a href="vbscript:msgbox(1)">vb</a> <a href="/a3.html">三</a> '
    '<a href="java\tscript:alert(1)">js</a> <a href="/a4.html">四</a> '
    '<a href="http://[::1/x">v6</a> <a href="http://127.0.0.1:99999/">port</a> '
    '<a href=" /a5.html\n">五</a>'
)


def test_odd_schemes_and_malformed_links_are_skipped_alone():
    urls = [link.url for link in extract_links("http://h/list/", Selector(text=ODD_LINKS))]
    assert urls == [f"http://h/a{i}.html" for i in range(1, 6)]
