"""A provincial union portal built as a single-page app over a JSON API (history routes).

Every page path (``/``, ``/list/N``, ``/article/ID``) answers the same shell: an empty
``<div id="app">`` and ``/static/app.js``.  The script reads the path, fetches
``/api/list?page=N`` or ``/api/article/ID`` and writes the list (links, a 下一页 pager)
or the article into the page.  The report is only on list page 2.  Article pages also
call ``/api/stat`` (disallowed by robots.txt) and load a beacon from another zoo host:
a crawler that runs the page must fetch neither.  The documents' text is in the JSON
answers, so their gold URL is ``/api/article/ID``.
"""

from __future__ import annotations

import json
import re

from .. import content as c
from ..site import Page, Site, esc

SITE = "陇原职工之家"
PER_PAGE = 2

SHELL = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{SITE}</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script></head>
<body><div id="app"></div><noscript>请启用JavaScript</noscript></body></html>
"""

APP_JS = r"""(function () {
  var app = document.getElementById("app");
  function h(tag, text, attrs) {
    var el = document.createElement(tag);
    if (text) el.textContent = text;
    for (var k in (attrs || {})) el.setAttribute(k, attrs[k]);
    return el;
  }
  function get(url) {
    return fetch(url, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }
  var path = location.pathname, m;
  app.appendChild(h("div", "%(site)s", {"class": "logo"}));
  if ((m = path.match(/^\/article\/(\d+)$/))) {
    get("/api/article/" + m[1]).then(function (a) {
      app.appendChild(h("h1", a.title, {"class": "title"}));
      app.appendChild(h("div", "发布时间：" + a.date + "  来源：" + a.source, {"class": "info"}));
      var body = h("div", "", {"class": "content"});
      body.innerHTML = a.content;
      app.appendChild(body);
      document.title = a.title + " - %(site)s";
    });
    fetch("/api/stat?id=" + m[1]).catch(function () {});
    app.appendChild(h("img", "", {"src": "%(beacon)s", "alt": ""}));
  } else {
    var page = (m = path.match(/^\/list\/(\d+)$/)) ? +m[1] : 1;
    get("/api/list?page=" + page).then(function (l) {
      var ul = h("ul", "", {"class": "list"});
      l.items.forEach(function (it) {
        var li = h("li");
        li.appendChild(h("a", it.title, {"href": it.url}));
        li.appendChild(h("span", it.date));
        ul.appendChild(li);
      });
      app.appendChild(ul);
      if (page < l.pages) app.appendChild(h("a", "下一页", {"href": "/list/" + (page + 1)}));
    });
  }
})();
"""

ARTICLES = [  # (text, id, date), PER_PAGE a list page, newest first
    ("news-jineng", 41, "2024-05-08"),
    ("notice-holiday", 40, "2024-04-25"),
    ("weizi-2023q1", 27, "2023-04-06"),
]


def _text(text_id: str) -> c.Text:
    if text_id == "weizi-2023q1":
        return c.relocate(c.load("zhen-2023q1"), "weizi-2023q1", {"元坝镇": "卫子镇"})
    return c.load(text_id)


def json_page(data: object) -> Page:
    return Page(
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        content_type="application/json; charset=utf-8",
    )


class JsonApiSite(Site):
    """A portal whose script builds its pages from a JSON API: articles at
    ``/api/article/ID`` (their gold URL), lists at ``/api/list?page=N``, and ``/api/stat``
    (disallowed by robots.txt) that a crawler must not fetch."""

    portal = ""  # the portal's name, the articles' source

    def add_api_article(self, t: c.Text, num: int, when: str) -> None:
        self.add(
            f"/api/article/{num}",
            json_page(
                {
                    "id": num,
                    "title": t.title,
                    "date": when,
                    "source": self.portal,
                    "content": "".join(f"<p>{esc(p)}</p>" for p in t.paras),
                }
            ),
        )
        self.gold(f"/api/article/{num}", t, published_date=when)

    def add_api_lists(self, items: list[dict], per_page: int) -> int:
        """``/api/list?page=N`` for the items, ``per_page`` a page; returns the page count."""
        pages = -(-len(items) // per_page)
        for n in range(1, pages + 1):
            shown = items[(n - 1) * per_page : n * per_page]
            self.add(f"/api/list?page={n}", json_page({"page": n, "pages": pages, "items": shown}))
        return pages

    def dynamic(self, path: str, query: str) -> Page | None:
        if path == "/api/list" and re.fullmatch(r"page=\d+", query):
            return self.pages.get(f"{path}?{query}")
        if path == "/api/stat":
            return json_page({"ok": True})
        return None


class SpaSite(JsonApiSite):
    name = "spa"
    portal = SITE

    def build(self) -> None:
        self.add_robots("Disallow: /api/stat")
        self.forbidden.append("/api/stat")
        beacon = self.urls.get("news", self.base) + "beacon.gif"
        self.add(
            "/static/app.js",
            Page(
                body=(APP_JS % {"site": SITE, "beacon": beacon}).encode(),
                content_type="application/javascript; charset=utf-8",
            ),
        )
        self.add(
            "/static/app.css",
            Page(body=b"#app{max-width:960px;margin:auto}", content_type="text/css"),
        )
        self.shell = self.html_page(SHELL)
        self.add("/", self.shell)
        items = []
        for text_id, num, when in ARTICLES:
            t = _text(text_id)
            self.add_api_article(t, num, when)
            self.add(f"/article/{num}", self.shell)
            items.append({"id": num, "title": t.title, "date": when, "url": f"/article/{num}"})
        pages = self.add_api_lists(items, PER_PAGE)
        for n in range(1, pages + 1):
            self.add(f"/list/{n}", self.shell)
        self.truth_extra = {"list_pages": pages}
