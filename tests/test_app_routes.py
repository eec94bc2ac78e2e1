"""Which URL fragments are a single-page app's routes (crawler/routes.py): kept in links,
counted by the crawl's request fingerprinter; plain fragments (#top, #) are dropped."""

from __future__ import annotations

import pytest
from parsel import Selector
from scrapy import Request
from scrapy.utils.misc import load_object

from crawler import settings
from crawler.browser import APP_SHELL, browser_reason, json_links
from crawler.links import Link, extract_links, url_shape
from crawler.routes import app_route, page_url

BASE = "http://h.example/"


def _links(base: str, body: str) -> list[tuple[str, str]]:
    return [(x.url, x.kind) for x in extract_links(base, Selector(text=body))]


def test_which_fragments_are_routes():
    assert app_route("http://h.example/#/list/2") == "/list/2"
    assert app_route("http://h.example/#!/article/41") == "!/article/41"
    for plain in ("#top", "#", "", "#content", "#!top", "#list/2"):
        assert app_route("http://h.example/a" + plain) == "", plain
    assert page_url("http://h.example/#/article/41") == "http://h.example/#/article/41"
    assert page_url("http://h.example/a.html#top") == "http://h.example/a.html"
    assert page_url("http://h.example/a.html#") == "http://h.example/a.html"


def test_links_keep_app_routes_and_drop_plain_fragments():
    body = """<html><body>
      <a href="#/article/41">甲</a> <a href="#!/article/12">乙</a>
      <a href="#top">返回顶部</a> <a href="#">分享</a> <a href="#content">跳到正文</a>
      <a href="/news/1.html#comments">评论</a> <a href="/app/#/list/3">列表</a>
      <a href="http://h.example/#/article/41">甲again</a>
    </body></html>"""
    assert _links(BASE, body) == [
        ("http://h.example/#/article/41", "page"),
        ("http://h.example/#!/article/12", "page"),
        ("http://h.example/news/1.html", "page"),
        ("http://h.example/app/#/list/3", "page"),
    ]


def test_links_of_a_rendered_route_resolve_against_it():
    body = '<a href="#/list/3">下一页</a><a href="#top">顶部</a><a href="#/article/9">文</a>'
    assert _links("http://h.example/#/list/2", body) == [
        ("http://h.example/#/list/3", "pagination"),  # a pager beside this route
        ("http://h.example/#/article/9", "page"),
    ]


def test_url_shapes_of_routes():
    assert url_shape(BASE + "#/list/2") == url_shape(BASE + "#/list/30")
    assert url_shape(BASE + "#/list/2") != url_shape(BASE + "#/article/2")
    assert url_shape(BASE + "a/1.html#top") == url_shape(BASE + "a/2.html")


def test_json_links_keep_app_routes():
    body = '{"items": [{"url": "/#/article/41"}, {"url": "/a.html#top"}]}'
    assert [x.url for x in json_links(BASE + "api/list", body.encode())] == [
        "http://h.example/#/article/41",
        "http://h.example/a.html",
    ]


def test_a_shell_whose_only_links_are_routes_is_still_a_shell():
    shell = (
        b'<html><head><script src="/app.js"></script></head>'
        b'<body><div id="app"></div><a href="#/list/1"></a></body></html>'
    )
    routes = [Link(BASE + "#/list/1", "page")]
    assert browser_reason(200, shell, "text/html", routes) == APP_SHELL
    assert browser_reason(200, shell, "text/html", routes + [Link(BASE + "a", "page")]) is None


def test_the_crawl_fingerprints_routes_apart_and_plain_fragments_together():
    fingerprinter = load_object(settings.REQUEST_FINGERPRINTER_CLASS)()

    def fp(url: str) -> bytes:
        return fingerprinter.fingerprint(Request(url))

    assert fp(BASE + "#/list/2") != fp(BASE)
    assert fp(BASE + "#/list/2") != fp(BASE + "#/list/3")
    assert fp(BASE + "#!/article/12") != fp(BASE)
    assert fp(BASE + "#top") == fp(BASE)
    assert fp(BASE + "a.html#") == fp(BASE + "a.html")
    assert fp(BASE + "#/list/2") == fp(BASE + "#/list/2")


def test_redis_workers_share_the_same_rule():
    pytest.importorskip("scrapy_redis")
    from crawler.distributed import redis_settings

    cls = load_object(redis_settings("redis://127.0.0.1:1/0", "w", "c")["DUPEFILTER_CLASS"])
    dupes = cls(server=None, key="k")

    def fp(url: str) -> str:
        return dupes.request_fingerprint(Request(url))

    assert fp(BASE + "#/list/2") != fp(BASE)
    assert fp(BASE + "#!/article/12") != fp(BASE + "#/list/2")
    assert fp(BASE + "#top") == fp(BASE)
